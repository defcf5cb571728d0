"""Reports on a real database (SQLite and PostgreSQL) through the Flask test client: what each caller sees,
the selection, marks and notes, the REST query equal to the report, the exports, and bad input."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from html import unescape
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from sdmx_server.identity.actor import Actor
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.submission.intake import dataflow_context
from sdmx_server.submission.workflow import FourEyes, IngestOptions, submit
from sdmx_server.web_portal.report_chart import chart_svg, reduce_series
from sdmx_server.web_portal.report_data import format_figure

from .conftest import sign_in

FLOW = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ENTRIES(1.0)"
REPORT = "/en/reports/DSM/DF_ENTRIES/1.0"
HEAD = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,"
        "OBS_COMMENT")
PERIODS = ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]


def value(country: str, cit: str, sex: str, period: str) -> int:
    return {"KZ": 1000, "KG": 2000}[country] + 100 * ["RU", "UZ", "CN"].index(cit) + 10 * ("FMT".index(sex[0])) \
        + PERIODS.index(period)


def load(engine, country: str, rows: list[str] | None = None) -> None:
    """Released DF_ENTRIES figures of one country (its administrator submits and releases them at once)."""
    if rows is None:
        rows = [f"{cit},{sex},{p},{value(country, cit, sex, p)},PS,{'P' if p == '2023-Q4' else 'A'},"
                f"{'Border data' if (cit, sex, p) == ('RU', 'F', '2023-Q1') else ''}"
                for cit in ("RU", "UZ", "CN") for sex in ("F", "M") for p in PERIODS]
    body = "\n".join([HEAD] + [f"dataflow,DSM:DF_ENTRIES(1.0),I,Q,{country},{r}" for r in rows])
    with engine.begin() as conn:
        ctx = dataflow_context(ArtefactStore(conn), "DSM", "DF_ENTRIES", "1.0")
        who = Actor(0, f"{country.lower()}_admin", country, frozenset({"submit_data", "verify_data", "release_data"}))
        submit(conn, io.BytesIO(body.encode()), ctx, who, provider=country, replace=False, content_type="text/csv",
               options=IngestOptions(provisional=False), release_now=True,
               four_eyes=FourEyes(frozenset({country})))  # a one-office setup


@pytest.fixture
def figures(world, engine):
    """KZ and KG figures on DF_ENTRIES; KZ later revises one; nothing shared yet."""
    load(engine, "KZ")
    load(engine, "KG")
    load(engine, "KZ", ["UZ,M,2023-Q2,9999,PS,A,"])  # a revision of a released figure
    return engine


def page(client, url: str, status: int = 200) -> str:
    resp = client.get(url)
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, text[text.find("<main"):][:3000]
    return resp.get_data(as_text=True)


def export_rows(text: str) -> list[list[str]]:
    """A CSV export's header and figure rows: what follows the lines saying what the file holds."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return rows[rows.index([]) + 1:]


def table_numbers(html: str) -> list[str]:
    body = html.split('<tbody>', 1)[1].split('</tbody>', 1)[0]
    return [re.sub(r"<sup.*?</sup>", "", c) for c in re.findall(r'<td class="num">(.*?)</td>', body)]


# -- visibility -------------------------------------------------------------------------------------

def test_an_anonymous_visitor_sees_public_figures_only(client, figures):
    html = page(client, "/en/reports/")
    assert "DF_ENTRIES" not in html and "Foreigners entering the country" not in html
    html = page(client, REPORT)
    assert "No country has made figures of this indicator public yet" in html
    assert "<table" not in html
    with figures.begin() as conn:
        GrantStore(conn).set_public("KG", FLOW, True, by="test")
    html = page(client, "/en/reports/")
    assert REPORT in html
    html = page(client, REPORT)
    assert "Kyrgyzstan" in html and "Kazakhstan" not in html
    assert "2,000" in html and "1,000" not in html


def test_a_country_sees_its_own_and_what_is_shared_with_it(client, figures):
    sign_in(client, "kg_viewer")
    html = page(client, REPORT)
    assert 'value="KG"' in html and 'value="KZ"' not in html
    # asking for a country whose figures are hidden: refused in words that reveal nothing, nothing shown
    html = page(client, REPORT + "?country=KZ", 400)
    assert "There are no figures you may see for the country “KZ”" in unescape(html)
    assert "<table" not in html
    with figures.begin() as conn:
        GrantStore(conn).grant("KZ", FLOW, "KG", by="test")
    html = page(client, REPORT + "?country=KZ&country=KG")
    assert 'value="KZ" checked' in html and 'value="KG" checked' in html
    assert "Kazakhstan" in html


# -- the table, marks and notes ----------------------------------------------------------------------

