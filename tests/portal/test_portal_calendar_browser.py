"""The release calendar in a real browser (Debian's Chromium through Playwright, JavaScript off) on the README
demo under gunicorn, in both languages: Kazakhstan's content manager announces a release in English; the
verifier confirms submission 4 and the approver, in Russian, schedules its release and announces it; a visitor
sees both in the Russian calendar (dates in Russian, UTC said), and the English feed parses back as iCalendar.
Screenshots in var/test-artefacts/portal/."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import icalendar
from babel.dates import format_date
import pytest
from playwright.sync_api import Browser, expect

from .conftest import shot
from .test_portal_documents_browser import page_for

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DAY = date.today() + timedelta(days=60)


def test_a_release_announced_by_hand_and_one_scheduled_on_its_submission(live_portal: str, browser: Browser):
    base = live_portal
    manager = page_for(browser, base, "en", "kz_content_manager")
    manager.get_by_role("navigation", name="Main menu").get_by_role("link", name="Release calendar").click()
    manager.get_by_role("link", name="Announce a release").click()
    manager.get_by_label("Indicator").select_option(label="Foreigners entering the country")
    manager.get_by_label("Periods covered").fill("2026-Q2 <b>")
    manager.get_by_label("Release date").fill(DAY.isoformat())
    manager.get_by_label("Release time (UTC)").fill("07:00")
    manager.get_by_role("button", name="Announce", exact=True).click()
    expect(manager.get_by_role("status")).to_have_text("The release is announced in the release calendar.")
    expect(manager.locator("main table")).to_contain_text("2026-Q2 <b>")  # shown as written, not as markup
    shot(manager, "calendar-en-01-announced-by-the-content-manager")

    verifier = page_for(browser, base, "en", "kz_data_verifier")
    verifier.goto(f"{base}/en/submissions/4")
    verifier.get_by_role("button", name="Confirm").click()
    approver = page_for(browser, base, "ru", "kz_data_approver")
    approver.goto(f"{base}/ru/submissions/4")
    approver.get_by_label("Дата публикации (оставьте пустой, чтобы опубликовать сейчас)").fill(DAY.isoformat())
    approver.get_by_label("время", exact=True).fill("09:30")
    approver.get_by_label("Объявить в календаре публикаций").check()
    expect(approver.get_by_label("Охватываемые периоды, для календаря")).to_have_value("2026-S1")
    approver.get_by_role("button", name="Опубликовать", exact=True).click()
    expect(approver.get_by_role("status")).to_have_text(
        "Публикация запланирована: данные будут опубликованы в выбранное вами время.")

    visitor = page_for(browser, base, "ru", None)
    visitor.goto(f"{base}/ru/")
    visitor.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Календарь публикаций").click()
    upcoming = visitor.locator("main table").first
    expect(upcoming).to_contain_text("Въезд иностранцев")
    expect(upcoming).to_contain_text("Численность иностранцев")
    expect(upcoming).to_contain_text("2026-S1")
    expect(upcoming).to_contain_text("запланирована")
    expect(upcoming).to_contain_text("объявлена")
    when = datetime.combine(DAY, time(9, 30), timezone.utc)
    # in the page's locale and the reader's zone (UTC for a visitor who chose none): "5 февр. 2027 г., 09:30 UTC"
    expect(upcoming).to_contain_text(f"{format_date(when.date(), 'medium', locale='ru')}, 09:30 UTC")
    shot(visitor, "calendar-ru-02-the-visitors-calendar")
    visitor.get_by_label("Показатель").select_option(label="Численность иностранцев")
    visitor.get_by_role("button", name="Показать").click()
    expect(visitor.locator("main table").first).not_to_contain_text("Въезд иностранцев")

    english = page_for(browser, base, "en", None)
    english.goto(f"{base}/en/calendar")
    expect(english.locator("main table").first).to_contain_text("scheduled")
    shot(english, "calendar-en-03-the-visitors-calendar")
    feed = english.request.get(base + english.get_by_role("link", name="Add to your calendar (iCalendar)")
                               .get_attribute("href"))
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    summaries = sorted(str(e["summary"]) for e in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT"))
    assert summaries == ["Release: Foreigners entering the country, Kazakhstan, 2026-Q2 <b>",
                         "Release: Stock of foreigners, Kazakhstan, 2026-S1"]
    for page in (manager, verifier, approver, visitor, english):
        page.context.close()
