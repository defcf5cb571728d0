"""SDMX-JSON 2.0 reference metadata messages (the metadata queries' JSON answer).

Same model as the SDMX-ML 3.0 writer: each set names its metadataflow and two targets (dataflow and
data provider); multilingual text is a localised object, codes and plain values are strings, a
repeated attribute appears once per value, a nested one (``PARENT.CHILD``) under its parent.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from ..metadata_set import MetadataSet
from .sdmx_json_common import envelope, pick
from .sdmx_ml_3_0_metadata import provider_urn

SCHEMA = ("https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/metadata-message/tools/schemas/2.0.0/"
          "sdmx-json-metadata-schema.json")
MEDIA_TYPE = "application/vnd.sdmx.metadata+json;version=2.0.0"


def _time(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def metadata_set_json(s: MetadataSet, languages: list[str]) -> dict:
    out: dict = {"id": s.set_id, "agencyID": s.provider_id, "version": f"{s.version or 1}.0.0",
                 "name": pick(s.names, languages) or s.set_id, "names": s.names or {"en": s.set_id},
                 "metadataflow": s.metadataflow_urn, "targets": [s.dataflow_urn, provider_urn(s.provider_id)]}
    for key, value in (("validFrom", _time(s.valid_from)), ("validTo", _time(s.valid_to))):
        if value:
            out[key] = value
    if s.values:
        out["attributes"] = _nested(s)
    return out


def _nested(s: MetadataSet) -> list[dict]:
    """Attributes as the message nests them: ``PARENT.CHILD`` under the last ``PARENT`` written (a parent
    that holds only children is written without a value)."""
    top: list[dict] = []
    for v in s.values:
        siblings, parts = top, v.attribute.split(".")
        for part in parts[:-1]:
            parent = next((a for a in reversed(siblings) if a["id"] == part), None)
            if parent is None:
                parent = {"id": part}
                siblings.append(parent)
            siblings = parent.setdefault("attributes", [])
        value = v.texts if v.texts is not None else v.value
        holder = next((a for a in reversed(siblings) if a["id"] == parts[-1]), None)
        if holder is not None and "value" not in holder:
            holder["value"] = value  # the parent written earlier for its children
        else:
            siblings.append({"id": parts[-1], "value": value})
    return top


def write_metadata_json(sets: Iterable[MetadataSet], languages: list[str], *, message_id: str | None = None) -> bytes:
    langs = languages or ["en"]
    return envelope({"metadataSets": [metadata_set_json(s, langs) for s in sets]}, langs, SCHEMA,
                    {"id": message_id} if message_id else None)
