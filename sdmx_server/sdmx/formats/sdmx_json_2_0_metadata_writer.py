"""SDMX-JSON 2.0 reference metadata messages (the metadata queries' JSON answer).

Same model as the SDMX-ML 3.0 writer: each set names its metadataflow and two targets (dataflow and
data provider); multilingual text is a localised object, codes and plain values are strings, a
repeated attribute appears once per value.
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
        out["attributes"] = [{"id": v.attribute.rsplit(".", 1)[-1], "value": v.texts if v.texts is not None else v.value}
                             for v in s.values]
    return out


def write_metadata_json(sets: Iterable[MetadataSet], languages: list[str], *, message_id: str | None = None) -> bytes:
    langs = languages or ["en"]
    return envelope({"metadataSets": [metadata_set_json(s, langs) for s in sets]}, langs, SCHEMA,
                    {"id": message_id} if message_id else None)
