"""Background submissions (issue 22, finding 4): 202 with the Location of a job, polled from any process until
it ends with the receipt the request would have given, or with its error and nothing stored; a job whose
process died ends failed, with nothing stored. bench/bench_async_submission.py sends 5M observations.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from sqlalchemy import func, select

from sdmx_server.app import create_app
from sdmx_server.storage.database import make_engine
from sdmx_server.storage.job_store import JobStore
from sdmx_server.storage.tables import observation, submission_job
from sdmx_server.storage.user_store import UserStore

from .db_dump import dump
from .live_server import cli, gunicorn
from .test_submission_bad_input import CSV, PROBLEM, ROWS, URL, csv_body, kz, many_rows  # noqa: F401

ASYNC = {"Prefer": "respond-async"}


def without_jobs(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "submission_job"}


def poll(call, location: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while True:
        r = call("GET", location, **PROBLEM)
        if not (r.status_code == 202 and r.get_json().get("state") == "running"):
            return r
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.05)


def test_respond_async_gives_a_job_then_the_receipt(engine, admin, kz):  # noqa: F811
    rows = [r.replace("2023-S1", "2023-S2") for r in ROWS]
    r = admin("POST", URL, csv_body(rows), **CSV, **ASYNC)
    assert r.status_code == 202 and r.headers["Preference-Applied"] == "respond-async"
    location = r.headers["Location"]
    assert location == f"/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/jobs/{r.get_json()['job']}"
    assert r.get_json()["state"] == "running" and r.headers["Retry-After"] == "1"
    done = poll(admin, location)
    assert done.status_code == 200, done.data[:500]
    receipt = done.get_json()
    assert receipt["observations"] == {"read": 3, "inserted": 3, "updated": 0, "deleted": 0}
    assert receipt["state"] == "released" and receipt["format"] == "sdmx_csv_data_reader"
    # the same keys as the answer of a submission taken in the request
    sync = admin("POST", URL, csv_body([r.replace("2023-S1", "2022-S2") for r in ROWS]), **CSV)
    assert sync.status_code == 200 and set(sync.get_json()) == set(receipt)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(observation)).scalar_one() == 9
    assert poll(admin, location).get_json() == receipt  # a finished job keeps its answer


def test_a_refused_background_submission_stores_nothing(engine, admin, kz):  # noqa: F811
    rows = [ROWS[0], ROWS[1].replace(",RU,", ",QQ,")]
    r = admin("POST", URL, csv_body(rows), **CSV, **ASYNC)
    assert r.status_code == 202
    failed = poll(admin, r.headers["Location"])
    assert failed.status_code == 422 and failed.headers["Content-Type"].startswith("application/problem+json")
    assert [(e["rule"], e["where"]) for e in failed.get_json()["errors"]] == [("unknown-code",
                                                                                "row 3, column CITIZENSHIP")]
    # as an SDMX error message too, as the request would have answered
    assert b"row 3, column CITIZENSHIP" in admin("GET", r.headers["Location"]).data
    assert without_jobs(dump(engine)) == without_jobs(kz)
    # a bomb sent to the background is refused by its job the same way
    r = admin("POST", URL, csv_body(ROWS) + b"\n" + b"x" * (2 << 20), **CSV, **ASYNC)
    failed = poll(admin, r.headers["Location"])
    assert failed.status_code == 413 and "max_token_bytes" in failed.get_json()["detail"]
    assert without_jobs(dump(engine)) == without_jobs(kz)


def test_large_bodies_go_to_the_background_by_themselves(config, engine, admin, kz):  # noqa: F811
    app = create_app(config=dataclasses.replace(config, async_submission_bytes=10_000))
    client = app.test_client()
    auth = {"Authorization": admin.authorization, **CSV}
    try:
        small = client.post(URL, data=csv_body(ROWS), headers=auth)
        assert small.status_code == 200 and "job" not in small.get_json()
        big = client.post(URL, data=csv_body(many_rows(400)), headers=auth)
        assert big.status_code == 202 and big.get_json()["state"] == "running"
        # polled from another server process (another app): the job's state is in the database
        done = poll(admin, big.headers["Location"])
        assert done.status_code == 200 and done.get_json()["observations"]["read"] == 400
    finally:
        app.extensions["sdmx_engine"].dispose()


def test_only_the_submitter_sees_the_job(app, engine, admin, kz):  # noqa: F811
    r = admin("POST", URL, csv_body(ROWS), **CSV, **ASYNC)
    location = r.headers["Location"]
    poll(admin, location)
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        users.add("kz_other", "pw-other-123", roles=["data_submitter"], country="KZ")
        token, _ = users.create_token("kz_other", days=1)
    client = app.test_client()
    assert client.get(location, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert client.get(location).status_code == 404


def test_a_job_whose_process_died_ends_failed(app, engine, admin, kz):  # noqa: F811
    """A job left running by a process that is gone (its start time no longer matches) fails at the next poll."""
    with engine.begin() as conn:
        job_id = JobStore(conn).create("urn:x", "root")
        conn.execute(submission_job.update().where(submission_job.c.id == job_id)
                     .values(owner=f"{os.uname().nodename} {os.getpid()} 1"))
    r = admin("GET", f"/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/jobs/{job_id}", **PROBLEM)
    assert r.status_code == 503 and "stopped before it finished" in r.get_json()["detail"]
    with engine.connect() as conn:
        assert JobStore(conn).get(job_id).state == "failed"


@pytest.fixture
def live(database_url):
    assert cli(database_url, "init").returncode == 0
    token = cli(database_url, "token", "create", "admin").stdout.strip()
    with gunicorn(database_url) as base:
        yield base, token, make_engine(database_url)


def _http(method: str, url: str, token: str, body: bytes | None = None, **headers: str):
    req = Request(url, data=body, method=method, headers={"Authorization": f"Bearer {token}", **headers})
    try:
        with urlopen(req, timeout=120) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_a_worker_killed_during_a_job_leaves_it_failed_and_nothing_stored(live):
    base, token, eng = live
    with eng.connect() as conn:
        before = conn.execute(select(func.count()).select_from(observation)).scalar_one()
    rows = [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,{c},{s},{y}-S{h},{y},PS,A,"
            for c in ("RU", "UZ", "KG", "TJ", "CN", "TR", "DE", "US") for s in ("F", "M", "_T", "_U")
            for y in range(1000, 5000) for h in (1, 2)]  # 256k observations: seconds of work
    status, headers, body = _http("POST", f"{base}{URL}", token, csv_body(rows), **CSV, **ASYNC)
    assert status == 202, body[:300]
    job_id = json.loads(body)["job"]
    with eng.connect() as conn:
        owner = JobStore(conn).get(job_id).owner
    os.kill(int(owner.split()[1]), signal.SIGKILL)  # the worker running the job dies mid-ingest
    deadline = time.monotonic() + 60
    while True:
        status, _, body = _http("GET", f"{base}{headers['Location']}", token, Accept="application/problem+json")
        if status != 202:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status == 503 and "nothing was stored" in json.loads(body)["detail"]
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(observation)).scalar_one() == before
        assert JobStore(conn).get(job_id).state == "failed"
    eng.dispose()
