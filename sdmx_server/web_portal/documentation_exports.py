"""The "Notes on the data" sheet of a report's Excel export: each country's data documentation, one answer a
row. Every string is a text cell, never a formula: the answers are written by the countries."""

from __future__ import annotations

from flask_babel import gettext as _

from ..sdmx.formats.spreadsheet_text import text_cells
from .documentation import Answer, CountryDocumentation


def answer_text(a: Answer, lang: str) -> str:
    """The answer's values as one line, a text in another language than the sheet's marked in words."""
    parts = []
    for v in a.values:
        mark = ""
        if v.lang != lang:
            mark = " " + (_("(in English: not translated yet)") if v.lang == "en" else _("(not translated yet)"))
        parts.append(v.text + mark)
    return "; ".join(parts)


def notes_rows(documentation: list[CountryDocumentation], lang: str) -> list[list[str]]:
    """Header and one row per answer: country, question, answer, whether it differs from the regional one."""
    out = [[_("Country"), _("Question"), _("Answer"), _("Compared with the regional definition")]]
    for d in documentation:
        for a in d.answers:
            out.append([d.country.text, a.question.name.text, answer_text(a, lang),
                        _("≠ differs from the regional definition") if a.differs else ""])
    return out


def notes_sheet(wb, notes: dict, lang: str) -> None:
    """Append the sheet to a write-only workbook (report_exports.xlsx_bytes); ``notes``:
    documentation_pages.report_documentation's answer."""
    documentation, undocumented = notes["documentation"], notes["undocumented"]
    if not documentation and not undocumented:
        return
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from ..sdmx.formats.spreadsheet_text import as_text

    sheet = wb.create_sheet(_("Notes on the data")[:31])
    bold = Font(bold=True)
    title = as_text(WriteOnlyCell(sheet, value=_("Notes on the data")))
    title.font = bold
    sheet.append([title])
    rows = notes_rows(documentation, lang)
    head = []
    for h in rows[0]:
        c = as_text(WriteOnlyCell(sheet, value=h))
        c.font = bold
        head.append(c)
    sheet.append(head)
    for r in rows[1:]:
        sheet.append(text_cells(sheet, r))
    if undocumented:
        sheet.append([])
        sheet.append(text_cells(sheet, [_("Not documented yet: %(countries)s.",
                                          countries=", ".join(c.text for c in undocumented))]))
