"""The release calendar through the Flask test client on SQLite and PostgreSQL: announcing, moving and cancelling
on the country's screen (CSRF, audited, bad input refused with the reason beside its field and nothing kept), the
public page and its iCalendar feed (parsed back with icalendar: stable UIDs, SEQUENCE bumped, STATUS:CANCELLED),
markup shown escaped, and an embargo announced from the submission's page that says "released" once release_due
applies it."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import icalendar

from sdmx_server.storage import calendar_tables  # noqa: F401 (its table in the dump)
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.calendar_store import CalendarStore
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.storage.tables import submission
from sdmx_server.storage.user_store import UserStore
from sdmx_server.submission import workflow

from ..access_world import PASSWORD, F, G
from ..db_dump import dump
from .conftest import csrf_token
from .test_portal_admin import text_of
from .test_portal_documents import new_client

AHEAD = (datetime.now(timezone.utc) + timedelta(days=40)).date()
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
CSV = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
       "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2025-S2,1999,PS,A\n")


def post(client, page: str, action: str | None = None, **data):
    html = client.get(page).get_data(as_text=True)
    return client.post(action or page, data={"csrf_token": csrf_token(html), **data})


def announce(client, **fields):
    data = {"country": "KZ", "indicator": F, "periods": "2026-Q3", "day": AHEAD.isoformat(), "time": "06:30"} | fields
    return post(client, "/en/content/calendar/", **data)


def feed(client, lang: str = "en", query: str = "") -> list:
    answer = client.get(f"/{lang}/calendar.ics{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(answer.data).walk("VEVENT")


def test_announce_move_cancel_on_the_page_and_in_the_feed(app, world):
    manager = new_client(app, "kz_admin")
    answer = announce(manager)
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))
    assert "The release is announced" in text_of(manager.get(answer.headers["Location"]).get_data(as_text=True))
    with app.extensions["sdmx_engine"].connect() as conn:
        [entry] = CalendarStore(conn).list()
    assert (entry.dataflow_urn, entry.provider_id, entry.periods, entry.state) == (F, "KZ", "2026-Q3", "announced")
    assert entry.release_at == datetime.combine(AHEAD, datetime.min.time(), timezone.utc) + timedelta(hours=6,
                                                                                                     minutes=30)
    visitor = new_client(app, None)
    for lang, name, country in (("en", "Foreigners entering the country", "Kazakhstan"),
                                ("ru", "Въезд иностранцев", "Казахстан")):
        page = text_of(visitor.get(f"/{lang}/calendar").get_data(as_text=True))
        assert name in page and country in page and "2026-Q3" in page, page
        [event] = feed(visitor, lang)
        assert str(event["summary"]) == {"en": "Release: Foreigners entering the country, Kazakhstan, 2026-Q3",
                                         "ru": "Публикация: Въезд иностранцев, Казахстан, 2026-Q3"}[lang]
        assert event.decoded("dtstart") == entry.release_at and int(event["sequence"]) == 0
        assert str(event["status"]) == "TENTATIVE" and str(event["uid"]) == f"release-{entry.id}@sdmx-server.invalid"
        assert "dtstamp" in event
    assert "UTC" in text_of(visitor.get("/ru/calendar").get_data(as_text=True))
    # filters: another country's or indicator's calendar is empty; an unknown value is named, 400
    assert "2026-Q3" not in visitor.get("/en/calendar?country=KG").get_data(as_text=True)
    assert feed(visitor, "en", f"?indicator={G}") == []
    assert len(feed(visitor, "en", f"?indicator={F}&country=KZ")) == 1
    bad = visitor.get("/en/calendar?country=XX<b>")
    assert bad.status_code == 400 and "There is no country “XX&lt;b&gt;”" in bad.get_data(as_text=True)
    assert visitor.get("/en/calendar.ics?indicator=nope").status_code == 400
    # moved: same UID, a higher SEQUENCE
    edit = f"/en/content/calendar/{entry.id}/edit"
    later = AHEAD + timedelta(days=7)
    answer = post(manager, edit, periods="2026-Q3", day=later.isoformat(), time="08:00")
    assert answer.status_code == 302
    [event] = feed(visitor)
    assert int(event["sequence"]) == 1 and event.decoded("dtstart").date() == later
    assert str(event["uid"]) == f"release-{entry.id}@sdmx-server.invalid"
    # cancelled: still listed, said so, and STATUS:CANCELLED for calendar programs
    answer = post(manager, edit, f"/en/content/calendar/{entry.id}/cancel")
    assert answer.status_code == 302
    [event] = feed(visitor)
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 2
    assert "cancelled" in text_of(visitor.get("/en/calendar").get_data(as_text=True))
    assert post(manager, edit, periods="2026", day=later.isoformat(), time="08:00").status_code == 400
    with app.extensions["sdmx_engine"].connect() as conn:
        actions = [e.action for e in AuditStore(conn).entries(country="KZ") if e.target == f"calendar:{entry.id}"]
    assert actions == ["calendar.cancel", "calendar.move", "calendar.announce"]
    page = text_of(new_client(app, "root").get("/en/system/audit").get_data(as_text=True))
    assert "Announced release cancelled" in page and "Release announced" in page


def test_bad_announcements_are_refused_and_nothing_is_kept(app, world):
    manager = new_client(app, "kz_admin")
    engine = app.extensions["sdmx_engine"]
    before = dump(engine)
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
    for fields, status, message in (
            ({"day": yesterday}, 400, "The release time has passed: announce a future release."),
            ({"day": "2999-01-01"}, 400, "The release date is more than five years ahead."),
            ({"day": "2026-13-45"}, 400, "Not a valid date value."),
            ({"periods": ""}, 400, "Say which periods the release covers."),
            ({"periods": "x" * 101}, 400, "At most 100 characters."),
            ({"indicator": F.replace("ENTRIES", "NOPE")}, 400, "There is no such indicator."),
            ({"country": "KG"}, 403, None),  # another country's: not this manager's to announce
    ):
        answer = announce(manager, **fields)
        assert answer.status_code == status, (fields, answer.status_code)
        if message:
            assert message in text_of(answer.get_data(as_text=True)), (fields, message)
    no_token = manager.post("/en/content/calendar/", data={"country": "KZ", "indicator": F, "periods": "2026",
                                                            "day": AHEAD.isoformat(), "time": "06:00"})
    assert no_token.status_code == 400
    assert new_client(app, "kz_viewer").get("/en/content/calendar/").status_code == 403
    assert new_client(app, None).get("/en/content/calendar/").status_code == 302  # sign in first
    assert dump(engine) == before
    # markup in the periods is text, on the page, the feed and the management screen
    assert announce(manager, periods="<script>alert(1)</script><b>Q3</b>").status_code == 302
    for path in ("/en/calendar", "/ru/calendar", "/en/content/calendar/"):
        html = manager.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Q3" in html, path
    [event] = feed(manager)
    assert "<script>alert(1)</script><b>Q3</b>" in str(event["summary"])
    # another country's entry is not this manager's to move or cancel
    kg = new_client(app, "kg_admin")
    with engine.connect() as conn:
        [entry] = CalendarStore(conn).list()
    assert kg.get(f"/en/content/calendar/{entry.id}/edit").status_code == 403
    assert post(kg, "/en/content/calendar/", f"/en/content/calendar/{entry.id}/cancel").status_code == 403
    assert kg.get("/en/content/calendar/999/edit").status_code == 404


def test_an_embargo_announced_on_the_submission_page_is_released_by_release_due(app, world):
    engine = app.extensions["sdmx_engine"]
    with engine.begin() as conn:
        sid = conn.execute(submission.insert().values(
            dataflow_urn=STOCK, provider_id="KZ", action="I", state="validated", format="csv", submitted_by="kz_sub",
            submitted_at=datetime.now(timezone.utc), content_type="text/csv",
            observations_read=1)).inserted_primary_key[0]
        SubmissionStore(conn).save_payload(sid, gzip.compress(CSV.encode()))
    approver = new_client(app, "kz_admin")
    page = f"/en/submissions/{sid}"
    form = approver.get(page).get_data(as_text=True)
    assert "Announce in the release calendar" in form and 'value="2025-S2"' in form  # periods filled in
    empty = post(approver, page, f"{page}/release", **{"release-day": AHEAD.isoformat(), "release-time": "09:00",
                                                       "release-announce": "y", "release-periods": ""})
    assert empty.status_code == 400 and "Say which periods the release covers" in text_of(empty.get_data(as_text=True))
    with engine.connect() as conn:
        assert SubmissionStore(conn).get(sid).release_at is None and CalendarStore(conn).list() == []
    answer = post(approver, page, f"{page}/release", **{"release-day": AHEAD.isoformat(), "release-time": "09:00",
                                                        "release-announce": "y", "release-periods": "2025-S2"})
    assert answer.status_code == 302
    with engine.connect() as conn:
        [entry] = CalendarStore(conn).list()
        at = SubmissionStore(conn).get(sid).release_at
    assert (entry.state, entry.submission_id, entry.release_at, entry.periods) == ("scheduled", sid, at, "2025-S2")
    visitor = new_client(app, None)
    assert "scheduled" in text_of(visitor.get("/en/calendar").get_data(as_text=True))
    assert str(feed(visitor)[0]["status"]) == "CONFIRMED"
    assert workflow.release_due(engine.connect, workflow.IngestOptions(), now=at + timedelta(seconds=1)) == [sid]
    with engine.connect() as conn:
        entry = CalendarStore(conn).get(entry.id)
    assert entry.state == "released"
    page_text = text_of(visitor.get("/en/calendar").get_data(as_text=True))
    assert "released" in page_text and "1999" not in page_text  # never a figure
    assert "1999" not in visitor.get("/en/calendar.ics").get_data(as_text=True)


def test_the_calendar_is_in_the_navigation_and_the_site_maps(app, world):
    visitor = new_client(app, None)
    assert 'href="/en/calendar"' in visitor.get("/en/").get_data(as_text=True)
    assert 'href="/ru/calendar"' in visitor.get("/ru/sitemap").get_data(as_text=True)
    assert "/en/calendar</loc>" in visitor.get("/sitemap.xml").get_data(as_text=True)


def test_an_approver_of_one_indicator_is_offered_and_allowed_that_one_only(app, world):
    with app.extensions["sdmx_engine"].begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).add("kz_f_approver", PASSWORD, roles=["data_approver"],
                                                          country="KZ", indicators=[F])
    approver = new_client(app, "kz_f_approver")
    html = approver.get("/en/content/calendar/").get_data(as_text=True)
    assert f'value="{F}"' in html and f'value="{G}"' not in html
    assert "Announce a release" in approver.get("/en/calendar").get_data(as_text=True)
    assert announce(approver, indicator=G).status_code == 403  # sent anyway: the rule refuses it
    assert announce(approver, indicator=F).status_code == 302
    viewer = new_client(app, "kz_viewer")
    assert "Announce a release" not in viewer.get("/en/calendar").get_data(as_text=True)
    assert viewer.get("/en/content/calendar/").status_code == 403
