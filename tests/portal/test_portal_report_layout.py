"""Report layout (issue 19): the pivot, sort and "last N periods" in the URL, exports that follow them and say
what they hold, the chart's gaps, and bad layout choices named. Real database, Flask test client."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from sdmx_server.web_portal.report_data import (Cell, ReportTable, Row, chart_series, continuous_periods)
from sdmx_server.web_portal.texts import LocalText

from .conftest import sign_in
from .test_portal_reports import REPORT, figures, load, page, table_numbers  # noqa: F401 (fixture)

EXPORT = REPORT + "/export."


def header_cells(html: str) -> list[str]:
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def row_headers(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', tr)]
            for tr in body.split("</tr>")[:-1]]


def test_citizenship_across_periods_down_sorted_by_a_column(client, figures):
    sign_in(client, "kz_viewer")
    query = "?country=KZ&SEX=F&cols=CITIZENSHIP&rows=TIME_PERIOD&sort=desc:UZ"
    html = page(client, REPORT + query)
    # columns: the citizenships by name; rows: the period first, then the others in their usual order
    assert header_cells(html) == ["Time period", "Reporting country", "Sex", "China", "Russia", "Uzbekistan"]
    assert "columns: Citizenship" in html
    rows = row_headers(html)
    assert [r[0] for r in rows] == ["2023-Q4", "2023-Q3", "2023-Q2", "2023-Q1"]  # largest UZ figure first
    assert rows[0][1:] == ["Kazakhstan", "Female"]
    # the first label columns are frozen (portal.css .f0 .f1 .f2: position sticky)
    assert '<th scope="row" class="f0">2023-Q4</th>' in html
    assert [unescape(n) for n in table_numbers(html)[:3]] == ["1,203", "1,003", "1,103"]
    # smallest first
    html = page(client, REPORT + query.replace("desc:UZ", "asc:UZ"))
    assert [r[0] for r in row_headers(html)] == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
    # the layout form keeps the choice, in Russian too
    html = page(client, REPORT.replace("/en/", "/ru/") + query)
    assert '<option value="CITIZENSHIP" selected>Гражданство</option>' in html
    assert '<option value="desc:UZ" selected>Узбекистан, сначала наибольшие</option>' in html
    assert "столбцы: Гражданство" in html


def test_the_exports_follow_the_layout_and_say_what_they_hold(client, figures):
    sign_in(client, "kz_viewer")
    query = "?country=KZ&SEX=F&cols=CITIZENSHIP&rows=TIME_PERIOD&sort=desc:UZ"
    text = client.get(EXPORT + "csv" + query).get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    blank = rows.index([])
    about = [r[0] for r in rows[:blank]]
    assert about[0] == "Foreigners entering the country"
    assert about[1] == "Selection: Countries: Kazakhstan; Citizenship: all; Sex: Female; Periods: the first period to " \
                       "the last period"
    assert about[2] == "Layout: rows: Time period, Reporting country, Sex; columns: Citizenship; sorted by " \
                       "Uzbekistan, largest first"
    assert re.fullmatch(r"Source: Data Sharing Mechanism, http://localhost/rest/v2/data/dataflow/DSM/DF_ENTRIES/1\.0/"
                        r"\*\?c\[REF_AREA\]=KZ&c\[SEX\]=F&format=csvdata", about[3]), about[3]
    assert re.fullmatch(r"Extracted on .+ UTC", about[4])
    head, first = rows[blank + 1], rows[blank + 2]
    assert head == ["Time period", "Reporting country", "Sex", "Citizenship", "Value", "Figure status", "Notes"]
    assert first[:5] == ["2023-Q4", "Kazakhstan", "Female", "China", "1203"]

    wb = load_workbook(io.BytesIO(client.get(EXPORT + "xlsx" + query).data))
    table, figures_, notes = wb.worksheets
    assert notes.title == "Notes on the data"  # KZ has no documentation yet: the sheet says so
    values = [list(r) for r in table.iter_rows(values_only=True)]
    head_row = next(n for n, r in enumerate(values, 1) if r[0] == "Time period")
    assert table.freeze_panes == f"D{head_row + 1}"  # the header and the three label columns stay in view
    assert values[head_row - 1][3:] == ["China", "China: marks", "Russia", "Russia: marks", "Uzbekistan",
                                         "Uzbekistan: marks"]  # every column headed, the marks' too
    assert any(str(r[0]).startswith("Selection: Countries: Kazakhstan") for r in values if r and r[0])
    urls = [r[0] for r in values if r and isinstance(r[0], str) and "/rest/v2/" in r[0]]
    assert urls and all("http://localhost/rest/v2/data/" in u for u in urls)  # absolute
    fig_values = [[c for c in r] for r in figures_.iter_rows(values_only=True)]
    fig_head = next(n for n, r in enumerate(fig_values, 1) if r[0] == "Time period")
    assert figures_.freeze_panes == f"A{fig_head + 1}"

    html = client.get(EXPORT + "html" + query).get_data(as_text=True)
    assert "Selection: Countries: Kazakhstan" in html and "Extracted on" in html
    assert html.index("Selection:") < html.index("<table")

    sign_in(client, "kz_viewer", lang="ru")
    text = client.get(EXPORT.replace("/en/", "/ru/") + "csv" + query + "&last=2").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0].startswith("Выбор: Страны: Казахстан;") and "Периоды: последние 2 периода" in rows[1][0]
    assert rows[3][0].startswith("Источник: Механизм обмена данными, http://localhost/rest/v2/")
    assert rows[4][0].startswith("Выгружено ") and rows[4][0].endswith(" UTC")


def test_the_last_n_periods(client, figures):
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?country=KZ&SEX=F&CITIZENSHIP=RU&last=2")
    assert header_cells(html)[-2:] == ["2023-Q3", "2023-Q4"] and len(header_cells(html)) == 3 + 2
    assert 'name="last" type="number" min="1" max="400" inputmode="numeric" value="2"' in html
    assert "c[TIME_PERIOD]=ge:2023-Q3" in unescape(html)  # the REST query shown says the same
    html = page(client, REPORT + "?country=KZ&SEX=F&CITIZENSHIP=RU&last=2&end=2023-Q2")
    assert header_cells(html)[-2:] == ["2023-Q1", "2023-Q2"]


@pytest.mark.parametrize("query, message", [
    ("cols=NOPE", "“NOPE” is not one of this table's dimensions"),
    ("rows=FREQ", "“FREQ” is not one of this table's dimensions"),
    ("sort=up:RU", "“up:RU” is not a sort order"),
    ("sort=desc:XX", "The table has no column “XX” to sort by"),
    ("last=0", "“0” is not a number of periods: write a whole number from 1 to 400"),
    ("last=ten", "“ten” is not a number of periods"),
])
def test_bad_layout_choices_are_named(client, figures, query, message):
    sign_in(client, "kz_viewer")
    html = unescape(page(client, REPORT + "?country=KZ&" + query, 400))
    assert message in html and "<table" not in html
    assert client.get(EXPORT + "csv?country=KZ&" + query).status_code == 400


def test_pdf_is_offered_only_when_it_fits(client, figures, monkeypatch):
    from sdmx_server.web_portal import report_exports
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?country=KZ&SEX=F&CITIZENSHIP=RU")
    assert "/export.pdf" in html and "No PDF" not in html
    monkeypatch.setattr(report_exports, "PDF_MAX_FIGURES", 3)
    html = unescape(page(client, REPORT + "?country=KZ&SEX=F&CITIZENSHIP=UZ"))
    assert "/export.pdf" not in html and "/export.xlsx" in html
    assert "No PDF: a PDF holds at most 3 figures and this report has 4." in html


# -- plain functions ----------------------------------------------------------------------------------

def test_the_time_axis_is_continuous_so_a_gap_is_a_gap():
    assert continuous_periods(["2023-Q1", "2023-Q4", "2024-Q2"]) == [
        "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
    assert continuous_periods(["2022-S2", "2024-S1"]) == ["2022-S2", "2023-S1", "2023-S2", "2024-S1"]
    assert continuous_periods(["2020", "2023"]) == ["2020", "2021", "2022", "2023"]
    assert continuous_periods(["2024-M11", "2025-M02"]) == ["2024-M11", "2024-M12", "2025-M01", "2025-M02"]
    assert continuous_periods(["2024", "2024-Q1"]) == ["2024", "2024-Q1"]  # mixed: as they are
    kz, ru, uz = LocalText("KZ", "en"), LocalText("RU", "en"), LocalText("UZ", "en")
    cells = lambda *v: tuple(Cell(x, None if x is None else str(x)) for x in v)  # noqa: E731
    table = ReportTable(["2023-Q1", "2023-Q2", "2023-Q4"], [LocalText("Country", "en"), LocalText("Cit", "en")],
                        [Row(("KZ", "RU"), ("KZ", "RU"), (kz, ru), cells(1.0, 2.0, 4.0))], [], [], [])
    axis, series, totals = chart_series(table)
    assert axis == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"] and not totals
    assert series == [("KZ", [1.0, 2.0, None, 4.0])]  # 2023-Q3 has no figure: no line across it
    many = [Row(("KZ", f"C{i}"), ("KZ", f"C{i}"), (kz, LocalText(f"C{i}", "en")),
                cells(1.0, None if i == 3 else 1.0, 1.0)) for i in range(9)]
    table = ReportTable(["2023-Q1", "2023-Q2", "2023-Q3"], table.columns, many, [], [], [])
    axis, series, totals = chart_series(table)
    assert totals and series == [("KZ", [9.0, None, 9.0])]  # a total missing one of its parts is not drawn
