"""Two server processes (separate ports, separate worker pools) on one PostgreSQL database behave as one
server: a withdrawn grant holds on the very next request through the other node, an embargoed release due
now is applied exactly once with both checking, wrong passwords on both nodes count once per attempt, and
a portal session cookie from one node is valid on the other (same secret key).

Everything over real HTTP against `sdmx-server init`-ed demo data (demo accounts, demo sharing).
"""

from __future__ import annotations

import base64
import os
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import text

from sdmx_server.access.login_throttle import PER_USERNAME
from sdmx_server.storage.database import make_engine

from .conftest import POSTGRES_URL, _pg_schema_url
from .live_server import cli, gunicorns
from .test_workflow import CSV, DATA, FLOW, SUBMIT, csv

pytestmark = pytest.mark.storage
DEMO_PASSWORD = "demo-password"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSV_OUT = {"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}


USERS = ("kz_data_submitter", "kz_data_verifier", "kz_data_approver", "kz_viewer", "kg_viewer",
         "kz_country_administrator")
TOKENS: dict[str, str] = {}


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


def basic(user: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def nodes():
    """Two gunicorns, two workers each, on one freshly initialised PostgreSQL schema; every worker checks
    for due embargoes every 0.2 s. Yields (url_a, url_b, database_url)."""
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    try:
        done = cli(url, "init")
        assert done.returncode == 0, done.stderr + done.stdout
        with gunicorns(url, 2, release_check_seconds=0.2) as (a, b):
            for user in USERS:  # a token each: one slow password check instead of one a request
                r = requests.post(a + "/api/tokens", json={"days": 1}, headers=basic(user), timeout=30)
                assert r.status_code == 201, r.text[:300]
                TOKENS[user] = r.json()["token"]
            yield a, b, url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _validated_kz_submission(base: str, values: dict[str, str]) -> int:
    """Submitted by KZ's submitter and verified by KZ's verifier (four eyes), through node ``base``."""
    r = requests.post(base + SUBMIT, data=csv(values), headers={**bearer("kz_data_submitter"), **CSV}, timeout=30)
    assert r.status_code == 202, r.text[:500]
    sid = r.json()["submission"]
    r = requests.post(f"{base}/api/submissions/{sid}/verify", json={}, headers=bearer("kz_data_verifier"), timeout=30)
    assert r.status_code == 200, r.text[:500]
    return sid


def test_embargoed_releases_due_now_are_applied_exactly_once(nodes):
    a, b, url = nodes
    values = {"RU.F.2023-S1": "100", "RU.M.2023-S1": "50", "KG.M.2023-S1": "25"}
    sids = [_validated_kz_submission(a, {key: value}) for key, value in values.items()]
    due = datetime.now(timezone.utc) + timedelta(seconds=4)  # all three at one moment, once all are scheduled
    for sid, node in zip(sids, (a, b, a)):
        r = requests.post(f"{node}/api/submissions/{sid}/release", json={"releaseAt": due.isoformat()},
                          headers=bearer("kz_data_approver"), timeout=30)
        assert r.status_code == 200 and r.json()["state"] == "validated", r.text[:500]
    deadline = time.monotonic() + 20
    while True:  # four processes (two a node) race for them every 0.2 s
        states = [requests.get(f"{b}/api/submissions/{sid}", headers=bearer("kz_data_approver"),
                               timeout=30).json()["state"] for sid in sids]
        if set(states) == {"released"} or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert states == ["released"] * 3, states
    time.sleep(1.0)  # give a second applier every chance to show itself
    for sid in sids:
        row = requests.get(f"{a}/api/submissions/{sid}", headers=bearer("kz_data_approver"), timeout=30).json()
        releases = [t for t in row["transitions"] if t["to"] == "released"]
        assert len(releases) == 1 and releases[0]["actor"] != "kz_data_approver", row["transitions"]
        assert row["changes"] == {"inserted": 1, "updated": 0, "deleted": 0}, row
    engine = make_engine(url)
    try:
        with engine.connect() as conn:  # in the database too: one release transition each
            counts = conn.execute(text("SELECT submission_id, count(*) FROM submission_transition "
                                       "WHERE to_state = 'released' GROUP BY submission_id")).all()
    finally:
        engine.dispose()
    assert {sid: n for sid, n in counts if sid in sids} == {sid: 1 for sid in sids}
    for node in (a, b):
        r = requests.get(node + DATA, headers={**bearer("kz_viewer"), **CSV_OUT}, timeout=30)
        assert r.status_code == 200 and all(f",{v}," in r.text for v in values.values()), r.text[:500]


def test_a_grant_withdrawn_through_one_node_holds_on_the_next_request_through_the_other(nodes):
    a, b, _ = nodes
    sid = _validated_kz_submission(a, {"KG.F.2022-S2": "7"})
    r = requests.post(f"{a}/api/submissions/{sid}/release", json={}, headers=bearer("kz_data_approver"), timeout=30)
    assert r.status_code == 200 and r.json()["state"] == "released", r.text[:500]
    query = DATA.replace("S.KZ..", "S.KZ.KG.F")
    viewer = {**bearer("kg_viewer"), **CSV_OUT}
    for _ in range(3):  # warm every worker's caches on node B (the demo shares KZ's stock with KG)
        r = requests.get(b + query, headers=viewer, timeout=30)
        assert r.status_code == 200 and ",7," in r.text, r.text[:500]
    sharing = f"/api/providers/KZ/sharing/{FLOW}/grantees/KG"
    r = requests.delete(a + sharing, headers=bearer("kz_country_administrator"), timeout=30)
    assert r.status_code == 200 and "KG" not in r.json()["grantees"], r.text[:500]
    for _ in range(3):  # whichever worker of B answers, the very next request already follows it
        r = requests.get(b + query, headers=viewer, timeout=30)
        assert r.status_code in (403, 404) and ",7," not in r.text, (r.status_code, r.text[:500])
    r = requests.put(b + sharing, headers=bearer("kz_country_administrator"), timeout=30)  # and back, via B
    assert r.status_code == 200 and "KG" in r.json()["grantees"]
    r = requests.get(a + query, headers=viewer, timeout=30)
    assert r.status_code == 200 and ",7," in r.text, r.text[:500]


def test_wrong_passwords_on_both_nodes_count_once_per_attempt(nodes):
    a, b, url = nodes
    wrong = {**basic("md_viewer", "not-the-password"), "Accept": "application/problem+json"}
    statuses: list[int] = []
    while statuses.count(401) < PER_USERNAME.free_failures + 2:  # alternate nodes until 7 failures counted
        r = requests.get((a, b)[len(statuses) % 2] + "/api/me", headers=wrong, timeout=30)
        statuses.append(r.status_code)
        if r.status_code == 429:  # blocked (1 s after the 5th, 2 s after the 6th): wait as told
            time.sleep(int(r.headers["Retry-After"]))
        assert len(statuses) < 20, statuses
    # counted twice, the 3rd attempt would already be blocked; counted once, the first five all are checked
    assert statuses[:PER_USERNAME.free_failures] == [401] * PER_USERNAME.free_failures, statuses
    assert set(statuses) <= {401, 429}, statuses
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = dict(conn.execute(text("SELECT key, failures FROM login_failure "
                                            "WHERE key LIKE '%md_viewer'")).all())
    finally:
        engine.dispose()
    assert list(counts.values()) == [statuses.count(401)], (counts, statuses)
    # blocked for 4 s after the 7th: on either node, even the right password waits
    for node in (b, a):
        r = requests.get(node + "/api/me", headers={**basic("md_viewer", DEMO_PASSWORD),
                                                    "Accept": "application/problem+json"}, timeout=30)
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 4, r.text[:300]


def test_a_portal_session_from_one_node_is_valid_on_the_other(nodes):
    a, b, _ = nodes
    browser = requests.Session()
    page = browser.get(f"{a}/en/sign-in", timeout=30)
    token = CSRF.search(page.text)
    assert token, "no CSRF token on the sign-in form"
    r = browser.post(f"{a}/en/sign-in", data={"csrf_token": token.group(1), "username": "kg_viewer",
                                              "password": DEMO_PASSWORD, "next": ""},
                     allow_redirects=False, timeout=30)
    assert r.status_code in (302, 303), r.text[:500]
    assert browser.cookies, "signing in set no cookie"
    page = browser.get(f"{b}/en/", timeout=30)  # the same cookie, the other node
    assert page.status_code == 200 and "Sign out" in page.text, page.text[:800]
    assert "Demo viewer (KG)" in page.text, page.text[page.text.find("Sign out") - 800:page.text.find("Sign out")]
    stranger = requests.get(f"{b}/en/", timeout=30)
    assert "Sign out" not in stranger.text
