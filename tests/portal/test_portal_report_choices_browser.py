"""Issue 19, items 9, 10 and the diff's names, in a real browser (Debian's Chromium through Playwright, JavaScript
off) in both languages, at 1280 and 360 px, screenshots in var/test-artefacts/portal/:

- a report over 250 citizenships: grouped by UN M49 region, a region ticked with one button, the list narrowed
  by the find box (Enter) with the chosen codes kept, "untick all shown";
- a submission's page: the diff names each series in words with its key beside it; the approver picks their
  time zone, schedules an embargo typed in it, and reads it back in that zone with UTC beside it.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import DEMO_PASSWORD, shot
from .test_portal_report_layout_browser import REPORT, big_portal, sign_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TEXTS = {
    "en": {"central": "Central Asia", "tick_region": "Tick the region", "find": "Find in the list",
           "untick_shown": "Untick all shown", "other": "Other codes", "kg": "Kyrgyzstan", "stan": "stan", "more": ["AF", "PK", "SH"], "tick_shown": "Tick all shown", "show": "Show the report",
           "user": "Username", "password": "Password", "sign_in": "Sign in", "citizenship": "Citizenship"},
    "ru": {"central": "Центральная Азия", "tick_region": "Отметить регион", "find": "Найти в списке",
           "untick_shown": "Снять отметки с показанных", "other": "Другие коды", "kg": "Кыргызстан", "stan": "стан", "more": ["AF", "PK"], "tick_shown": "Отметить все показанные",
           "show": "Показать отчёт", "user": "Имя пользователя", "password": "Пароль", "sign_in": "Войти",
           "citizenship": "Гражданство"},
}
CENTRAL_ASIA = ["KG", "KZ", "TJ", "TM", "UZ"]


def _fits(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e =>
        e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map(e =>
        e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen: {wide} ({page.url})"


def _choices(page: Page) -> list[str]:
    return parse_qs(urlsplit(page.url).query).get("CITIZENSHIP", [])


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_long_code_lists_by_region_find_and_tick(big_portal, browser: Browser, lang: str):
    base, _codes = big_portal
    t = TEXTS[lang]
    for width, height in ((1280, 900), (360, 740)):
        context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": height},
                                      is_mobile=width < 400)
        page = context.new_page()
        page.set_default_timeout(60_000)
        sign_in(page, base, lang)
        page.goto(base + REPORT.format(lang=lang) + "?country=KZ&SEX=F&last=4")
        block = page.locator("details.choices", has=page.locator("input[name=filter_CITIZENSHIP]"))
        block.locator("summary").first.click()
        regions = block.locator("details.region > summary")
        assert regions.count() >= 20
        names = [re.sub(r"\s*\(.*$", "", s).strip() for s in regions.all_inner_texts()]
        assert names[-1] == t["other"] and t["central"] in names
        central = block.locator("details.region", has=page.locator("summary", has_text=t["central"]))
        central.locator("summary").click()
        expect(central.get_by_label(t["kg"])).to_be_visible()
        _fits(page)
        shot(page, f"40-report-regions-{lang}-{width}")
        central.get_by_role("button", name=re.compile(t["tick_region"])).click()
        assert sorted(_choices(page)) == CENTRAL_ASIA and "pick" not in page.url
        expect(page.locator(".report-table tbody tr")).to_have_count(5)
        central = page.locator("details.region", has=page.locator("summary", has_text=t["central"]))
        expect(central).to_have_attribute("open", "")  # a region with chosen codes opens by itself

        # the find box, sent with Enter (the form's default button shows the report, it ticks nothing)
        page.get_by_label(t["find"]).first.fill(t["stan"])
        page.get_by_label(t["find"]).first.press("Enter")
        assert parse_qs(urlsplit(page.url).query)["filter_CITIZENSHIP"] == [t["stan"]] and "pick" not in page.url
        assert sorted(_choices(page)) == CENTRAL_ASIA  # the chosen ones stay chosen
        shown = page.locator("input[type=checkbox][name=CITIZENSHIP]")
        expect(shown).to_have_count(5 + len(t["more"]))  # Afghanistan, Pakistan (Tristan da Cunha) and Central Asia
        expect(page.locator(".find-result")).to_be_visible()
        page.get_by_role("button", name=t["tick_shown"], exact=True).click()
        assert sorted(_choices(page)) == sorted(CENTRAL_ASIA + t["more"])
        expect(page.locator(".report-table tbody tr")).to_have_count(5 + len(t["more"]))
        _fits(page)
        shot(page, f"41-report-find-{lang}-{width}")
        page.get_by_role("button", name=t["untick_shown"], exact=True).click()
        assert _choices(page) == []
        assert parse_qs(urlsplit(page.url).query)["filter_CITIZENSHIP"] == [t["stan"]]
        context.close()


def _api(base: str, user: str, method: str, path: str, body: bytes | None = None,
         content_type: str = "application/json") -> bytes:
    auth = base64.b64encode(f"{user}:{DEMO_PASSWORD}".encode()).decode()
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"Authorization": f"Basic {auth}", "Content-Type": content_type,
                                          "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


STOCK = "DSM/DF_STOCK_FOREIGNERS/1.0"


def test_the_diff_in_words_and_an_embargo_in_the_readers_zone(live_portal: str, browser: Browser):
    base = live_portal
    head = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
    body = "\n".join([head, "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,TJ,F,2025-S2,1500,PS,A"]).encode()
    import json
    sid = json.loads(_api(base, "kz_data_submitter", "POST", f"/rest/v2/data/dataflow/{STOCK}", body,
                          "text/csv"))["submission"]
    _api(base, "kz_data_verifier", "POST", f"/api/submissions/{sid}/verify", b"{}")
    day = date.today() + timedelta(days=10)

    for lang, width in (("en", 1280), ("ru", 1280), ("ru", 360), ("en", 360)):
        context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 900},
                                      is_mobile=width < 400)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/{lang}/sign-in")
        page.get_by_label(TEXTS[lang]["user"]).fill("kz_data_approver")
        page.get_by_label(TEXTS[lang]["password"]).fill(DEMO_PASSWORD)
        page.get_by_role("button", name=TEXTS[lang]["sign_in"]).click()
        # the time zone, from the link in the header, back to where one was
        page.goto(f"{base}/{lang}/submissions/{sid}")
        page.locator("a.time-zone").click()
        page.get_by_label({"en": "Your time zone", "ru": "Ваш часовой пояс"}[lang]).select_option("Asia/Almaty")
        page.get_by_role("button", name={"en": "Save the time zone", "ru": "Сохранить часовой пояс"}[lang]).click()
        expect(page).to_have_url(f"{base}/{lang}/submissions/{sid}")
        expect(page.locator("a.time-zone")).to_contain_text({"en": "Almaty (UTC+5)", "ru": "Алматы (UTC+5)"}[lang])
        # the diff: the series in words, the key beside it
        changes = page.locator("table.changes")
        expect(changes).to_contain_text({"en": "Half-yearly, Kazakhstan, Tajikistan, Female",
                                         "ru": "Полугодовая, Казахстан, Таджикистан, Женщины"}[lang])
        expect(changes.locator("code.key")).to_contain_text("S.KZ.TJ.F")
        if (lang, width) == ("en", 1280):
            expect(page.locator("main")).to_contain_text("in your time zone: Almaty (UTC+5)")
            page.get_by_label("Release on (leave empty to release now)").fill(day.isoformat())
            page.get_by_label("at (time)").fill("10:00")
            page.get_by_role("button", name="Release", exact=True).click()
            expect(page.get_by_role("status")).to_contain_text("The release is scheduled")
        facts = page.locator(".facts")
        local = {"en": "10:00\u202fAM (Almaty, UTC+5) — 5:00\u202fAM UTC",
                 "ru": "10:00 (Алматы, UTC+5) — 05:00 UTC"}[lang]
        expect(facts).to_contain_text(local)
        _fits(page)
        shot(page, f"42-submission-diff-embargo-{lang}-{width}")
        page.goto(f"{base}/{lang}/queue/release")
        expect(page.locator("main")).to_contain_text(local)
        context.close()
