"""Country and system administration in a real browser (Debian's Chromium through Playwright, JavaScript off)
on the README demo under a live gunicorn: a country administrator manages a user, the sharing matrix and an
API token that a program then uses; the system administrator loads a structure message and reads the audit
log. Screenshots are kept in var/test-artefacts/portal/ (fixtures in conftest.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CODELIST = """<?xml version="1.0" encoding="UTF-8"?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
 xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
 xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
<mes:Header><mes:ID>PORTAL_TEST</mes:ID><mes:Test>false</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared>
<mes:Sender id="DSM"/></mes:Header>
<mes:Structures><str:Codelists>
<str:Codelist id="CL_PERMIT_KIND" agencyID="DSM" version="1.0">
<com:Name xml:lang="en">Kind of permit</com:Name><com:Name xml:lang="ru">Вид разрешения</com:Name>
<str:Code id="W"><com:Name xml:lang="en">Work</com:Name></str:Code>
<str:Code id="S"><com:Name xml:lang="en">Study</com:Name></str:Code>
<str:Code id="F"><com:Name xml:lang="en">Family</com:Name></str:Code>
</str:Codelist></str:Codelists></mes:Structures></mes:Structure>
"""


def api(base: str, path: str, token: str) -> tuple[int, object]:
    """A program calling the management API with the token, as the README shows with curl."""
    try:
        with urlopen(Request(base + path, headers={"Authorization": f"Bearer {token}"}), timeout=10) as r:
            return r.status, json.loads(r.read())
    except HTTPError as e:
        return e.code, None


def sign_in_as(page: Page, base: str, username: str) -> None:
    page.goto(base + "/en/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_have_text("You are signed in.")


def test_country_and_system_administration_in_a_browser(live_portal: str, browser: Browser, tmp_path: Path):
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_as(page, live_portal, "kz_country_administrator")

    # a user whose role is limited to one indicator
    main_menu = page.get_by_role("navigation", name="Main menu")
    main_menu.get_by_role("link", name="Administration").click()
    expect(page).to_have_url(live_portal + "/en/admin/users/")
    expect(page.get_by_role("table")).to_contain_text("kz_data_submitter")
    expect(page.get_by_role("table")).not_to_contain_text("kg_")
    shot(page, "admin-01-users-en")
    page.get_by_role("link", name="Create a user").click()
    page.get_by_label("Username").fill("kz_anna")
    page.get_by_label("Full name (shown to others)").fill("Anna Akhmetova")
    page.get_by_label("First password").fill("short")
    submitter = page.get_by_role("group", name="Data submitter")
    submitter.get_by_label("Foreigners leaving the country").check()
    page.get_by_role("button", name="Create the user").click()
    expect(page.locator(".field.has-error")).to_contain_text("A password needs at least 10 characters.")
    expect(page.get_by_label("Username")).to_have_value("kz_anna")  # nothing typed is lost
    expect(submitter.get_by_label("Foreigners leaving the country")).to_be_checked()
    shot(page, "admin-02-new-user-refused-en")
    page.get_by_label("First password").fill("anna-first-password")
    page.get_by_role("button", name="Create the user").click()
    expect(page).to_have_url(live_portal + "/en/admin/users/kz_anna")
    expect(page.get_by_role("status")).to_contain_text("The user is created.")
    expect(page.locator("dl.facts")).to_contain_text("Data submitter: Foreigners leaving the country")
    shot(page, "admin-03-user-created-en")

    # the sharing matrix: Moldova may see the exits, the entries become public
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Sharing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who may see the data of Kazakhstan")
    exits = page.get_by_role("group", name="Foreigners leaving the country")
    entries = page.get_by_role("group", name="Foreigners entering the country")
    expect(entries.get_by_label("Kyrgyzstan", exact=True)).to_be_checked()  # the demo's own sharing
    expect(exits.get_by_label("Moldova", exact=True)).not_to_be_checked()
    exits.get_by_label("Moldova", exact=True).check()
    entries.get_by_label("Public: everyone may see the released figures").check()
    page.get_by_role("button", name="Save the sharing settings").click()
    expect(page.get_by_role("status")).to_have_text("The sharing settings are saved.")
    expect(exits.get_by_label("Moldova", exact=True)).to_be_checked()
    expect(entries.get_by_label("Public: everyone may see the released figures")).to_be_checked()
    expect(exits.get_by_label("Kyrgyzstan", exact=True)).not_to_be_checked()
    shot(page, "admin-04-sharing-saved-en")

    # an API token, used by a program, then revoked
    main_menu.get_by_role("link", name="API tokens").click()
    page.get_by_label("What is it for? (a label you will recognise)").fill("nightly export")
    page.get_by_role("button", name="Create the token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert len(token) > 20
    shot(page, "admin-05-token-created-en")
    status, users = api(live_portal, "/api/users", token)
    assert status == 200
    names = {u["username"] for u in users}
    assert "kz_anna" in names and not any(n.startswith("kg_") for n in names)
    status, sharing = api(live_portal, "/api/providers/KZ/sharing", token)
    exits_sharing = next(s for s in sharing if s["dataflow"].endswith("DF_EXITS(1.0)"))
    entries_sharing = next(s for s in sharing if s["dataflow"].endswith("DF_ENTRIES(1.0)"))
    assert exits_sharing["grantees"] == ["MD"] and entries_sharing["public"] is True
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)  # shown once only
    page.get_by_role("button", name="Revoke").first.click()
    expect(page.get_by_role("status")).to_have_text("The API token is revoked: it no longer works.")
    assert api(live_portal, "/api/users", token)[0] == 401
    shot(page, "admin-06-token-revoked-en")

    # the same administrator on a phone, in Russian: the matrix fits the screen
    phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    phone.add_cookies(context.cookies())
    small = phone.new_page()
    small.goto(live_portal + "/ru/admin/sharing")
    expect(small.get_by_role("heading", level=1)).to_have_text("Доступ к данным: Казахстан")
    overflow = small.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the sharing matrix is {overflow}px wider than a 360px screen"
    shot(small, "admin-07-sharing-ru-phone")
    small.goto(live_portal + "/ru/admin/users/kz_anna")
    assert small.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    shot(small, "admin-08-user-ru-phone")
    phone.close()

    page.get_by_role("button", name="Sign out").click()
    sign_in_as(page, live_portal, "admin")

    # the system administrator loads a codelist and sees what was loaded
    main_menu.get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Structures").click()
    expect(page).to_have_url(live_portal + "/en/system/structures")
    message = tmp_path / "CL_PERMIT_KIND.xml"
    message.write_text(CODELIST, encoding="utf-8")
    page.get_by_label("Structure message (SDMX-ML 2.1 or 3.0, or SDMX-JSON 2.0)").set_input_files(str(message))
    started = time.monotonic()
    page.get_by_role("button", name="Load the structures").click()
    expect(page.get_by_role("region", name="What was loaded")).to_contain_text(
        "Codelist DSM:CL_PERMIT_KIND(1.0): created")
    print(f"structure upload answered in {time.monotonic() - started:.2f} s")
    expect(page.get_by_role("row", name="DSM:CL_PERMIT_KIND(1.0)")).to_contain_text("Kind of permit")
    shot(page, "admin-09-structure-loaded-en")
    with urlopen(live_portal + "/rest/codelist/DSM/CL_PERMIT_KIND/1.0", timeout=10) as r:
        assert b'id="F"' in r.read()  # the REST API serves what the portal loaded

    # and reads the audit log showing the grant
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit log").click()
    grant = page.locator("ol.audit > li").filter(has_text="Access granted: Foreigners leaving the country")
    expect(grant).to_have_count(1)
    expect(grant).to_contain_text("Kazakhstan")
    expect(grant).to_contain_text("by kz_country_administrator")
    expect(grant).to_contain_text("country: Moldova")
    expect(page.locator("ol.audit")).to_contain_text("User created: kz_anna")
    shot(page, "admin-10-audit-en")
    page.get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Журнал аудита")
    expect(page.locator("ol.audit")).to_contain_text("Доступ предоставлен: Выезд иностранцев")
    shot(page, "admin-11-audit-ru")
    context.close()
