"""Sharing seen from both sides in a real browser (Debian's Chromium through Playwright, JavaScript off) on the
README demo under gunicorn: a viewer of Moldova sees Kazakhstan's figures only once Kazakhstan's administrator
ticks Moldova in the sharing matrix, and no longer once the tick is taken away. Screenshots are kept in
var/test-artefacts/portal/ (fixtures in conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

REPORT = "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0"


def signed_in(browser: Browser, base: str, username: str) -> Page:
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(base + "/en/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text("You are signed in.")
    return page


def set_moldova(admin: Page, base: str, shared: bool) -> None:
    admin.goto(base + "/en/admin/sharing")
    stock = admin.get_by_role("group", name="Stock of foreigners")
    stock.get_by_label("Moldova", exact=True).set_checked(shared)
    admin.get_by_role("button", name="Save the sharing settings").click()
    expect(admin.get_by_role("status")).to_have_text("The sharing settings are saved.")
    expect(admin.get_by_role("group", name="Stock of foreigners").get_by_label("Moldova", exact=True)) \
        .to_be_checked(checked=shared)


def test_a_viewer_of_another_country_sees_the_figures_only_after_the_grant(live_portal: str, browser: Browser):
    viewer = signed_in(browser, live_portal, "md_viewer")
    admin = signed_in(browser, live_portal, "kz_country_administrator")

    viewer.goto(live_portal + REPORT)
    countries = viewer.get_by_role("group", name="Countries")
    expect(countries.get_by_label("Moldova")).to_be_visible()
    expect(countries.get_by_label("Kazakhstan")).to_have_count(0)  # not shared with Moldova (yet)
    viewer.goto(live_portal + REPORT + "?country=KZ")  # asking by address shows nothing either
    expect(viewer.get_by_role("table")).to_have_count(0)
    expect(viewer.locator("main")).not_to_contain_text("Kazakhstan")
    shot(viewer, "sharing-01-md-viewer-before-grant")

    set_moldova(admin, live_portal, True)
    shot(admin, "sharing-02-kz-admin-grants-moldova")

    viewer.goto(live_portal + REPORT)
    countries = viewer.get_by_role("group", name="Countries")
    countries.get_by_label("Kazakhstan").check()
    viewer.get_by_role("button", name="Show the report").click()
    table = viewer.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Kazakhstan").first).to_be_visible()
    expect(table.get_by_role("columnheader", name="2025-S2")).to_be_visible()
    shot(viewer, "sharing-03-md-viewer-after-grant")

    set_moldova(admin, live_portal, False)
    viewer.goto(live_portal + REPORT)
    expect(viewer.get_by_role("group", name="Countries").get_by_label("Kazakhstan")).to_have_count(0)
    viewer.context.close()
    admin.context.close()
