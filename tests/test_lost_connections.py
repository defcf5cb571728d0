"""PostgreSQL ends the server's connections (a restart, a failover, an administrator's pg_terminate_backend):
reads are answered all the same, writes get 503 with Retry-After, and the server heals without a restart."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from sqlalchemy import text

from sdmx_server.app import create_app
from sdmx_server.settings import load_config
from sdmx_server.storage.database import make_engine, upgrade_schema
from sdmx_server.storage.user_store import UserStore

from .access_world import _password_hash, _seed_artefacts
from .conftest import POSTGRES_URL, _pg_schema_url
from sdmx_server.seeding import load_structures

pytestmark = pytest.mark.storage

STRUCTURE = "/rest/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
SUBMIT = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
CSV = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
       "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2023-S1,100,PS,A\n").encode()


@pytest.fixture
def node():
    """An app on its own PostgreSQL schema whose connections carry a name of their own, a token, and a way to
    end every connection the app holds."""
    schema = f"lc_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema) + f"&application_name={schema}"
    engine = make_engine(url)
    upgrade_schema(engine)
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=load_config(overrides={"database_url": url, "secret_key": "t", "release_check_seconds": 0}))
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        users.add("kz_sub", "unused-password", roles=["data_submitter"], country="KZ", password_hash=_password_hash())
        token, _ = users.create_token("kz_sub", days=1)
    engine.dispose()

    def kill() -> int:
        with admin.begin() as conn:
            return conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE application_name = :n"), {"n": schema}).scalar()

    yield app.test_client(), {"Authorization": f"Bearer {token}"}, kill
    app.extensions["sdmx_engine"].dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_reads_survive_ended_connections_and_writes_get_503(node):
    client, auth, kill = node
    assert client.get(STRUCTURE).status_code == 200
    assert client.get("/api/submissions", headers=auth).status_code == 200
    for _ in range(3):
        assert kill() >= 1  # the pooled connection(s) of the app
        r = client.get(STRUCTURE)
        assert r.status_code == 200, r.data  # run again on a fresh connection
        kill()
        r = client.get("/api/submissions", headers=auth)
        assert r.status_code == 200, r.data
    assert kill() >= 1
    r = client.post(SUBMIT, data=CSV, headers={**auth, "Content-Type": "text/csv", "Accept": "application/json"})
    assert r.status_code == 503, r.data
    assert r.headers["Retry-After"] == "2" and b"repeat the request" in r.data
    r = client.post(SUBMIT, data=CSV, headers={**auth, "Content-Type": "text/csv", "Accept": "application/json"})
    assert r.status_code == 202, r.data  # healed: the next write goes through
    assert client.get("/api/submissions", headers=auth).get_json()[0]["state"] == "pending"


def test_under_load_no_read_answers_500(node):
    """Four threads read while the connections are ended ten times: no answer is a 500; a read whose second
    connection is ended too (the next kill comes within 150 ms) is a 503 that says when to retry."""
    client, auth, kill = node
    statuses: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            r = client.get(STRUCTURE)
            statuses.append(r.status_code)
            assert r.status_code != 503 or r.headers["Retry-After"] == "2"

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(10):
            kill()
            stop.wait(0.15)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert len(statuses) > 20
    counts = {s: statuses.count(s) for s in set(statuses)}
    assert set(statuses) <= {200, 503}, counts
    assert counts[200] >= 0.9 * len(statuses), counts
    assert client.get(STRUCTURE).status_code == 200  # healed
