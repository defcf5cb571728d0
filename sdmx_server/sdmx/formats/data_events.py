"""What every data reader yields, whatever the format: a stream of small events, never a whole message.

A reader is a generator ``read_data(stream, structure) -> Iterator[DataEvent]`` over a binary
file object; it holds one series at most in memory, so ingest memory does not grow with the
message. Values stay strings as written; validation and typing belong to ingest, which also knows
the dataflow. ``where`` says where the value came from, for error reports: "line 12, column 7",
"row 5, column OBS_VALUE", "sheet Data, cell C7".

An attribute value is a string, except SDMX-ML 3.0's complex values (``<Comp id="X">`` in a series
or a series' observation): a list, of strings for a multi-valued attribute (``["4F0", "4D0"]``),
or of {language: text} dicts for multilingual values (``[{"en": "..", "fr": ".."}, ...]``; a text
without xml:lang is "en"). Stored as written, as JSON lists; validation checks each string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# SDMX 2.1 actions, and 3.x's, as written in messages; readers normalise spelling only.
ACTIONS = ("Append", "Replace", "Delete", "Information", "Merge")
# a plain value, or a complex one (see above): several values, or several multilingual ones
AttributeValue = str | list[str] | list[dict[str, str]]


@dataclass(slots=True)
class DataSetStart:
    """A data set begins. ``structure`` is the URN (or agency:id(version)) the message names for it."""

    action: str = "Information"
    structure: str | None = None  # DSD, dataflow or provision agreement reference, as given
    structure_kind: str | None = None  # "datastructure", "dataflow" or "provisionagreement"
    provider: str | None = None  # data provider id, if the message names one
    dimension_at_observation: str | None = None
    where: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # validFromDate, reportingBeginDate, ...


@dataclass(slots=True)
class KeyAttributes:
    """Attribute values attached above observation level: data set (key {}), group or series."""

    key: dict[str, str]  # the dimension values the attachment names (partial for groups)
    attributes: dict[str, AttributeValue]
    level: str  # "dataset", "group" or "series"
    where: str = ""
    action: str | None = None  # per-row action (SDMX-CSV ACTION column), overriding the data set's


@dataclass(slots=True)
class Observation:
    """One observation: every dimension value (time included), its measures and its own attributes."""

    key: dict[str, str]
    measures: dict[str, str]  # usually {"OBS_VALUE": "123"}; empty for a key-only Delete
    attributes: dict[str, AttributeValue]
    where: str = ""
    action: str | None = None
    cells: dict[str, str] | None = None  # component id -> its own place ("sheet Data, cell C7"), if finer


@dataclass(frozen=True, slots=True)
class RowLayout:
    """Which cell of a tabular row holds which component, for ``ObservationRows``."""

    dimensions: tuple[int, ...]  # cells of the dimensions, in key order, time excluded
    time: int
    measure: int  # the cell of the one measure
    attributes: tuple[tuple[int, str], ...]  # (cell, attribute id) of observation-level attributes
    to_observation: Callable[[tuple, int], Observation | None]  # the row (and its number) as the reader reads it
    # where a row is: the cells holding its line and 0-based column (SDMX-ML), or, when None, "row N" of
    # its number (SDMX-CSV)
    line: int | None = None
    column: int | None = None


@dataclass(slots=True)
class ObservationRows:
    """Many observations of a tabular message at once, as rows of cells (row ``first_row`` first).

    Building an Observation per row would dominate ingest of a flat file. Validation passes each
    row that it has seen the like of straight to staging and turns any other row into an
    Observation with ``layout.to_observation``, so every row is checked, and reported, as one.
    A reader sends these only for plain rows: one measure, a full key, no action and no
    attribute above observation level. SDMX-ML readers send them only when asked (``rows=True``),
    their rows being an <Obs>'s attribute values followed by its series' key and its line and column.

    Rows are tuples, not lists: the cyclic garbage collector stops tracking a tuple of strings the first
    time it sees one, but promotes every list alive at a collection towards its oldest generation. A million
    list rows passing through a server process set off 6-10 full collections of its whole heap, up to a fifth
    of the ingest's time (see docs/data-submission.md).
    """

    layout: RowLayout
    rows: list[tuple]
    first_row: int


DataEvent = DataSetStart | KeyAttributes | Observation | ObservationRows
