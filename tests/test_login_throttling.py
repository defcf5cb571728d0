"""Failed password logins slow down, then block (429 with Retry-After), per username from one address and per
address, with the counters in the database so that every worker process sees them; nobody can lock a user out
by failing with their name from elsewhere, and a valid token always passes."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from sdmx_server.access import login_throttle
from sdmx_server.access.login_throttle import PER_ADDRESS, PER_USERNAME
from sdmx_server.app import create_app
from sdmx_server.settings import load_config
from sdmx_server.storage.database import upgrade_schema
from sdmx_server.storage.login_failure_store import LoginFailureStore
from sdmx_server.storage.tables import login_failure
from sdmx_server.storage.user_store import UserStore

pytestmark = pytest.mark.storage
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
PASSWORD = "right-password-1"


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_blocks_double_after_the_free_failures_up_to_a_ceiling():
    assert [PER_USERNAME.block_for(n) for n in (1, 4)] == [None, None]
    assert [PER_USERNAME.block_for(n).total_seconds() for n in (5, 6, 7, 14, 15, 400)] == [1, 2, 4, 512, 900, 900]
    assert PER_ADDRESS.block_for(19) is None and PER_ADDRESS.block_for(20) == timedelta(seconds=1)


def test_counts_are_kept_per_key_and_forgotten_after_an_hour(engine):
    with engine.begin() as conn:
        store = LoginFailureStore(conn)
        for i in range(5):
            login_throttle.record_failure(store, "Aigul", "10.0.0.1", T0 + timedelta(seconds=i))
        last = T0 + timedelta(seconds=4)
        assert store.failures("user:10.0.0.1:aigul") == 5 and store.failures("address:10.0.0.1") == 5
        assert login_throttle.seconds_to_wait(store, "AIGUL", "10.0.0.1", last) == 1  # the name from there is blocked
        assert login_throttle.seconds_to_wait(store, "aigul", "10.0.0.9", last) == 0  # not from elsewhere
        assert login_throttle.seconds_to_wait(store, "other", "10.0.0.1", last) == 0  # nor the address, yet
        assert login_throttle.seconds_to_wait(store, "aigul", "10.0.0.1", last + timedelta(seconds=1)) == 0
        login_throttle.record_failure(store, "aigul", "10.0.0.1", last + timedelta(seconds=2))
        assert login_throttle.seconds_to_wait(store, "aigul", "10.0.0.1", last + timedelta(seconds=2)) == 2
        # an hour after the last failure the count starts again
        later = last + timedelta(hours=1, seconds=3)
        login_throttle.record_failure(store, "aigul", "10.0.0.1", later)
        assert store.failures("user:10.0.0.1:aigul") == 1
        assert login_throttle.seconds_to_wait(store, "aigul", "10.0.0.1", later) == 0
        # a right password clears the username's count from that address, not the address's
        login_throttle.record_success(store, "aigul", "10.0.0.1")
        assert store.failures("user:10.0.0.1:aigul") == 0 and store.failures("address:10.0.0.1") == 1  # restarted too


def test_failed_basic_logins_are_answered_429_with_retry_after(app, engine, config):
    with engine.begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).add("kz_v", PASSWORD, roles=["viewer"], country="KZ")
    client = app.test_client()
    for _ in range(PER_USERNAME.free_failures):
        assert client.get("/api/me", headers=basic("kz_v", "wrong-password")).status_code == 401
    with engine.begin() as conn:  # counted in the database; four more failures block for 16 s
        store = LoginFailureStore(conn)
        assert store.failures("user:127.0.0.1:kz_v") == PER_USERNAME.free_failures
        for _ in range(4):
            login_throttle.record_failure(store, "kz_v", "127.0.0.1", datetime.now(timezone.utc))
    # blocked now: even the right password waits; another gunicorn worker (another app) knows it too
    other_worker = create_app(config=config).test_client()
    for c in (client, other_worker):
        r = c.get("/api/me", headers={**basic("kz_v", PASSWORD), "Accept": "application/problem+json"})
        assert r.status_code == 429, r.data
        assert 1 <= int(r.headers["Retry-After"]) <= 16
        assert r.get_json()["status"] == 429 and "too many failed logins" in r.get_json()["detail"]
    # a bearer token is no password: it is not throttled
    with engine.begin() as conn:
        token, _ = UserStore(conn, app.extensions["sdmx_policy"]).create_token("kz_v", days=1)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # once the block has run out (moved into the past here), the right password works and clears the count
    with engine.begin() as conn:
        conn.execute(update(login_failure).values(blocked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
    r = client.get("/api/me", headers=basic("kz_v", PASSWORD))
    assert r.status_code == 200 and r.get_json()["username"] == "kz_v"
    with engine.connect() as conn:
        assert LoginFailureStore(conn).failures("user:127.0.0.1:kz_v") == 0


def test_an_address_that_keeps_failing_is_blocked_for_every_username(app, engine):
    with engine.begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).add("kg_v", PASSWORD, roles=["viewer"], country="KG")
        store = LoginFailureStore(conn)
        for i in range(PER_ADDRESS.free_failures - 1):  # earlier guesses at other names from this address
            login_throttle.record_failure(store, f"guess{i}", "192.0.2.7", datetime.now(timezone.utc))
    client = app.test_client()
    from_attacker = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/api/me", headers=basic("nobody", "x"), environ_base=from_attacker).status_code == 401
    with engine.begin() as conn:  # that failure was counted for the address; three more block it for 8 s
        store = LoginFailureStore(conn)
        assert store.failures("address:192.0.2.7") == PER_ADDRESS.free_failures
        for i in range(3):
            login_throttle.record_failure(store, f"more{i}", "192.0.2.7", datetime.now(timezone.utc))
    r = client.get("/api/me", headers=basic("kg_v", PASSWORD), environ_base=from_attacker)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    r = client.get("/api/me", headers=basic("kg_v", PASSWORD), environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert r.status_code == 200  # the same user from elsewhere is not blocked


def test_failing_with_a_name_from_elsewhere_never_locks_its_owner_out(app, engine):
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        users.add("kz_v", PASSWORD, roles=["viewer"], country="KZ")
        token, _ = users.create_token("kz_v", days=1)
    client = app.test_client()
    attacker, owner = {"REMOTE_ADDR": "192.0.2.7"}, {"REMOTE_ADDR": "198.51.100.1"}
    for _ in range(PER_USERNAME.free_failures + 3):  # blocked for the attacker, more each time
        client.get("/api/me", headers=basic("kz_v", "wrong-password"), environ_base=attacker)
    for name in ("kz_v", "KZ_V"):  # look-alike spellings share the attacker's counter
        assert client.get("/api/me", headers=basic(name, PASSWORD), environ_base=attacker).status_code == 429
    r = client.get("/api/me", headers=basic("kz_v", PASSWORD), environ_base=owner)
    assert r.status_code == 200 and r.get_json()["username"] == "kz_v"
    # a valid token always passes, even from the blocked address
    for source in (attacker, owner):
        r = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}, environ_base=source)
        assert r.status_code == 200


@pytest.mark.parametrize("proxy_count", [0, 1])
def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_client(database_url, proxy_count):
    """Behind a proxy every connection comes from the proxy's address: with `proxy_count` the throttle counts
    the client the proxy names, so one client's guesses never block another's logins; without it the header
    is not trusted (a client could pick any address)."""
    app = create_app(config=load_config(overrides={"database_url": database_url, "secret_key": "test",
                                                   "release_check_seconds": 0, "proxy_count": proxy_count}))
    engine = app.extensions["sdmx_engine"]
    upgrade_schema(engine)
    with engine.begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).add("kz_v", PASSWORD, roles=["viewer"], country="KZ")
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = {"X-Forwarded-For": "192.0.2.7"}
    for _ in range(PER_USERNAME.free_failures + 3):
        client.get("/api/me", headers={**basic("kz_v", "wrong-password"), **attacker}, environ_base=proxy)
    r = client.get("/api/me", headers={**basic("kz_v", PASSWORD), "X-Forwarded-For": "198.51.100.1"},
                   environ_base=proxy)
    assert r.status_code == (200 if proxy_count else 429)
    with engine.connect() as conn:
        counted = "user:192.0.2.7:kz_v" if proxy_count else "user:10.0.0.2:kz_v"
        assert LoginFailureStore(conn).failures(counted) >= PER_USERNAME.free_failures
    engine.dispose()
