"""Harvesting a national SDMX REST service over real HTTP (interlink/harvest.py): a live "national" server
(gunicorn, its own SQLite database) harvested into the test database on both engines: incremental with a cursor,
304 when nothing changed, a revision and a deletion travel as just those figures, a harvest broken half-way
stores nothing and the next one takes everything once; and hostile services refused cleanly."""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from sdmx_server.interlink.bounded_http import HttpLimits
from sdmx_server.interlink.harvest import HarvestError, harvest_into
from sdmx_server.seeding import load_structures
from sdmx_server.storage.database import begin_write
from sdmx_server.storage.harvest_cursor_store import HarvestCursorStore
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.submission.workflow import IngestOptions, apply_release

from .access_world import _seed_artefacts
from .interlink_world import FLOW, start_national

pytestmark = pytest.mark.storage
KZ = "S.KZ.."  # KZ's series only: kz_viewer also sees what KG granted KZ


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    with start_national(tmp_path_factory.mktemp("national")) as n:
        yield n


@pytest.fixture
def regional(engine):
    load_structures(engine, list(_seed_artefacts()))
    return engine


def submissions(engine) -> list:
    with engine.connect() as conn:
        return SubmissionStore(conn).list(None, limit=1000)


def release_all(engine, ids) -> None:
    with engine.connect() as conn:
        for sid in ids:
            with begin_write(conn):
                store = SubmissionStore(conn)
                store.move(sid, ("pending",), "validated", actor="test", at=store.get(sid).submitted_at)
                apply_release(conn, store.get(sid), actor="test", options=IngestOptions())


def figures(engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT s.series_key, o.time_period, o.value FROM observation o JOIN series s ON s.id = o.series_id "
            "JOIN data_set d ON d.id = s.data_set_id WHERE o.valid_to IS NULL AND d.provider_id = 'KZ'")).all()
    return {(k, p): v for k, p, v in rows}


