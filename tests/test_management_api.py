"""The management JSON API over HTTP (Flask test client, real database): users, sharing, tokens, audit."""

from __future__ import annotations

import base64

import pytest

from sdmx_server.storage.user_store import UserStore

from .access_world import F, G, PASSWORD, USERS, build_world

pytestmark = pytest.mark.storage
PROBLEM = {"Accept": "application/json, application/problem+json"}
F_PATH = "DSM/DF_ENTRIES/1.0"


@pytest.fixture
def api(app, engine):
    """call(user or None, method, path, json=None) with the user's bearer token."""
    policy = app.extensions["sdmx_policy"]
    build_world(engine, policy)
    with engine.begin() as conn:
        users = UserStore(conn, policy)
        tokens = {name: users.create_token(name, days=1)[0] for name in USERS}
    client = app.test_client()

    def call(user: str | None, method: str, path: str, json=None, **headers: str):
        auth = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return client.open(path, method=method, json=json, headers={**PROBLEM, **auth, **headers})

    call.tokens = tokens
    call.client = client
    return call


def test_anonymous_callers_get_401_and_others_403(api):
    r = api(None, "GET", "/api/users")
    assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
    assert r.mimetype == "application/problem+json" and r.get_json()["status"] == 401
    r = api("kz_viewer", "GET", "/api/users")
    assert r.status_code == 403 and "may not manage users" in r.get_json()["detail"]
    assert api("kz_viewer", "GET", "/api/providers/KZ/sharing").status_code == 403
    assert api("kz_viewer", "GET", "/api/audit").status_code == 403
    assert api(None, "GET", "/api/me").status_code == 401
    assert api(None, "GET", "/api/me", Authorization="Bearer dsm_forged").status_code == 401
    me = api("kz_f_admin", "GET", "/api/me").get_json()
    assert me["country"] == "KZ" and "manage_country_users" in me["privileges"]
    assert me["indicatorPrivileges"] == {"release_data": [F], "submit_data": [F], "verify_data": [F]}


def test_country_administrator_manages_users_of_their_country(api):
    created = api("kz_admin", "POST", "/api/users", {"username": "kz_new", "password": "long-enough-1",
                                                    "displayName": "Dana",
                                                    "roles": [{"role": "data_submitter", "dataflow": F}]})
    assert created.status_code == 201, created.data
    assert created.get_json() == {"username": "kz_new", "country": "KZ", "displayName": "Dana", "active": True,
                                  "roles": [{"role": "data_submitter", "dataflow": F}]}
    assert [u["username"] for u in api("kz_admin", "GET", "/api/users").get_json()] == [
        "kz_admin", "kz_f_admin", "kz_new", "kz_viewer"]
    r = api("kz_admin", "PUT", "/api/users/kz_new/roles", {"roles": [{"role": "viewer"}, {"role": "data_approver",
                                                                                          "dataflow": G}]})
    assert r.status_code == 200 and r.get_json()["roles"] == [{"role": "data_approver", "dataflow": G},
                                                              {"role": "viewer", "dataflow": None}]
    r = api("kz_admin", "PATCH", "/api/users/kz_new", {"active": False, "displayName": "Dana K."})
    assert r.status_code == 200 and (r.get_json()["active"], r.get_json()["displayName"]) == (False, "Dana K.")
    r = api("kz_admin", "POST", "/api/users/kz_new/password", {})
    new_password = r.get_json()["password"]
    assert r.status_code == 200 and len(new_password) >= 10
    api("kz_admin", "PATCH", "/api/users/kz_new", {"active": True})
    basic = base64.b64encode(f"kz_new:{new_password}".encode()).decode()
    assert api(None, "GET", "/api/me", Authorization=f"Basic {basic}").get_json()["username"] == "kz_new"
    # the rules, as HTTP statuses
    assert api("kz_admin", "GET", "/api/users/kg_viewer").status_code == 404
    assert api("kz_admin", "GET", "/api/users?country=KG").status_code == 403
    assert api("kz_admin", "POST", "/api/users", {"username": "kz_new", "password": "long-enough-1",
                                                 "roles": []}).status_code == 409
    r = api("kz_admin", "POST", "/api/users", {"username": "kz_x", "password": "long-enough-1",
                                              "roles": [{"role": "system_administrator"}]})
    assert r.status_code == 403 and "hosting organisation" in r.get_json()["detail"]
    assert api("kz_admin", "POST", "/api/users", {"username": "kz_x", "password": "short",
                                                 "roles": []}).status_code == 422
    assert api("kz_admin", "POST", "/api/users", {"username": "kz_x", "roles": []}).status_code == 400
    assert api("kz_admin", "POST", "/api/users", {"username": "kz_x", "password": "long-enough-1",
                                                 "roles": [{"dataflow": F}]}).status_code == 400
    assert api("kz_admin", "PATCH", "/api/users/kz_new", {"active": "no"}).status_code == 400
    assert api("kz_admin", "PATCH", "/api/users/kz_admin", {"active": False}).status_code == 422
    assert api("kz_f_admin", "PUT", "/api/users/kz_admin/roles", {"roles": []}).status_code == 403
    r = api("root", "GET", "/api/users?country=KZ")
    assert r.status_code == 200 and {u["country"] for u in r.get_json()} == {"KZ"}