def test_selection_table_marks_and_notes(client, figures):
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?country=KZ&SEX=F&CITIZENSHIP=RU&CITIZENSHIP=UZ&start=2023-Q1&end=2023-Q4")
    assert html.count("<tr>") == 1 + 2  # the header and two series
    numbers = table_numbers(html)
    assert [unescape(n) for n in numbers[:4]] == ["1,000", "1,001", "1,002", "1,003"]
    # provisional (OBS_STATUS=P) marked p, the comment numbered, both explained under the table
    assert '1,003<sup class="mark">p</sup>' in html
    assert '1,000<sup class="mark">1</sup>' in html
    assert "<dt>p</dt><dd>Provisional value</dd>" in html
    assert "<dt>1</dt><dd>Border data</dd>" in html
    assert "Persons" in html  # the unit, the same for every figure, said once
    # the chart is inline SVG with a title and a description, no inline style (the CSP refuses them)
    svg = html.split('<svg', 1)[1].split('</svg>', 1)[0]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "style=" not in svg
    # a narrower period range
    html = page(client, REPORT + "?country=KZ&SEX=F&CITIZENSHIP=RU&start=2023-Q2&end=2023-Q3")
    assert [unescape(n) for n in table_numbers(html)] == ["1,001", "1,002"]


def test_revised_figures_are_marked(client, figures):
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?CITIZENSHIP=UZ&SEX=M")
    assert '9,999<sup class="mark">r</sup>' in html
    assert "revised: a later release changed this figure" in html


def test_russian_report_names_and_numbers(client, figures):
    sign_in(client, "kz_viewer", lang="ru")
    html = page(client, "/ru/reports/DSM/DF_ENTRIES/1.0?SEX=M&CITIZENSHIP=UZ")
    assert "Въезд иностранцев" in html and "Казахстан" in html
    assert "9\xa0999" in html  # Russian groups digits with a no-break space
    assert "Предварительное значение" in html


# -- the REST query shown returns the same figures ---------------------------------------------------

def _csv_figures(text: str) -> dict[tuple[str, str, str, str], float]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return {(r["REF_AREA"], r["CITIZENSHIP"], r["SEX"], r["TIME_PERIOD"]): float(r["OBS_VALUE"]) for r in rows}


