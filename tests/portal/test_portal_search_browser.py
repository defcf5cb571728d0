"""Search in a real browser (Debian's Chromium through Playwright, JavaScript off) on the README demo under
gunicorn, in English and in Russian: Kazakhstan's content manager uploads a restricted PDF (Russian text, drawn
with ReportLab) linked to the stock of foreigners and publishes it; a visitor searching from the box in the header
finds nothing, not even a count; a viewer of Kyrgyzstan (the stock is shared with it) finds it; a viewer of Moldova
does not; the owner makes it public and the visitor then finds it by another inflection of a word of the PDF's text.
Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from ..search_files import pdf_with
from .conftest import shot
from .test_portal_documents_browser import STOCK, WORDS, live_library, page_for  # noqa: F401 (fixture)

# each language's run uploads its own document (the two share a live server): its own titles, and a word of
# its own in the PDF, searched for in another inflection than the PDF's
REGION = {"en": ("Атырауской", "атырауская"), "ru": ("Мангистауской", "мангистауская")}
TITLE = {lang: {"en": f"Migration policy concept ({lang} run)", "ru": f"Концепция миграционной политики ({lang})"}
         for lang in REGION}
SEARCH = {"en": {"box": "Search the site", "button": "Search", "none": "0 results for", "one": "1 result for"},
          "ru": {"box": "Поиск по сайту", "button": "Поиск", "none": "0 результатов по запросу",
                 "one": "1 результат по запросу"}}


def search_from_header(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/{lang}/")
    header = page.locator("form.site-search")
    header.get_by_label(SEARCH[lang]["box"]).fill(REGION[lang][1])
    header.get_by_role("button", name=SEARCH[lang]["button"]).click()
    page.wait_for_url("**/search?**")  # the results, not the page the search was made from


def finds(page: Page, base: str, lang: str) -> bool:
    search_from_header(page, base, lang)
    main = page.locator("main")
    found = page.get_by_role("link", name=TITLE[lang][lang]).count() == 1
    expect(main).to_contain_text(SEARCH[lang]["one"] if found else SEARCH[lang]["none"])
    if not found:
        expect(main).not_to_contain_text(TITLE[lang][lang])
    return found


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_restricted_document_is_found_by_search_only_once_shared_or_public(live_library: str, browser: Browser,
                                                                             lang: str, tmp_path):
    base, w = live_library, WORDS[lang]
    pdf = tmp_path / "концепция.pdf"
    pdf.write_bytes(pdf_with(["Концепция миграционной политики",
                              f"Численность трудовых мигрантов в {REGION[lang][0]} области выросла."]))
    manager = page_for(browser, base, lang, "kz_content_manager")
    manager.goto(f"{base}/{lang}/content/documents/new")
    manager.get_by_label(w["file"]).set_input_files(str(pdf))
    manager.get_by_label(w["title_en"]).fill(TITLE[lang]["en"])
    manager.get_by_label(w["title_ru"]).fill(TITLE[lang]["ru"])
    manager.locator(f'input[name="indicators"][value="{STOCK}"]').check()
    manager.get_by_role("button", name=w["add"]).click()
    expect(manager.get_by_role("status")).to_have_text(w["created"])
    doc_url = manager.url
    manager.get_by_role("link", name=w["edit"]).click()
    manager.get_by_role("button", name=w["publish"], exact=True).click()
    expect(manager.get_by_role("status")).to_have_text(w["published"])

    visitor = page_for(browser, base, lang, None)
    assert not finds(visitor, base, lang)
    shot(visitor, f"search-{lang}-01-visitor-finds-nothing")
    kg = page_for(browser, base, lang, "kg_viewer")  # Kazakhstan shares the stock of foreigners with Kyrgyzstan
    assert finds(kg, base, lang)
    shot(kg, f"search-{lang}-02-kg-viewer-finds-it")
    md = page_for(browser, base, lang, "md_viewer")  # Moldova has no grant on it
    assert not finds(md, base, lang)

    manager.goto(doc_url)
    manager.get_by_role("link", name=w["edit"]).click()
    manager.get_by_label(w["public"]).check()
    manager.get_by_role("button", name=w["save"]).click()
    expect(manager.get_by_role("status")).to_have_text(w["saved"])
    assert finds(visitor, base, lang)
    shot(visitor, f"search-{lang}-03-visitor-finds-it-once-public")
    visitor.get_by_role("link", name=TITLE[lang][lang]).click()
    assert visitor.url == doc_url
    for p in (manager, visitor, kg, md):
        p.context.close()
