"""What an uploaded document really is, judged by its bytes and never by its name or declared type.

Accepted: PDF, and the zip-based DOCX, XLSX and ODT. A zip is judged by its directory only (the parts that
make each format), never inflated, except ODT's few-byte ``mimetype`` part; a directory whose parts would
inflate beyond ``max_inflate_ratio`` times the file (past 16 MiB, as for data workbooks) is a compression bomb.
A refusal is a :class:`RefusedFile` with a reason code the portal words in the reader's language.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..sdmx.formats.input_limits import inflates_too_much

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSIONS = {PDF: "pdf", DOCX: "docx", XLSX: "xlsx", ODT: "odt"}
KINDS = {PDF: "PDF", DOCX: "Word (DOCX)", XLSX: "Excel (XLSX)", ODT: "OpenDocument (ODT)"}
MAX_ZIP_PARTS = 10_000  # real documents have tens to a few hundred parts
MAX_NAME = 120  # characters of a cleaned file name before its extension
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*;%]')


@dataclass
class RefusedFile(Exception):
    """Why a file is refused: ``reason`` one of empty, too_large, unknown_type, damaged, bomb, macros."""

    reason: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.reason} {self.params}"


@dataclass(frozen=True)
class CheckedFile:
    media_type: str  # canonical, from the content
    file_name: str  # cleaned, with the extension of the content's type
    size: int


def check_upload(data: bytes, file_name: str, *, max_bytes: int, max_inflate_ratio: int) -> CheckedFile:
    """The file's true type and a safe name, or :class:`RefusedFile`."""
    if not data:
        raise RefusedFile("empty")
    if len(data) > max_bytes:
        raise RefusedFile("too_large", {"limit": max_bytes})
    if data.startswith(b"%PDF-"):
        media_type = PDF
    elif data.startswith(b"PK\x03\x04"):
        media_type = _zip_type(data, max_inflate_ratio)
    else:
        raise RefusedFile("unknown_type")
    return CheckedFile(media_type, clean_name(file_name, EXTENSIONS[media_type]), len(data))


def _zip_type(data: bytes, max_inflate_ratio: int) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
            if len(parts) > MAX_ZIP_PARTS:
                raise RefusedFile("bomb")
            if inflates_too_much(sum(p.file_size for p in parts), len(data), max_inflate_ratio):
                raise RefusedFile("bomb")
            names = {p.filename for p in parts}
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise RefusedFile("macros")
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return XLSX
            first = parts[0] if parts else None
            if first is not None and first.filename == "mimetype" and first.file_size <= 100:
                if z.read(first).strip() == ODT.encode():
                    return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise RefusedFile("damaged") from None
    raise RefusedFile("unknown_type")


def clean_name(file_name: str, extension: str) -> str:
    """The name a download offers: no folders (``../``, ``C:\\``), no control or shell-special characters, at most
    MAX_NAME characters, and the extension of the content's real type."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", file_name or ""))[-1].lstrip(". ")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:MAX_NAME].strip(" ._")
    return f"{stem or 'document'}.{extension}"