def test_the_rest_query_shown_returns_the_same_figures(client, figures, app):
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?country=KZ&CITIZENSHIP=RU&CITIZENSHIP=CN&start=2023-Q2&end=2023-Q4")
    v2 = unescape(re.search(r'<a href="(http://localhost/rest/v2/data/[^"]+)"', html).group(1))
    v1 = unescape(re.search(r'<a href="(http://localhost/rest/data/[^"]+)"', html).group(1))
    export = client.get(REPORT.replace("/1.0", "/1.0/export.csv") +
                        "?country=KZ&CITIZENSHIP=RU&CITIZENSHIP=CN&start=2023-Q2&end=2023-Q4")
    reported = {}
    for r in export_rows(export.get_data(as_text=True))[1:]:
        reported[({"Kazakhstan": "KZ"}[r[0]], {"Russia": "RU", "China": "CN"}[r[1]],
                  {"Female": "F", "Male": "M"}[r[2]], r[3])] = float(r[4])
    assert len(reported) == 2 * 2 * 3
    token = _token(app, "kz_viewer")
    for url in (v2, v1):
        parts = urlsplit(url)
        resp = client.get(parts.path + "?" + parts.query, headers={"Authorization": f"Bearer {token}",
                                                                   "Accept": "application/vnd.sdmx.data+csv"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert _csv_figures(resp.get_data(as_text=True)) == reported, url


def _token(app, username: str) -> str:
    from sdmx_server.storage.user_store import UserStore
    with app.extensions["sdmx_engine"].begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        return users.create_token(username, days=1, label="test")[0]


# -- exports ---------------------------------------------------------------------------------------

def test_exports(client, figures, tmp_path):
    sign_in(client, "kz_viewer", lang="ru")
    query = "?SEX=F&CITIZENSHIP=RU&start=2023-Q1&end=2023-Q4"
    base = "/ru/reports/DSM/DF_ENTRIES/1.0/export."
    resp = client.get(base + "csv" + query)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = export_rows(resp.get_data(as_text=True))
    assert rows[0][-4:] == ["Период", "Значение", "Статус значения", "Примечания"]
    assert ["Казахстан", "Россия", "Женщины", "2023-Q4", "1003", "Предварительное значение", ""] \
        in rows
    resp = client.get(base + "xlsx" + query)
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["Таблица", "Значения", "Примечания к данным"]  # the last: no documentation yet
    cells = [c for row in wb["Таблица"].iter_rows(values_only=True) for c in row]
    assert "Въезд иностранцев" in cells and 1003 in cells and "p" in cells
    resp = client.get(base + "html" + query)
    html = resp.get_data(as_text=True)
    assert resp.mimetype == "text/html" and "<svg" in html and "1\xa0003" in html and "Въезд иностранцев" in html
    resp = client.get(base + "pdf" + query)
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(resp.data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = fonts.splitlines()[2:]
    assert fonts and all(" yes " in f and "DejaVu" in f for f in fonts), fonts  # every font embedded
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Въезд иностранцев" in text and "Россия" in text and "1 003" in text
    assert client.get(base + "doc" + query).status_code == 404


def test_a_pdf_wider_than_a_page_continues_its_columns(client, figures, tmp_path, monkeypatch):
    from sdmx_server.web_portal import report_pdf
    monkeypatch.setattr(report_pdf, "MIN_FIGURE_WIDTH", 300.0)  # two columns a page: four periods, two parts
    sign_in(client, "kz_viewer")
    resp = client.get(REPORT.replace("/1.0", "/1.0/export.pdf") + "?SEX=F&start=2023-Q1&end=2023-Q4")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(resp.data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    first, part1, part2, last = pages[0], pages[1], pages[2], pages[3]
    assert "Foreigners entering the country" in first and "Unit of measure: Persons" in first
    assert "columns, part 1 of 2" in part1 and "2023-Q1" in part1 and "2023-Q2" in part1 and "2023-Q3" not in part1
    assert "columns, part 2 of 2" in part2 and "2023-Q4" in part2 and "2023-Q1" not in part2
    assert re.search(r"1 ?/ ?2", part1) and re.search(r"2 ?/ ?2", part2)  # page numbers
    for page in (part1, part2):  # the label columns and their header on every page
        assert "Citizenship" in page and "Russia" in page and "Uzbekistan" in page
    assert "1,000" in part1 and "1,001" in part1 and "1,003 p" in part2
    assert "The same figures for programs (SDMX REST API)" in last and "/rest/v2/data/" in last


def test_a_pdf_too_large_is_refused_in_words(client, figures, monkeypatch):
    from sdmx_server.web_portal import report_exports
    monkeypatch.setattr(report_exports, "PDF_MAX_FIGURES", 3)
    sign_in(client, "kz_viewer")
    resp = client.get(REPORT.replace("/1.0", "/1.0/export.pdf") + "?SEX=F&CITIZENSHIP=RU")
    assert resp.status_code == 413 and resp.mimetype == "text/html"
    assert "This report has 4 figures: too many for a PDF (at most 3)" in resp.get_data(as_text=True)


def test_many_rows_chart_the_country_totals(client, figures):
    with figures.begin() as conn:
        GrantStore(conn).grant("KG", FLOW, "KZ", by="test")
    sign_in(client, "kz_viewer")
    html = page(client, REPORT)  # 2 countries × 3 citizenships × 2 sexes: 12 rows, too many lines
    assert html.count("<tr>") == 1 + 12
    assert "The chart shows the total of each country" in html
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", html).group(1)
    assert desc == "Lines: one per series from 2023-Q1 to 2023-Q4 (Kazakhstan, Kyrgyzstan)."


# -- bad input ----------------------------------------------------------------------------------------

def test_bad_input_is_named_and_the_choices_are_kept(client, figures):
    sign_in(client, "kz_viewer")
    html = unescape(page(client, REPORT + "?country=KZ&CITIZENSHIP=XX&start=2023-Q9&end=2023-Q1", 400))
    assert "“XX” is not one of the values with figures here" in html
    assert "“2023-Q9” is not a period. Write it like 2023-Q1" in html
    assert 'value="KZ" checked' in html  # the rest of the selection is kept
    html = unescape(page(client, REPORT + "?start=2023-Q3&end=2023-Q1", 400))
    assert "The last period (2023-Q1) comes before the first one (2023-Q3)" in html
    assert page(client, "/en/reports/DSM/NO_SUCH_FLOW/1.0", 404)
    resp = client.get(REPORT.replace("/1.0", "/1.0/export.pdf") + "?start=nonsense")
    assert resp.status_code == 400 and resp.mimetype == "text/html"


def test_language_switch_keeps_the_selection(client, figures):
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?country=KZ&SEX=F")
    assert 'href="/ru/reports/DSM/DF_ENTRIES/1.0?country=KZ&amp;SEX=F"' in html


# -- plain functions ----------------------------------------------------------------------------------

def test_chart_kinds_and_series_limit():
    lines = chart_svg(PERIODS, [("Казахстан", [1, 2, None, 4])], title="Въезд", lang="ru")
    assert "<title id=\"chart-title\">Въезд</title>" in lines and "Lines" in lines and "<path" in lines
    bars = chart_svg(["2023-Q1"], [("A", [1.0]), ("B", [2.0])], title="T", lang="en")
    assert "Bars" in bars
    many = [(f"S{i}", [float(i), float(i)]) for i in range(12)]
    reduced = reduce_series(many)
    assert len(reduced) == 8 and reduced[-1] == ("Other", [0 + 1 + 2 + 3 + 4, 10.0])
    assert format_figure(1234567.0, "ru") == "1\xa0234\xa0567" and format_figure(1234.5, "en") == "1,234.5"
