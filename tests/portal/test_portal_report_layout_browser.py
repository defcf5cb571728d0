"""Reports at scale in a real browser (issue 19), in both languages: Debian's Chromium driven by Playwright
against a live gunicorn over the README demo plus 40 quarters × 250 citizenships of Kazakhstan (10,000
figures), JavaScript off.

For each language: the table scrolls inside its frame with its header row and first column frozen, the page
itself never wider than the screen (1280 and 360 px); no PDF is offered for 10,000 figures (it says why); the
reader sorts by a column and turns the table (citizenships across, periods down) and the URL carries it; the
last N periods; the report saved under a name, listed and reopened. Screenshots in var/test-artefacts/portal/.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from sdmx_server.identity.actor import Actor
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.storage.database import make_engine
from sdmx_server.submission.intake import dataflow_context
from sdmx_server.submission.workflow import FourEyes, IngestOptions, submit

from ..live_server import cli, gunicorn
from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

REPORT = "/{lang}/reports/DSM/DF_ENTRIES/1.0"
QUARTERS = [f"{2016 + i // 4}-Q{i % 4 + 1}" for i in range(40)]
CITIZENSHIPS = 250
TEXTS = {
    "en": {"user": "Username", "password": "Password", "sign_in": "Sign in", "layout": "Layout", "columns": "Columns",
           "sort": "Sort the rows", "show": "Show the report", "last": "Or the last periods", "no_pdf": "No PDF",
           "largest": "2025-Q4, largest first", "citizenship": "Citizenship", "period": "Time period",
           "name": "Save this report under a name", "save": "Save the report", "saved": "The report is saved.",
           "mine": "My saved reports", "columns_now": "columns: Citizenship", "row1": "Row 1"},
    "ru": {"user": "Имя пользователя", "password": "Пароль", "sign_in": "Войти", "layout": "Макет",
           "columns": "Столбцы", "sort": "Порядок строк", "show": "Показать отчёт", "last": "Или последние периоды",
           "no_pdf": "PDF недоступен", "largest": "2025-Q4, сначала наибольшие", "citizenship": "Гражданство",
           "period": "Период", "name": "Сохранить этот отчёт под названием", "save": "Сохранить отчёт",
           "saved": "Отчёт сохранён.", "mine": "Мои сохранённые отчёты", "columns_now": "столбцы: Гражданство", "row1": "Строка 1"},
}


@pytest.fixture
def big_portal(database_url):
    """The README demo, and Kazakhstan's entries of foreigners over 40 quarters for 250 citizenships (women),
    released; no figure for 2020-Q2 (a gap)."""
    done = cli(database_url, "init")
    assert done.returncode == 0, done.stderr + done.stdout
    engine = make_engine(database_url)
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        area = store.by_urns(["urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_AREA(1.0)"])[0]
        codes = [c["id"] for c in area["codes"] if c["id"] != "_T"][:CITIZENSHIPS]
        rows = ["STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,"
                "OBS_STATUS"]
        rows += [f"dataflow,DSM:DF_ENTRIES(1.0),I,Q,KZ,{cit},F,{q},{1000 + 7 * i + 3 * k},PS,A"
                 for i, cit in enumerate(codes) for k, q in enumerate(QUARTERS) if q != "2020-Q2"]
        ctx = dataflow_context(store, "DSM", "DF_ENTRIES", "1.0")
        who = Actor(0, "kz_admin", "KZ", frozenset({"submit_data", "verify_data", "release_data"}))
        submit(conn, io.BytesIO("\n".join(rows).encode()), ctx, who, provider="KZ", replace=False,
               content_type="text/csv", options=IngestOptions(provisional=False), release_now=True,
               four_eyes=FourEyes(frozenset({"KZ"})))
    engine.dispose()
    with gunicorn(database_url) as base:
        yield base, codes


def sign_in(page: Page, base: str, lang: str) -> None:
    t = TEXTS[lang]
    page.goto(f"{base}/{lang}/sign-in")
    page.get_by_label(t["user"]).fill("kz_viewer")
    page.get_by_label(t["password"]).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t["sign_in"]).click()


def frozen_while_scrolling(page: Page) -> None:
    """The table is wider and taller than its frame, which scrolls; the page does not; the first column and
    the header row stay where they are when the frame scrolls."""
    wrap = page.locator(".report-table-wrap")
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth + 100 && e.scrollHeight > e.clientHeight + 100")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e =>
        e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map(e =>
        e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen: {wide}"
    first = page.locator(".report-table tbody tr").nth(0).locator("th").first
    head = page.locator(".report-table thead th").first
    frame = wrap.bounding_box()
    before = first.bounding_box()
    wrap.evaluate("e => { e.scrollLeft = 1e6; e.scrollTop = 400; }")
    assert wrap.evaluate("e => e.scrollLeft > 0 && e.scrollTop > 0")
    after_first, after_head = first.bounding_box(), head.bounding_box()
    assert abs(after_first["x"] - before["x"]) < 1 and abs(after_first["x"] - frame["x"]) < 3  # frozen column
    assert abs(after_head["y"] - frame["y"]) < 3  # frozen header row


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_large_report_laid_out_saved_and_reopened(big_portal, browser: Browser, lang: str):
    base, codes = big_portal
    t = TEXTS[lang]
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    sign_in(page, base, lang)
    url = base + REPORT.format(lang=lang) + "?country=KZ&SEX=F"
    page.goto(url)
    caption = page.locator(".report-table caption")
    expect(caption).to_contain_text("250")
    expect(page.locator(".report-table thead th")).to_have_count(2 + 39)  # country, citizenship, 39 quarters
    frozen_while_scrolling(page)
    # 9,750 figures: no PDF offered, and the page says why before any click
    expect(page.get_by_role("link", name="PDF")).to_have_count(0)
    expect(page.locator("#no-pdf")).to_contain_text(t["no_pdf"])
    expect(page.get_by_role("link", name="Excel")).to_be_visible()
    shot(page, f"30-report-large-{lang}-1280")

    # sort by the last quarter, largest first
    page.locator("summary", has_text=t["layout"]).click()
    page.get_by_label(t["sort"], exact=True).select_option(label=t["largest"])
    page.get_by_role("button", name=t["show"]).click()
    assert parse_qs(urlsplit(page.url).query)["sort"] == ["desc:2025-Q4"]
    top = page.locator(".report-table tbody tr").nth(0).locator("td").last
    expect(top).to_have_text(re.compile(r"^2[\s\xa0,]?860$"))  # 1000 + 7 × 249 + 3 × 39: the largest figure

    # citizenships across, periods down; the URL carries it (a shareable link)
    expect(page.locator("details.layout")).to_have_attribute("open", "")  # a layout chosen: shown open
    page.get_by_label(t["columns"], exact=True).select_option(label=t["citizenship"])
    page.get_by_label(t["row1"], exact=True).select_option(label=t["period"])
    page.get_by_label(t["sort"], exact=True).select_option("")
    page.get_by_role("button", name=t["show"]).click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["cols"] == ["CITIZENSHIP"] and query["rows"][0] == "TIME_PERIOD"
    expect(caption).to_contain_text(t["columns_now"])
    expect(page.locator(".report-table thead th").first).to_have_text(t["period"])
    expect(page.locator(".report-table tbody tr")).to_have_count(39)  # 2020-Q2 has no figure: no row
    frozen_while_scrolling(page)
    shot(page, f"31-report-pivot-{lang}-1280")
    pivot_url = page.url

    # the last 8 quarters
    page.get_by_label(t["last"]).fill("8")
    page.get_by_role("button", name=t["show"]).click()
    expect(page.locator(".report-table tbody tr")).to_have_count(8)
    expect(page.locator(".report-table tbody tr").first.locator("th").first).to_have_text("2024-Q1")

    # saved under a name, listed, reopened
    page.get_by_label(t["name"]).fill(f"Last two years {lang}")
    page.get_by_role("button", name=t["save"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["mine"])
    expect(page.get_by_role("status")).to_contain_text(t["saved"])
    page.get_by_role("link", name=f"Last two years {lang}").click()
    expect(page.locator(".report-table tbody tr")).to_have_count(8)
    assert parse_qs(urlsplit(page.url).query)["last"] == ["8"]
    shot(page, f"32-report-saved-{lang}-1280")
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                java_script_enabled=False)
    page = phone.new_page()
    page.set_default_timeout(60_000)
    sign_in(page, base, lang)
    page.goto(pivot_url)
    frozen_while_scrolling(page)
    shot(page, f"33-report-pivot-{lang}-360")
    page.goto(url)
    frozen_while_scrolling(page)
    shot(page, f"34-report-large-{lang}-360")
    phone.close()