def test_tokens_are_created_listed_and_revoked(api):
    r = api("kg_viewer", "POST", "/api/tokens", {"label": "nightly load", "days": 30})
    assert r.status_code == 201
    made = r.get_json()
    assert made["token"].startswith("dsm_") and made["label"] == "nightly load" and made["revokedAt"] is None
    mine = api("kg_viewer", "GET", "/api/tokens").get_json()
    assert len(mine) == 2 and mine[1]["id"] == made["id"] and all("token" not in t for t in mine)  # 1st: fixture's
    with_new = {"Authorization": f"Bearer {made['token']}", **PROBLEM}
    assert api.client.get("/api/me", headers=with_new).get_json()["username"] == "kg_viewer"
    assert api("kg_admin", "DELETE", f"/api/tokens/{made['id']}").status_code == 404  # not theirs
    assert api("kg_viewer", "DELETE", f"/api/tokens/{made['id']}").status_code == 204
    assert api.client.get("/api/me", headers=with_new).status_code == 401
    assert api("kg_viewer", "GET", "/api/tokens").get_json()[1]["revokedAt"] is not None
    assert api("kg_viewer", "POST", "/api/tokens", {"days": 1000}).status_code == 422
    assert api("kg_viewer", "POST", "/api/tokens", {"days": "7"}).status_code == 400


def test_sharing_of_an_indicator_is_granted_withdrawn_and_published(api):
    base = f"/api/providers/KZ/sharing/{F_PATH}"
    r = api("kz_admin", "PUT", f"{base}/grantees/KG")
    assert r.status_code == 200 and r.get_json() == {"owner": "KZ", "dataflow": F, "public": False, "grantees": ["KG"]}
    assert api("kz_admin", "PUT", f"{base}/grantees/MD").get_json()["grantees"] == ["KG", "MD"]
    r = api("kz_admin", "PUT", f"{base}/public", {"public": True})
    assert r.status_code == 200 and r.get_json()["public"] is True
    assert api("kz_admin", "DELETE", f"{base}/grantees/MD").get_json()["grantees"] == ["KG"]
    listing = api("kz_admin", "GET", "/api/providers/KZ/sharing").get_json()
    assert len(listing) == 6 and [x for x in listing if x["dataflow"] == F][0]["grantees"] == ["KG"]
    # another country's administrator, a viewer, unknown things
    assert api("kg_admin", "PUT", f"{base}/grantees/KG").status_code == 403
    assert api("kz_viewer", "PUT", f"{base}/public", {"public": False}).status_code == 403
    assert api("kz_admin", "PUT", f"{base}/grantees/XX").status_code == 422
    assert api("kz_admin", "PUT", "/api/providers/KZ/sharing/DSM/DF_NOPE/1.0/grantees/KG").status_code == 404
    assert api("kz_admin", "PUT", f"{base}/public", {"public": "yes"}).status_code == 400
    assert api("root", "PUT", f"/api/providers/KG/sharing/{F_PATH}/grantees/KZ").status_code == 200
    # the audit log: the country administrator reads KZ's entries, the system administrator all
    kz_log = api("kz_admin", "GET", "/api/audit").get_json()
    assert [(e["action"], e["actor"]) for e in kz_log] == [
        ("sharing.withdraw", "kz_admin"), ("sharing.publish", "kz_admin"), ("sharing.grant", "kz_admin"),
        ("sharing.grant", "kz_admin")]
    assert kz_log[0]["details"] == {"grantee": "MD"} and kz_log[0]["target"] == F
    assert [e["country"] for e in api("kg_admin", "GET", "/api/audit").get_json()] == ["KG"]
    assert api("kz_admin", "GET", "/api/audit?country=KG").status_code == 403
    assert len(api("root", "GET", "/api/audit").get_json()) == 5
    assert len(api("root", "GET", "/api/audit?limit=2").get_json()) == 2
    assert api("root", "GET", "/api/audit?limit=0").status_code == 400
