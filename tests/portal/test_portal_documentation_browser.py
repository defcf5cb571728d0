"""The data documentation in a real browser: Debian's Chromium driven by Playwright against the README demo
(`sdmx-server init`) under gunicorn, JavaScript off. A visitor reads Moldova's public documentation in English
and Russian; a viewer of Kazakhstan compares the countries' documentation, reads the panel beside a report and
saves the Russian PDF, whose "Notes on the data" are checked as text (pdftotext). Screenshots are kept in
var/test-artefacts/portal/."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import Browser, expect

from .conftest import ARTEFACTS, DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
INDICATOR = "/{lang}/indicators/DSM/DF_STOCK_FOREIGNERS/1.0"


def test_a_visitor_reads_public_documentation_in_english_and_russian(live_portal: str, browser: Browser):
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(live_portal + INDICATOR.format(lang="en"))
    expect(page.get_by_role("heading", name="Data documentation")).to_be_visible()
    panels = page.locator("details.doc-panel")
    expect(panels).to_have_count(1)  # Moldova made its documentation public; the others' needs signing in
    moldova = panels.first
    expect(moldova.locator("summary")).to_have_text("Moldova (2 answers differ from the regional definition)")
    moldova.locator("summary").click()
    expect(moldova.get_by_text("stateless persons are counted apart")).to_be_visible()
    expect(moldova.get_by_text("≠ differs from the regional definition")).to_have_count(2)
    expect(moldova.get_by_text("First day of the period")).to_be_visible()
    shot(page, "40-documentation-en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", name="Документация данных")).to_be_visible()
    moldova = page.locator("details.doc-panel").first
    expect(moldova.locator("summary")).to_contain_text("Молдова (2 ответа отличаются от регионального определения)")
    moldova.locator("summary").click()
    expect(moldova.get_by_text("Национальное определение иностранца")).to_be_visible()
    expect(moldova.get_by_text("лица без гражданства учитываются отдельно")).to_be_visible()
    source = moldova.locator(".doc-value", has_text="Register of foreigners")
    expect(source).to_contain_text("(по-английски: перевода пока нет)")  # no Russian text: English, marked
    expect(source.locator('[lang="en"]')).to_have_count(1)
    shot(page, "41-documentation-ru")
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    page.goto(live_portal + INDICATOR.format(lang="ru") + "/documentation")
    expect(page.get_by_role("table").get_by_role("columnheader")).to_have_text(["Вопрос", "Региональное определение",
                                                                               "Молдова"])
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the comparison is {overflow}px wider than a 360px screen"
    shot(page, "46-documentation-compare-ru-phone")
    phone.close()


def test_a_viewer_compares_reads_a_report_panel_and_saves_the_russian_pdf(live_portal: str, browser: Browser,
                                                                           tmp_path):
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(live_portal + "/en/sign-in?next=" + INDICATOR.format(lang="en"))
    page.get_by_label("Username").fill("kz_viewer")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("details.doc-panel summary .doc-country")).to_have_text(["Kazakhstan", "Kyrgyzstan",
                                                                                 "Moldova"])
    page.get_by_role("link", name="Compare the countries' documentation side by side").click()
    table = page.get_by_role("table", name="The countries' answers, question by question")
    expect(table.get_by_role("columnheader")).to_have_text(["Question", "Regional definition", "Kazakhstan",
                                                            "Kyrgyzstan", "Moldova"])
    counting = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Counted as persons or cases"))
    expect(counting.get_by_role("cell")).to_have_text(["Persons", "Persons",
                                                       "Cases ≠ differs from the regional definition", "Persons"])
    expect(table.locator("td.differs")).to_have_count(3)
    expect(page.get_by_text("Kyrgyzstan: 1 answer differs from the regional definition")).to_be_visible()
    shot(page, "42-documentation-compare-en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    table = page.get_by_role("table", name="Ответы стран по каждому вопросу")
    expect(table.get_by_role("columnheader")).to_have_text(["Вопрос", "Региональное определение", "Казахстан",
                                                            "Кыргызстан", "Молдова"])
    expect(table.get_by_text("≠ отличается от регионального определения")).to_have_count(3)
    shot(page, "43-documentation-compare-ru")

    page.goto(live_portal + "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0?country=KZ&country=KG&SEX=F")
    panel = page.get_by_role("region", name="How the countries make these figures")
    expect(panel.locator("summary .doc-country")).to_have_text(["Kazakhstan", "Kyrgyzstan"])  # the report's
    panel.locator("summary", has_text="Kyrgyzstan").click()
    expect(panel.get_by_text("Law on external migration")).to_be_visible()
    shot(page, "44-report-documentation-en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    expect(page.get_by_role("region", name="Как страны составляют эти данные")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF").click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    notes = text.split("Примечания к данным", 1)[1]
    assert "Казахстан" in notes and "Кыргызстан" in notes and "Молдова" not in notes
    assert "Закон о внешней миграции" in notes and "Случаи ≠ отличается от регионального определения" in notes
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f for f in fonts), fonts  # every font embedded
    ARTEFACTS.mkdir(parents=True, exist_ok=True)  # its pages as pictures, to look at
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTEFACTS / "45-report-pdf-ru")], check=True)
    context.close()
