"""The submit → verify → release workflow through HTTP, on SQLite and PostgreSQL: who may do which step,
what each state shows to whom, embargoed releases, revision notices, the Atom feed, provisional figures."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree
from sqlalchemy import event

from sdmx_server.app import create_app
from sdmx_server.storage.user_store import UserStore
from sdmx_server.submission import release_scheduler
from sdmx_server.submission.workflow import IngestOptions, release_due

from .access_world import _password_hash, _seed_artefacts
from .db_dump import dump
from sdmx_server.seeding import load_structures

pytestmark = pytest.mark.storage

FLOW = "DSM/DF_STOCK_FOREIGNERS/1.0"
FLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
SUBMIT = f"/rest/v2/data/dataflow/{FLOW}"
DATA = "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.."
CSV_OUT = {"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
CSV = {"Content-Type": "text/csv", "Accept": "application/json"}
USERS = {  # name: (role, country)
    "root": ("system_administrator", None),
    "kz_submitter": ("data_submitter", "KZ"),
    "kz_verifier": ("data_verifier", "KZ"),
    "kz_approver": ("data_approver", "KZ"),
    "kz_viewer": ("viewer", "KZ"),
    "kz_admin": ("country_administrator", "KZ"),
    "kg_admin": ("country_administrator", "KG"),
}



@pytest.fixture
def config(config):
    """Its administrators release with release=now: the four-eyes rule is waived for KZ, KG here (tests/test_four_eyes.py checks the rule)."""
    return replace(config, four_eyes_waived=["KZ", "KG"])

def csv(values: dict[str, str], status: str | None = "A") -> bytes:
    rows = [HEAD]
    for key, value in values.items():
        citizenship, sex, period = key.split(".")
        rows.append(f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,{citizenship},{sex},{period},{value},PS,"
                    f"{status or ''}")
    return "\n".join(rows).encode()


@pytest.fixture
def world(config, engine):
    """The seeds, one user per role (tokens), and a client per user; embargo checks every 0.2 s."""
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=replace(config, release_check_seconds=0.2))
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, (role, country) in USERS.items():
            users.add(name, "unused-password", roles=[role], country=country, password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
    client = app.test_client()

    def as_(user: str | None):
        def call(method: str, path: str, body=None, json=None, **headers):
            auth = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
            return client.open(path, method=method, data=body, json=json, headers={**auth, **headers})
        return call

    yield as_
    app.extensions["sdmx_release_checks"].stop()
    app.extensions["sdmx_engine"].dispose()


def submit(world, user: str, values: dict[str, str], **kw) -> dict:
    r = world(user)("POST", SUBMIT, csv(values, **kw), **CSV)
    assert r.status_code == 202, r.data[:1000]
    assert r.get_json()["state"] == "pending"
    return r.get_json()


def data(world, user: str | None) -> dict[str, str]:
    """{citizenship.sex.period: value} of KZ's released figures as the user sees them."""
    r = world(user)("GET", DATA, **CSV_OUT)
    if r.status_code == 404 or r.status_code == 204:
        return {}
    assert r.status_code == 200, r.data[:500]
    lines = r.get_data(as_text=True).splitlines()
    head = lines[0].split(",")
    out = {}
    for line in lines[1:]:
        row = dict(zip(head, line.split(",")))
        out[f"{row['CITIZENSHIP']}.{row['SEX']}.{row['TIME_PERIOD']}"] = row["OBS_VALUE"]
    return out


def step(world, user: str, sid: int, action: str, json=None):
    return world(user)("POST", f"/api/submissions/{sid}/{action}", json=json or {})


