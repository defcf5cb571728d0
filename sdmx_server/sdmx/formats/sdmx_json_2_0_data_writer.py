"""SDMX-JSON 2.0 data messages: the 1.0 module's streaming writer with 2.0's differences.

``{"meta": ..., "data": {"dataSets": [...], "structures": [{..., "dataSets": [0, 1...]}]}}``, data
sets first as in 1.0 (each names its ``structure`` 0). What changes (2.0 field guide and schema):

- every measure of the DSD has its own place in the observation array (``structure.measures``),
  then come the attribute indices;
- names are ``name`` (best language) plus ``names`` (every language the labels hold);
- coded values are ``{"id", "name", "names"}``, other values ``{"value": ...}`` (time periods
  with ``start``/``end``), several values ``{"values": [...]}``, a multilingual value
  ``{"value": {"en": .., "ru": ..}}``;
- attribute relationships say ``dataflow`` (data-set level) and ``observation`` instead of
  ``none`` and ``primaryMeasure``; an attribute with no value has no ``values`` list and a
  dimension with no value (serieskeysonly: the time dimension) is left out, since the schema
  wants at least one value in each list.
"""

from __future__ import annotations

from typing import Iterator

from ..data_message import DataMessage
from ..data_structure import Component
from .data_events import AttributeValue
from .sdmx_json_1_0_data_writer import ID_PATTERN, JsonDataWriter, _dumps, _period_bounds


class JsonDataWriter20(JsonDataWriter):
    schema = ("https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/"
              "sdmx-json-data-schema.json")
    extra_measures_as_attributes = False

    def data_set_fields(self) -> dict:
        return {"structure": 0}

    def names(self, picked: str | None, all_names: dict | None, fallback: str) -> dict:
        out = {"name": picked or fallback}
        if all_names:
            out["names"] = dict(all_names)
        return out

    def relationship(self, component: Component | None) -> dict:
        if component is None or component.attachment == "observation":
            return {"observation": {}}
        if component.attachment == "dataset":
            return {"dataflow": {}}
        return {"dimensions": list(component.attached_to)}

    def dimension_value(self, dim: str, value: str, is_time: bool) -> dict:
        if is_time or not ID_PATTERN(value):
            return {"value": value, **(_period_bounds(value) if is_time else {})}
        return {"id": value, **self.names(self.labels.code_name(dim, value),
                                          self.labels.code_names.get(dim, {}).get(value), value)}

    def attribute_value(self, component: str, value: AttributeValue) -> dict:
        if isinstance(value, str):
            return self.coded_value(component, value) or {"value": value}
        if len(value) == 1 and isinstance(value[0], dict):
            return {"value": value[0]}
        return {"values": list(value)}

    def attribute_values(self, values: list[dict]) -> dict:
        return {"values": values} if values else {}

    def measures(self) -> dict:
        labels = self.labels
        return {"measures": {"observation": [
            {"id": m, **self.names(labels.component_name(m), labels.component_names.get(m), m)}
            for m in self.measure_ids]}}

    def structure_member(self) -> str:
        structure = self.structure()
        for level, dims in structure["dimensions"].items():  # the schema wants a value in every list; with
            structure["dimensions"][level] = [d for d in dims if d["values"]]  # none, nothing refers to it
        if self.data_set_count:
            structure["dataSets"] = list(range(self.data_set_count))
        return '"structures":[' + _dumps(structure) + "]"


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """SDMX-JSON 2.0 text chunks of 16 KB or more (the last may be shorter), made as the caller iterates."""
    return JsonDataWriter20(message).chunks()
