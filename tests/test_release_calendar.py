"""The release calendar on SQLite and PostgreSQL: the store (dates in order, filters, SEQUENCE bumped on change,
one entry per submission), the rules of announcing by hand (whose, which indicator, when, audited; a refusal
changes nothing), and the workflow's part: a scheduled release announced, moved with its embargo, released by
release_due in the transaction that applies it (once), given back to announced when the submission is returned."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from sdmx_server.content import release_calendar as cal
from sdmx_server.identity.actor import Actor
from sdmx_server.sdmx.errors import Conflict, Forbidden, NotFound, SemanticError
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.calendar_store import CalendarStore
from sdmx_server.storage.calendar_tables import release_calendar
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.storage.tables import submission
from sdmx_server.submission import workflow

from .access_world import F, G, build_world
from .db_dump import dump

NOW = datetime.now(timezone.utc).replace(microsecond=0)
ROOT = Actor(1, "root", None, frozenset({"administer_system", "release_data", "manage_content"}))
KZ_MANAGER = Actor(2, "kz_cm", "KZ", frozenset({"manage_content"}))
KZ_F_APPROVER = Actor(3, "kz_app", "KZ", frozenset({"release_data"}), {"release_data": frozenset({F})})
KZ_VERIFIER = Actor(4, "kz_ver", "KZ", frozenset({"verify_data"}))
KG_MANAGER = Actor(5, "kg_cm", "KG", frozenset({"manage_content"}))
CSV = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
       "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2025-S2,1999,PS,A\n")
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


def test_the_migration_makes_the_declared_table(engine):
    columns = {c["name"] for c in inspect(engine).get_columns("release_calendar")}
    assert columns == {c.name for c in release_calendar.columns}


def test_entries_by_date_filtered_and_changes_counted(engine):
    with engine.begin() as conn:
        store = CalendarStore(conn)
        late = store.add(dataflow_urn=F, provider_id="KZ", periods="2026-Q3", release_at=NOW + timedelta(days=9),
                         state="announced", by="u")
        early = store.add(dataflow_urn=G, provider_id="KG", periods="2025", release_at=NOW + timedelta(days=2),
                          state="announced", by="u")
        past = store.add(dataflow_urn=F, provider_id="KZ", periods="2025-Q4", release_at=NOW - timedelta(days=3),
                         state="released", by="u")
        store.change(late, release_at=NOW + timedelta(days=10))
    with engine.connect() as conn:
        store = CalendarStore(conn)
        assert [r.id for r in store.list()] == [past, early, late]
        assert [r.id for r in store.list(since=NOW)] == [early, late]
        assert [r.id for r in store.list(until=NOW, newest_first=True)] == [past]
        assert [r.id for r in store.list(provider_id="KZ")] == [past, late]
        assert [r.id for r in store.list(dataflow_urn=G)] == [early]
        got = store.get(late)
        assert (got.sequence, got.release_at, got.periods) == (1, NOW + timedelta(days=10), "2026-Q3")
        assert got.release_at.tzinfo is not None and store.get(0) is None and store.get(2**40) is None
        assert [r.id for r in store.announced(F, "KZ")] == [late]


def test_announcing_by_hand_follows_whose_release_it_is(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    at = NOW + timedelta(days=30)
    with engine.begin() as conn:
        mine = cal.announce(conn, KZ_MANAGER, dataflow_urn=G, provider="KZ", periods=" 2026-Q3 ", at=at)
        approved = cal.announce(conn, KZ_F_APPROVER, dataflow_urn=F, provider="KZ", periods="2025", at=at)
        regional = cal.announce(conn, ROOT, dataflow_urn=F, provider="KG", periods="2025", at=at)
    before = dump(engine)
    refusals = [
        (KZ_MANAGER, dict(dataflow_urn=F, provider="KG"), Forbidden),  # another country's
        (KZ_F_APPROVER, dict(dataflow_urn=G, provider="KZ"), Forbidden),  # releases F only
        (KZ_VERIFIER, dict(dataflow_urn=F, provider="KZ"), Forbidden),
        (KZ_MANAGER, dict(dataflow_urn=F.replace("ENTRIES", "NOPE"), provider="KZ"), NotFound),
        (ROOT, dict(dataflow_urn=F, provider="XX"), SemanticError),  # no agreement: not XX's indicator
        (KZ_MANAGER, dict(dataflow_urn=F, provider="KZ", at=NOW - timedelta(minutes=1)), SemanticError),
        (KZ_MANAGER, dict(dataflow_urn=F, provider="KZ", at=NOW + timedelta(days=3000)), SemanticError),
        (KZ_MANAGER, dict(dataflow_urn=F, provider="KZ", periods="  "), SemanticError),
        (KZ_MANAGER, dict(dataflow_urn=F, provider="KZ", periods="x" * 101), SemanticError),
        (KZ_MANAGER, dict(dataflow_urn=F, provider="KZ", at=datetime(2030, 1, 1)), SemanticError),  # no zone
    ]
    for who, fields, error in refusals:
        with pytest.raises(error):
            with engine.begin() as conn:
                cal.announce(conn, who, **({"periods": "2026", "at": at} | fields))
    assert dump(engine) == before
    with engine.begin() as conn:
        assert cal.move(conn, KZ_MANAGER, mine, at=at + timedelta(days=1), periods="2026-Q3")
        assert not cal.move(conn, KZ_MANAGER, mine, at=at + timedelta(days=1), periods="2026-Q3")
        with pytest.raises(Forbidden):
            cal.cancel(conn, KG_MANAGER, mine)
        with pytest.raises(Forbidden):
            cal.move(conn, KZ_F_APPROVER, regional, at=at, periods="2025")
        assert cal.cancel(conn, KZ_MANAGER, mine) and not cal.cancel(conn, KZ_MANAGER, mine)
        with pytest.raises(SemanticError):
            cal.move(conn, KZ_MANAGER, mine, at=at, periods="2026")  # cancelled: stays so
        entry = CalendarStore(conn).get(mine)
        assert (entry.state, entry.sequence, entry.periods) == ("cancelled", 2, "2026-Q3")
        assert CalendarStore(conn).get(approved).state == "announced"
        log = [(e.action, e.actor) for e in AuditStore(conn).entries(country="KZ") if e.target == f"calendar:{mine}"]
    assert log == [("calendar.cancel", "kz_cm"), ("calendar.move", "kz_cm"), ("calendar.announce", "kz_cm")]


def _validated(conn, provider: str = "KZ") -> int:
    sid = conn.execute(submission.insert().values(
        dataflow_urn=STOCK, provider_id=provider, action="I", state="validated", format="csv", submitted_by="kz_sub",
        submitted_at=NOW, content_type="text/csv", observations_read=1)).inserted_primary_key[0]
    SubmissionStore(conn).save_payload(sid, gzip.compress(CSV.encode()))
    return sid


def test_a_scheduled_release_is_announced_moved_and_released_once(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    approver = Actor(6, "kz_app", "KZ", frozenset({"release_data"}))
    options = workflow.IngestOptions()
    with engine.begin() as conn:
        waiting = cal.announce(conn, KZ_MANAGER, dataflow_urn=STOCK, provider="KZ", periods="2025-S2",
                               at=NOW + timedelta(days=20))
        sid = _validated(conn)
        quiet = _validated(conn)
    at = NOW + timedelta(days=5)
    with engine.begin() as conn:  # linked to the announced entry, which takes the embargo's time
        workflow.release(conn, approver, sid, at=at, options=options, announce_periods="")
        workflow.release(conn, approver, quiet, at=at, options=options)  # not announced: nothing in the calendar
        entry = CalendarStore(conn).get(waiting)
        assert (entry.state, entry.submission_id, entry.release_at, entry.periods) == ("scheduled", sid, at, "2025-S2")
        assert CalendarStore(conn).of_submission(quiet) is None
    with engine.begin() as conn:  # a new embargo moves the entry with it
        workflow.release(conn, approver, sid, at=at + timedelta(hours=2), options=options)
        assert CalendarStore(conn).get(waiting).release_at == at + timedelta(hours=2)
    assert workflow.release_due(engine.connect, options, now=at + timedelta(hours=3)) == [sid, quiet]
    assert workflow.release_due(engine.connect, options, now=at + timedelta(hours=4)) == []
    with engine.connect() as conn:
        entry = CalendarStore(conn).get(waiting)
        released_at = SubmissionStore(conn).get(sid).released_at
    assert entry.state == "released" and entry.release_at == released_at and entry.sequence == 3
    with engine.connect() as conn:
        assert [r.state for r in CalendarStore(conn).list()] == ["released"]


def test_a_returned_submission_gives_its_entry_back_to_announced(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    approver = Actor(6, "kz_app", "KZ", frozenset({"release_data", "verify_data"}))
    at = NOW + timedelta(days=5)
    with engine.begin() as conn:
        sid = _validated(conn)
    with pytest.raises(SemanticError):  # announcing a new entry needs its periods: the embargo is not set either
        with engine.begin() as conn:
            workflow.release(conn, approver, sid, at=at, options=workflow.IngestOptions(), announce_periods=" ")
    with engine.begin() as conn:
        assert CalendarStore(conn).list() == [] and SubmissionStore(conn).get(sid).release_at is None
        workflow.release(conn, approver, sid, at=at, options=workflow.IngestOptions(), announce_periods="2025-S2")
        entry = CalendarStore(conn).of_submission(sid)
        assert (entry.state, entry.periods, entry.created_by) == ("scheduled", "2025-S2", "kz_app")
        workflow.return_(conn, approver, sid, "the second half is missing")
        back = CalendarStore(conn).get(entry.id)
        assert (back.state, back.submission_id, back.release_at) == ("announced", None, at)
        actions = [e.action for e in AuditStore(conn).entries(country="KZ") if e.target == f"calendar:{entry.id}"]
    assert actions == ["calendar.unschedule", "calendar.schedule"]


def test_releasing_a_scheduled_submission_now_says_released_and_a_failed_release_does_not(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    approver = Actor(6, "kz_app", "KZ", frozenset({"release_data"}))
    options = workflow.IngestOptions()
    with engine.begin() as conn:
        sid = _validated(conn)
        broken = _validated(conn)
        SubmissionStore(conn).drop_payload(broken)  # nothing to apply: its release fails
    with engine.begin() as conn:
        for s in (sid, broken):
            workflow.release(conn, approver, s, at=NOW + timedelta(days=3), options=options, announce_periods="2025-S2")
    with engine.begin() as conn:
        workflow.release(conn, approver, sid, at=None, options=options)  # the approver does not wait after all
    with pytest.raises(Conflict):
        with engine.begin() as conn:
            workflow.release(conn, approver, broken, at=None, options=options)
    with engine.connect() as conn:
        store = CalendarStore(conn)
        assert store.of_submission(sid).state == "released"
        assert store.of_submission(sid).release_at == SubmissionStore(conn).get(sid).released_at
        assert store.of_submission(broken).state == "scheduled"  # the release failed: nothing moved


def test_an_embargoed_release_that_fails_its_checks_gives_the_entry_back_to_announced(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    approver = Actor(6, "kz_app", "KZ", frozenset({"release_data"}))
    at = NOW + timedelta(days=2)
    with engine.begin() as conn:
        sid = _validated(conn)
        SubmissionStore(conn).drop_payload(sid)
        SubmissionStore(conn).save_payload(sid, gzip.compress(CSV.replace(",RU,", ",NO_SUCH_CODE,").encode()))
        workflow.release(conn, approver, sid, at=at, options=workflow.IngestOptions(), announce_periods="2025-S2")
    assert workflow.release_due(engine.connect, workflow.IngestOptions(), now=at + timedelta(seconds=1)) == []
    with engine.connect() as conn:
        [entry] = CalendarStore(conn).list()
        assert SubmissionStore(conn).get(sid).state == "returned"
    assert (entry.state, entry.submission_id, entry.release_at) == ("announced", None, at)
