"""A report as files: CSV and Excel (one row per figure, with its status and notes, plus the table in Excel),
and PDF from the report's HTML document (WeasyPrint: the same table and the same SVG chart, fonts embedded).
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..sdmx.formats.spreadsheet_text import as_text, csv_text, text_cells
from .report_data import Report, ReportTable



def download(body: bytes, mimetype: str, filename: str) -> Response:
    """A file to save, named after the indicator and the language (RFC 6266 for non-ASCII-safe names)."""
    resp = Response(body, content_type=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


def figure_rows(report: Report) -> list[list[object]]:
    """Header and one row per figure: the labels, the period, the figure, its status and its notes."""
    table = report.table
    assert table is not None
    status = {mark: name.text for mark, name in table.status_used}
    status["r"] = _("Revised")
    notes = {n.mark: n.text for n in table.notes}
    spelled: dict[tuple[str, ...], tuple[str, str]] = {(): ("", "")}  # the same few marks again and again

    def words(marks: tuple[str, ...]) -> tuple[str, str]:
        got = spelled.get(marks)
        if got is None:
            got = spelled[marks] = ("; ".join(status[m] for m in marks if m in status),
                                    "; ".join(notes[m] for m in marks if m in notes))
        return got

    head = [c.text for c in table.columns] + [_("Period"), _("Value"), _("Figure status"), _("Notes")]
    out: list[list[object]] = [head]
    for row in table.rows:
        labels = [lab.text for lab in row.labels]
        for period, cell in zip(table.periods, row.cells):
            if cell.raw is not None:
                out.append([*labels, period, cell.value if cell.value is not None else cell.raw, *words(cell.marks)])
    return out


def csv_bytes(report: Report, lang: str) -> bytes:
    """UTF-8 with a byte order mark, so spreadsheet programs read Cyrillic right when opening it."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for r in figure_rows(report):
        w.writerow([_csv_value(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode()


def _csv_value(v: object) -> object:
    """Figures as plain numbers (1234567, 12.5): never exponents or locale signs, which programs misread; text
    never read as a formula (a footnote "=cmd|..." gets a leading apostrophe)."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return "" if v is None else csv_text(v)


def xlsx_bytes(report: Report, lang: str, notes: dict | None = None) -> bytes:
    """Two sheets: the table as on the page (numbers as numbers, marks beside them) and every figure. Every string
    is a text cell, never a formula (footnotes are written by whoever submitted the figures)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    table: ReportTable = report.table  # type: ignore[assignment]
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("Table")[:31])
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    def strong(text: str) -> WriteOnlyCell:
        c = as_text(WriteOnlyCell(sheet, value=text))
        c.font = bold
        return c

    sheet.append([strong(report.indicator.name.text)])
    for name, value in table.facts:
        sheet.append(text_cells(sheet, [f"{name.text}: {value.text}"]))
    sheet.append([])
    head = [strong(c.text) for c in table.columns]
    for p in table.periods:
        head += [strong(p), strong("")]
    sheet.append(head)
    for row in table.rows:
        values: list[object] = [lab.text for lab in row.labels]
        for cell in row.cells:
            values += [cell.value if cell.value is not None else cell.raw, ",".join(cell.marks) or None]
        sheet.append(text_cells(sheet, values))
    sheet.append([])
    for line in legend(table):
        sheet.append(text_cells(sheet, [line]))
    sheet.append(text_cells(sheet, [_("The same figures for programs: %(url)s", url=report.rest_v2)]))
    figures = wb.create_sheet(_("Figures")[:31])
    rows = figure_rows(report)
    figures.append([strong(str(h)) for h in rows[0]])
    for r in rows[1:]:
        figures.append(text_cells(figures, r))
    if notes:  # the data documentation of the report's countries (documentation_pages.report_documentation)
        from .documentation_exports import notes_sheet
        notes_sheet(wb, notes, lang)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def legend(table: ReportTable) -> list[str]:
    """What each mark beside a figure means."""
    out = [f"{mark}: {name.text}" for mark, name in table.status_used]
    if table.revised:
        out.append("r: " + _("revised: a later release changed this figure"))
    out += [f"{n.mark}: {n.text}" for n in table.notes]
    return out


PDF_MAX_FIGURES = 5_000  # WeasyPrint lays out ~500 table cells a second on a busy server: keep a PDF under ~10 s


def pdf_bytes(document: str) -> bytes:
    """The report's HTML document as PDF. WeasyPrint is imported here: it takes a second to load, and only
    PDF exports need it."""
    from weasyprint import HTML

    return HTML(string=document, base_url=None).write_pdf()
