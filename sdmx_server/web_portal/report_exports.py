"""A report as files: CSV and Excel (one row per figure, with its status and notes, plus the table in Excel),
and the web page (report_document.html); the PDF is drawn in pages by report_pdf.py.

Every file follows the page's layout (report_pivot: rows, columns, sort) and opens with what it holds: the
indicator, the selection, the source (the absolute SDMX REST URL of the same figures) and when it was
extracted, so a file found later on a disk still says what it is.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from ..sdmx.formats.spreadsheet_text import as_text, csv_text, text_cells
from ..storage.artefact_store import utcnow
from .report_data import Report, ReportTable
from .report_pivot import TIME, ReportView


def download(body: bytes, mimetype: str, filename: str) -> Response:
    """A file to save, named after the indicator and the language (RFC 6266 for non-ASCII-safe names)."""
    resp = Response(body, content_type=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


def extracted_on() -> str:
    """Now, in the page's locale, in UTC and saying so."""
    return _("%(date)s UTC", date=format_datetime(utcnow(), "medium", rebase=False))


def selection_lines(report: Report, host: str) -> list[str]:
    """What a report holds, in words: its selection, its layout, its source and when it was extracted."""
    form, sel = report.form, report.selection
    everything = _("all")
    parts = []
    if form.countries:
        chosen = [c.label.text for c in form.countries if c.checked]
        parts.append(f"{_('Countries')}: {', '.join(chosen) or everything}")
    for b in form.breakdowns:
        chosen = [c.label.text for c in b.choices if c.checked]
        parts.append(f"{b.label.text}: {', '.join(chosen) or everything}")
    if sel.last:
        periods = ngettext("the last %(num)d period", "the last %(num)d periods", sel.last)
    else:
        periods = _("%(start)s to %(end)s", start=sel.start or _("the first period"),
                    end=sel.end or _("the last period"))
    parts.append(f"{_('Periods')}: {periods}")
    lines = [_("Selection: %(choices)s", choices="; ".join(parts))]
    view = report.view
    if view is not None:
        layout = _("Layout: rows: %(rows)s; columns: %(column)s", rows=", ".join(h.text for h in view.headings),
                   column=view.column_heading.text)
        if report.layout and report.layout.sort and report.layout.sort[1] in view.codes:
            order, code = report.layout.sort
            label = view.labels[view.codes.index(code)].text
            layout += "; " + (_("sorted by %(column)s, largest first", column=label) if order == "desc"
                              else _("sorted by %(column)s, smallest first", column=label))
        lines.append(layout)
    lines.append(_("Source: Data Sharing Mechanism, %(url)s", url=host + report.rest_v2))
    lines.append(_("Extracted on %(date)s", date=extracted_on()))
    return lines


def figure_rows(report: Report) -> list[list[object]]:
    """Header and one row per figure, in the layout's order: the row labels, the column's label, the figure,
    its status and its notes."""
    table, view = report.table, report.view
    assert table is not None and view is not None
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

    head = [c.text for c in view.headings] + [view.column_heading.text, _("Value"), _("Figure status"), _("Notes")]
    out: list[list[object]] = [head]
    columns = [lab.text for lab in view.labels]
    for row in view.rows:
        labels = [lab.text for lab in row.labels]
        for column, cell in zip(columns, row.cells):
            if cell.raw is not None:
                out.append([*labels, column, cell.value if cell.value is not None else cell.raw, *words(cell.marks)])
    return out


def csv_bytes(report: Report, lang: str, host: str) -> bytes:
    """UTF-8 with a byte order mark, so spreadsheet programs read Cyrillic right when opening it. The lines
    saying what the file holds come first, then an empty line, then the header and one row per figure."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_text(report.indicator.name.text)])
    for line in selection_lines(report, host):
        w.writerow([csv_text(line)])
    w.writerow([])
    for r in figure_rows(report):
        w.writerow([_csv_value(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode()


def _csv_value(v: object) -> object:
    """Figures as plain numbers (1234567, 12.5): never exponents or locale signs, which programs misread; text
    never read as a formula (a footnote "=cmd|..." gets a leading apostrophe)."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return "" if v is None else csv_text(v)


def xlsx_bytes(report: Report, lang: str, host: str, notes: dict | None = None) -> bytes:
    """Two sheets: the table as on the page (numbers as numbers, marks beside them, each in a column headed as
    such) and every figure, each below the lines saying what it holds, its header and label columns frozen.
    Every string is a text cell, never a formula (footnotes are written by whoever submitted the figures)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    table: ReportTable = report.table  # type: ignore[assignment]
    view: ReportView = report.view  # type: ignore[assignment]
    about = selection_lines(report, host)
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("Table")[:31])
    # freeze_panes is set before the first row (write-only sheets write their view first)
    head_row = 1 + len(about) + len(table.facts) + 2
    sheet.freeze_panes = f"{_column_letter(len(view.headings) + 1)}{head_row + 1}"
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    def strong(text: str) -> WriteOnlyCell:
        c = as_text(WriteOnlyCell(sheet, value=text))
        c.font = bold
        return c

    sheet.append([strong(report.indicator.name.text)])
    for line in about:
        sheet.append(text_cells(sheet, [line]))
    for name, value in table.facts:
        sheet.append(text_cells(sheet, [f"{name.text}: {value.text}"]))
    sheet.append([])
    head = [strong(c.text) for c in view.headings]
    for label in view.labels:
        head += [strong(label.text), strong(_("%(column)s: marks", column=label.text))]
    sheet.append(head)
    for row in view.rows:
        values: list[object] = [lab.text for lab in row.labels]
        for cell in row.cells:
            values += [cell.value if cell.value is not None else cell.raw, ",".join(cell.marks) or None]
        sheet.append(text_cells(sheet, values))
    sheet.append([])
    for line in legend(table):
        sheet.append(text_cells(sheet, [line]))
    sheet.append(text_cells(sheet, [_("The same figures for programs: %(url)s", url=host + report.rest_v2)]))
    figures = wb.create_sheet(_("Figures")[:31])
    rows = figure_rows(report)
    figures.freeze_panes = f"A{len(about) + 4}"
    figures.append([strong(report.indicator.name.text)])
    for line in about:
        figures.append(text_cells(figures, [line]))
    figures.append([])
    figures.append([strong(str(h)) for h in rows[0]])
    for r in rows[1:]:
        figures.append(text_cells(figures, r))
    if notes:  # the data documentation of the report's countries (documentation_pages.report_documentation)
        from .documentation_exports import notes_sheet
        notes_sheet(wb, notes, lang)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(n)


def legend(table: ReportTable) -> list[str]:
    """What each mark beside a figure means."""
    out = [f"{mark}: {name.text}" for mark, name in table.status_used]
    if table.revised:
        out.append("r: " + _("revised: a later release changed this figure"))
    out += [f"{n.mark}: {n.text}" for n in table.notes]
    return out


PDF_MAX_FIGURES = 5_000  # a PDF is for reading and printing: larger selections are offered as Excel and CSV
