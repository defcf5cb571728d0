"""News and a country page in a real browser (Debian's Chromium through Playwright, JavaScript off) on the README
demo under gunicorn: Kyrgyzstan's content manager publishes an event, which a visitor then sees on the Russian home
page; the manager makes the country page public, and the visitor sees it with Kyrgyzstan's public figures only.
Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import shot
from .test_portal_documents_browser import page_for

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_an_event_reaches_the_home_page_and_a_country_page_goes_public(live_portal: str, browser: Browser):
    base = live_portal
    manager = page_for(browser, base, "en", "kg_content_manager")
    manager.get_by_role("navigation", name="Main menu").get_by_role("link", name="Content").click()
    manager.get_by_role("link", name="News and events", exact=True).last.click()
    manager.get_by_role("link", name="Add a news item or an event").click()
    manager.get_by_label("Event", exact=True).check()
    manager.get_by_label("Title in English").fill("Seminar on labour migration data")
    manager.get_by_label("Title in Russian").fill("Семинар по данным о трудовой миграции")
    manager.get_by_label("Event: first day").fill("2027-03-10")
    manager.get_by_label("Event: last day").fill("2027-03-11")
    manager.get_by_label("Event: place in English").fill("Bishkek")
    manager.get_by_label("Event: place in Russian").fill("Бишкек")
    manager.get_by_role("button", name="Save the item").click()
    expect(manager.get_by_role("status")).to_have_text("The item is saved as a draft. Publish it when it is ready.")
    manager.get_by_role("button", name="Publish", exact=True).click()
    expect(manager.get_by_role("status")).to_have_text("The item is published.")

    visitor = page_for(browser, base, "ru", None)
    visitor.goto(base + "/ru/")
    latest = visitor.locator("main")
    expect(latest).to_contain_text("Последние новости и мероприятия")
    expect(latest).to_contain_text("Семинар по данным о трудовой миграции")
    expect(latest).to_contain_text("10 марта 2027 г. – 11 марта 2027 г.")
    shot(visitor, "news-ru-01-home-with-the-event")

    visitor.goto(base + "/ru/countries/KG")
    expect(visitor).to_have_url(base + "/ru/sign-in?next=/ru/countries/KG")  # not public yet

    manager.goto(base + "/en/content/countries/KG")
    manager.get_by_label("About the country's statistics, in English").fill("Kyrgyzstan reports migration "
                                                                             "statistics through the NSC.")
    manager.get_by_label("About the country's statistics, in Russian").fill("Кыргызстан представляет статистику "
                                                                             "миграции через НСК.")
    manager.get_by_label("National institutions and focal points, in Russian").fill(
        "Национальный статистический комитет\nГосударственная миграционная служба")
    manager.get_by_label("Everyone may see this page (signed-in users of participating countries always may)").check()
    manager.get_by_role("button", name="Save the page").click()
    expect(manager.get_by_role("status")).to_have_text("The country page is saved.")
    shot(manager, "country-en-01-kg-page-for-its-manager")

    visitor.goto(base + "/ru/countries/KG")
    main = visitor.locator("main")
    expect(main).to_contain_text("Кыргызстан представляет статистику миграции через НСК.")
    expect(main).to_contain_text("Государственная миграционная служба")
    expect(main).to_contain_text("Опубликованных данных, доступных вам, нет.")  # Kyrgyzstan's figures are not public
    shot(visitor, "country-ru-02-kg-page-for-a-visitor")
    manager.context.close()
    visitor.context.close()
