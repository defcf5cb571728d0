"""Embargo and release times in the reader's time zone with UTC beside them (issue 19, item 10), through the
Flask test client on a real database (both engines): the time-zone page and its cookie, the embargo typed in
that zone and stored in UTC, the submission page, the queue and the revision notices showing both times."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from html import unescape

import pytest

from sdmx_server.web_portal.time_zones import TZ_COOKIE, chosen_zone, to_utc, zone_names, zoned_parts

from .conftest import csrf_token, sign_in
from .test_portal_pages import text_of
from .test_portal_workflow import act, csv_of, state, submit

MOMENT = datetime(2026, 12, 15, 5, 0, tzinfo=timezone.utc)


def test_a_moment_in_a_zone_and_in_utc_in_both_languages():
    assert zoned_parts(MOMENT, "Asia/Almaty", "en") == {
        "local": "Dec 15, 2026, 10:00\u202fAM", "place": "Almaty", "offset": "UTC+5", "utc": "5:00\u202fAM"}
    ru = zoned_parts(MOMENT, "Asia/Almaty", "ru")
    assert ru == {"local": "15 дек. 2026\u202fг., 10:00", "place": "Алматы", "offset": "UTC+5", "utc": "05:00"}
    # the date is said again when UTC is on another day; half hours; west of Greenwich
    late = zoned_parts(datetime(2026, 12, 15, 20, 0, tzinfo=timezone.utc), "Asia/Kolkata", "en")
    assert late["offset"] == "UTC+5:30" and late["local"].startswith("Dec 16, 2026") and late["utc"].startswith(
        "Dec 15, 2026")
    assert zoned_parts(MOMENT, "America/New_York", "en")["offset"] == "UTC−5"
    assert zoned_parts(MOMENT, "UTC", "ru") == {"utc": "15 дек. 2026\u202fг., 05:00"}
    assert zoned_parts(MOMENT.replace(tzinfo=None), "UTC", "en") == {"utc": "Dec 15, 2026, 5:00\u202fAM"}


def test_what_someone_types_in_their_zone_is_kept_in_utc():
    assert to_utc(date(2026, 12, 15), time(10, 0), "Asia/Almaty") == MOMENT
    assert to_utc(date(2026, 7, 1), None, "Europe/Moscow") == datetime(2026, 6, 30, 21, 0, tzinfo=timezone.utc)
    assert to_utc(date(2026, 12, 15), time(5, 0), "UTC") == MOMENT


def test_only_known_zones_count():
    assert "Asia/Almaty" in zone_names() and "UTC" in zone_names() and "US/Eastern" not in zone_names()
    assert chosen_zone("Asia/Tashkent", "UTC") == "Asia/Tashkent"
    assert chosen_zone("../../etc/passwd", "Asia/Almaty") == "Asia/Almaty"
    assert chosen_zone(None, "Mars/Olympus") == "UTC"


def _tz_set(r) -> bool:
    return any(c.startswith(TZ_COOKIE + "=") for c in r.headers.getlist("Set-Cookie"))


def _choose(client, zone: str, lang: str = "en", next_: str = ""):
    page = client.get(f"/{lang}/account/time-zone")
    assert page.status_code == 200
    return client.post(f"/{lang}/account/time-zone", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "zone": zone, "next": next_})


def test_the_time_zone_page_sets_a_cookie(client, world):
    html = client.get("/ru/account/time-zone").get_data(as_text=True)
    assert "Ваш часовой пояс" in html and '<option value="Asia/Almaty">Алматы (Asia/Almaty)</option>' in html
    assert '<option value="UTC" selected>' in html  # the default (conf: default_time_zone)
    r = _choose(client, "Asia/Almaty", next_="/en/revisions/")
    assert r.status_code == 303 and r.headers["Location"] == "/en/revisions/"
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith(TZ_COOKIE + "="))
    assert cookie.startswith(f"{TZ_COOKIE}=Asia/Almaty;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    html = client.get("/en/account/time-zone").get_data(as_text=True)
    assert '<option value="Asia/Almaty" selected>' in html
    assert "(Almaty, UTC+5) — " in unescape(html)
    # an unknown zone: refused, named, and the cookie kept as it was
    r = _choose(client, "Mars/Olympus")
    assert r.status_code == 400 and not _tz_set(r)
    assert "“Mars/Olympus” is not a time zone." in unescape(r.get_data(as_text=True))
    # somewhere else than this site: not followed
    assert _choose(client, "Europe/Moscow", next_="//evil.example/").headers["Location"] == "/en/account/time-zone"
    # a forged cookie counts as none
    client.set_cookie(TZ_COOKIE, "Nowhere/Land")
    assert '<option value="UTC" selected>' in client.get("/en/account/time-zone").get_data(as_text=True)


def test_the_form_needs_its_csrf_token(client, world):
    r = client.post("/en/account/time-zone", data={"zone": "Asia/Almaty"})
    assert r.status_code == 400 and not _tz_set(r)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_an_embargo_typed_and_shown_in_the_readers_zone(client, world, engine, lang):
    sign_in(client, "kz_admin")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 100}))
    client = client.application.test_client()  # four eyes
    sign_in(client, "kz_f_admin")
    assert act(client, sid, "verify").status_code == 302
    _choose(client, "Asia/Almaty", lang)
    page = text_of(client.get(f"/{lang}/submissions/{sid}").get_data(as_text=True))
    assert {"en": "in your time zone: Almaty (UTC+5)", "ru": "в вашем часовом поясе: Алматы (UTC+5)"}[lang] in page
    day = (datetime.now(timezone.utc) + timedelta(days=3)).date()
    r = act(client, sid, "release", lang, day=day.isoformat(), time="10:00")
    assert r.status_code == 302
    assert state(engine, sid).release_at == datetime.combine(day, time(5, 0), tzinfo=timezone.utc)
    html = unescape(client.get(f"/{lang}/submissions/{sid}").get_data(as_text=True))
    ten = {"en": "10:00\u202fAM", "ru": "10:00"}[lang]
    five = {"en": "5:00\u202fAM", "ru": "05:00"}[lang]
    place = {"en": "(Almaty, UTC+5)", "ru": "(Алматы, UTC+5)"}[lang]
    assert f"{ten} {place} — {five} UTC" in html
    queue = unescape(client.get(f"/{lang}/queue/release").get_data(as_text=True))
    assert f"{ten} {place} — {five} UTC" in queue
    # without the cookie: UTC only
    client.delete_cookie(TZ_COOKIE)
    html = unescape(client.get(f"/{lang}/submissions/{sid}").get_data(as_text=True))
    assert f"{five} UTC" in html and place not in html
