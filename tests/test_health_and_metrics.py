"""/health/live, /health/ready, /metrics and the JSON request log, on SQLite and PostgreSQL; Prometheus's
multiprocess mode under a live gunicorn with two workers."""

from __future__ import annotations

import json
import logging
import re
import threading
from urllib.request import Request, urlopen

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import make_url

from sdmx_server.app import create_app
from sdmx_server.monitoring.request_log import JsonFormatter
from sdmx_server.storage.database import MIGRATIONS, make_engine

from .live_server import gunicorn
from .test_workflow import CSV, SUBMIT, csv, world  # noqa: F401 (world: a fixture)

pytestmark = pytest.mark.storage

DATA = "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.."
CSV_OUT = {"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition, None when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        found_name, _, rest = head.partition("{")
        if found_name != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        if found == labels:
            return float(value)
    return None


def test_live_and_ready_with_a_current_schema(client):
    r = client.get("/health/live")
    assert r.status_code == 200 and r.get_json() == {"status": "live"}
    assert r.headers["Cache-Control"] == "no-store"
    r = client.get("/health/ready")
    assert r.status_code == 200, r.data
    body = r.get_json()
    assert body["status"] == "ready" and body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("current (")


def test_ready_is_503_when_migrations_are_behind(config, database_url):
    engine = make_engine(config.resolved_database_url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
    app = create_app(config=config)
    client = app.test_client()
    r = client.get("/health/ready")
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    body = r.get_json()
    assert body["status"] == "not ready" and body["checks"]["database"] == "ok"
    assert "at revision 0009" in body["checks"]["migrations"] and "sdmx-server init" in body["checks"]["migrations"]
    assert client.get("/health/live").status_code == 200  # the process is fine: not to be restarted
    app.extensions["sdmx_engine"].dispose()
    engine.dispose()


def test_ready_is_503_when_the_database_is_unreachable(config, tmp_path):
    if config.database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing-dir' / 'nothing.sqlite'}"  # created empty: no schema
    else:
        url = make_url(config.database_url).set(database="no_such_database_ops21").render_as_string(False)
    app = create_app(config=config.__class__(**{**config.__dict__, "database_url": url}))
    r = app.test_client().get("/health/ready")
    assert r.status_code == 503, r.data
    body = r.get_json()
    assert body["status"] == "not ready" and body["checks"]["database"].startswith("unreachable")
    assert "no_such_database" not in r.get_data(as_text=True)  # the detail goes to the log, not to the caller
    app.extensions["sdmx_engine"].dispose()


def test_request_ids_are_echoed_or_made(client):
    r = client.get("/health/live", headers={"X-Request-ID": "lb-4f2a.77"})
    assert r.headers["X-Request-ID"] == "lb-4f2a.77"
    for bad in ("two words", "x" * 200, "", "<script>"):
        r = client.get("/health/live", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-ID"]), bad
    assert client.get("/nowhere").headers["X-Request-ID"] != client.get("/nowhere").headers["X-Request-ID"]


def test_each_request_logs_one_json_line_with_its_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="sdmx_server.requests")
    client.get("/rest/dataflow/DSM/NOPE/1.0", headers={"X-Request-ID": "trace-1"})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "sdmx_server.requests"]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["request_id"] == "trace-1" and entry["status"] == 404 and entry["method"] == "GET"
    assert entry["path"] == "/rest/dataflow/DSM/NOPE/1.0"
    assert entry["route"].startswith("/rest/") and "<" in entry["route"]  # the template, not the path
    assert entry["duration_ms"] >= 0 and entry["level"] == "INFO"


def test_metrics_are_refused_outside_the_networks_without_the_token(config):
    app = create_app(config=config.__class__(**{**config.__dict__, "metrics_networks": ["10.9.0.0/16"],
                                                "metrics_token": "scrape-secret-1"}))
    client = app.test_client()
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not in 10.9/16
    r = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403 and b"metrics_networks" in r.data
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.3.4"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.8.3.4"}).status_code == 403
    app.extensions["sdmx_engine"].dispose()
    with pytest.raises(ValueError, match="metrics_networks: 'ten' is not a network"):
        create_app(config=config.__class__(**{**config.__dict__, "metrics_networks": ["ten"]}))


