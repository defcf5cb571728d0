"""Documenting an indicator in a real browser (Debian's Chromium through Playwright, JavaScript off) on the README
demo, in English and Russian: the content manager edits Kazakhstan's released documentation of the stock of
foreigners (the form starts from it), makes two mistakes, reads them next to their fields, fixes them and sends
it; the verifier (in Russian) finds it in the queue, sees what changed and confirms it; the approver releases it;
the new version is then what the REST API serves. Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

import base64
import urllib.request

import pytest
from lxml import etree
from playwright.sync_api import Browser, Page, expect

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FLOW = "DSM/DF_STOCK_FOREIGNERS/1.0"


def sign_in(page: Page, base: str, username: str, lang: str = "en") -> None:
    page.goto(f"{base}/{lang}/sign-in")
    page.get_by_label("Username" if lang == "en" else "Имя пользователя").fill(username)
    page.get_by_label("Password" if lang == "en" else "Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in" if lang == "en" else "Войти").click()


def released_definition(base: str) -> tuple[str, list[str]]:
    req = urllib.request.Request(f"{base}/rest/v2/metadata/metadataset/KZ/DOC_DF_STOCK_FOREIGNERS/~",
                                 headers={"Authorization": "Basic " + base64.b64encode(
                                     f"kz_viewer:{DEMO_PASSWORD}".encode()).decode()})
    with urllib.request.urlopen(req, timeout=30) as r:
        root = etree.fromstring(r.read())
    ns = {"md": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/metadata/generic",
          "com": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"}
    version = root.xpath("//*[local-name()='MetadataSet']/@version")[0]
    return version, root.xpath("//md:Attribute[@id='DEF_FOREIGNER']/com:Text[@xml:lang='en']/text()", namespaces=ns)


def test_edit_with_mistakes_fix_verify_in_russian_and_release(live_portal: str, browser: Browser):
    base = live_portal
    assert released_definition(base)[0] == "1.0"
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)

    # the content manager: the form starts from the released demo documentation
    sign_in(page, base, "kz_content_manager")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Documentation").click()
    expect(page).to_have_url(f"{base}/en/documentation/")
    page.get_by_role("link", name="Stock of foreigners").click()
    expect(page).to_have_url(f"{base}/en/documentation/{FLOW}")
    expect(page.locator("main")).to_contain_text("starts from version 1 of this documentation (released)")
    foreigner = page.locator("#t-DEF_FOREIGNER-0-en")
    expect(foreigner).to_have_value("A person who is not a citizen of the country, including stateless persons.")
    expect(page.get_by_role("checkbox", name="Population register")).to_be_checked()
    shot(page, "doc-01-form-prefilled")

    foreigner.fill("A person who is not a citizen of the country; stateless persons are counted apart.")
    page.get_by_role("checkbox", name="Border statistics").check()
    page.locator("#t-FOCAL_POINT-0-en").fill("")
    page.locator("#t-FOCAL_POINT-0-ru").fill("")
    page.locator("#v-AS_OF_DATE").fill("30/06/2026")
    page.get_by_role("button", name="Send the documentation").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was stored")
    expect(page.locator("#q-FOCAL_POINT-error")).to_have_text("National focal point: this question must be answered.")
    expect(page.locator("#q-AS_OF_DATE-error")).to_contain_text("write the date as YYYY-MM-DD")
    expect(foreigner).to_have_value("A person who is not a citizen of the country; stateless persons are counted apart.")
    page.locator("#q-AS_OF_DATE").scroll_into_view_if_needed()
    shot(page, "doc-02-form-errors")

    page.locator("#t-FOCAL_POINT-0-en").fill("National statistical office of Kazakhstan")
    page.locator("#v-AS_OF_DATE").fill("2026-06-30")
    page.get_by_role("button", name="Send the documentation").click()
    expect(page.get_by_role("status")).to_contain_text("the documentation passed the checks")
    expect(page.locator(".facts")).to_contain_text("waiting for verification")
    doc_id = page.url.rsplit("/", 1)[1]
    shot(page, "doc-03-sent")
    page.get_by_role("button", name="Sign out").click()

    # the verifier, in Russian: the queue, what changed, confirm
    sign_in(page, base, "kz_data_verifier", "ru")
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="На проверку").click()
    expect(page.locator("main")).to_contain_text("Документация для проверки")
    shot(page, "doc-04-verify-queue-ru")
    page.locator("table.documentation").get_by_role("link", name=doc_id, exact=True).click()
    changes = page.locator("table.changes")
    expect(changes).to_contain_text("Национальное определение иностранца")
    expect(changes).to_contain_text("stateless persons are counted apart")
    expect(changes).to_contain_text("Пограничная статистика (BORDER)")
    expect(changes).not_to_contain_text("Единица учёта")  # unchanged answers are not listed as changes
    shot(page, "doc-05-changes-ru")
    page.get_by_label("Комментарий (необязательно)").fill("Сверено с законом")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("status")).to_contain_text("Документация подтверждена")
    shot(page, "doc-06-verified-ru")
    page.get_by_role("button", name="Выйти").click()

    # the approver: release; the REST API then serves version 2
    sign_in(page, base, "kz_data_approver")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="To release").click()
    page.locator("table.documentation").get_by_role("link", name=doc_id, exact=True).click()
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status")).to_contain_text("The documentation is released")
    expect(page.locator("ol.history")).to_contain_text("kz_data_verifier")
    shot(page, "doc-07-released")
    context.close()
    version, text = released_definition(base)
    assert version == "2.0" and text == ["A person who is not a citizen of the country; stateless persons are counted "
                                         "apart."]
