"""Issue 19, item 13 in Debian's Chromium (JavaScript off) on the README demo: the verifier returns submission 4,
its submitter finds the figures kept and the way to correct them (in Russian), and the entry grid keeps what was
typed when more lines are asked for (in English). Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _sign_in(page: Page, base: str, user: str, lang: str) -> None:
    page.goto(f"{base}/{lang}/sign-in")
    page.get_by_label("Username" if lang == "en" else "Имя пользователя").fill(user)
    page.get_by_label("Password" if lang == "en" else "Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in" if lang == "en" else "Войти").click()


def test_a_returned_submission_is_there_to_correct_and_more_lines_keep_the_figures(live_portal: str,
                                                                                 browser: Browser):
    verifier = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = verifier.new_page()
    page.set_default_timeout(20_000)
    _sign_in(page, live_portal, "kz_data_verifier", "en")
    page.goto(f"{live_portal}/en/submissions/4")
    page.locator('[name="return-comment"]').fill("Tajikistan, women: please check 2026-S1")
    page.get_by_role("button", name="Return", exact=True).click()
    shot(page, "returned-by-verifier-en")
    expect(page.locator("dl.facts .state")).to_have_text("returned to the submitter")
    verifier.close()

    submitter = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                    accept_downloads=True)
    page = submitter.new_page()
    page.set_default_timeout(20_000)
    _sign_in(page, live_portal, "kz_data_submitter", "ru")
    page.goto(f"{live_portal}/ru/submissions/4")
    expect(page.get_by_role("heading", name="Исправить и отправить снова")).to_be_visible()
    expect(page.locator("table.figures")).to_contain_text("2026-S1")
    expect(page.locator(".history")).to_contain_text("Tajikistan, women: please check 2026-S1")
    shot(page, "returned-submission-ru")
    with page.expect_download() as got:
        page.get_by_role("link", name="Скачать отправленные данные").click()
    sent = got.value
    assert sent.suggested_filename == "submission-4.csv"
    assert "DSM:DF_STOCK_FOREIGNERS(1.0)" in open(sent.path(), encoding="utf-8").read()
    page.get_by_role("link", name="Отправить исправленные данные").click()
    expect(page).to_have_url(f"{live_portal}/ru/submit/DSM/DF_STOCK_FOREIGNERS/1.0")

    page.goto(f"{live_portal}/en/submit/DSM/DF_STOCK_FOREIGNERS/1.0/entry")
    citizenship = page.get_by_label("Citizenship, line 1", exact=True)
    options = citizenship.locator("option").all_inner_texts()[1:]
    assert options[:3] == ["Afghanistan", "Åland Islands", "Albania"] or options == sorted(options, key=str.casefold)
    page.get_by_label("Period").fill("2026-S2")
    citizenship.select_option("TJ")
    page.locator('input[name="v_0_0"]').fill("1 234")
    lines = page.locator('select[name$="_CITIZENSHIP"]').count()
    page.get_by_role("button", name="More lines").click()
    expect(page.locator('select[name$="_CITIZENSHIP"]')).to_have_count(lines + 6)
    expect(page.get_by_label("Period")).to_have_value("2026-S2")
    expect(page.get_by_label("Citizenship, line 1", exact=True)).to_have_value("TJ")
    expect(page.locator('input[name="v_0_0"]')).to_have_value("1 234")
    shot(page, "entry-more-lines-en")
    submitter.close()
