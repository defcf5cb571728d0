"""Streaming SDMX-ML 3.0 (and 3.1) StructureSpecificData messages into events.

3.0 structure-specific data is 2.1's with other namespaces, Merge among the actions and no
generic format, so this module reuses the 2.1 reader's machinery rather than copying it.
"""

from __future__ import annotations

from typing import BinaryIO, Iterator

from ..data_structure import DataStructureInfo
from .data_events import DataEvent
from .input_limits import MAX_TOKEN
from .sdmx_ml_2_1_data_reader import read_versioned


def read_data(stream: BinaryIO, structure: DataStructureInfo, *, rows: bool = False,
              max_token: int = MAX_TOKEN) -> Iterator[DataEvent]:
    """Events of an SDMX-ML 3.0/3.1 StructureSpecificData message; other roots raise BadInput. ``rows``,
    ``max_token``: as 2.1's."""
    return read_versioned(stream, structure, ("3.0",), rows=rows, max_token=max_token)
