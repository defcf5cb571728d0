"""Submitting data and the workflow in a real browser (Debian's Chromium through Playwright, JavaScript off) on the
README demo: the submitter downloads the Excel template, fills it in with one mistake, reads the error naming the
sheet and cell, fixes it and sends it again; the verifier confirms; the approver releases; the figures are then
in the REST API. Screenshots of every step are kept in var/test-artefacts/portal/."""

from __future__ import annotations

import base64
import io
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FLOW = "DSM/DF_STOCK_FOREIGNERS/1.0"
KEY = "S.KZ.TJ.F"  # the demo released 2025-S2 for it: the submission revises it


def sign_in(page: Page, base: str, username: str, lang: str = "en") -> None:
    page.goto(f"{base}/{lang}/sign-in")
    page.get_by_label("Username" if lang == "en" else "Имя пользователя").fill(username)
    page.get_by_label("Password" if lang == "en" else "Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in" if lang == "en" else "Войти").click()


def fill(template: Path, value: object) -> bytes:
    """The downloaded template with one figure row (row 3), its value given."""
    wb = load_workbook(template)
    sheet = wb["Data"]
    header = [c.value for c in sheet[1]]
    row = {"FREQ": "S: Half-yearly", "REF_AREA": "KZ", "CITIZENSHIP": "TJ: Tajikistan", "SEX": "F",
           "TIME_PERIOD": "2025-S2", "OBS_VALUE": value, "UNIT_MEASURE": "PS", "OBS_STATUS": "A"}
    for cid, v in row.items():
        sheet.cell(3, header.index(cid) + 1, v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def api_csv(base: str, user: str) -> str:
    req = urllib.request.Request(f"{base}/rest/v2/data/dataflow/{FLOW}/{KEY}?format=csvdata",
                                 headers={"Authorization": "Basic " + base64.b64encode(
                                     f"{user}:{DEMO_PASSWORD}".encode()).decode()})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


def test_submit_with_a_mistake_fix_it_verify_and_release(live_portal: str, browser: Browser, tmp_path: Path):
    base = live_portal
    before = api_csv(base, "kz_viewer")
    assert "2025-S2,1138" in before  # as the demo released it

    context = browser.new_context(locale="en-GB", java_script_enabled=False, accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)

    # the submitter: template, one mistake, the error names the cell, fixed, sent again
    sign_in(page, base, "kz_data_submitter")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Submit data").click()
    expect(page).to_have_url(f"{base}/en/submit/")
    page.get_by_role("link", name="Stock of foreigners").click()
    expect(page).to_have_url(f"{base}/en/submit/{FLOW}")
    shot(page, "sub-01-submit-page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the Excel template").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    assert download.value.suggested_filename == "DF_STOCK_FOREIGNERS-en.xlsx"

    page.get_by_label("File to send").set_input_files(
        {"name": "stock.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "buffer": fill(template, "four thousand")})
    page.get_by_role("button", name="Send the file").click()
    report = page.get_by_role("alert")
    expect(report).to_contain_text("Nothing was stored")
    expect(report).to_contain_text("sheet “Data”, cell F3")
    expect(report).to_contain_text("must be a number, but it contains “four thousand”")
    shot(page, "sub-02-upload-error")

    page.get_by_label("File to send").set_input_files(
        {"name": "stock.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "buffer": fill(template, 4321)})
    page.get_by_role("button", name="Send the file").click()
    expect(page.get_by_role("status")).to_contain_text("the figures passed the checks")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Submission")
    submission_url = page.url
    sid = submission_url.rsplit("/", 1)[1]
    expect(page.locator("table.figures")).to_contain_text("4,321")
    expect(page.get_by_text("waiting for verification").first).to_be_visible()
    shot(page, "sub-03-submitted")
    page.get_by_role("button", name="Sign out").click()

    # the verifier (in Russian): the queue, the figures, confirm
    sign_in(page, base, "kz_data_verifier", "ru")
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="На проверку").click()
    expect(page).to_have_url(f"{base}/ru/queue/verify")
    shot(page, "sub-04-verify-queue-ru")
    page.get_by_role("link", name=sid, exact=True).click()
    expect(page.locator("table.figures")).to_contain_text("4\u00a0321")
    expect(page.locator("figure.chart svg")).to_be_visible()
    # what it changes, above the forms: the released 1 138 revised to 4 321 (issue 19)
    expect(page.locator(".changes-summary")).to_have_text(
        "новых: 0, пересмотренных: 1, без изменений: 0, удаляемых: 0")
    expect(page.locator("table.changes")).to_contain_text("≠ Пересмотрено")
    expect(page.locator("table.changes")).to_contain_text("1\u00a0138")
    expect(page.locator("table.changes")).to_contain_text("3\u00a0183")
    expect(page.locator("table.changes")).to_contain_text("279,7%")
    shot(page, "sub-05-verify-submission-ru")
    page.get_by_label("Комментарий (необязательно)").fill("Сверено с регистром")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("status")).to_contain_text("Представление подтверждено")
    shot(page, "sub-06-verified-ru")
    page.get_by_role("button", name="Выйти").click()

    # the approver: release now; the figures are then in the API, and the revision is noticed
    sign_in(page, base, "kz_data_approver")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="To release").click()
    page.get_by_role("link", name=sid, exact=True).click()
    expect(page.locator(".changes-summary")).to_have_text("0 new, 1 revised, 0 unchanged, 0 deleted")
    shot(page, "sub-07-release-form")
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status")).to_contain_text("The figures are released")
    expect(page.locator(".facts")).to_contain_text("released")
    shot(page, "sub-08-released")

    after = api_csv(base, "kz_viewer")
    assert "2025-S2,4321" in after and "2025-S2,1138" not in after, after

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Revisions").click()
    expect(page.locator("main")).to_contain_text("Stock of foreigners · Kazakhstan")
    expect(page.locator("main")).to_contain_text("4,321")
    shot(page, "sub-09-revision-notice")
    context.close()


def test_entry_and_queue_pages_fit_a_small_screen(live_portal: str, browser: Browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_portal, "kz_country_administrator", "ru")
    for path, name in [(f"/ru/submit/{FLOW}", "sub-10-submit-ru-phone"),
                       (f"/ru/submit/{FLOW}/entry", "sub-11-entry-ru-phone"),
                       ("/ru/submissions/", "sub-12-submissions-ru-phone"),
                       ("/ru/queue/verify", "sub-13-verify-queue-ru-phone"),
                       ("/ru/submissions/4", "sub-14-submission-ru-phone")]:
        page.goto(live_portal + path)
        assert page.title() and "404" not in page.title()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360px screen"
        shot(page, name)
    context.close()
