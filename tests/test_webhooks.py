"""Subscriptions and their webhooks (notification/), on SQLite and PostgreSQL: a release queues deliveries in its
own transaction; the sender posts each once, signed with the subscription's secret, to a real receiver (an
http.server thread); a failing receiver is retried with backoff and marked failed, never holding a release; a
subscriber who may not see the data is never told; the /api/subscriptions API refuses bad input."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest

from sdmx_server.app import create_app
from sdmx_server.notification import webhook_sender
from sdmx_server.notification.webhook_sender import SenderOptions, send_due
from sdmx_server.seeding import load_structures
from sdmx_server.storage.artefact_store import utcnow
from sdmx_server.storage.user_store import UserStore

from .access_world import _password_hash, _seed_artefacts
from .test_workflow import CSV, FLOW, FLOW_URN, SUBMIT, csv

pytestmark = pytest.mark.storage
USERS = {"kz_admin": ("country_administrator", "KZ"), "kz_viewer": ("viewer", "KZ"),
         "kg_viewer": ("viewer", "KG"), "kg_admin": ("country_administrator", "KG")}


class Receiver:
    """A webhook receiver on loopback: records every POST; answers ``status`` (or redirects with ``location``)."""

    def __init__(self) -> None:
        self.got: list[tuple[dict, bytes]] = []
        self.status = 204
        self.location: str | None = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(302 if outer.location else outer.status)
                if outer.location:
                    self.send_header("Location", outer.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver():
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def world(config, engine):
    """The seeds and USERS (tokens); a client per user; KZ and KG release with release=now."""
    load_structures(engine, list(_seed_artefacts()))
    cfg = replace(config, four_eyes_waived=["KZ", "KG"], release_check_seconds=0)
    app = create_app(config=cfg)
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

    as_.app = app
    as_.send = lambda options=SenderOptions(), now=None: send_due(engine, app.extensions["sdmx_policy"], cfg,
                                                                  options, now)
    yield as_
    app.extensions["sdmx_engine"].dispose()


def subscribe(world, user: str, url: str, events=("release", "revision"), provider: str | None = None) -> dict:
    r = world(user)("POST", "/api/subscriptions", json={"dataflow": FLOW_URN, "events": list(events), "url": url,
                                                         **({"provider": provider} if provider else {})})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def release(world, values: dict[str, str], user: str = "kz_admin") -> dict:
    r = world(user)("POST", SUBMIT + "?release=now", csv(values), **CSV)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in headers["x-dsm-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["sha256"]) and abs(time.time() - int(fields["t"])) < 60


def test_a_release_reaches_the_subscriber_signed_and_a_revision_says_so(world):
    with receiver() as hook:
        made = subscribe(world, "kz_viewer", hook.url)
        assert made["secret"] and made["events"] == ["release", "revision"]
        listed = world("kz_viewer")("GET", "/api/subscriptions").get_json()
        assert [s["id"] for s in listed] == [made["id"]] and "secret" not in listed[0]  # shown once only
        receipt = release(world, {"RU.F.2023-S1": "100", "RU.M.2024-S1": "7"})
        assert hook.got == []  # the release only queued it
        assert world.send()["sent"] == 1
        ((headers, body),) = hook.got
        assert verify(made["secret"], headers, body)
        assert not verify("another-secret", headers, body)
        notice = json.loads(body)
        assert notice["event"] == "release" and headers["x-dsm-event"] == "release"
        assert notice["dataflow"] == FLOW_URN and notice["provider"] == "KZ"
        assert notice["submission"] == receipt["submission"] and notice["periods"] == ["2023-S1", "2024-S1"]
        assert str(notice["id"]) == headers["x-dsm-delivery"]
        data = world("kz_viewer")("GET", notice["data"], Accept="application/vnd.sdmx.data+csv;version=1.0.0")
        assert data.status_code == 200 and ",100," in data.get_data(as_text=True), notice["data"]
        assert world.send()["sent"] == 0  # sent once

        revised = release(world, {"RU.F.2023-S1": "101"})
        world.send()
        notice = json.loads(hook.got[-1][1])
        assert notice["event"] == "revision" and notice["submission"] == revised["submission"]
        assert notice["periods"] == ["2023-S1"]
        log = world("kz_viewer")("GET", f"/api/subscriptions/{made['id']}/deliveries").get_json()
        assert [d["state"] for d in log] == ["sent", "sent"] and [d["event"] for d in log] == ["revision", "release"]
        assert log[0]["log"][0]["status"] == 204 and log[0]["attempts"] == 1
        webhook_sender._pruned[0] = None  # this process may have pruned "later" in another test
        world.send(now=utcnow() + timedelta(days=91))  # the log is kept 90 days
        assert world("kz_viewer")("GET", f"/api/subscriptions/{made['id']}/deliveries").get_json() == []


def test_a_subscriber_never_hears_of_data_it_may_not_see(world):
    with receiver() as kg_hook, receiver() as kz_hook:
        kg = subscribe(world, "kg_viewer", kg_hook.url)
        subscribe(world, "kz_viewer", kz_hook.url)
        release(world, {"RU.F.2023-S1": "100"})
        counts = world.send()
        assert counts["sent"] == 1 and counts["withheld"] == 1
        assert len(kz_hook.got) == 1 and kg_hook.got == []
        # nothing in KG's own log says that anything happened
        assert world("kg_viewer")("GET", f"/api/subscriptions/{kg['id']}/deliveries").get_json() == []
        # once KZ makes it public, KG is told of the next release (grants as they are when it is sent)
        r = world("kz_admin")("PUT", f"/api/providers/KZ/sharing/{FLOW}/public", json={"public": True})
        assert r.status_code == 200, r.get_data(as_text=True)
        release(world, {"RU.F.2023-S1": "102"})
        assert world.send()["sent"] == 2
        assert len(kg_hook.got) == 1 and json.loads(kg_hook.got[0][1])["provider"] == "KZ"
        # and not of what was withdrawn again before the delivery went out
        world("kz_admin")("PUT", f"/api/providers/KZ/sharing/{FLOW}/public", json={"public": False})
        release(world, {"RU.F.2023-S1": "103"})
        world("kz_admin")("PUT", f"/api/providers/KZ/sharing/{FLOW}/public", json={"public": False})
        assert world.send()["withheld"] == 1 and len(kg_hook.got) == 1


def test_a_failing_receiver_is_retried_with_backoff_then_marked_failed_without_holding_releases(world):
    options = SenderOptions(attempts=3, first_retry_seconds=10)
    with receiver() as hook:
        hook.status = 500
        made = subscribe(world, "kz_viewer", hook.url)
        started = time.monotonic()
        release(world, {"RU.F.2023-S1": "100"})
        assert time.monotonic() - started < 5  # no delivery is attempted within the release
        now = utcnow()
        assert world.send(options, now)["retried"] == 1 and len(hook.got) == 1
        assert world.send(options, now + timedelta(seconds=5))["retried"] == 0  # backing off: 10 s first
        assert world.send(options, now + timedelta(seconds=11))["retried"] == 1 and len(hook.got) == 2
        assert world.send(options, now + timedelta(seconds=25))["retried"] == 0  # then 20 s
        assert world.send(options, now + timedelta(seconds=35))["failed"] == 1 and len(hook.got) == 3
        assert world.send(options, now + timedelta(days=1)) == {"sent": 0, "retried": 0, "failed": 0, "withheld": 0}
        (delivery,) = world("kz_viewer")("GET", f"/api/subscriptions/{made['id']}/deliveries").get_json()
        assert delivery["state"] == "failed" and delivery["attempts"] == 3
        assert [a["status"] for a in delivery["log"]] == [500, 500, 500]
        assert delivery["log"][0]["error"] == "the receiver answered 500"
        # releases went on meanwhile
        release(world, {"RU.F.2023-S1": "101"})
        hook.status = 200
        assert world.send(options, now + timedelta(days=1))["sent"] == 1


def test_redirects_are_not_followed(world):
    with receiver() as hook, receiver() as elsewhere:
        hook.location = elsewhere.url
        made = subscribe(world, "kz_viewer", hook.url)
        release(world, {"RU.F.2023-S1": "100"})
        assert world.send(SenderOptions(attempts=1))["failed"] == 1
        assert len(hook.got) == 1 and elsewhere.got == []
        (delivery,) = world("kz_viewer")("GET", f"/api/subscriptions/{made['id']}/deliveries").get_json()
        assert "redirects (302)" in delivery["log"][0]["error"]


def test_two_senders_at_once_deliver_once(world):
    with receiver() as hook:
        subscribe(world, "kz_viewer", hook.url)
        for n in range(5):
            release(world, {f"RU.F.202{n}-S1": "100"})
        results = []
        threads = [threading.Thread(target=lambda: results.append(world.send())) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(r["sent"] for r in results) == 5 and len(hook.got) == 5
    assert len({json.loads(b)["id"] for _, b in hook.got}) == 5


def test_the_background_sender_delivers_after_a_release(config, engine):
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=replace(config, four_eyes_waived=["KZ"], release_check_seconds=0.2,
                                    webhook_check_seconds=0.2))
    try:
        with engine.begin() as conn:
            users = UserStore(conn, app.extensions["sdmx_policy"])
            users.add("kz_admin", "unused-password", roles=["country_administrator"], country="KZ",
                      password_hash=_password_hash())
            token, _ = users.create_token("kz_admin", days=1)
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        with receiver() as hook:
            r = client.post("/api/subscriptions", json={"dataflow": FLOW_URN, "events": ["release"], "url": hook.url},
                            headers=auth)
            assert r.status_code == 201
            r = client.post(SUBMIT + "?release=now", data=csv({"RU.F.2023-S1": "100"}), headers={**auth, **CSV})
            assert r.status_code == 200
            deadline = time.monotonic() + 15
            while not hook.got and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(hook.got) == 1 and json.loads(hook.got[0][1])["event"] == "release"
    finally:
        app.extensions["sdmx_release_checks"].stop()
        app.extensions["sdmx_engine"].dispose()


@pytest.mark.parametrize("body, status, said", [
    ({"events": ["release"], "url": "ftp://x.example/hook"}, 400, "not an http:// or https:// URL"),
    ({"events": ["release"], "url": "https://user:pw@x.example/hook"}, 400, "must not carry credentials"),
    ({"events": ["sometimes"], "url": "https://x.example/hook"}, 400, "one or more of structure, release, revision"),
    ({"events": [], "url": "https://x.example/hook"}, 400, "one or more of"),
    ({"events": ["release"], "url": "https://x.example/hook", "dataflow": "DF_X"}, 400, "give a dataflow's URN"),
    ({"events": ["release"], "url": "https://x.example/hook",
      "dataflow": FLOW_URN.replace("STOCK", "NO_SUCH")}, 404, "does not exist"),
    ({"events": ["release"], "url": "https://x.example/hook", "provider": "K Z"}, 400, "a data provider id"),
])
def test_bad_subscriptions_are_refused_and_nothing_is_kept(world, body, status, said):
    r = world("kz_viewer")("POST", "/api/subscriptions", json={"dataflow": FLOW_URN, **body})
    assert r.status_code == status and said in r.get_data(as_text=True), r.get_data(as_text=True)
    assert world("kz_viewer")("GET", "/api/subscriptions").get_json() == []


def test_subscriptions_are_their_owners_alone(world):
    made = subscribe(world, "kz_viewer", "https://x.example/hook")
    for method, path in (("GET", f"/api/subscriptions/{made['id']}"), ("DELETE", f"/api/subscriptions/{made['id']}"),
                         ("GET", f"/api/subscriptions/{made['id']}/deliveries")):
        assert world("kg_viewer")(method, path).status_code == 404
    assert world(None)("GET", "/api/subscriptions").status_code == 401
    assert world("kz_viewer")("DELETE", f"/api/subscriptions/{made['id']}").status_code == 204
    assert world("kz_viewer")("GET", f"/api/subscriptions/{made['id']}").status_code == 404


def test_structure_changes_and_deletions_are_notified_too(world, engine):
    from sdmx_server.maintenance.structure_maintenance import queue_structure_notices
    from sdmx_server.storage.artefact_store import ArtefactStore

    with receiver() as hook:
        subscribe(world, "kz_viewer", hook.url, events=("structure", "revision"))
        with engine.begin() as conn:  # a codelist the dataflow's structure uses: the dataflow is told
            assert queue_structure_notices(ArtefactStore(conn),
                                           "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_SEX(1.0)") == 1
        release(world, {"RU.F.2023-S1": "100"})  # a first release: not a revision, not asked for
        r = world("kz_admin")("DELETE", SUBMIT + "/S.KZ.RU.F?provider=KZ", Accept="application/json")
        assert r.status_code == 200, r.get_data(as_text=True)
        assert world.send()["sent"] == 2
        notices = [json.loads(b) for _, b in hook.got]
        assert [n["event"] for n in notices] == ["structure", "revision"]
        assert notices[0]["provider"] is None and notices[0]["data"] is None
        assert notices[1]["submission"] == r.get_json()["submission"] and notices[1]["periods"] == ["2023-S1"]
