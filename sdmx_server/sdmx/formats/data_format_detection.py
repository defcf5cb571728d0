"""Which data reader a submitted body needs, from its first bytes (Content-Type only breaks ties).

SDMX-ML versions are told apart by the root element's namespace, which sits in the first
kilobytes; no parse is needed, so detection costs nothing on a large upload.
"""

from __future__ import annotations

import re

from ..errors import BadInput

_ROOT = re.compile(rb"<(?:([\w.-]+):)?(GenericData|GenericTimeSeriesData|StructureSpecificData|"
                   rb"StructureSpecificTimeSeriesData)\b([^>]*)>", re.S)
_VERSION = re.compile(rb"http://www\.sdmx\.org/resources/sdmxml/schemas/(v2_1|v3_0|v3_1)/message")
_XLSX = b"PK\x03\x04"
_READERS = {b"v2_1": "sdmx_ml_2_1_data_reader", b"v3_0": "sdmx_ml_3_0_data_reader",
            b"v3_1": "sdmx_ml_3_0_data_reader"}


def detect_data_format(head: bytes, content_type: str | None = None) -> str:
    """The name of the module under sdmx_server.sdmx.formats that reads this body."""
    ctype = (content_type or "").lower()
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(_XLSX) or "spreadsheetml" in ctype:
        return "excel_data_reader"
    if stripped.startswith(b"<"):
        return _xml_reader(stripped)
    if stripped.startswith((b"{", b"[")) or "json" in ctype:
        return "sdmx_json_data_reader"
    first_line = stripped.split(b"\n", 1)[0]
    if b"," in first_line or b";" in first_line or b"\t" in first_line or "csv" in ctype:
        return "sdmx_csv_data_reader"
    shown = stripped[:20].decode("utf-8", "replace")
    raise BadInput(f"the body is neither SDMX-ML, SDMX-CSV, SDMX-JSON nor an Excel workbook (starts {shown!r}, "
                   f"Content-Type {content_type or 'none'})")


def _xml_reader(head: bytes) -> str:
    m = _ROOT.search(head)
    if m is None:
        body = re.sub(rb"<\?.*?\?>|<!--.*?-->", b"", head, flags=re.S)
        found = re.search(rb"<(?:[\w.-]+:)?([A-Za-z][\w.-]*)", body)
        name = found.group(1).decode("utf-8", "replace") if found else "?"
        raise BadInput(f"the XML body is not an SDMX-ML data message (root element <{name}>); send GenericData "
                       "or StructureSpecificData", line=1)
    prefix = m.group(1)
    decl = rb'xmlns' + (rb":" + prefix if prefix else b"") + rb'\s*=\s*["\']([^"\']*)["\']'
    ns = re.search(decl, m.group(3))
    uri = ns.group(1) if ns else b""
    version = _VERSION.fullmatch(uri)
    if version is None:
        raise BadInput(f"<{m.group(2).decode('utf-8', 'replace')}> is in namespace "
                       f"{uri.decode('utf-8', 'replace') or '(none)'}, not an SDMX-ML 2.1 "
                       "or 3.0 message namespace", line=1)
    return _READERS[version.group(1)]
