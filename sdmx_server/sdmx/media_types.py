"""One table of media types drives content negotiation and the choice of reader and writer.

A row names the media type, what it carries (``structure``, ``data``...), the
``format``/``formatVersion`` query values that select it (REST extension,
doc/extend.md), and the modules that read and write it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from .errors import NotAcceptable

Api = Literal["v1", "v2"]


@dataclass(frozen=True)
class MediaType:
    mime: str  # full media type with version parameter
    kind: str  # "structure", "submit-structure-response"...
    format: str  # value of the `format` query parameter
    format_version: str  # value of the `formatVersion` query parameter
    writer: str | None = None  # module under sdmx_server.sdmx.formats
    reader: str | None = None
    variant: str = ""  # passed to the writer when one module writes several message types

    @property
    def base(self) -> str:
        return self.mime.split(";")[0]

    @property
    def version(self) -> str:
        return self.mime.split("version=")[1] if "version=" in self.mime else ""

    def writer_module(self) -> ModuleType:
        assert self.writer
        return importlib.import_module(f"sdmx_server.sdmx.formats.{self.writer}")

    def reader_module(self) -> ModuleType:
        assert self.reader
        return importlib.import_module(f"sdmx_server.sdmx.formats.{self.reader}")


STRUCTURE_ML_21 = MediaType("application/vnd.sdmx.structure+xml;version=2.1", "structure", "structure", "2.1",
                            "sdmx_ml_2_1_structure_writer", "sdmx_ml_structure_reader")
STRUCTURE_ML_30 = MediaType("application/vnd.sdmx.structure+xml;version=3.0.0", "structure", "structure", "3.0.0",
                            "sdmx_ml_3_0_structure_writer", "sdmx_ml_structure_reader")
STRUCTURE_JSON_10 = MediaType("application/vnd.sdmx.structure+json;version=1.0.0", "structure", "jsonstructure",
                              "1.0.0", "sdmx_json_1_0_structure_writer")
STRUCTURE_JSON_20 = MediaType("application/vnd.sdmx.structure+json;version=2.0.0", "structure", "jsonstructure",
                              "2.0.0", "sdmx_json_2_0_structure_writer", "sdmx_json_2_0_structure_reader")

# Data: SDMX 2.1's four SDMX-ML messages (one module for the generic pair, one for the structure-specific pair),
# SDMX-ML 3.0, SDMX-JSON 1.0 and 2.0, SDMX-CSV 1.0 and 2.0. Both API versions offer all of them.
DATA_GENERIC_21 = MediaType("application/vnd.sdmx.genericdata+xml;version=2.1", "data", "genericdata", "2.1",
                            "sdmx_ml_2_1_generic_data_writer")
DATA_GENERIC_TS_21 = MediaType("application/vnd.sdmx.generictimeseriesdata+xml;version=2.1", "data",
                               "generictimeseriesdata", "2.1", "sdmx_ml_2_1_generic_data_writer",
                               variant="timeseries")
DATA_SS_21 = MediaType("application/vnd.sdmx.structurespecificdata+xml;version=2.1", "data",
                       "structurespecificdata", "2.1", "sdmx_ml_2_1_structure_specific_data_writer")
DATA_SS_TS_21 = MediaType("application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1", "data",
                          "structurespecifictimeseriesdata", "2.1", "sdmx_ml_2_1_structure_specific_data_writer",
                          variant="timeseries")
DATA_ML_30 = MediaType("application/vnd.sdmx.data+xml;version=3.0.0", "data", "structurespecificdata", "3.0.0",
                       "sdmx_ml_3_0_data_writer")
DATA_JSON_10 = MediaType("application/vnd.sdmx.data+json;version=1.0.0", "data", "jsondata", "1.0.0",
                         "sdmx_json_1_0_data_writer")
DATA_JSON_20 = MediaType("application/vnd.sdmx.data+json;version=2.0.0", "data", "jsondata", "2.0.0",
                         "sdmx_json_2_0_data_writer")
DATA_CSV_10 = MediaType("application/vnd.sdmx.data+csv;version=1.0.0", "data", "csvdata", "1.0.0",
                        "sdmx_csv_1_0_data_writer")
DATA_CSV_20 = MediaType("application/vnd.sdmx.data+csv;version=2.0.0", "data", "csvdata", "2.0.0",
                        "sdmx_csv_2_0_data_writer")
DATA_TYPES = (DATA_GENERIC_21, DATA_GENERIC_TS_21, DATA_SS_21, DATA_SS_TS_21, DATA_ML_30, DATA_JSON_10,
              DATA_JSON_20, DATA_CSV_10, DATA_CSV_20)

# Schema queries (doc/schema.md): the DSD-specific XSDs, and for v2 the "communication" form of the
# structures (variant "communication": DSD, codelists narrowed by the constraints, used concepts).
SCHEMA_ML_21 = MediaType("application/vnd.sdmx.schema+xml;version=2.1", "schema", "schema", "2.1",
                         "sdmx_ml_2_1_schema_writer")
SCHEMA_ML_30 = MediaType("application/vnd.sdmx.schema+xml;version=3.0.0", "schema", "schema", "3.0.0",
                         "sdmx_ml_3_0_schema_writer")
SCHEMA_STRUCTURE_ML_30 = MediaType("application/vnd.sdmx.structure+xml;version=3.0.0", "schema", "structure",
                                   "3.0.0", "sdmx_ml_3_0_structure_writer", variant="communication")
SCHEMA_STRUCTURE_JSON_20 = MediaType("application/vnd.sdmx.structure+json;version=2.0.0", "schema",
                                     "jsonstructure", "2.0.0", "sdmx_json_2_0_structure_writer",
                                     variant="communication")
SCHEMA_TYPES = (SCHEMA_ML_21, SCHEMA_ML_30, SCHEMA_STRUCTURE_ML_30, SCHEMA_STRUCTURE_JSON_20)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # Excel templates, uploads, reports

# What a stored submission is served as: the reader that took it and the message's first bytes decide, never the
# type the sender declared (a body declared text/html must not come back as a page of this site). Only SDMX-JSON's
# version cannot be seen in the first bytes: there a declared SDMX-JSON data type is kept.
_SUBMITTED: dict[str, str] = {  # reader: the file extension its messages are downloaded with
    "sdmx_ml_2_1_data_reader": "xml", "sdmx_ml_3_0_data_reader": "xml", "sdmx_csv_data_reader": "csv",
    "sdmx_json_data_reader": "json", "excel_data_reader": "xlsx"}
_ML_21_ROOTS = ((b"GenericTimeSeriesData", DATA_GENERIC_TS_21), (b"GenericData", DATA_GENERIC_21),
                (b"StructureSpecificTimeSeriesData", DATA_SS_TS_21), (b"StructureSpecificData", DATA_SS_21))


def submitted_media_type(reader: str, declared: str | None, head: bytes) -> str:
    """The canonical media type of a data message read by ``reader`` (a module name under sdmx.formats, as a
    submission's format stores it), given the declared Content-Type and ``head``, the message's first bytes;
    application/octet-stream for a reader not listed here."""
    if reader == "sdmx_ml_2_1_data_reader":
        for root, media in _ML_21_ROOTS:
            if re.search(rb"<(?:[\w.-]+:)?" + root + rb"\b", head):
                return media.mime
        return DATA_SS_21.mime
    if reader == "sdmx_ml_3_0_data_reader":
        return DATA_ML_30.mime
    if reader == "sdmx_csv_data_reader":
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return DATA_CSV_20.mime if stripped.startswith(b"STRUCTURE") else DATA_CSV_10.mime
    if reader == "sdmx_json_data_reader":
        base, _, rest = (declared or "").partition(";")
        params = {k.strip().lower(): v.strip().strip('"') for k, _, v in (p.partition("=") for p in rest.split(";"))}
        wanted = f"{base.strip().lower()};version={params.get('version', '')}"
        return wanted if wanted in (DATA_JSON_10.mime, DATA_JSON_20.mime) else DATA_JSON_20.mime
    if reader == "excel_data_reader":
        return XLSX
    return "application/octet-stream"


def submitted_file_extension(reader: str) -> str:
    """The file extension a stored submission is downloaded with."""
    return _SUBMITTED.get(reader, "bin")


MEDIA_TYPES: tuple[MediaType, ...] = (STRUCTURE_ML_21, STRUCTURE_ML_30, STRUCTURE_JSON_10, STRUCTURE_JSON_20,
                                      *DATA_TYPES, *SCHEMA_TYPES)

#: What a generic or wildcard Accept means, per API version and kind (the spec's defaults).
DEFAULTS: dict[tuple[Api, str], dict[str, MediaType]] = {
    ("v1", "structure"): {"*/*": STRUCTURE_ML_21, "application/*": STRUCTURE_ML_21,
                          "application/xml": STRUCTURE_ML_21, "text/xml": STRUCTURE_ML_21,
                          "application/json": STRUCTURE_JSON_10,
                          "application/vnd.sdmx.structure+xml": STRUCTURE_ML_21,
                          "application/vnd.sdmx.structure+json": STRUCTURE_JSON_10},
    ("v2", "structure"): {"*/*": STRUCTURE_ML_30, "application/*": STRUCTURE_ML_30,
                          "application/xml": STRUCTURE_ML_30, "text/xml": STRUCTURE_ML_30,
                          "application/json": STRUCTURE_JSON_20,
                          "application/vnd.sdmx.structure+xml": STRUCTURE_ML_30,
                          "application/vnd.sdmx.structure+json": STRUCTURE_JSON_20},
    # v1: SDMX 2.1's default, generic data; v2: SDMX-JSON (data.md, "Response types", for SDMX 3.0)
    ("v1", "data"): {"*/*": DATA_GENERIC_21, "application/*": DATA_GENERIC_21, "application/xml": DATA_GENERIC_21,
                     "text/xml": DATA_GENERIC_21, "application/json": DATA_JSON_10, "text/csv": DATA_CSV_10,
                     "application/vnd.sdmx.data+json": DATA_JSON_10, "application/vnd.sdmx.data+csv": DATA_CSV_10,
                     "application/vnd.sdmx.data+xml": DATA_ML_30},
    ("v2", "data"): {"*/*": DATA_JSON_20, "application/*": DATA_JSON_20, "application/xml": DATA_ML_30,
                     "text/xml": DATA_ML_30, "application/json": DATA_JSON_20, "text/csv": DATA_CSV_20,
                     "application/vnd.sdmx.data+json": DATA_JSON_20, "application/vnd.sdmx.data+csv": DATA_CSV_20,
                     "application/vnd.sdmx.data+xml": DATA_ML_30},
    # v1: the SDMX 2.1 schema; v2: the SDMX 3.0 one (the spec's default, SDMX-JSON schema, is not offered)
    ("v1", "schema"): {"*/*": SCHEMA_ML_21, "application/*": SCHEMA_ML_21, "application/xml": SCHEMA_ML_21,
                       "text/xml": SCHEMA_ML_21, "application/vnd.sdmx.schema+xml": SCHEMA_ML_21},
    ("v2", "schema"): {"*/*": SCHEMA_ML_30, "application/*": SCHEMA_ML_30, "application/xml": SCHEMA_ML_30,
                       "text/xml": SCHEMA_ML_30, "application/json": SCHEMA_STRUCTURE_JSON_20,
                       "application/vnd.sdmx.schema+xml": SCHEMA_ML_30,
                       "application/vnd.sdmx.structure+xml": SCHEMA_STRUCTURE_ML_30,
                       "application/vnd.sdmx.structure+json": SCHEMA_STRUCTURE_JSON_20},
}


def _parse_accept(header: str) -> list[tuple[float, int, str, dict[str, str]]]:
    out = []
    for pos, part in enumerate(header.split(",")):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.split(";")]
        params = {}
        for p in pieces[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 0.0
        out.append((q, pos, pieces[0].lower(), params))
    out.sort(key=lambda t: (-t[0], t[1]))
    return out


def _version_matches(wanted: str, offered: str) -> bool:
    """Accept's version may be exact or an SDMX semantic range like ``3.0.0+`` or ``2+.0.0``."""
    if wanted == offered:
        return True
    if "+" not in wanted:
        return False
    wp, op = wanted.split("."), offered.split(".")
    if len(wp) != len(op):
        return False
    for w, o in zip(wp, op):
        if w.endswith("+"):
            try:
                return int(o) >= int(w[:-1])
            except ValueError:
                return False
        if w != o:
            return False
    return True


def negotiate(api: Api, kind: str, accept: str | None, fmt: str | None = None,
              format_version: str | None = None) -> MediaType:
    """Pick the media type for a response; NotAcceptable lists what is offered."""
    offered = [m for m in MEDIA_TYPES if m.kind == kind]
    if fmt:  # query parameters win over headers (doc/extend.md)
        matches = [m for m in offered if m.format == fmt.lower()]
        if format_version:
            matches = [m for m in matches if m.format_version == format_version]
        if not matches:
            raise NotAcceptable(_offer_text(kind, offered, f"format={fmt}" + (f"&formatVersion={format_version}" if format_version else "")))
        return max(matches, key=lambda m: m.format_version)  # latest when no version given
    defaults = DEFAULTS[(api, kind)]
    if not accept or not accept.strip():
        return defaults["*/*"]
    for q, _pos, base, params in _parse_accept(accept):
        if q <= 0:
            continue
        version = params.get("version")
        if version is None and base in defaults:
            return defaults[base]
        for m in offered:
            if m.base == base and (version is None or _version_matches(version, m.version)):
                return m
    raise NotAcceptable(_offer_text(kind, offered, accept))


def accept_parameters(accept: str | None, media: MediaType) -> dict[str, str]:
    """The parameters of the Accept entry that chose ``media`` (SDMX-CSV's labels, timeFormat, keys)."""
    for q, _pos, base, params in _parse_accept(accept or ""):
        if q > 0 and base == media.base and _version_matches(params.get("version", media.version), media.version):
            return {k: v for k, v in params.items() if k != "version"}
    return {}


def _offer_text(kind: str, offered: list[MediaType], asked: str) -> str:
    return (f"none of the requested representations ({asked}) is offered for {kind} responses; "
            f"offered: {', '.join(m.mime for m in offered)}")


def languages(accept_language: str | None, lang_param: str | None = None) -> list[str]:
    """Preferred languages, best first (``lang`` query parameter wins, doc/extend.md)."""
    if lang_param:
        return [lang_param.strip().lower()]
    if not accept_language:
        return []
    out = []
    for q, _pos, tag, _params in _parse_accept(accept_language):
        if q > 0 and tag != "*":
            out.append(tag)
            base = tag.split("-")[0]
            if base != tag:
                out.append(base)
    return list(dict.fromkeys(out))
