"""The Excel template of a seeded dataflow: downloaded, filled in with openpyxl as a person would
(choosing codes from the drop-down lists, typing periods and figures), uploaded over HTTP and stored;
its labels, lists and instructions in English and Russian, checked against sdmx1's reading of the
seed structure files; mistakes in cells named by sheet and cell, with nothing stored.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import sdmx
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import text

from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.storage.user_store import UserStore

from .db_dump import dump

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLOW = "DSM/DF_STOCK_FOREIGNERS/1.0"
TEMPLATE = f"/api/dataflows/{FLOW}/template.xlsx"
SUBMIT = f"/rest/v2/data/dataflow/{FLOW}?release=now"
FLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"



@pytest.fixture
def config(config):
    """KZ's administrator releases uploads with release=now: the four-eyes rule is waived for KZ here (tests/test_four_eyes.py checks the rule)."""
    return replace(config, four_eyes_waived=["KZ"])

@pytest.fixture
def seeded(engine, config):
    load_structures(engine, read_files(seed_files(config)))


@pytest.fixture
def kz(app, engine, seeded):
    """A country administrator of Kazakhstan (the provider comes from the account), releasing at once."""
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        users.add("kz_admin", "pw-kz-admin-1", roles=["country_administrator"], country="KZ")
        token, _ = users.create_token("kz_admin", days=1)
    client = app.test_client()

    def call(method: str, path: str, body: bytes | None = None, **headers: str):
        return client.open(path, method=method, data=body, headers={"Authorization": f"Bearer {token}", **headers})

    return call


# -- what a person does with the workbook -------------------------------------------------------------

def drop_down(wb, component: str) -> list[str]:
    """The entries of the drop-down list of a component's column on sheet Data, as Excel shows them."""
    data = wb["Data"]
    letter = get_column_letter(header(wb).index(component) + 1)
    lists = [dv for dv in data.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}3:")]
    assert len(lists) == 1, f"no single drop-down list on column {letter} ({component})"
    sheet, first, last = re.fullmatch(r"=(\w+)!\$([A-Z]+\$\d+):\$([A-Z]+\$\d+)", lists[0].formula1).groups()
    cells = wb[sheet][f"{first.replace('$', '')}:{last.replace('$', '')}"]
    return [row[0].value for row in cells]


def header(wb) -> list[str]:
    return [c.value for c in wb["Data"][1]]


