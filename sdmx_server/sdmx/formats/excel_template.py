"""The Excel workbook a person fills in by hand: one column per component, drop-down lists of codes.

Layout (``excel_data_reader`` relies on it): sheet "Data" has component ids in row 1, their
names in row 2, observations from row 3; sheet "Codes" lists each codelist as "CODE: name";
sheet "Instructions" says how to fill it in. Codes are chosen from drop-down lists that show
"CODE: name", and the reader keeps the part before the colon, as SDMX-CSV does with labels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..data_structure import DataStructureInfo
from .spreadsheet_text import as_text, text_cells

DATA_SHEET = "Data"
CODES_SHEET = "Codes"
FIRST_DATA_ROW = 3
ROWS_WITH_LISTS = 5000

_TEXT = {
    "en": {
        "title": "Data entry template",
        "dataflow": "Indicator (dataflow)",
        "steps": [
            "Fill in one row per figure on the sheet 'Data', starting at row 3; do not change rows 1 and 2.",
            "Choose codes from the drop-down lists (they show 'CODE: name'); the sheet 'Codes' lists them all.",
            "Write the period as SDMX does: 2024 (year), 2024-S1 (half-year), 2024-Q3 (quarter), 2024-07 (month).",
            "Write numbers without thousands separators. Leave optional columns empty if they do not apply.",
            "Upload the file on the portal or send it to the REST API; every mistake is reported with its cell.",
        ],
        "columns": "Columns",
        "mandatory": "mandatory",
        "optional": "optional",
        "filled": "mandatory for figures before {year}; leave it empty for figures of {year} and later: "
                  "the server marks them {code} (provisional)",
    },
    "ru": {
        "title": "Шаблон для ввода данных",
        "dataflow": "Показатель (поток данных)",
        "steps": [
            "Заполните на листе «Data» по одной строке на каждое значение, начиная со строки 3; строки 1 и 2 не меняйте.",
            "Выбирайте коды из раскрывающихся списков (в них «КОД: название»); все коды перечислены на листе «Codes».",
            "Период записывайте по правилам SDMX: 2024 (год), 2024-S1 (полугодие), 2024-Q3 (квартал), 2024-07 (месяц).",
            "Числа пишите без разделителей разрядов. Необязательные столбцы оставляйте пустыми, если они не нужны.",
            "Загрузите файл на портале или отправьте через REST API; каждая ошибка будет указана с адресом ячейки.",
        ],
        "columns": "Столбцы",
        "mandatory": "обязательно",
        "optional": "необязательно",
        "filled": "обязательно для данных до {year} года; для данных за {year} год и позже оставьте пустым: "
                  "сервер отметит их как {code} (предварительные)",
    },
}

LANGUAGES = tuple(_TEXT)  # languages the template's own texts are written in


@dataclass(frozen=True)
class TemplateColumn:
    id: str
    label: str
    codes: list[tuple[str, str]] | None  # (code, name) for coded components
    mandatory: bool
    # (year, code): the server fills this column in with ``code`` for figures of ``year`` on when it is empty
    # (the provisional status of the current year), so the cell may stay empty
    filled_from: tuple[int, str] | None = None


def columns(structure: DataStructureInfo) -> list[str]:
    """Component ids in template order: dimensions, time, measures, then attributes."""
    return [*structure.key_ids, *(m.id for m in structure.measures), *(a.id for a in structure.attributes)]


def write_template(flow_urn: str, flow_name: str, cols: list[TemplateColumn], language: str) -> bytes:
    text = _TEXT.get(language, _TEXT["en"])
    wb = Workbook()
    data = wb.active
    data.title = DATA_SHEET
    codes = wb.create_sheet(CODES_SHEET)
    info = wb.create_sheet("Instructions", 0)
    wb.properties.identifier = flow_urn
    wb.properties.title = flow_name
    wb.properties.language = language
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(cols, start=1):
        letter = get_column_letter(i)
        # every string written is a text cell: names come from structures, and "=..." must not become a formula
        as_text(data.cell(1, i, col.id)).font = bold
        data.cell(1, i).fill = head_fill
        as_text(data.cell(2, i, col.label)).font = Font(italic=True)
        data.column_dimensions[letter].width = max(14, min(40, len(col.label) + 4))
        # keep periods and codes as typed (2024-07 is no date): the column's format reaches every row a
        # person may fill, the first rows carry it on their cells too for readers that ignore column styles
        data.column_dimensions[letter].number_format = "@"
        for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 200):
            data.cell(r, i).number_format = "@"
        if col.codes:
            as_text(codes.cell(1, i, col.id)).font = bold
            for r, (code, name) in enumerate(col.codes, start=2):
                as_text(codes.cell(r, i, f"{code}: {name}" if name else code))
            codes.column_dimensions[letter].width = 40
            dv = DataValidation(type="list", formula1=f"={CODES_SHEET}!${letter}$2:${letter}${len(col.codes) + 1}",
                                allow_blank=not col.mandatory or col.filled_from is not None, showErrorMessage=True)
            dv.error = f"{col.id}: choose a value from the list"
            data.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + ROWS_WITH_LISTS}")
    data.freeze_panes = f"A{FIRST_DATA_ROW}"
    info.column_dimensions["A"].width = 110
    info.append(text_cells(info, [text["title"]]))
    info["A1"].font = Font(bold=True, size=14)
    info.append(text_cells(info, [f"{text['dataflow']}: {flow_name} ({flow_urn})"]))
    info.append([])
    for n, step in enumerate(text["steps"], start=1):
        info.append(text_cells(info, [f"{n}. {step}"]))
    info.append([])
    info.append(text_cells(info, [text["columns"]]))
    for col in cols:
        rule = text["mandatory"] if col.mandatory else text["optional"]
        if col.filled_from is not None:
            rule = text["filled"].format(year=col.filled_from[0], code=col.filled_from[1])
        info.append(text_cells(info, [f"{col.id} — {col.label} ({rule})"]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
