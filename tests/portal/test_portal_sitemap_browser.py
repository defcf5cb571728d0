"""The site map in a real browser (Debian's Chromium through Playwright) on the README demo under gunicorn: a
visitor reaches it from the footer of the Russian home page, sees its sections, and follows a link from it.
Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import shot
from .test_portal_documents_browser import page_for

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_visitor_finds_the_site_map_in_the_footer_and_follows_it(live_portal: str, browser: Browser):
    visitor = page_for(browser, live_portal, "ru", None)
    visitor.goto(live_portal + "/ru/")
    visitor.locator("footer").get_by_role("link", name="Карта сайта").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Карта сайта")
    main = visitor.locator("main")
    expect(main).to_contain_text("Все страницы портала, открытые для всех без входа в систему.")
    for heading in ("Портал", "Показатели"):
        expect(main.get_by_role("heading", level=2, name=heading)).to_be_visible()
    shot(visitor, "sitemap-ru")
    main.get_by_role("link", name="Новости и мероприятия").first.click()
    assert visitor.url == live_portal + "/ru/news/"
    visitor.goto(live_portal + "/en/sitemap")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Site map")
    shot(visitor, "sitemap-en")
