"""Reports in a real browser: Debian's Chromium driven by Playwright against the README demo under gunicorn,
JavaScript off. A viewer of Kazakhstan chooses a report, switches language with the selection kept, saves
the PDF (checked with pdftotext: the Russian indicator name is in it) and reads it on a phone. Screenshots
are kept in var/test-artefacts/portal/."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import Browser, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_viewer_builds_a_report_switches_language_and_saves_the_pdf(live_portal: str, browser: Browser,
                                                                        tmp_path):
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)

    page.goto(live_portal + "/en/reports/")
    expect(page.get_by_text("You see the figures that countries have made public")).to_be_visible()
    expect(page.get_by_role("link", name="Stock of foreigners")).to_have_count(0)  # nothing public there

    page.goto(live_portal + "/en/sign-in?next=/en/reports/")
    page.get_by_label("Username").fill("kz_viewer")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_portal + "/en/reports/")
    page.get_by_role("link", name="Stock of foreigners").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stock of foreigners")

    # Moldova has not shared its figures with Kazakhstan: it is not offered
    countries = page.get_by_role("group", name="Countries")
    expect(countries.get_by_label("Kazakhstan")).to_be_visible()
    expect(countries.get_by_label("Kyrgyzstan")).to_be_visible()
    expect(countries.get_by_label("Moldova")).to_have_count(0)
    countries.get_by_label("Kazakhstan").check()
    countries.get_by_label("Kyrgyzstan").check()
    page.locator("summary", has_text="Sex").click()  # opens the breakdown (a <details>, no script)
    page.get_by_label("Female").check()
    page.get_by_label("From", exact=True).select_option("2024-S2")
    page.get_by_label("To", exact=True).select_option("2025-S2")
    page.get_by_role("button", name="Show the report").click()
    expect(page).to_have_url(live_portal + "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0?country=KZ&country=KG&SEX=F"
                             "&start=2024-S2&end=2025-S2&last=&cols=TIME_PERIOD&rows=REF_AREA&rows=CITIZENSHIP"
                             "&rows=SEX&sort=")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="2024-S2")).to_be_visible()
    expect(table.get_by_role("columnheader", name="2024-S1")).to_have_count(0)
    expect(table.get_by_role("row")).to_have_count(1 + 2 * 4)  # 2 countries × 4 citizenships
    expect(page.get_by_role("img", name="Stock of foreigners")).to_be_visible()  # the chart
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    shot(page, "20-report-en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Численность иностранцев")
    expect(page.get_by_role("group", name="Страны").get_by_label("Казахстан")).to_be_checked()
    expect(page.get_by_label("По", exact=True)).to_have_value("2025-S2")
    expect(page.get_by_role("table").get_by_role("rowheader", name="Женщины").first).to_be_visible()
    shot(page, "21-report-ru")

    with page.expect_download() as info:
        page.get_by_role("link", name="PDF").click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Численность иностранцев" in text and "Казахстан" in text and "2025-S2" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f for f in fonts), fonts  # every font embedded
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = phone.new_page()
    page.goto(live_portal + "/ru/sign-in")
    page.get_by_label("Имя пользователя").fill("kz_viewer")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.goto(live_portal + "/ru/reports/DSM/DF_STOCK_FOREIGNERS/1.0?country=KZ&SEX=M")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the report is {overflow}px wider than a 360px screen"
    shot(page, "22-report-ru-phone")
    phone.close()
