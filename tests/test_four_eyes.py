"""Four eyes: the verifier and the approver of a submission are never its submitter, country administrators
included, on the API (steps and release=now) and the portal; a country listed in ``four_eyes_waived`` (a
one-person office) may, and each waived step is in the audit log."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sdmx_server.app import create_app
from sdmx_server.seeding import load_structures
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.storage.user_store import UserStore

from .access_world import PASSWORD, _password_hash, _seed_artefacts
from .db_dump import dump
from .portal.conftest import csrf_token, sign_in
from .test_workflow import CSV, SUBMIT, USERS, csv

pytestmark = pytest.mark.storage


def make_world(config, engine, waived: list[str]):
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=replace(config, four_eyes_waived=waived))
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, (role, country) in USERS.items():
            users.add(name, PASSWORD, roles=[role], country=country, password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
    client = app.test_client()

    def call(user: str, method: str, path: str, body=None, json=None, **headers):
        return client.open(path, method=method, data=body, json=json,
                           headers={"Authorization": f"Bearer {tokens[user]}", **headers})
    return app, call


@pytest.fixture
def strict(config, engine):
    app, call = make_world(config, engine, [])
    yield app, call
    app.extensions["sdmx_engine"].dispose()


@pytest.fixture
def waived(config, engine):
    app, call = make_world(config, engine, ["KZ"])
    yield app, call
    app.extensions["sdmx_engine"].dispose()


def pending(call, user: str) -> int:
    r = call(user, "POST", SUBMIT, csv({"RU.F.2023-S1": "100"}), **CSV)
    assert r.status_code == 202, r.data[:500]
    return r.get_json()["submission"]


def waivers(engine) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        return [(e.actor, e.target, json.loads(e.details) if isinstance(e.details, str) else e.details)
                for e in AuditStore(conn).entries(country="KZ") if e.action == "submission.four_eyes_waived"]


def test_a_country_administrator_neither_verifies_nor_releases_their_own_submission(strict, engine):
    _, call = strict
    sid = pending(call, "kz_admin")
    before = dump(engine)
    r = call("kz_admin", "POST", f"/api/submissions/{sid}/verify", json={})
    assert r.status_code == 403 and "four-eyes" in r.get_data(as_text=True)
    assert dump(engine) == before
    assert call("kz_verifier", "POST", f"/api/submissions/{sid}/verify", json={}).status_code == 200
    before = dump(engine)
    r = call("kz_admin", "POST", f"/api/submissions/{sid}/release", json={})
    assert r.status_code == 403 and "four-eyes" in r.get_data(as_text=True)
    assert dump(engine) == before
    r = call("kz_approver", "POST", f"/api/submissions/{sid}/release", json={})
    assert r.status_code == 200 and r.get_json()["state"] == "released"
    assert waivers(engine) == []


def test_another_administrator_may_verify_and_release(strict, engine):
    _, call = strict
    sid = pending(call, "kz_submitter")
    assert call("kz_admin", "POST", f"/api/submissions/{sid}/verify", json={}).status_code == 200
    assert call("kz_admin", "POST", f"/api/submissions/{sid}/release", json={}).status_code == 200


def test_release_now_by_one_person_is_refused_and_stores_nothing(strict, engine):
    _, call = strict
    before = dump(engine)
    r = call("kz_admin", "POST", SUBMIT + "?release=now", csv({"RU.F.2023-S1": "100"}), **CSV)
    assert r.status_code == 403 and "four-eyes" in r.get_data(as_text=True)
    assert dump(engine) == before


def test_deleting_figures_at_once_is_one_person_releasing_and_is_refused(strict, engine):
    _, call = strict
    before = dump(engine)
    r = call("kz_admin", "DELETE", SUBMIT + "/S.KZ.RU.F")
    assert r.status_code == 403 and "four-eyes" in r.get_data(as_text=True)
    assert dump(engine) == before


def test_a_waived_country_does_every_step_and_the_audit_log_says_so(waived, engine):
    _, call = waived
    r = call("kz_admin", "POST", SUBMIT + "?release=now", csv({"RU.F.2023-S1": "100"}), **CSV)
    assert r.status_code == 200 and r.get_json()["state"] == "released"
    first = r.get_json()["submission"]
    sid = pending(call, "kz_admin")
    assert call("kz_admin", "POST", f"/api/submissions/{sid}/verify", json={}).status_code == 200
    assert call("kz_admin", "POST", f"/api/submissions/{sid}/release", json={}).status_code == 200
    r = call("kz_admin", "DELETE", SUBMIT + "/S.KZ.RU.F")
    assert r.status_code == 200, r.data
    deleted = r.get_json()["submission"]
    found = sorted((t, d["step"]) for a, t, d in waivers(engine) if a == "kz_admin")
    assert found == sorted([(f"submission {first}", "release on submission"), (f"submission {sid}", "verify"),
                            (f"submission {sid}", "release"), (f"submission {deleted}", "delete")])
    # the waiver is KZ's only: KG's administrator is still bound
    kg = csv({"RU.F.2023-S1": "1"}).replace(b",KZ,", b",KG,")
    assert call("kg_admin", "POST", SUBMIT + "?release=now", kg, **CSV).status_code == 403


def test_the_portal_offers_no_step_on_ones_own_submission_and_refuses_it(strict, engine):
    app, call = strict
    sid = pending(call, "kz_admin")
    browser = app.test_client()
    assert sign_in(browser, "kz_admin").status_code == 302
    page = browser.get(f"/en/submissions/{sid}").get_data(as_text=True)
    assert f"/en/submissions/{sid}/verify" not in page and f"/en/submissions/{sid}/return" in page
    assert "another person confirms and releases them" in page
    r = browser.post(f"/en/submissions/{sid}/verify", data={"csrf_token": csrf_token(page)})
    assert r.status_code == 403
    with engine.connect() as conn:
        assert SubmissionStore(conn).get(sid).state == "pending"
    other = app.test_client()
    assert sign_in(other, "kz_verifier").status_code == 302
    assert f"/en/submissions/{sid}/verify" in other.get(f"/en/submissions/{sid}").get_data(as_text=True)