def test_metrics_count_routes_statuses_submissions_and_cache_hits(world):
    scrape = lambda: world(None)("GET", "/metrics").get_data(as_text=True)  # noqa: E731
    before = scrape()
    r = world("kz_submitter")("POST", SUBMIT, csv({"RU.F.2023-S1": "100", "UZ.F.2023-S1": "5"}), **CSV)
    assert r.status_code == 202
    sid = r.get_json()["submission"]
    assert world("kz_verifier")("POST", f"/api/submissions/{sid}/verify", json={}).status_code == 200
    assert world("kz_approver")("POST", f"/api/submissions/{sid}/release", json={}).status_code == 200
    assert world("kz_submitter")("POST", SUBMIT, csv({"RU.M.2023-S1": "7"}), **CSV).status_code == 202
    for _ in range(3):  # the same answer three times: the second and third come from the cache
        assert world("kz_viewer")("GET", DATA, **CSV_OUT).status_code == 200
    after = scrape()
    assert sample(after, "sdmx_submissions", state="pending") == 1
    assert sample(after, "sdmx_submissions", state="released") == 1
    assert sample(after, "sdmx_submissions", state="returned") == 0
    assert sample(after, "sdmx_submitted_observations_total") == 3
    assert sample(after, "sdmx_database_up") == 1
    assert sample(after, "sdmx_release_lag_seconds") == 0
    # the series these three reads moved (other tests in this process may have counted other data requests)
    data_counts = [line for line in after.splitlines()
                   if line.startswith("sdmx_http_requests_total{") and "/rest/data" in line and line not in before]
    assert len(data_counts) == 1, data_counts
    route = re.search(r'route="([^"]+)"', data_counts[0])[1]
    assert "<" in route  # the template: one label value for every key asked for
    assert (sample(after, "sdmx_http_requests_total", method="GET", route=route, status="200") or 0) - \
        (sample(before, "sdmx_http_requests_total", method="GET", route=route, status="200") or 0) == 3
    assert sample(after, "sdmx_http_request_duration_seconds_count", method="GET", route=route, status="200") >= 3
    assert any(line.startswith("sdmx_http_requests_total{") and 'method="POST"' in line and 'status="202"' in line
               for line in after.splitlines())  # the submissions, under their route's template
    hits = lambda text: sample(text, "sdmx_response_cache_lookups_total", result="hit") or 0  # noqa: E731
    misses = lambda text: sample(text, "sdmx_response_cache_lookups_total", result="miss") or 0  # noqa: E731
    assert hits(after) - hits(before) == 2 and misses(after) - misses(before) == 1
    assert sample(after, "sdmx_db_pool_connections_in_use") is not None


def test_gunicorn_workers_add_up_into_one_scrape(initialised_sqlite):
    """Two worker processes count into one multiprocess folder: 40 requests spread over both are 40."""
    with gunicorn(initialised_sqlite, workers=2) as base:
        def hit(n: int) -> None:
            for _ in range(n):
                urlopen(Request(base + "/health/live"), timeout=30).read()

        threads = [threading.Thread(target=hit, args=(10,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        text = urlopen(base + "/metrics", timeout=30).read().decode()
        assert sample(text, "sdmx_http_requests_total", method="GET", route="/health/live", status="200") == 40
        ready = urlopen(base + "/health/ready", timeout=30)
        assert ready.status == 200 and ready.headers["X-Request-ID"]


@pytest.fixture
def initialised_sqlite(tmp_path):
    from .live_server import cli

    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    done = cli(url, "init")
    assert done.returncode == 0, done.stderr
    return url
