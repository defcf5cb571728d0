"""Reference metadata sets (data documentation), as readers produce them and stores return them.

Writer-agnostic: an SDMX-ML 3.0, SDMX-JSON 2.0 or SDMX-CSV 2.0 writer renders the same object. A
set documents one dataflow (``dataflow_urn``) for one data provider (``provider_id``) under one
metadataflow. Attribute values are flat, in message order; a repeated attribute appears once per
value, a nested one under its dotted path (``PARENT.CHILD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATES = ("pending", "validated", "released", "returned")  # returned: sent back by a verifier, never shown


@dataclass(frozen=True)
class AttributeValue:
    attribute: str  # the metadata attribute id (dotted path when nested)
    value: str | None = None  # a code or a plain value (dates, numbers)
    texts: dict[str, str] | None = None  # multilingual text {lang: text}
    where: str = ""  # where the reader found it (line), for error messages; not stored


@dataclass(frozen=True)
class MetadataSet:
    set_id: str
    metadataflow_urn: str
    dataflow_urn: str
    provider_id: str
    names: dict[str, str]
    values: tuple[AttributeValue, ...]
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    # known once stored
    id: int | None = None
    version: int | None = None
    state: str | None = None
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    released_at: datetime | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def values_of(self, attribute: str) -> list[AttributeValue]:
        return [v for v in self.values if v.attribute == attribute]
