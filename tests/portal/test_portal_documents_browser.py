"""The documents library in a real browser (Debian's Chromium through Playwright, JavaScript off) on the README
demo under gunicorn, in English and in Russian: Kazakhstan's content manager uploads a restricted document linked
to the stock of foreigners (shared with Kyrgyzstan) and publishes it; a visitor finds it neither in the listing nor
by its address; a viewer of Kyrgyzstan does, and downloads the file; a viewer of Moldova (no grant) does not; the
owner makes it public and the visitor then finds it. Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from ..content_files import MINIMAL_PDF
from ..live_server import gunicorn, cli
from .conftest import DEMO_PASSWORD, shot

STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
WORDS = {  # what the pages say, per language
    "en": {"username": "Username", "password": "Password", "sign_in": "Sign in", "signed_in": "You are signed in.",
           "file": "File (PDF, DOCX, XLSX or ODT)", "title_en": "Title in English", "title_ru": "Title in Russian",
           "add": "Add the document", "created": "The document is saved as a draft. Publish it when it is ready.",
           "edit": "Edit, publish or withdraw this document", "publish": "Publish",
           "published": "The document is published.", "public": "Everyone (public)", "save": "Save the document",
           "saved": "The document is saved.", "missing": "There is no page at this address.",
           "download": "Download"},
    "ru": {"username": "Имя пользователя", "password": "Пароль", "sign_in": "Войти", "signed_in": "Вы вошли в систему.",
           "file": "Файл (PDF, DOCX, XLSX или ODT)", "title_en": "Заголовок на английском",
           "title_ru": "Заголовок на русском", "add": "Добавить документ",
           "created": "Документ сохранён как черновик. Опубликуйте его, когда он будет готов.",
           "edit": "Изменить, опубликовать или отозвать этот документ", "publish": "Опубликовать",
           "published": "Документ опубликован.", "public": "Все (открытый доступ)", "save": "Сохранить документ",
           "saved": "Документ сохранён.", "missing": "По этому адресу страницы нет.", "download": "Скачать"},
}
TITLES = {"en": "Migration policy concept 2026", "ru": "Концепция миграционной политики 2026"}


@pytest.fixture
def live_library(database_url, tmp_path):
    """The README demo under gunicorn, its documents in a folder of this test."""
    done = cli(database_url, "init")
    assert done.returncode == 0, done.stderr + done.stdout
    with gunicorn(database_url, document_dir=tmp_path / "documents") as base:
        yield base


def page_for(browser: Browser, base: str, lang: str, username: str | None) -> Page:
    context = browser.new_context(locale="ru-RU" if lang == "ru" else "en-GB", java_script_enabled=False,
                                  viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    if username:
        w = WORDS[lang]
        page.goto(f"{base}/{lang}/sign-in")
        page.get_by_label(w["username"]).fill(username)
        page.get_by_label(w["password"]).fill(DEMO_PASSWORD)
        page.get_by_role("button", name=w["sign_in"]).click()
        expect(page.get_by_role("status")).to_have_text(w["signed_in"])
    return page


def finds(page: Page, base: str, lang: str, doc_url: str) -> bool:
    """Whether the listing shows the document, checked against its address (the two must agree)."""
    page.goto(f"{base}/{lang}/documents/")
    listed = page.get_by_role("link", name=TITLES[lang]).count() == 1
    direct = page.goto(doc_url)
    assert (direct.status == 200) == listed, (listed, direct.status)
    if not listed:
        expect(page.locator("main")).to_contain_text(WORDS[lang]["missing"])
        expect(page.locator("main")).not_to_contain_text(TITLES[lang])
    return listed


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_restricted_document_reaches_only_those_the_owner_shares_with(live_library: str, browser: Browser,
                                                                       lang: str, tmp_path):
    base, w = live_library, WORDS[lang]
    pdf = tmp_path / "концепция.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    manager = page_for(browser, base, lang, "kz_content_manager")
    manager.goto(f"{base}/{lang}/content/documents/new")
    manager.get_by_label(w["file"]).set_input_files(str(pdf))
    manager.get_by_label(w["title_en"]).fill(TITLES["en"])
    manager.get_by_label(w["title_ru"]).fill(TITLES["ru"])
    manager.locator(f'input[name="indicators"][value="{STOCK}"]').check()
    shot(manager, f"documents-{lang}-01-upload-form")
    manager.get_by_role("button", name=w["add"]).click()
    expect(manager.get_by_role("status")).to_have_text(w["created"])
    doc_url = manager.url
    manager.get_by_role("link", name=w["edit"]).click()
    manager.get_by_role("button", name=w["publish"], exact=True).click()
    expect(manager.get_by_role("status")).to_have_text(w["published"])
    shot(manager, f"documents-{lang}-02-published")

    visitor = page_for(browser, base, lang, None)
    assert not finds(visitor, base, lang, doc_url)
    shot(visitor, f"documents-{lang}-03-visitor-finds-nothing")
    assert visitor.request.get(doc_url + "/file").status == 404

    kg = page_for(browser, base, lang, "kg_viewer")  # Kazakhstan shares the stock of foreigners with Kyrgyzstan
    assert finds(kg, base, lang, doc_url)
    shot(kg, f"documents-{lang}-04-kg-viewer-sees-it")
    with kg.expect_download() as got:
        kg.get_by_role("link", name=w["download"]).click()
    download = got.value
    assert download.suggested_filename == "концепция.pdf"
    assert open(download.path(), "rb").read() == MINIMAL_PDF

    md = page_for(browser, base, lang, "md_viewer")  # Moldova has no grant on it
    assert not finds(md, base, lang, doc_url)

    manager.goto(doc_url)
    manager.get_by_role("link", name=w["edit"]).click()
    manager.get_by_label(w["public"]).check()
    manager.get_by_role("button", name=w["save"]).click()
    expect(manager.get_by_role("status")).to_have_text(w["saved"])
    assert finds(visitor, base, lang, doc_url)
    expect(visitor.locator("main")).to_contain_text(TITLES[lang])
    shot(visitor, f"documents-{lang}-05-visitor-sees-it-once-public")
    for p in (manager, visitor, kg, md):
        p.context.close()
