"""Cached access reads and cached answers never outlive a change, in any worker, on SQLite and PostgreSQL.

Two apps on one database stand for two gunicorn workers: one has cached a caller's token, what it may see
and the answer it got; the change is made by another path (the other app, or plain SQL), and the next
request to the first app already follows it.
"""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from sqlalchemy import event, text

from sdmx_server.access.access_cache import read_access_stamp, read_access_version
from sdmx_server.app import create_app
from sdmx_server.rest_api.http_cache import ResponseCache
from sdmx_server.seeding import load_structures
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.access.login_throttle import username_key
from sdmx_server.storage.login_failure_store import LoginFailureStore
from sdmx_server.storage.user_store import UserStore

from .access_world import _password_hash, _seed_artefacts

pytestmark = pytest.mark.storage

FLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
SUBMIT = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?release=now"
QUERY = "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.."
CSV = {"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"



@pytest.fixture
def config(config):
    """KZ's administrator releases figures with release=now: the four-eyes rule is waived for KZ here (tests/test_four_eyes.py checks the rule)."""
    return replace(config, four_eyes_waived=["KZ"])

def _csv(value: str, period: str = "2023-S1") -> bytes:
    return f"{HEAD}\ndataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,{period},{value},PS,A".encode()


@pytest.fixture
def workers(config, engine):
    """Two apps (workers) on one database, KZ figures released, tokens of a KZ administrator and a KG viewer."""
    load_structures(engine, list(_seed_artefacts()))
    cfg = replace(config, release_check_seconds=0, reciprocity=False)
    one, two = create_app(config=cfg), create_app(config=cfg)
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, one.extensions["sdmx_policy"])
        for name, role, country in (("kz_admin", "country_administrator", "KZ"), ("kg_viewer", "viewer", "KG")):
            users.add(name, "unused", roles=[role], country=country, password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
    auth = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    r = one.test_client().post(SUBMIT, data=_csv("100"), headers={**auth["kz_admin"], "Content-Type": "text/csv"})
    assert r.status_code == 200, r.data
    yield one.test_client(), two.test_client(), auth, tokens
    for app in (one, two):
        app.extensions["sdmx_engine"].dispose()


def _rows(client, headers: dict) -> int | str:
    r = client.get(QUERY, headers={**headers, **CSV})
    if r.status_code in (204, 404):
        return 0
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    return len(r.get_data(as_text=True).splitlines()) - 1


def test_grants_and_publicity_changed_elsewhere_apply_on_the_next_request(workers, engine):
    one, two, auth, _ = workers
    assert _rows(two, auth["kg_viewer"]) == 0 and _rows(two, {}) == 0  # cached: KG and the public see nothing
    with engine.begin() as conn:
        GrantStore(conn).grant("KZ", FLOW_URN, "KG", by="test")
    assert _rows(two, auth["kg_viewer"]) == 1 and _rows(two, {}) == 0
    with engine.begin() as conn:
        GrantStore(conn).withdraw("KZ", FLOW_URN, "KG")
    assert _rows(two, auth["kg_viewer"]) == 0
    with engine.begin() as conn:
        GrantStore(conn).set_public("KZ", FLOW_URN, True, by="test")
    assert _rows(two, {}) == 1 and _rows(two, auth["kg_viewer"]) == 1


def test_a_revoked_token_or_deactivated_user_is_refused_by_every_worker_at_once(workers, engine):
    one, two, auth, tokens = workers
    assert _rows(two, auth["kz_admin"]) == 1 and _rows(two, auth["kg_viewer"]) == 0  # both tokens cached
    with engine.begin() as conn:
        assert UserStore(conn, None).revoke_token(tokens["kg_viewer"])
    assert _rows(two, auth["kg_viewer"]) == "HTTP 401"
    assert _rows(two, auth["kz_admin"]) == 1
    with engine.begin() as conn:
        conn.execute(text("UPDATE user_account SET is_active = :no WHERE username = 'kz_admin'"), {"no": False})
    assert _rows(two, auth["kz_admin"]) == "HTTP 401"
    assert _rows(one, auth["kz_admin"]) == "HTTP 401"


def test_every_change_to_who_sees_what_moves_the_access_version(workers, engine):
    def version() -> int:
        with engine.connect() as conn:
            return read_access_version(conn)

    changes = {
        "user": "INSERT INTO user_account (username, password_hash, display_name, is_active, created_at) "
                "VALUES ('x', 'h', '', true, CURRENT_TIMESTAMP)",
        "role": "INSERT INTO user_role (user_id, role, dataflow_urn) "
                "SELECT id, 'data_submitter', '' FROM user_account WHERE username = 'kg_viewer'",
        "role removed": "DELETE FROM user_role WHERE role = 'data_submitter'",
        "token": "UPDATE api_token SET label = 'renamed'",
        "grant": f"INSERT INTO data_grant (owner_provider, dataflow_urn, grantee_provider, granted_at) "
                 f"VALUES ('KZ', '{FLOW_URN}', 'MD', CURRENT_TIMESTAMP)",
        "publicity": f"INSERT INTO data_publicity (owner_provider, dataflow_urn, is_public, changed_at) "
                     f"VALUES ('KZ', '{FLOW_URN}', true, CURRENT_TIMESTAMP)",
        "user removed": "DELETE FROM user_account WHERE username = 'x'",
    }
    for what, sql in changes.items():
        before = version()
        with engine.begin() as conn:
            conn.execute(text(sql))
        assert version() > before, f"{what}: the access version did not move"
    before = version()
    with engine.begin() as conn:  # a change of something else leaves cached access reads alone
        conn.execute(text("INSERT INTO login_failure (key, failures, last_failed_at) "
                          "VALUES ('user:nobody', 1, CURRENT_TIMESTAMP)"))
    assert version() == before


def test_the_release_counter_moves_with_each_release_and_nothing_else(workers, engine):
    """Triggers keep access_version.releases (migration 0107): the stamp is one primary-key read however many
    submissions were released, and it must still move on every release, by whatever path it happens."""
    def stamp() -> tuple[int, int]:
        with engine.connect() as conn:
            return read_access_stamp(conn)

    def released() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM submission WHERE state = 'released'")).scalar_one()

    one, _, auth, _ = workers
    assert stamp()[1] == released() == 1
    r = one.post(SUBMIT.replace("?release=now", ""), data=_csv("120"),
                 headers={**auth["kz_admin"], "Content-Type": "text/csv"})
    assert r.status_code in (200, 201, 202), r.data
    assert stamp()[1] == 1, "a submission not released moved the release counter"
    with engine.begin() as conn:  # released by plain SQL: the trigger counts it all the same
        conn.execute(text("UPDATE submission SET state = 'released' WHERE state <> 'released'"))
    assert stamp()[1] == released() == 2
    with engine.begin() as conn:  # a released row updated again is not a new release
        conn.execute(text("UPDATE submission SET state = 'released'"))
    assert stamp()[1] == 2


def test_an_answer_is_served_again_only_while_its_etag_holds(workers):
    one, two, auth, _ = workers
    first = one.get(QUERY, headers={**auth["kz_admin"], **CSV})
    again = one.get(QUERY, headers={**auth["kz_admin"], **CSV})
    assert first.status_code == again.status_code == 200
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert one.application.extensions["sdmx_response_cache"].get((first.headers["ETag"], "http://localhost/"))
    assert _rows(one, auth["kg_viewer"]) == 0  # the same URL, another caller: not the kept answer
    r = two.post(SUBMIT, data=_csv("250"), headers={**auth["kz_admin"], "Content-Type": "text/csv"})
    assert r.status_code == 200, r.data
    after = one.get(QUERY, headers={**auth["kz_admin"], **CSV})
    assert after.headers["ETag"] != first.headers["ETag"] and b",250," in after.data and b",100," not in after.data


def test_the_answer_cache_keeps_small_answers_within_its_budget():
    cache = ResponseCache(32 * 100)  # entries up to 100 bytes
    assert b"".join(cache.filling(("a", "h"), iter([b"x" * 60, b"y" * 60]))) == b"x" * 60 + b"y" * 60
    assert cache.get(("a", "h")) is None  # 120 bytes: streamed, not kept
    for i in range(40):
        list(cache.filling((str(i), "h"), iter([b"z" * 100])))
    kept = [i for i in range(40) if cache.get((str(i), "h")) is not None]
    assert kept == list(range(8, 40))  # the oldest dropped first, 3,200 bytes at most
    body = cache.filling(("cut", "h"), iter([b"1", b"2"]))
    next(body)
    body.close()  # the client went away: a partial answer is never kept
    assert cache.get(("cut", "h")) is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's driver traces every statement
def test_a_data_query_checks_cached_access_reads_in_the_statement_that_finds_its_data(workers):
    """Once a worker holds access reads, a data query reads the access version in the statement that finds
    its data sets, not in one of its own (on PostgreSQL a round trip per request, the same code); what the
    presumed reads let through is answered only if that version is theirs (test_grants_... and
    test_a_revoked_... above, on both databases)."""
    one, _, auth, _ = workers
    assert _rows(one, auth["kz_admin"]) == 1  # the worker holds the reads of this access version
    statements: list[str] = []
    app_engine = one.application.extensions["sdmx_engine"]

    def trace(dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        dbapi_conn.set_trace_callback(statements.append)

    event.listen(app_engine, "checkout", trace)
    try:
        assert _rows(one, auth["kz_admin"]) == 1
    finally:
        event.remove(app_engine, "checkout", trace)
    reads = [s for s in statements if "access_version" in s]
    assert len(reads) == 1 and "change_log" in reads[0], statements


def test_a_wrong_password_on_a_data_query_counts_one_failure(workers, engine):
    """The caller is found once, before the presumed access reads are used: a password check that failed is
    not made (nor counted) again when the query is prepared a second time."""
    one, _, auth, _ = workers
    assert _rows(one, auth["kz_admin"]) == 1
    wrong = "Basic " + base64.b64encode(b"kz_admin:not-the-password").decode()
    assert _rows(one, {"Authorization": wrong}) == "HTTP 401"
    with engine.connect() as conn:
        assert LoginFailureStore(conn).failures(username_key("kz_admin", "127.0.0.1")) == 1  # the test client


@pytest.fixture
def reciprocal(config, engine):
    """Two workers with the reciprocity rule on; KZ figures released and granted to KG, which has released
    none of its own yet; tokens of both countries' administrators and of a KG viewer."""
    load_structures(engine, list(_seed_artefacts()))
    cfg = replace(config, release_check_seconds=0, reciprocity=True, four_eyes_waived=["KZ", "KG"])
    one, two = create_app(config=cfg), create_app(config=cfg)
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, one.extensions["sdmx_policy"])
        for name, role, country in (("kz_admin", "country_administrator", "KZ"),
                                    ("kg_admin", "country_administrator", "KG"), ("kg_viewer", "viewer", "KG")):
            users.add(name, "unused", roles=[role], country=country, password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
        GrantStore(conn).grant("KZ", FLOW_URN, "KG", by="test")
    auth = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    r = one.test_client().post(SUBMIT, data=_csv("100"), headers={**auth["kz_admin"], "Content-Type": "text/csv"})
    assert r.status_code == 200, r.data
    yield one.test_client(), two.test_client(), auth
    for app in (one, two):
        app.extensions["sdmx_engine"].dispose()


def test_a_countrys_first_release_on_a_granted_indicator_applies_on_the_next_request(reciprocal):
    """What a country-bound caller may see is compiled once per access stamp; a release moves the stamp, so
    the reciprocity condition it depends on is never older than the request."""
    one, two, auth = reciprocal
    assert _rows(two, auth["kg_viewer"]) == 0 and _rows(two, auth["kg_viewer"]) == 0  # KG released nothing yet
    kg = f"{HEAD}\ndataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KG,RU,F,2023-S1,5,PS,A".encode()
    r = one.post(SUBMIT, data=kg, headers={**auth["kg_admin"], "Content-Type": "text/csv"})
    assert r.status_code == 200, r.data
    assert _rows(two, auth["kg_viewer"]) == 1  # KZ's granted figure, the next request in the other worker


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's driver traces every statement
def test_a_country_bound_callers_visibility_is_not_read_again_on_each_request(reciprocal):
    """The reciprocity condition (where the caller's country has released data) is read once per access
    stamp, not per request: a country-bound token costs what an anonymous caller does."""
    _, two, auth = reciprocal
    assert _rows(two, auth["kg_viewer"]) == 0
    statements: list[str] = []
    app_engine = two.application.extensions["sdmx_engine"]

    def trace(dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        dbapi_conn.set_trace_callback(statements.append)

    event.listen(app_engine, "checkout", trace)
    try:
        assert _rows(two, auth["kg_viewer"]) == 0
    finally:
        event.remove(app_engine, "checkout", trace)
    assert statements and not [s for s in statements if "data_grant" in s or "EXISTS" in s.upper()], statements
