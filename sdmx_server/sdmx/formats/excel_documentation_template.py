"""The Excel workbook in which a country documents one indicator: one row per answer, drop-down lists of codes.

Layout (``excel_documentation_reader`` relies on it): sheet "Documentation" has column ids in row 1
(ATTRIBUTE, QUESTION, REQUIRED, VALUE, then one column per language of the texts: en, ru), their labels
in row 2, one row per answer from row 3: a coded answer is chosen in VALUE from a list that shows
"CODE: name" (the reader keeps the code), a date is typed in VALUE as YYYY-MM-DD, a text is written in
each language's column. An attribute that may be repeated has several rows. Sheet "Target" says what
is documented (metadataflow, dataflow, country, set id and name); sheet "Codes" lists every codelist;
"Instructions" says how to fill it in. Every string is written as a text cell: prefilled answers were
written by people, and "=..." must never become a formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .spreadsheet_text import as_text

SHEET = "Documentation"
TARGET_SHEET = "Target"
CODES_SHEET = "Codes"
FIRST_ROW = 3
FIXED_COLUMNS = ("ATTRIBUTE", "QUESTION", "REQUIRED", "VALUE")
TARGET_KEYS = ("METADATAFLOW", "DATAFLOW", "PROVIDER", "SET_ID")
TEXT_LANGUAGES = ("en", "ru")

_TEXT = {
    "en": {
        "title": "Data documentation template",
        "indicator": "Indicator",
        "country": "Country",
        "steps": [
            "Answer on the sheet 'Documentation', one row per answer from row 3; do not change rows 1 and 2, "
            "column A, or the sheet 'Target'.",
            "Coded answers: choose them in the column 'Answer (code or date)' from the drop-down list "
            "('CODE: name'); the sheet 'Codes' lists them all. A question with several rows takes several codes.",
            "Dates: write them in the same column as YYYY-MM-DD (2026-06-30).",
            "Texts: write each in the column of its language (English, Russian); one language is enough, both "
            "are better.",
            "Upload the file on the portal or send it to the REST API; every mistake is reported with its cell, "
            "and nothing is stored until all are fixed.",
        ],
        "labels": {"ATTRIBUTE": "Attribute", "QUESTION": "Question", "REQUIRED": "Required",
                   "VALUE": "Answer (code or date)", "en": "Answer in English", "ru": "Answer in Russian"},
        "yes": "required", "no": "optional", "day": "date, YYYY-MM-DD", "choose": "choose from the list",
        "text": "text, in each language",
        "target": {"METADATAFLOW": "Metadataflow", "DATAFLOW": "Indicator (dataflow)", "PROVIDER": "Country",
                   "SET_ID": "Metadata set", "NAME": "Name of the documentation"},
    },
    "ru": {
        "title": "Шаблон документации данных",
        "indicator": "Показатель",
        "country": "Страна",
        "steps": [
            "Отвечайте на листе «Documentation», по одной строке на ответ, начиная со строки 3; строки 1 и 2, "
            "столбец A и лист «Target» не меняйте.",
            "Кодированные ответы выбирайте в столбце «Ответ (код или дата)» из раскрывающегося списка "
            "(«КОД: название»); все коды перечислены на листе «Codes». Если у вопроса несколько строк, можно "
            "выбрать несколько кодов.",
            "Даты пишите в том же столбце в виде ГГГГ-ММ-ДД (2026-06-30).",
            "Тексты пишите в столбце своего языка (английский, русский); достаточно одного языка, лучше обоих.",
            "Загрузите файл на портале или отправьте через REST API; каждая ошибка будет указана с адресом "
            "ячейки, и ничего не сохранится, пока все они не исправлены.",
        ],
        "labels": {"ATTRIBUTE": "Атрибут", "QUESTION": "Вопрос", "REQUIRED": "Обязательно",
                   "VALUE": "Ответ (код или дата)", "en": "Ответ на английском", "ru": "Ответ на русском"},
        "yes": "обязательно", "no": "необязательно", "day": "дата, ГГГГ-ММ-ДД", "choose": "выберите из списка",
        "text": "текст, на каждом языке",
        "target": {"METADATAFLOW": "Поток метаданных", "DATAFLOW": "Показатель (поток данных)",
                   "PROVIDER": "Страна", "SET_ID": "Набор метаданных", "NAME": "Название документации"},
    },
}

LANGUAGES = tuple(_TEXT)  # languages the template's own texts are written in


@dataclass(frozen=True)
class Question:
    """One attribute of the MSD as the template asks it."""

    attribute: str
    label: str
    kind: str  # "code", "text" (multilingual) or "value" (a date or other plain value)
    required: bool
    rows: int  # how many answers it takes at most in the template
    codes: list[tuple[str, str]] | None = None  # (code, name)
    day: bool = False
    values: list[str] = field(default_factory=list)  # prefilled codes or values
    texts: list[dict[str, str]] = field(default_factory=list)  # prefilled texts


@dataclass(frozen=True)
class Target:
    metadataflow: str
    dataflow: str
    provider: str
    set_id: str
    names: dict[str, str]
    indicator: str  # labels, in the template's language
    country: str


def write_documentation_template(target: Target, questions: list[Question], language: str,
                                 text_languages: tuple[str, ...] = TEXT_LANGUAGES) -> bytes:
    text = _TEXT.get(language, _TEXT["en"])
    wb = Workbook()
    sheet = wb.active
    sheet.title = SHEET
    info = wb.create_sheet("Instructions", 0)
    tgt = wb.create_sheet(TARGET_SHEET)
    codes = wb.create_sheet(CODES_SHEET)
    wb.properties.identifier = target.dataflow
    wb.properties.title = f"{target.indicator} — {target.country}"
    wb.properties.language = language
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")
    head = PatternFill("solid", fgColor="DDEBF7")
    cols = [*FIXED_COLUMNS, *text_languages]
    widths = {"ATTRIBUTE": 26, "QUESTION": 48, "REQUIRED": 14, "VALUE": 36}
    for i, cid in enumerate(cols, start=1):
        as_text(sheet.cell(1, i, cid)).font = bold
        sheet.cell(1, i).fill = head
        as_text(sheet.cell(2, i, text["labels"].get(cid, cid))).font = Font(italic=True)
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(cid, 50)
        sheet.column_dimensions[get_column_letter(i)].number_format = "@"
    wrap = Alignment(wrap_text=True, vertical="top")
    r = FIRST_ROW
    code_col = 0
    for q in questions:
        lists = None
        if q.codes:
            code_col += 1
            letter = get_column_letter(code_col)
            as_text(codes.cell(1, code_col, q.attribute)).font = bold
            for j, (code, name) in enumerate(q.codes, start=2):
                as_text(codes.cell(j, code_col, f"{code}: {name}" if name else code))
            codes.column_dimensions[letter].width = 40
            lists = DataValidation(type="list", formula1=f"={CODES_SHEET}!${letter}$2:${letter}${len(q.codes) + 1}",
                                   allow_blank=True, showErrorMessage=True)
            lists.error = f"{q.attribute}: {text['choose']}"
            sheet.add_data_validation(lists)
        names = dict(q.codes or [])
        for n in range(q.rows):
            as_text(sheet.cell(r, 1, q.attribute))
            how = text["choose"] if q.kind == "code" else text["day"] if q.day else text["text"] \
                if q.kind == "text" else ""
            as_text(sheet.cell(r, 2, q.label if n == 0 else f"{q.label} ({n + 1})")).alignment = wrap
            as_text(sheet.cell(r, 3, (text["yes"] if q.required and n == 0 else text["no"]) + f"; {how}"))
            value = sheet.cell(r, 4)
            value.number_format = "@"
            if q.kind == "text":
                value.fill = grey
                texts = q.texts[n] if n < len(q.texts) else {}
                for k, lang in enumerate(text_languages, start=5):
                    cell = sheet.cell(r, k, texts.get(lang) or None)
                    as_text(cell).alignment = wrap
                    cell.number_format = "@"
            else:
                for k in range(5, 5 + len(text_languages)):
                    sheet.cell(r, k).fill = grey
                if n < len(q.values):
                    v = q.values[n]
                    value.value = f"{v}: {names[v]}" if names.get(v) else v
                    as_text(value)
                if lists is not None:
                    lists.add(f"D{r}")
            r += 1
    sheet.freeze_panes = f"C{FIRST_ROW}"
    for i, key in enumerate(TARGET_KEYS, start=1):
        as_text(tgt.cell(i, 1, key)).font = bold
        as_text(tgt.cell(i, 2, getattr(target, key.lower())))
        as_text(tgt.cell(i, 3, text["target"][key]))
    for j, lang in enumerate(text_languages, start=len(TARGET_KEYS) + 1):
        as_text(tgt.cell(j, 1, f"NAME:{lang}")).font = bold
        as_text(tgt.cell(j, 2, target.names.get(lang) or None))
        as_text(tgt.cell(j, 3, f"{text['target']['NAME']} ({lang})"))
    tgt.column_dimensions["A"].width = 16
    tgt.column_dimensions["B"].width = 90
    tgt.column_dimensions["C"].width = 30
    info.column_dimensions["A"].width = 110
    for row, line in enumerate((text["title"], f"{text['indicator']}: {target.indicator} ({target.dataflow})",
                                f"{text['country']}: {target.country} ({target.provider})", None,
                                *[f"{n}. {step}" for n, step in enumerate(text["steps"], start=1)]), start=1):
        if line is not None:
            as_text(info.cell(row, 1, line)).alignment = Alignment(wrap_text=True)
    info["A1"].font = Font(bold=True, size=14)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
