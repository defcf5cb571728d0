"""Real documents for the search tests: a PDF drawn with ReportLab in DejaVu Sans (Cyrillic), and DOCX, ODT and
XLSX documents whose words are where Word, LibreOffice and Excel put them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import matplotlib


def pdf_with(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(font)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("DejaVuSans", 12)
    for i, line in enumerate(lines):
        c.drawString(72, 760 - 18 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def docx_with(paragraphs: list[list[str]]) -> bytes:
    """A DOCX whose paragraphs are made of runs (a word may be split over two runs, as Word does)."""
    body = "".join("<w:p>" + "".join(f"<w:r><w:t xml:space=\"preserve\">{r}</w:t></w:r>" for r in runs) + "</w:p>"
                   for runs in paragraphs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                                        f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>')
    return buf.getvalue()


def odt_with(paragraphs: list[str]) -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                                  'office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
                                  f"<office:body><office:text>{body}</office:text></office:body>"
                                  "</office:document-content>", zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def xlsx_with(strings: list[str]) -> bytes:
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                            f"{shared}</sst>")
    return buf.getvalue()
