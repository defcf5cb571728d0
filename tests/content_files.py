"""Files for the documents library's tests: real PDF and zip-based documents, and hostile ones posing as them."""

from __future__ import annotations

import io
import zipfile

MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"


def ooxml(main_part: str, size: int = 200) -> bytes:
    """A DOCX (``word/document.xml``) or XLSX (``xl/workbook.xml``) whose main part holds ``size`` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        with z.open(main_part, "w") as part:
            chunk = b" " * (1 << 20)
            left = size
            while left > 0:
                part.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
    return buf.getvalue()


def docx() -> bytes:
    return ooxml("word/document.xml")


def odt() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX whose one part inflates to 64 MiB of spaces: some 64 KiB on the wire, a ratio past 1000."""
    return ooxml("word/document.xml", 64 << 20)
