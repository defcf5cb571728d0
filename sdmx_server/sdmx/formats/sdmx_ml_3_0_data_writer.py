"""SDMX-ML 3.0 StructureSpecificData from a DataMessage, streamed.

3.0 structure-specific data is 2.1's with other namespaces, references as URNs, no dataScope, and
complex values, so this module runs the 2.1 writer's ``write_with`` with its own Dialect rather
than copying it. What 3.0 adds is written as its schema has it:

- further measures are XML attributes of the observation, like the primary one;
- list and multilingual values are ``<Comp id="X" xsi:type="ns1:X_ATTRIBUTE">`` (``X_MEASURE`` for
  measures; the type names the ECB_EXR_CA specimen's generated schema uses; CompType is abstract,
  so a type is needed) holding ``<Value>``s, in a series or an observation, and in ``<Atts>`` for
  the data set's own (our readers do not read ``<Atts>`` yet).

Actions: the 3.0 schema's ActionType is Append, Replace, Delete and Information, so "Information"
(ordinary answers), "Replace" and "Delete" (updatedAfter/includeHistory) are written as they are,
and "Merge" (an SDMX 3.1 action) as Replace, which the 3.0 schema defines as Merge's
observation-level replace-or-add.
"""

from __future__ import annotations

from typing import Iterator

from ..data_message import DataMessage
from . import sdmx_ml_2_1_structure_specific_data_writer as ss

SDMX_30 = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/"
_ACTIONS = {"Append": "Append", "Replace": "Replace", "Delete": "Delete", "Information": "Information",
            "Merge": "Replace"}


def _action(action: str) -> str:
    return _ACTIONS.get(action, "Information")


def _dataflow_urn(message: DataMessage) -> str:
    agency, id_, version = ss.dataflow_ref(message)
    return ss.safe(f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={agency}:{id_}({version})")


V30 = ss.Dialect(SDMX_30, None, True, _action, _dataflow_urn)


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """SDMX-ML 3.0 StructureSpecificData, whatever the dimension at observation (3.0 has no other data message)."""
    return ss.write_with(message, V30, "StructureSpecificData")
