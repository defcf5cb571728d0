"""The portal in a real browser: Debian's Chromium driven by Playwright against a live gunicorn, with
JavaScript switched off (every flow must work without it). Screenshots of the key pages are kept in
var/test-artefacts/portal/ for people to look at (fixtures in conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_visitor_switches_to_russian_signs_in_and_reads_the_catalogue(live_portal: str, browser: Browser):
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(live_portal + "/")
    expect(page).to_have_url(live_portal + "/en/")
    expect(page).to_have_title("Migration statistics of the participating countries · Data Sharing Mechanism")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Sharing Mechanism")
    shot(page, "01-home-en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    expect(page).to_have_url(live_portal + "/ru/")
    expect(page).to_have_title("Статистика миграции стран-участниц · Механизм обмена данными")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=2, name="Принципы")).to_be_visible()
    shot(page, "02-home-ru")

    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Статистика").click()
    expect(page).to_have_url(live_portal + "/ru/indicators/")
    expect(page.get_by_role("heading", level=2, name="Потоки иностранцев")).to_be_visible()
    shot(page, "03-catalogue-ru")

    page.get_by_role("link", name="Въезд иностранцев").click()
    expect(page).to_have_url(live_portal + "/ru/indicators/DSM/DF_ENTRIES/1.0")
    expect(page.get_by_text("Квартальная")).to_be_visible()
    shot(page, "04-indicator-ru")

    page.get_by_role("link", name="Войти").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Войти")
    page.get_by_label("Имя пользователя").fill("kz_viewer")
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверное имя пользователя или пароль")
    shot(page, "05-sign-in-refused-ru")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()

    expect(page).to_have_url(live_portal + "/ru/indicators/DSM/DF_ENTRIES/1.0")  # back where they were
    account = page.locator(".account")
    expect(account).to_contain_text("Demo viewer (KZ)")
    expect(account).to_contain_text("Казахстан")
    expect(account).to_contain_text("Наблюдатель")
    expect(page.get_by_role("status")).to_have_text("Вы вошли в систему.")
    shot(page, "06-signed-in-indicator-ru")

    page.get_by_role("link", name="English").click()  # the same page, still signed in
    expect(page).to_have_url(live_portal + "/en/indicators/DSM/DF_ENTRIES/1.0")
    expect(page.locator(".account")).to_contain_text("Kazakhstan")
    expect(page.locator(".account")).to_contain_text("Viewer")
    shot(page, "07-signed-in-indicator-en")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_portal + "/en/")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.locator(".account")).not_to_contain_text("Kazakhstan")
    context.close()


def test_pages_fit_a_small_screen(live_portal: str, browser: Browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    for path, name in [("/ru/", "08-home-ru-phone"), ("/ru/indicators/", "09-catalogue-ru-phone"),
                       ("/ru/indicators/DSM/DF_WORK_PERMITS/1.0", "10-indicator-ru-phone"),
                       ("/ru/sign-in", "11-sign-in-ru-phone")]:
        page.goto(live_portal + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a 360px screen"
        shot(page, name)
    context.close()