def national_figures(national) -> dict[tuple[str, str], str]:
    import requests

    r = requests.get(f"{national.rest}/data/DSM,DF_STOCK_FOREIGNERS,1.0/{KZ}",
                     headers={"Authorization": f"Bearer {national.viewer}",
                              "Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    lines = r.text.strip().splitlines()
    head = lines[0].split(",")
    out = {}
    for line in lines[1:]:
        cells = dict(zip(head, line.split(",")))
        key = ".".join(cells[d] for d in ("FREQ", "REF_AREA", "CITIZENSHIP", "SEX"))
        out[(key, cells["TIME_PERIOD"])] = cells["OBS_VALUE"]
    return out


def test_harvests_incrementally_with_a_cursor_and_304(national, regional):
    def harvest(**kw):
        return harvest_into(regional, "kz-national", national.rest, FLOW, "KZ", api="v2", key="S.KZ.*.*",
                            token=national.viewer, **kw)

    first = harvest()
    assert first.outcome == "submitted" and len(first.submissions) == 1 and first.observations > 10, first
    release_all(regional, first.submissions)
    assert figures(regional) == national_figures(national)
    with regional.connect() as conn:
        cursor = HarvestCursorStore(conn).get("kz-national")
    assert cursor.cursor == first.cursor_after and cursor.etag is None

    again = harvest()  # nothing changed: an empty answer, its ETag kept ...
    assert again.outcome == "nothing-new" and again.submissions == [] and again.cursor_after == first.cursor_after
    third = harvest()  # ... so the same question again is answered 304
    assert third.outcome == "not-modified", third

    time.sleep(1.1)  # a release in a later second than the cursor (the Date header counts whole seconds)
    (key, period), old = sorted(figures(regional).items())[0]
    national.release({f"{key.split('.')[2]}.{key.split('.')[3]}.{period}": str(int(old) + 1)})  # a revision
    national.release({"CN.M.2031-S2": "5"})
    time.sleep(1.1)  # and the harvest a second later: asOf, from the Date header, counts whole seconds too
    revised = harvest()
    assert revised.outcome == "submitted" and revised.observations == 2, revised
    (sid,) = revised.submissions
    row = SubmissionStore(regional.connect()).get(sid)
    assert row.state == "pending" and row.observations_read == 2 and row.submitted_by == "harvest:kz-national"
    release_all(regional, [sid])
    after = figures(regional)
    assert after[(key, period)] == str(int(old) + 1) and after[("S.KZ.CN.M", "2031-S2")] == "5"
    with regional.connect() as conn:
        row = SubmissionStore(conn).get(sid)
    assert (row.inserted, row.updated, row.deleted) == (1, 1, 0)

    time.sleep(1.1)
    national.delete("S.KZ.CN.M")  # a deletion travels as a Delete data set
    time.sleep(1.1)
    deleted = harvest()
    assert deleted.outcome == "submitted", deleted
    release_all(regional, deleted.submissions)
    assert figures(regional) == national_figures(national)
    assert not any(k == "S.KZ.CN.M" for k, _ in figures(regional))


@contextmanager
def serving(handler_class):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass


def test_a_harvest_broken_half_way_stores_nothing_and_the_next_takes_everything_once(national, regional):
    state = {"break": True, "pages": 0}

    class Flaky(Quiet):
        """Passes requests to the national server; while ``break`` holds, the second page's answer breaks off."""

        def do_GET(self) -> None:
            if "offset=" in self.path and "offset=0" not in self.path:
                state["pages"] += 1
                if state["break"]:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/vnd.sdmx.structurespecificdata+xml;version=2.1")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"<?xml version='1.0'?><message:StructureSpecificData")
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
            req = urllib.request.Request(national.base + self.path, headers={
                k: v for k, v in self.headers.items() if k.lower() in ("accept", "authorization", "if-none-match")})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, headers, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, headers, body = e.code, e.headers, e.read()
            self.send_response(status)
            for k in ("Content-Type", "ETag", "Date"):
                if headers.get(k):
                    self.send_header(k, headers[k])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    expected = national_figures(national)
    with serving(Flaky) as proxy:
        def harvest():
            return harvest_into(regional, "kz-paged", proxy + "/rest", FLOW, "KZ", api="v2", key="S.KZ.*.*",
                                page_size=5, token=national.viewer)

        before = len(submissions(regional))
        with pytest.raises(HarvestError, match="connection broke|truncated|malformed"):
            harvest()
        assert state["pages"] == 1 and len(submissions(regional)) == before
        with regional.connect() as conn:
            assert HarvestCursorStore(conn).get("kz-paged") is None
        state["break"] = False
        done = harvest()
    assert done.outcome == "submitted" and done.pages == -(-len(expected) // 5) and done.pages > 1, done
    assert done.observations == len(expected)
    new = [s for s in submissions(regional) if s.id in done.submissions]
    assert sum(s.observations_read for s in new) == len(expected)  # each figure once
    release_all(regional, done.submissions)
    assert figures(regional) == expected


HOSTILE_BOMB = gzip.compress(bytes(40 << 20), 9)


class Hostile(Quiet):
    """Each first path segment one misbehaviour, on every request (structure and data)."""

    def do_GET(self) -> None:
        kind = self.path.split("/")[1]
        sdmx = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
        if kind == "slow":
            time.sleep(2)
            body, ctype = b"<x/>", sdmx
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.example.org/rest/data")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif kind == "huge":
            self.send_response(200)
            self.send_header("Content-Type", sdmx)
            self.end_headers()  # no length: read until the bound
            try:
                for _ in range(64):
                    self.wfile.write(b"<a>" + b" " * 65533)
            except OSError:
                pass
            self.close_connection = True
            return
        elif kind == "bomb":
            self.send_response(200)
            self.send_header("Content-Type", sdmx)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(HOSTILE_BOMB)))
            self.end_headers()
            try:
                self.wfile.write(HOSTILE_BOMB)
            except OSError:
                pass
            return
        elif kind == "html":
            body, ctype = b"<html><script>alert(1)</script></html>", "text/html"
        else:  # malformed
            body, ctype = b"<?xml version='1.0'?><message:StructureSpecificData xmlns:message='x'><oops", sdmx
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("kind, said", [
    ("slow", "no answer within the read timeout"),
    ("huge", "sent more than 1048576 bytes"),
    ("bomb", "compression bomb"),
    ("redirect", "redirects (302) to another host, elsewhere.example.org"),
    ("html", "content type text/html, not an SDMX message"),
    ("malformed", "malformed SDMX message"),
    ("unreachable", "unreachable"),
])
def test_hostile_services_are_refused_cleanly_and_nothing_is_stored(regional, kind, said):
    limits = HttpLimits(connect_seconds=1, read_seconds=0.5, total_seconds=5, max_bytes=1 << 20)
    before = len(submissions(regional))
    with serving(Hostile) as hostile:
        base = hostile if kind != "unreachable" else f"http://127.0.0.1:{_closed_port()}"
        started = time.monotonic()
        with pytest.raises(HarvestError) as e:
            harvest_into(regional, "hostile", f"{base}/{kind}/rest", FLOW, "KZ", limits=limits)
        assert time.monotonic() - started < 5
    assert said in str(e.value), str(e.value)
    assert len(submissions(regional)) == before
    with regional.connect() as conn:
        assert HarvestCursorStore(conn).get("hostile") is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_harvested_figures_released_here_reach_a_subscribers_webhook(national, regional, config):
    """The chain of the issue: released nationally, harvested, released here by the workflow, told to a third
    system's webhook, signed, with the submission the harvest made."""
    from sdmx_server.identity.policy import load_policy
    from sdmx_server.notification.webhook_sender import SenderOptions, send_due
    from sdmx_server.storage.subscription_store import SubscriptionStore
    from sdmx_server.storage.user_store import UserStore

    from .access_world import _password_hash
    from .test_webhooks import receiver, verify

    policy = load_policy(config.path(config.auth_policy))
    with regional.begin() as conn:
        UserStore(conn, policy).add("kz_system", "unused-password", roles=["viewer"], country="KZ",
                                    password_hash=_password_hash())
        user_id = UserStore(conn, policy).get("kz_system").id
    with receiver() as hook:
        with regional.begin() as conn:
            sub = SubscriptionStore(conn).add(
                user_id, dataflow_urn="urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)",
                provider_id="KZ", events=("release", "revision"), url=hook.url, secret="s3cret")
        done = harvest_into(regional, "kz-chain", national.rest, FLOW, "KZ", api="v2", key="S.KZ.*.*",
                            token=national.viewer)
        assert send_due(regional, policy, config, SenderOptions())["sent"] == 0  # pending: nothing to tell yet
        release_all(regional, done.submissions)
        assert send_due(regional, policy, config, SenderOptions())["sent"] == 1
    ((headers, body),) = hook.got
    assert verify(sub.secret, headers, body)
    notice = __import__("json").loads(body)
    assert notice["submission"] == done.submissions[0] and notice["provider"] == "KZ"


def test_the_harvest_command_over_v1(national, regional, database_url, monkeypatch):
    from .live_server import cli

    monkeypatch.setenv("NATIONAL_TOKEN", national.viewer)
    args = ("harvest", "kz-cli", "--url", national.rest, "--flow", FLOW, "--provider", "KZ", "--key", KZ,
            "--settle", "0", "--token-env", "NATIONAL_TOKEN")
    done = cli(database_url, *args)
    assert done.returncode == 0, done.stderr + done.stdout
    result = __import__("json").loads(done.stdout)
    assert result["outcome"] == "submitted" and len(result["submissions"]) == 1 and result["observations"] > 10
    (row,) = [s for s in submissions(regional) if s.id == result["submissions"][0]]
    assert row.state == "pending" and row.provider_id == "KZ" and row.observations_read == result["observations"]
    again = cli(database_url, *args)
    assert again.returncode == 0 and '"outcome": "nothing-new"' in again.stdout, again.stderr + again.stdout
    missing = cli(database_url, *args[:-1], "NO_SUCH_VARIABLE")
    assert missing.returncode != 0 and "NO_SUCH_VARIABLE is not set" in missing.stderr
    elsewhere = cli(database_url, "harvest", "kz-cli", "--url", national.rest + "/", "--flow", FLOW,
                    "--provider", "KZ")
    assert elsewhere.returncode != 0 and "a cursor belongs to one service and dataflow" in elsewhere.stderr


def test_a_harvester_killed_mid_harvest_resumes_from_its_cursor(national, regional, database_url, tmp_path):
    """The regional side stops (SIGKILL) while a page is on its way: nothing stored; run again, every figure once."""
    import os
    import signal
    import subprocess
    import sys

    from .live_server import ROOT

    state = {"slow": True, "asked": threading.Event()}

    class Slow(Quiet):
        def do_GET(self) -> None:
            if "offset=" in self.path and "offset=0" not in self.path and state["slow"]:
                state["asked"].set()
                time.sleep(30)
                return
            req = urllib.request.Request(national.base + self.path, headers={
                k: v for k, v in self.headers.items() if k.lower() in ("accept", "authorization", "if-none-match")})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, headers, body = r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                status, headers, body = e.code, e.headers, e.read()
            self.send_response(status)
            for k in ("Content-Type", "ETag", "Date"):
                if headers.get(k):
                    self.send_header(k, headers[k])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    expected = national_figures(national)
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=database_url, SDMX_SERVER_SECRET_KEY="test",
               NATIONAL_TOKEN=national.viewer)
    env.pop("SDMX_SERVER_CONFIG", None)
    before = len(submissions(regional))
    with serving(Slow) as proxy:
        args = [sys.executable, "-m", "sdmx_server.cli", "harvest", "kz-killed", "--url", proxy + "/rest",
                "--flow", FLOW, "--provider", "KZ", "--api", "v2", "--key", "S.KZ.*.*", "--page-size", "5",
                "--settle", "0", "--token-env", "NATIONAL_TOKEN"]
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert state["asked"].wait(60), "the harvest never asked for its second page"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        assert len(submissions(regional)) == before
        with regional.connect() as conn:
            assert HarvestCursorStore(conn).get("kz-killed") is None
        state["slow"] = False
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = __import__("json").loads(done.stdout)
    assert result["outcome"] == "submitted" and result["observations"] == len(expected)
    release_all(regional, result["submissions"])
    assert figures(regional) == expected


def test_a_harvest_may_release_at_once_where_the_country_chose_so(national, regional):
    done = harvest_into(regional, "kz-auto", national.rest, FLOW, "KZ", api="v2", key="S.KZ.*.*",
                        token=national.viewer, release=True)
    (row,) = [s for s in submissions(regional) if s.id in done.submissions]
    assert row.state == "released" and row.submitted_by == "harvest:kz-auto"
    assert figures(regional) == national_figures(national)