def test_a_submission_goes_pending_validated_released(world, engine):
    receipt = submit(world, "kz_submitter", {"RU.F.2023-S1": "100", "UZ.M.2023-S1": "200"})
    sid = receipt["submission"]
    assert receipt["observations"] == {"read": 2, "inserted": 0, "updated": 0, "deleted": 0}
    # pending: nobody sees the figures in the data API, not even its own country or the system administrator
    for user in ("kz_submitter", "kz_viewer", "kz_admin", "root", None):
        assert data(world, user) == {}, user
    # its country's workflow roles see the submission and its message; others do not even learn it exists
    for user in ("kz_submitter", "kz_verifier", "kz_approver", "kz_admin", "root"):
        r = world(user)("GET", f"/api/submissions/{sid}")
        assert r.status_code == 200 and r.get_json()["state"] == "pending", user
        assert world(user)("GET", f"/api/submissions/{sid}/message").data == csv(
            {"RU.F.2023-S1": "100", "UZ.M.2023-S1": "200"})
        assert [s["id"] for s in world(user)("GET", "/api/submissions").get_json()] == [sid], user
    for user in ("kz_viewer", "kg_admin"):
        assert world(user)("GET", f"/api/submissions/{sid}").status_code == 404, user
        assert world(user)("GET", f"/api/submissions/{sid}/message").status_code == 404, user
        assert world(user)("GET", "/api/submissions").get_json() == [], user
        assert step(world, user, sid, "verify").status_code == 404, user
    assert world(None)("GET", f"/api/submissions/{sid}").status_code == 401

    # only a verifier verifies; only an approver releases, and only what was verified
    assert step(world, "kz_submitter", sid, "verify").status_code == 403
    assert step(world, "kz_approver", sid, "release").status_code == 409  # not validated yet
    assert step(world, "kz_verifier", sid, "release").status_code == 403
    r = step(world, "kz_verifier", sid, "verify", {"comment": "checked against the register"})
    assert r.status_code == 200 and r.get_json()["state"] == "validated"
    assert step(world, "kz_verifier", sid, "verify").status_code == 409
    assert data(world, "kz_viewer") == {}
    r = step(world, "kz_approver", sid, "release")
    assert r.status_code == 200, r.data
    released = r.get_json()
    assert released["state"] == "released" and released["changes"]["inserted"] == 2
    assert [(t["from"], t["to"], t["actor"]) for t in released["transitions"]] == [
        (None, "pending", "kz_submitter"), ("pending", "validated", "kz_verifier"),
        ("validated", "released", "kz_approver")]
    assert released["transitions"][1]["comment"] == "checked against the register"
    assert data(world, "kz_viewer") == {"RU.F.2023-S1": "100", "UZ.M.2023-S1": "200"}
    assert data(world, None) == {}  # not public, no grant
    assert data(world, "kg_admin") == {}
    assert step(world, "kz_approver", sid, "release").status_code == 409
    assert world("kz_approver")("GET", f"/api/submissions/{sid}/message").status_code == 404  # applied: gone


def test_returned_submissions_never_reach_the_data(world, engine):
    sid = submit(world, "kz_submitter", {"RU.F.2023-S1": "100"})["submission"]
    assert step(world, "kz_verifier", sid, "return").status_code == 400  # a comment is required
    r = step(world, "kz_verifier", sid, "return", {"comment": "the May figure is a typo"})
    assert r.status_code == 200 and r.get_json()["state"] == "returned"
    assert step(world, "kz_verifier", sid, "verify").status_code == 409
    assert step(world, "kz_approver", sid, "release").status_code == 409
    assert data(world, "kz_admin") == {}


def test_release_now_needs_every_step_and_stores_nothing_otherwise(world, engine):
    before = dump(engine)
    r = world("kz_submitter")("POST", SUBMIT + "?release=now", csv({"RU.F.2023-S1": "100"}), **CSV)
    assert r.status_code == 403
    assert dump(engine) == before
    r = world("kz_admin")("POST", SUBMIT + "?release=now", csv({"RU.F.2023-S1": "100"}), **CSV)
    assert r.status_code == 200 and r.get_json()["state"] == "released"
    assert data(world, "kz_viewer") == {"RU.F.2023-S1": "100"}
    assert world("kz_admin")("POST", SUBMIT + "?release=soon", b"", **CSV).status_code == 400
    # a submitter of KZ may not submit as KG
    assert world("kz_submitter")("POST", SUBMIT + "?provider=KG", csv({"RU.F.2023-S1": "1"}), **CSV).status_code == 403


