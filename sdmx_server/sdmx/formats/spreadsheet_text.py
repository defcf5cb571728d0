"""Text in the files people open in a spreadsheet program stays text (OWASP "CSV injection").

A footnote is written by whoever submitted the figures and reaches every country granted them: one starting
``=cmd|' /C calc'!A0`` or ``+HYPERLINK(...)`` must not become a formula on a reader's machine. In CSV, text a
spreadsheet would take for a formula (leading ``= + - @``, tab or carriage return) gets a leading apostrophe,
which spreadsheet programs read as "this is text"; in Excel, every string is a text cell (openpyxl writes any
string starting with ``=`` as a formula). Numbers stay numbers: -2 as a figure is a number; the text "-2+3" is
not a formula. SDMX-CSV is data for programs and keeps its values exactly as the standard says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # openpyxl is imported where a workbook is written: CSV exports need none of it
    from openpyxl.cell.cell import Cell

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: object) -> object:
    """A CSV field: text a spreadsheet would evaluate gets a leading apostrophe; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def as_text(cell: Cell) -> Cell:
    """The cell, its string value kept as text (never a formula); numbers, dates and empty cells untouched."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def text_cells(sheet, values: Iterable[object]) -> list[object]:
    """A row for ``sheet.append``: strings openpyxl would write as formulas (those starting with "=") become text
    cells of ``sheet``; every other value is left for ``append`` to write as it does (no cell object each)."""
    from openpyxl.cell import WriteOnlyCell  # a cell for append(), in write-only sheets and others

    return [as_text(WriteOnlyCell(sheet, value=v)) if isinstance(v, str) and v.startswith("=") else v for v in values]
