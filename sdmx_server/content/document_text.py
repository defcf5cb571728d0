"""The words of an uploaded document, for search: PDF through ``pypdf``, DOCX, XLSX and ODT from their XML parts.

Run after content/uploads.py accepted the file, and bounded as it is: at most ``MAX_TEXT`` characters kept, at
most ``MAX_PART_BYTES`` read of a zip part (read through ``zipfile``, which inflates only what is read), at most
``MAX_PAGES`` PDF pages and ``MAX_SECONDS`` spent. The XML parts are never parsed: their tags are dropped by a
regular expression (paragraph ends become line breaks), so no entity or DTD is ever expanded. A file whose text
cannot be read gives no text, never a refusal: the document is still kept, found by its title and summary.
"""

from __future__ import annotations

import html
import io
import logging
import re
import time
import zipfile

from .uploads import DOCX, ODT, PDF, XLSX

MAX_TEXT = 1_000_000  # characters kept of a document's text
MAX_PART_BYTES = 16 << 20  # bytes read of one XML part, inflated
MAX_PAGES = 2_000
MAX_SECONDS = 20.0
PARTS = {DOCX: ("word/document.xml",), XLSX: ("xl/sharedStrings.xml",), ODT: ("content.xml",)}
_BREAK = re.compile(r"</(?:w:p|text:p|text:h|si|row|a:p)>|<(?:w:br|w:tab|text:s|text:tab|text:line-break)\b[^>]*/?>")
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
log = logging.getLogger(__name__)


def extract_text(data: bytes, media_type: str) -> str:
    """The document's text (normalised spaces), at most MAX_TEXT characters; "" when none can be read."""
    try:
        found = _pdf(data) if media_type == PDF else _xml_parts(data, PARTS.get(media_type, ()))
    except Exception as e:  # a damaged or hostile file: keep the document, findable by its title
        log.warning("no text read from a %s file: %s", media_type, type(e).__name__)
        return ""
    return _tidy(found)[:MAX_TEXT]


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\x00", "").splitlines())
    return "\n".join(line for line in lines if line)


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF's warnings are not the server's
    reader = PdfReader(io.BytesIO(data), strict=False)
    started = time.monotonic()
    out: list[str] = []
    size = 0
    for i, page in enumerate(reader.pages):
        if i >= MAX_PAGES or size >= MAX_TEXT or time.monotonic() - started > MAX_SECONDS:
            break
        got = page.extract_text() or ""
        out.append(got)
        size += len(got)
    return "\n".join(out)


def _xml_parts(data: bytes, names: tuple[str, ...]) -> str:
    out: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        present = set(z.namelist())
        for name in names:
            if name not in present:
                continue
            with z.open(name) as part:
                xml = part.read(MAX_PART_BYTES).decode("utf-8", errors="replace")
            out.append(_xml_text(xml))
    return "\n".join(out)


def _xml_text(xml: str) -> str:
    """The characters between the tags: runs of one paragraph join as they are (a word may be split over
    runs), paragraphs and cells end a line. Only XML's own and numeric character references are decoded."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", xml)))
