"""Which reference metadata reader a submitted body needs: its first bytes decide, Content-Type breaks ties.

``<`` is SDMX-ML 3.0 (GenericMetadata), ``{`` SDMX-JSON 2.0, a first header cell ``MDSTRUCTURE`` SDMX-CSV
2.0. Every reader turns bytes into the same metadata sets, so what follows (checks, storage) does not
know the format.
"""

from __future__ import annotations

from ..errors import BadInput
from ..metadata_set import MetadataSet
from .sdmx_csv_2_0_metadata_reader import read_metadata_csv
from .sdmx_json_2_0_metadata_reader import read_metadata_json
from .sdmx_ml_3_0_metadata import read_metadata_message

FORMATS = {"xml": read_metadata_message, "json": read_metadata_json, "csv": read_metadata_csv}


def metadata_format(body: bytes, content_type: str | None = None) -> str:
    """"xml", "json" or "csv"; BadInput when the body is none of them."""
    head = body[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if head.lstrip(b'"').upper().startswith(b"MDSTRUCTURE"):
        return "csv"
    ctype = (content_type or "").lower()
    for name in ("json", "csv", "xml"):
        if name in ctype and head:
            return name
    shown = head[:20].decode("utf-8", "replace")
    raise BadInput(f"the body is neither SDMX-ML 3.0 (GenericMetadata), SDMX-JSON 2.0 nor SDMX-CSV 2.0 reference "
                   f"metadata (starts {shown!r}, Content-Type {content_type or 'none'})", line=1)


def read_metadata(body: bytes, content_type: str | None = None) -> list[MetadataSet]:
    """The metadata sets of a body in any of the three formats."""
    return FORMATS[metadata_format(body, content_type)](body)