def fill(wb, rows: list[dict[str, object]]) -> bytes:
    """Type the rows from row 3 on; a code is chosen from its list (the entry that starts with it)."""
    cols = header(wb)
    data = wb["Data"]
    for r, values in enumerate(rows, start=3):
        for component, value in values.items():
            if isinstance(value, Code):
                entries = [e for e in drop_down(wb, component) if e.split(": ")[0] == value.code]
                assert len(entries) == 1, (component, value.code)
                value = entries[0]
            data.cell(r, cols.index(component) + 1, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Code(str):
    """A code the person picks from the column's drop-down list (not typed)."""

    @property
    def code(self) -> str:
        return str(self)


def template(call, **headers) -> bytes:
    r = call("GET", TEMPLATE, **headers)
    assert r.status_code == 200 and r.headers["Content-Type"] == XLSX, r.data[:500]
    return r.data


def observations(engine) -> dict[tuple[str, str], tuple[str | None, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.value, o.attributes FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {(k, p): (v, json.loads(a or "{}")) for k, p, v, a in rows}


def series_attributes(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key, attributes FROM key_attribute "
                                 "WHERE level = 'series' AND valid_to IS NULL")).all()
    return {k: json.loads(a) for k, a in rows}


S, KZ = Code("S"), Code("KZ")
FILLED = [  # half-yearly stock of foreigners in Kazakhstan, by citizenship and sex
    {"FREQ": S, "REF_AREA": KZ, "CITIZENSHIP": Code("RU"), "SEX": Code("F"), "TIME_PERIOD": "2023-S1",
     "OBS_VALUE": 1234, "UNIT_MEASURE": Code("PS"), "OBS_STATUS": Code("A")},
    {"FREQ": S, "REF_AREA": KZ, "CITIZENSHIP": Code("RU"), "SEX": Code("M"), "TIME_PERIOD": "2023-S1",
     "OBS_VALUE": 1500.5, "UNIT_MEASURE": Code("PS"), "OBS_STATUS": Code("P"),
     "OBS_COMMENT": "Estimate: revised in March"},
    # the column is formatted as text, so a figure typed there arrives as text
    {"FREQ": S, "REF_AREA": KZ, "CITIZENSHIP": Code("UZ"), "SEX": Code("_T"), "TIME_PERIOD": "2023-S2",
     "OBS_VALUE": "2000", "UNIT_MEASURE": Code("PS"), "OBS_STATUS": Code("E")},
    # typed rather than chosen from the list: the reader takes the code (the FREQ the dataflow is collected at:
    # another is refused, test_submission_constraints)
    {"FREQ": "S", "REF_AREA": KZ, "CITIZENSHIP": Code("UZ"), "SEX": Code("_T"), "TIME_PERIOD": "2022-S2",
     "OBS_VALUE": 0.25, "UNIT_MEASURE": Code("PS"), "OBS_STATUS": Code("A")},
]
STORED = {
    ("S.KZ.RU.F", "2023-S1"): ("1234", {"OBS_STATUS": "A"}),
    ("S.KZ.RU.M", "2023-S1"): ("1500.5", {"OBS_STATUS": "P", "OBS_COMMENT": "Estimate: revised in March"}),
    ("S.KZ.UZ._T", "2023-S2"): ("2000", {"OBS_STATUS": "E"}),
    ("S.KZ.UZ._T", "2022-S2"): ("0.25", {"OBS_STATUS": "A"}),
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_filled_template_is_stored(engine, kz, lang):
    wb = load_workbook(io.BytesIO(template(kz, **{"Accept-Language": lang})))
    body = fill(wb, FILLED)
    r = kz("POST", SUBMIT, body, **{"Content-Type": XLSX, "Accept": "application/problem+json"})
    assert r.status_code == 200, r.data[:3000].decode()
    receipt = r.get_json()
    assert receipt["format"] == "excel_data_reader" and receipt["provider"] == "KZ" and receipt["dataflow"] == FLOW_URN
    assert receipt["observations"] == {"read": 4, "inserted": 4, "updated": 0, "deleted": 0}
    assert observations(engine) == STORED
    assert series_attributes(engine) == {k: {"UNIT_MEASURE": "PS"} for k, _ in STORED}
    # the same file again changes nothing; one figure corrected in its cell updates one observation
    again = kz("POST", SUBMIT, body, **{"Content-Type": XLSX}).get_json()["observations"]
    assert again == {"read": 4, "inserted": 0, "updated": 0, "deleted": 0}
    wb = load_workbook(io.BytesIO(body))
    wb["Data"][f"{get_column_letter(header(wb).index('OBS_VALUE') + 1)}3"] = 1240
    fixed = io.BytesIO()
    wb.save(fixed)
    r = kz("POST", SUBMIT, fixed.getvalue(), **{"Content-Type": XLSX})
    assert r.get_json()["observations"] == {"read": 4, "inserted": 0, "updated": 1, "deleted": 0}
    assert observations(engine)[("S.KZ.RU.F", "2023-S1")] == ("1240", {"OBS_STATUS": "A"})


# -- the template itself, against sdmx1's reading of the seed files -----------------------------------

def seed_model():
    dsd = sdmx.read_sdmx(ROOT / "structures" / "DSD_MIGRATION.xml").structure["DSD_MIGRATION"]
    concepts = sdmx.read_sdmx(ROOT / "structures" / "concepts.xml").concept_scheme["CS_MIGRATION"]
    codelists = {}
    for path in (ROOT / "codelists").glob("*.xml"):
        codelists.update(sdmx.read_sdmx(path).codelist)
    flow = sdmx.read_sdmx(ROOT / "dataflows" / "dataflows.xml").dataflow["DF_STOCK_FOREIGNERS"]
    return dsd, concepts, codelists, flow


INSTRUCTIONS = {"en": ("Data entry template", "mandatory", "optional"),
                "ru": ("Шаблон для ввода данных", "обязательно", "необязательно")}


@pytest.mark.parametrize("lang,headers", [
    ("en", {}),
    ("en", {"Accept-Language": "en-GB,en;q=0.9"}),
    ("ru", {"Accept-Language": "ru"}),
    ("ru", {"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"}),  # what a Russian browser sends
    ("ru", {"query": "?lang=ru", "Accept-Language": "en"}),  # the lang parameter wins
])
def test_template_labels_lists_and_instructions(client, seeded, lang, headers):
    headers = dict(headers)
    r = client.get(TEMPLATE + headers.pop("query", ""), headers=headers)
    assert r.status_code == 200 and r.headers["Content-Type"] == XLSX
    assert r.headers["Content-Disposition"] == f'attachment; filename="DF_STOCK_FOREIGNERS-{lang}.xlsx"'
    wb = load_workbook(io.BytesIO(r.data))
    dsd, concepts, codelists, flow = seed_model()
    [periodicity] = [str(a.title) for a in flow.annotations if a.type == "PERIODICITY"]
    assert wb.sheetnames == ["Instructions", "Data", "Codes"]
    assert wb.properties.identifier == FLOW_URN and wb.properties.language == lang

    dims = [d for d in dsd.dimensions.components if d.id != "TIME_PERIOD"]
    time = [d for d in dsd.dimensions.components if d.id == "TIME_PERIOD"]
    components = [*dims, *time, *dsd.measures.components, *dsd.attributes.components]
    ids = [c.id for c in components]
    assert header(wb) == ids
    labels = [c.value for c in wb["Data"][2]]
    assert labels == [concepts[c.concept_identity.id].name.localizations[lang] for c in components]
    assert wb["Data"].freeze_panes == "A3"

    mandatory = {d.id for d in dsd.dimensions.components} | {m.id for m in dsd.measures.components} | {
        a.id for a in dsd.attributes.components if a.usage_status and a.usage_status.name == "mandatory"}
    coded = {c.id: c.local_representation.enumerated for c in components
             if c.local_representation and c.local_representation.enumerated is not None}
    assert set(coded) == {"FREQ", "REF_AREA", "CITIZENSHIP", "SEX", "UNIT_MEASURE", "OBS_STATUS"}
    validations = {str(dv.sqref).split(":")[0][:-1]: dv for dv in wb["Data"].data_validations.dataValidation}
    assert set(validations) == {get_column_letter(ids.index(c) + 1) for c in coded}  # none on free columns
    for cid, codelist in coded.items():
        letter = get_column_letter(ids.index(cid) + 1)
        dv = validations[letter]
        assert dv.type == "list" and str(dv.sqref) == f"{letter}3:{letter}5003" and dv.showErrorMessage
        # OBS_STATUS may stay empty: the server marks figures of the current year provisional (README)
        assert dv.allow_blank is (cid not in mandatory or cid == "OBS_STATUS"), cid
        expected = [f"{code.id}: {code.name.localizations[lang]}" for code in codelists[codelist.id]
                    if cid != "FREQ" or code.id == periodicity]  # the flow's own frequency only
        assert drop_down(wb, cid) == expected, cid
        assert wb["Codes"].cell(1, ids.index(cid) + 1).value == cid

    title, must, may = INSTRUCTIONS[lang]
    lines = [row[0] for row in wb["Instructions"].iter_rows(values_only=True)]
    assert lines[0] == title
    assert lines[1].endswith(f": {flow.name.localizations[lang]} ({FLOW_URN})")
    assert sum(1 for line in lines if line and re.match(r"\d\. ", line)) == 5
    for c, label in zip(ids, labels):
        if c == "OBS_STATUS":
            assert any(line.startswith(f"{c} — {label} ({must} ") for line in lines if line)
        else:
            assert f"{c} — {label} ({must if c in mandatory else may})" in lines


def test_template_cells_keep_codes_and_periods_as_text_on_every_row_with_a_list(client, seeded):
    """A period typed as 2024-07 must not turn into a date anywhere the drop-down lists reach."""
    wb = load_workbook(io.BytesIO(template(lambda m, p, **h: client.open(p, method=m, headers=h))))
    data = wb["Data"]
    for i in range(1, len(header(wb)) + 1):
        letter = get_column_letter(i)
        column_format = data.column_dimensions[letter].number_format
        for row in (3, 202, 203, 5003):
            cell_format = data[f"{letter}{row}"].number_format if data[f"{letter}{row}"].has_style else None
            assert "@" in (column_format, cell_format), (letter, row)


def test_template_of_an_unknown_dataflow_is_404(client, seeded):
    r = client.get("/api/dataflows/DSM/DF_NOPE/1.0/template.xlsx")
    assert r.status_code == 404 and b"DF_NOPE" in r.data


# -- mistakes ----------------------------------------------------------------------------------------

def test_typos_are_named_by_sheet_and_cell_and_nothing_is_stored(engine, kz):
    kz("POST", SUBMIT, fill(load_workbook(io.BytesIO(template(kz))), FILLED[:1]), **{"Content-Type": XLSX})
    before = dump(engine)
    wb = load_workbook(io.BytesIO(template(kz)))
    rows = [dict(r) for r in FILLED]
    rows[0]["UNIT_MEASURE"] = "PERS"  # a series attribute, typed instead of chosen: row 3
    rows[1]["OBS_VALUE"] = "15O0"  # letter O for a zero: row 4
    rows[2]["OBS_STATUS"] = "X"  # row 5
    rows[3]["TIME_PERIOD"] = "2022-S3"  # row 6
    body = fill(wb, rows)
    r = kz("POST", SUBMIT, body, **{"Content-Type": XLSX, "Accept": "application/problem+json"})
    problem = r.get_json()
    assert r.status_code == 422, problem
    cell = {c: get_column_letter(i + 1) for i, c in enumerate(header(wb))}
    assert sorted((e["rule"], e["where"], e.get("component"), e.get("value")) for e in problem["errors"]) == sorted([
        ("unknown-code", f"sheet Data, cell {cell['UNIT_MEASURE']}3", "UNIT_MEASURE", "PERS"),
        ("not-a-number", f"sheet Data, cell {cell['OBS_VALUE']}4", "OBS_VALUE", "15O0"),
        ("unknown-code", f"sheet Data, cell {cell['OBS_STATUS']}5", "OBS_STATUS", "X"),
        ("period-format", f"sheet Data, cell {cell['TIME_PERIOD']}6", "TIME_PERIOD", "2022-S3"),
    ])
    assert problem["errorCount"] == 4
    assert dump(engine) == before
    # without Accept: an SDMX error message, every mistake on a line of its own with its cell
    r = kz("POST", SUBMIT, body, **{"Content-Type": XLSX})
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/vnd.sdmx.error+xml")
    for where in (f"sheet Data, cell {cell['OBS_VALUE']}4: OBS_VALUE must be a number",
                  f"sheet Data, cell {cell['TIME_PERIOD']}6: "):
        assert where.encode() in r.data, r.data.decode()
    assert dump(engine) == before


def test_a_wrong_code_in_a_key_cell_is_reported_once_at_its_cell(engine, kz):
    """The row's series attribute (UNIT_MEASURE) must not earn the key's mistake a second report elsewhere."""
    before = dump(engine)
    wb = load_workbook(io.BytesIO(template(kz)))
    rows = [dict(r) for r in FILLED]
    rows[2]["REF_AREA"] = "KX"  # typed instead of chosen: row 5
    r = kz("POST", SUBMIT, fill(wb, rows), **{"Content-Type": XLSX, "Accept": "application/problem+json"})
    problem = r.get_json()
    assert r.status_code == 422, problem
    letter = get_column_letter(header(wb).index("REF_AREA") + 1)
    assert [(e["rule"], e["where"], e.get("component"), e.get("value")) for e in problem["errors"]] == [
        ("unknown-code", f"sheet Data, cell {letter}5", "REF_AREA", "KX")]
    assert dump(engine) == before


def test_a_changed_header_row_is_refused_naming_the_cell(engine, kz):
    wb = load_workbook(io.BytesIO(template(kz)))
    body = fill(wb, FILLED)
    wb = load_workbook(io.BytesIO(body))
    letter = get_column_letter(header(wb).index("OBS_COMMENT") + 1)
    wb["Data"][f"{letter}1"] = "OBS_COMENT"
    changed = io.BytesIO()
    wb.save(changed)
    before = dump(engine)
    r = kz("POST", SUBMIT, changed.getvalue(), **{"Content-Type": XLSX, "Accept": "application/json"})
    assert r.status_code == 400
    assert f"sheet Data, cell {letter}1: 'OBS_COMENT' is not a component" in r.get_data(as_text=True)
    assert dump(engine) == before


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_a_workbook_whose_compressed_part_is_damaged_is_a_400(engine, kz, part):
    """Damaged deflate data makes zlib raise while openpyxl reads (found by tests/test_data_reader_fuzz.py)."""
    import zipfile
    body = bytearray(fill(load_workbook(io.BytesIO(template(kz))), FILLED))
    with zipfile.ZipFile(io.BytesIO(bytes(body))) as z:
        names = {i.filename: i for i in z.infolist()}
    info = names.get(part) or names["xl/worksheets/sheet1.xml"]
    start = info.header_offset + 30 + int.from_bytes(body[info.header_offset + 26:info.header_offset + 28], "little") \
        + int.from_bytes(body[info.header_offset + 28:info.header_offset + 30], "little")
    body[start + 2:start + info.compress_size - 2] = b"\xff" * (info.compress_size - 4)  # not inflatable
    before = dump(engine)
    r = kz("POST", SUBMIT, bytes(body), **{"Content-Type": XLSX, "Accept": "application/problem+json"})
    assert r.status_code == 400, r.data[:300]
    assert "damaged" in r.get_json()["detail"] or "not an Excel workbook" in r.get_json()["detail"]
    assert dump(engine) == before
