"""SDMX-CSV 2.0 reference metadata messages out: one row per metadata set (sdmx-csv metadata field guide).

Columns: ``MDSTRUCTURE[;]`` (``metadataflow``), ``MDSTRUCTURE_ID`` (``DSM:MDF_DATA_DOCUMENTATION(1.0)``),
``METADATASET_ID`` (``PROVIDER:SET(VERSION)``: a set is maintained by its provider), ``ACTION`` (I),
``TARGET_TYPES`` and ``TARGET_IDS`` (``dataflow;dataproviderscheme``,
``DSM:DF_X(1.0);DSM:DATA_PROVIDERS(1.0).KZ``), then one column per metadata attribute used, in the MSD's
order: ``ATTR``, ``ATTR[]`` when it may repeat, ``ATTR[en;ru]`` for text in those languages. Then the
custom columns the spec allows, written only when a set has them: ``metadataSetName[en;ru]``,
``validFrom``, ``validTo`` (so that nothing of a set is lost on the way through CSV). Values are written
exactly (SDMX-CSV is for programs; no formula neutralising), RFC 4180 quoting.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Iterable, Mapping

from ..artefacts import parse_urn
from ..metadata_set import MetadataSet
from .metadata_targets import csv_target
from .sdmx_ml_3_0_metadata import provider_urn
from .sdmx_csv_2_0_metadata_subfields import many_texts_cell, texts_cell, values_cell

MEDIA_TYPE = "application/vnd.sdmx.metadata+csv;version=2.0.0"
SEP = ";"  # the sub-field separator; "|" when ";" separates the fields
NAME_COLUMN, VALID_FROM, VALID_TO = "metadataSetName", "validFrom", "validTo"


def _time(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _columns(sets: list[MetadataSet], attributes: Mapping[str, int | None]) -> list[tuple[str, bool, list[str]]]:
    """(attribute path, repeats, languages) of every attribute some set holds, MSD order first; languages
    empty for a column of codes or plain values."""
    many: dict[str, bool] = {}
    langs: dict[str, set[str]] = {}
    for s in sets:
        counts: dict[str, int] = {}
        for v in s.values:
            counts[v.attribute] = counts.get(v.attribute, 0) + 1
            langs.setdefault(v.attribute, set()).update(v.texts or {})
        for a, n in counts.items():
            many[a] = many.get(a, False) or n > 1 or attributes.get(a, 1) != 1
    order = [a for a in attributes if a in many] + [a for a in many if a not in attributes]
    return [(a, many[a], sorted(langs[a])) for a in order]


def _header(path: str, many: bool, langs: list[str], sep: str) -> str:
    return path + ("[]" if many else "") + (f"[{sep.join(langs)}]" if langs else "")


def write_metadata_csv(sets: Iterable[MetadataSet], *, attributes: Mapping[str, int | None] | None = None,
                       delimiter: str = ",") -> bytes:
    """``attributes``: the MSD's attribute paths in order, each with its maxOccurs (None: unbounded)."""
    sets = list(sets)
    sep = "|" if delimiter == SEP else SEP
    columns = _columns(sets, attributes or {})
    names = sorted({lang for s in sets for lang in s.names})
    valid_from, valid_to = any(s.valid_from for s in sets), any(s.valid_to for s in sets)
    header = [f"MDSTRUCTURE[{sep}]", "MDSTRUCTURE_ID", "METADATASET_ID", "ACTION", "TARGET_TYPES", "TARGET_IDS"]
    header += [_header(*c, sep) for c in columns]
    header += ([f"{NAME_COLUMN}[{sep.join(names)}]"] if names else []) + ([VALID_FROM] if valid_from else []) \
        + ([VALID_TO] if valid_to else [])
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for s in sets:
        flow = parse_urn(s.metadataflow_urn)
        targets = [csv_target(s.dataflow_urn), csv_target(provider_urn(s.provider_id))]
        row = ["metadataflow", f"{flow.agency_id}:{flow.id}({flow.version})",
               f"{s.provider_id}:{s.set_id}({s.version or 1}.0)", "I",
               sep.join(t for t, _ in targets), sep.join(r for _, r in targets)]
        for path, many, langs in columns:
            values = s.values_of(path)
            if not values:
                row.append("")
            elif langs:
                texts = [v.texts or {} for v in values]
                row.append(many_texts_cell(texts, sep) if many else texts_cell(texts[0], sep))
            else:
                plain = [v.value or "" for v in values]
                row.append(values_cell(plain, sep) if many else plain[0])
        row += ([texts_cell(s.names, sep)] if names else []) + ([_time(s.valid_from)] if valid_from else []) \
            + ([_time(s.valid_to)] if valid_to else [])
        w.writerow(row)
    return out.getvalue().encode("utf-8")