def test_embargoed_release_happens_on_time_and_not_before(world, engine):
    sid = submit(world, "kz_submitter", {"RU.F.2023-S1": "100"})["submission"]
    step(world, "kz_verifier", sid, "verify")
    at = datetime.now(timezone.utc) + timedelta(seconds=2)
    r = step(world, "kz_approver", sid, "release", {"releaseAt": at.isoformat()})
    assert r.status_code == 200 and r.get_json()["state"] == "validated" and r.get_json()["releaseAt"]
    assert data(world, "kz_viewer") == {}
    while datetime.now(timezone.utc) < at - timedelta(seconds=0.3):
        assert data(world, "kz_viewer") == {}, "released before its embargo"
        time.sleep(0.1)
    deadline = time.monotonic() + 10
    while not data(world, "kz_viewer") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert data(world, "kz_viewer") == {"RU.F.2023-S1": "100"}
    row = world("kz_admin")("GET", f"/api/submissions/{sid}").get_json()
    assert row["state"] == "released" and row["transitions"][-1]["actor"] == "embargo"
    assert datetime.fromisoformat(row["releasedAt"]) >= at
    assert step(world, "kz_approver", sid, "release", {"releaseAt": "tomorrow"}).status_code == 400


def test_release_due_releases_each_submission_once(world, engine, config):
    sid = submit(world, "kz_submitter", {"RU.F.2023-S1": "100"})["submission"]
    step(world, "kz_verifier", sid, "verify")
    at = datetime.now(timezone.utc) + timedelta(days=1)
    step(world, "kz_approver", sid, "release", {"releaseAt": at.isoformat()})
    options = IngestOptions()
    assert release_due(engine.connect, options, now=at - timedelta(seconds=1)) == []
    assert release_due(engine.connect, options, now=at + timedelta(seconds=1)) == [sid]
    assert release_due(engine.connect, options, now=at + timedelta(seconds=2)) == []


def test_stopping_the_checks_waits_for_a_check_under_way(engine):
    """A check that outlives its stop would query a database already gone (and log its failure)."""
    under_way = threading.Event()

    @event.listens_for(engine, "before_cursor_execute")
    def slow(*_args) -> None:
        under_way.set()
        time.sleep(0.3)

    checks = release_scheduler.start(engine, IngestOptions(), 0.01)
    assert under_way.wait(5)
    checks.stop()
    event.remove(engine, "before_cursor_execute", slow)
    assert not checks.thread.is_alive()


def _release(world, values: dict[str, str], status: str | None = "A") -> int:
    r = world("kz_admin")("POST", SUBMIT + "?release=now", csv(values, status), **CSV)
    assert r.status_code == 200, r.data
    return r.get_json()["submission"]


