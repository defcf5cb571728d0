"""The Excel documentation template (issue 17, point 3): downloaded per indicator and country in English or
Russian, with drop-down lists of codes and a column per language, prefilled with the current version (as text,
never formulas); uploaded back through the REST POST into the same checks, every error named by sheet and cell,
nothing stored on failure. Real workbooks (openpyxl), real database, real HTTP."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from sdmx_server.sdmx.media_types import XLSX

from .db_dump import dump
from .test_metadata_api import POST, STOCK, message
from .test_metadata_workflow import SETS, world  # noqa: F401 (fixture)

TEMPLATE = "/api/documentation/KZ/DSM/DF_STOCK_FOREIGNERS/1.0/template.xlsx"
ANSWERS = {"DEF_FOREIGNER": {"en": "A person who is not a citizen", "ru": "Лицо, не являющееся гражданином"},
           "COLLECTING_INSTITUTIONS": {"en": "Migration service"}, "DATA_SOURCE": ["POP_REGISTER", "RES_PERMIT"],
           "COUNTING_UNIT": ["PERSONS"], "FOCAL_POINT": {"ru": "Бюро статистики"},
           "INFORMATION_PROVIDER": {"en": "A. Analyst"}, "AS_OF_DATE": ["2026-06-30"]}


def rows_of(sheet) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in range(3, sheet.max_row + 1):
        if sheet.cell(r, 1).value:
            out.setdefault(sheet.cell(r, 1).value, []).append(r)
    return out


def filled(template: bytes, answers: dict = ANSWERS) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    sheet = wb["Documentation"]
    rows = rows_of(sheet)
    header = [c.value for c in sheet[1]]
    for attribute, answer in answers.items():
        if isinstance(answer, dict):
            for lang, text in answer.items():
                sheet.cell(rows[attribute][0], header.index(lang) + 1, text)
        else:
            for r, value in zip(rows[attribute], answer):
                sheet.cell(r, 4, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_template_in_english_and_russian(world):
    r = world("GET", TEMPLATE, "kz_sub", **{"Accept-Language": "ru"})
    assert r.status_code == 200 and r.content_type == XLSX and r.headers["Content-Language"] == "ru"
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["Instructions", "Documentation", "Target", "Codes"]
    sheet = wb["Documentation"]
    assert [c.value for c in sheet[1]] == ["ATTRIBUTE", "QUESTION", "REQUIRED", "VALUE", "en", "ru"]
    assert [c.value for c in sheet[2]][3:] == ["Ответ (код или дата)", "Ответ на английском", "Ответ на русском"]
    rows = rows_of(sheet)
    assert len(rows) == 43 and len(rows["DATA_SOURCE"]) == 6  # one row per code of an unbounded coded attribute
    assert sheet.cell(rows["DEF_FOREIGNER"][0], 2).value == "Национальное определение иностранца"
    assert sheet.cell(rows["DEF_FOREIGNER"][0], 3).value.startswith("обязательно")
    # the drop-down of DATA_SOURCE offers its codes, named in Russian, from the sheet Codes
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    formula = next(f for ref, f in lists.items() if f"D{rows['DATA_SOURCE'][0]}" in ref.split())
    column = formula.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
    codes = [c.value for c in wb["Codes"][column] if c.value]
    assert codes[0] == "DATA_SOURCE" and "POP_REGISTER: Регистр населения" in codes
    target = {row[0].value: row[1].value for row in wb["Target"].iter_rows()}
    assert target["DATAFLOW"] == STOCK and target["PROVIDER"] == "KZ"
    assert target["NAME:ru"].endswith("(Казахстан)")
    en = load_workbook(io.BytesIO(world("GET", TEMPLATE + "?lang=en", "kz_sub").data))["Documentation"]
    assert en.cell(rows["DEF_FOREIGNER"][0], 2).value == "National definition of foreigner"


def test_who_may_download_it(world):
    assert world("GET", TEMPLATE).status_code == 401
    assert world("GET", TEMPLATE, "kz_viewer").status_code == 403
    assert world("GET", TEMPLATE.replace("/KZ/", "/KG/"), "kz_sub").status_code == 403  # another country
    assert world("GET", TEMPLATE.replace("/KZ/", "/XX/"), "root").status_code == 404
    assert world("GET", TEMPLATE.replace("DF_STOCK_FOREIGNERS", "DF_NOTHING"), "kz_sub").status_code == 404


def test_filled_in_and_sent_back_through_the_rest_post(world, engine):
    body = filled(world("GET", TEMPLATE, "kz_sub").data)
    r = world("POST", POST, "kz_sub", body, **{"Content-Type": XLSX})
    assert r.status_code == 202, r.get_data(as_text=True)
    sid = r.get_json()["metadataSets"][0]["internalId"]
    doc = world("GET", f"{SETS}/{sid}", "kz_verifier").get_json()
    values = {}
    for v in doc["values"]:
        values.setdefault(v["attribute"], []).append(v.get("value") or v.get("texts"))
    assert values["DATA_SOURCE"] == ["POP_REGISTER", "RES_PERMIT"] and values["AS_OF_DATE"] == ["2026-06-30"]
    assert values["DEF_FOREIGNER"] == [ANSWERS["DEF_FOREIGNER"]] and values["FOCAL_POINT"] == [{"ru": "Бюро статистики"}]
    assert doc["setId"] == "DOC_DF_STOCK_FOREIGNERS" and doc["names"]["en"].endswith("of Kazakhstan")
    # the next template starts from it
    again = load_workbook(io.BytesIO(world("GET", TEMPLATE, "kz_sub").data))["Documentation"]
    rows = rows_of(again)
    assert [again.cell(r, 4).value for r in rows["DATA_SOURCE"][:3]] == [
        "POP_REGISTER: Population register", "RES_PERMIT: Residence permits", None]
    assert again.cell(rows["DEF_FOREIGNER"][0], 6).value == "Лицо, не являющееся гражданином"


def test_prefilled_text_is_never_a_formula(world, engine):
    body = message().replace(b"Migration service", b"=HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)")
    assert world("POST", POST, "kz_sub", body).status_code == 202
    wb = load_workbook(io.BytesIO(world("GET", TEMPLATE, "kz_sub").data))
    sheet = wb["Documentation"]
    cell = sheet.cell(rows_of(sheet)["COLLECTING_INSTITUTIONS"][0], 5)
    assert cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(world("GET", TEMPLATE, "kz_sub").data)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet2.xml")


@pytest.mark.parametrize("answers, rule, cell", [
    ({**ANSWERS, "DATA_SOURCE": ["GUESS"]}, "unknown-code", "D"),
    ({**ANSWERS, "AS_OF_DATE": ["spring 2026"]}, "value-format", "D"),
    ({**ANSWERS, "COUNTING_UNIT": ["PERSONS"], "CHILDREN_INCLUDED": {"en": "yes"}}, "missing-value", "E"),
    ({k: v for k, v in ANSWERS.items() if k != "FOCAL_POINT"}, "missing-attribute", None),
])
def test_each_mistake_named_by_sheet_and_cell_and_nothing_stored(world, engine, answers, rule, cell):
    body = filled(world("GET", TEMPLATE, "kz_sub").data, answers)
    before = dump(engine)
    r = world("POST", POST, "kz_sub", body, **{"Content-Type": XLSX, "Accept": "application/problem+json"})
    assert r.status_code == 422, r.get_data(as_text=True)
    hit = next(e for e in r.get_json()["errors"] if e["rule"] in (rule, "coded-attribute-text"))
    if cell:
        assert hit["where"].startswith(f"sheet Documentation, cell {cell}"), hit
    else:
        assert hit["where"] == "sheet Documentation" and hit["attribute"] == "FOCAL_POINT"
    assert dump(engine) == before


def test_not_a_workbook_a_damaged_one_and_a_zip_bomb(world, engine):
    before = dump(engine)
    r = world("POST", POST, "kz_sub", b"PK\x03\x04 not really a zip", **{"Content-Type": XLSX})
    assert r.status_code == 400 and b"not an Excel workbook" in r.data
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    r = world("POST", POST, "kz_sub", other.getvalue(), **{"Content-Type": XLSX})
    assert r.status_code == 400
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 << 20))
    r = world("POST", POST, "kz_sub", bomb.getvalue(), **{"Content-Type": XLSX})
    assert r.status_code == 413 and b"max_inflate_ratio" in r.data
    wb = load_workbook(io.BytesIO(world("GET", TEMPLATE, "kz_sub").data))
    del wb["Target"]
    out = io.BytesIO()
    wb.save(out)
    r = world("POST", POST, "kz_sub", out.getvalue(), **{"Content-Type": XLSX})
    assert r.status_code == 400 and b"no sheet 'Target'" in r.data
    assert dump(engine) == before