def test_revision_notices_and_the_atom_feed(world, engine):
    _release(world, {"RU.F.2023-S1": "100", "UZ.M.2023-S1": "200", "UZ.F.2023-S1": "300"})
    sid = _release(world, {"RU.F.2023-S1": "110", "UZ.M.2023-S1": "200"})  # one revised, one restated
    r = world("kz_viewer")("GET", f"/api/submissions/{sid}/revisions")
    assert r.status_code == 200
    assert r.get_json()["revisions"] == [{"series": "S.KZ.RU.F", "period": "2023-S1", "old": "100", "new": "110"}]
    listed = world("kz_viewer")("GET", f"/api/dataflows/{FLOW}/revisions").get_json()
    assert [n["id"] for n in listed] == [sid]
    feed = etree.fromstring(world("kz_viewer")("GET", f"/feeds/{FLOW}/revisions.atom").data)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 1 and "S.KZ.RU.F 2023-S1: 100 → 110" in entries[0].findtext(f"{atom}content")
    # who may not see KZ's figures sees no notice either
    for user in ("kg_admin", None):
        assert world(user)("GET", f"/api/submissions/{sid}/revisions").status_code == 404, user
        assert world(user)("GET", f"/api/dataflows/{FLOW}/revisions").get_json() == [], user
        assert etree.fromstring(world(user)("GET", f"/feeds/{FLOW}/revisions.atom").data).findall(
            f"{atom}entry") == [], user
    # once KZ grants KG (and KG released figures of its own: reciprocity), KG sees the notice
    assert world("kz_admin")("PUT", f"/api/providers/KZ/sharing/{FLOW}/grantees/KG").status_code in (200, 204)
    kg = "\n".join([HEAD, "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KG,RU,F,2023-S1,5,PS,A"]).encode()
    assert world("kg_admin")("POST", SUBMIT + "?release=now", kg, **CSV).status_code == 200
    assert world("kg_admin")("GET", f"/api/submissions/{sid}/revisions").status_code == 200


def test_current_year_figures_are_provisional_unless_said_otherwise(world, engine):
    year = datetime.now(timezone.utc).year
    r = world("kz_admin")("POST", SUBMIT + "?release=now", csv({f"RU.F.{year}-S1": "1", "RU.F.2023-S1": "2"},
                                                                 None), **CSV)
    assert r.status_code == 422  # OBS_STATUS is mandatory in DSD_MIGRATION: 2023 is not provisional
    assert [(e["rule"], e["period"]) for e in r.get_json()["errors"]] == [("missing-attribute", "2023-S1")]
    _release(world, {f"RU.F.{year}-S1": "1"}, status=None)
    _release(world, {"RU.F.2023-S1": "2"}, status="E")
    _release(world, {f"UZ.F.{year}-S1": "3"}, status="A")
    r = world("kz_viewer")("GET", DATA, **CSV_OUT)
    lines = r.get_data(as_text=True).splitlines()
    head = lines[0].split(",")
    status = {(row["CITIZENSHIP"], row["TIME_PERIOD"]): row["OBS_STATUS"]
              for row in (dict(zip(head, line.split(","))) for line in lines[1:])}
    assert status == {("RU", f"{year}-S1"): "P", ("RU", "2023-S1"): "E", ("UZ", f"{year}-S1"): "A"}


def test_a_release_changes_the_etag_and_a_pending_submission_does_not(world, engine):
    _release(world, {"RU.F.2023-S1": "100"})
    first = world("kz_viewer")("GET", DATA, **CSV_OUT)
    etag = first.headers["ETag"]
    sid = submit(world, "kz_submitter", {"RU.F.2023-S1": "120"})["submission"]
    again = world("kz_viewer")("GET", DATA, **{**CSV_OUT, "If-None-Match": etag})
    assert again.status_code == 304  # pending: nothing a query shows changed
    step(world, "kz_verifier", sid, "verify")
    step(world, "kz_approver", sid, "release")
    after = world("kz_viewer")("GET", DATA, **{**CSV_OUT, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert data(world, "kz_viewer") == {"RU.F.2023-S1": "120"}


def test_a_write_from_another_site_is_refused(world, engine):
    """Cached HTTP Basic credentials would ride along a cross-site form post: its Origin gives it away."""
    before = dump(engine)
    r = world("kz_submitter")("POST", SUBMIT, csv({"RU.F.2023-S1": "1"}), **CSV, Origin="https://evil.example")
    assert r.status_code == 403 and dump(engine) == before
    r = world("kz_submitter")("POST", SUBMIT, csv({"RU.F.2023-S1": "1"}), **CSV, Origin="http://localhost")
    assert r.status_code == 202  # the same site (the test client's host)
