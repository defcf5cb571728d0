"""The management OpenAPI document: served, valid, complete for its blueprint, and true to real responses."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi

from sdmx_server.access import login_throttle
from sdmx_server.storage.login_failure_store import LoginFailureStore

from .access_world import F
from .test_management_api import F_PATH, api  # noqa: F401  (the fixture)
from .test_openapi import _openapi_path, _resolve, check, documented_response

DOC = "/api/openapi/management"
SHARING = "/api/providers/{provider}/sharing/{agencyID}/{resourceID}/{version}"


@pytest.fixture
def doc(client) -> dict:
    r = client.get(DOC + ".json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def test_served_yaml_and_json_are_the_same_valid_openapi_document(client, doc):
    r = client.get(DOC + ".yaml")
    assert r.status_code == 200 and yaml.safe_load(r.data) == doc
    validate_openapi(doc)
    assert doc["openapi"].startswith("3.1")


def test_every_management_route_is_documented_with_its_methods(app, doc):
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("management.", "submissions.", "subscriptions.")):
            routes.setdefault(_openapi_path(rule.rule), set()).update(rule.methods - {"HEAD", "OPTIONS"})
    documented = {re.sub(r"\{[^}]+\}", "{}", path): {m.upper() for m in item if m in ("get", "put", "post", "delete",
                                                                                       "patch")}
                  for path, item in doc["paths"].items()}
    assert documented == routes and len(routes) == 23
    for path, item in doc["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method in ("get", "put", "post", "delete", "patch"):
            if method in item:
                params = [_resolve(doc, p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
                declared = {p["name"] for p in params if p["in"] == "path"}
                assert declared == names, (path, method)


def test_roles_and_audit_actions_documented_are_those_of_the_code(app, doc):
    roles = doc["components"]["schemas"]["RoleAssignment"]["properties"]["role"]["enum"]
    assert set(roles) == set(app.extensions["sdmx_policy"].roles)
    source = (Path(__file__).parents[1] / "sdmx_server" / "access" / "administration.py").read_text()
    actions = set(re.findall(r'"((?:user|token|sharing)\.[a-z_]+)"', source))
    assert len(actions) == 12
    described = doc["components"]["schemas"]["AuditEntry"]["properties"]["action"]["description"]
    assert actions == set(re.findall(r"(?:user|token|sharing)\.[a-z_]+", described))


def test_real_responses_fit_the_documented_schemas(api, doc):  # noqa: F811
    def ok(user, method, path, template, status, json=None, **headers):
        r = api(user, method, path, json, **headers)
        assert r.status_code == status, (method, path, r.data)
        if status == 204:
            assert "content" not in documented_response(doc, template, method.lower(), 204)
        else:
            check(doc, template, method.lower(), r)
        return r

    ok("kz_admin", "GET", "/api/me", "/api/me", 200)
    ok(None, "GET", "/api/me", "/api/me", 401)
    ok("kz_admin", "POST", "/api/users", "/api/users", 201,
       {"username": "kz_n", "password": "long-enough-1", "roles": [{"role": "viewer"}]})
    ok("kz_admin", "GET", "/api/users", "/api/users", 200)
    ok("kz_viewer", "GET", "/api/users", "/api/users", 403)
    ok("kz_admin", "POST", "/api/users", "/api/users", 409, {"username": "kz_n", "password": "long-enough-1",
                                                             "roles": []})
    ok("kz_admin", "POST", "/api/users", "/api/users", 422, {"username": "x", "password": "short", "roles": []})
    ok("kz_admin", "POST", "/api/users", "/api/users", 400, {"username": "x"})
    user = "/api/users/{username}"
    ok("kz_admin", "GET", "/api/users/kz_n", user, 200)
    ok("kz_admin", "GET", "/api/users/kg_viewer", user, 404)
    ok("kz_admin", "PATCH", "/api/users/kz_n", user, 200, {"displayName": "N"})
    ok("kz_admin", "PUT", "/api/users/kz_n/roles", user + "/roles", 200,
       {"roles": [{"role": "data_submitter", "dataflow": F}]})
    ok("kz_admin", "POST", "/api/users/kz_n/password", user + "/password", 200)
    made = ok("kz_viewer", "POST", "/api/tokens", "/api/tokens", 201, {"label": "x", "days": 2}).get_json()
    ok("kz_viewer", "GET", "/api/tokens", "/api/tokens", 200)
    ok("kz_viewer", "DELETE", f"/api/tokens/{made['id']}", "/api/tokens/{tokenID}", 204)
    ok("kz_viewer", "DELETE", f"/api/tokens/{made['id']}", "/api/tokens/{tokenID}", 404)
    ok("kz_admin", "GET", "/api/providers/KZ/sharing", "/api/providers/{provider}/sharing", 200)
    ok("kz_admin", "PUT", f"/api/providers/KZ/sharing/{F_PATH}/grantees/KG", SHARING + "/grantees/{grantee}", 200)
    ok("kz_admin", "DELETE", f"/api/providers/KZ/sharing/{F_PATH}/grantees/KG", SHARING + "/grantees/{grantee}", 200)
    ok("kz_admin", "PUT", f"/api/providers/KZ/sharing/{F_PATH}/grantees/XX", SHARING + "/grantees/{grantee}", 422)
    ok("kz_admin", "PUT", f"/api/providers/KZ/sharing/{F_PATH}/public", SHARING + "/public", 200, {"public": True})
    ok("kg_admin", "PUT", f"/api/providers/KZ/sharing/{F_PATH}/public", SHARING + "/public", 403, {"public": True})
    ok("kz_admin", "GET", "/api/audit", "/api/audit", 200)
    ok("kz_admin", "GET", "/api/audit?limit=x", "/api/audit", 400)
    # errors in each format the server answers them in: problem+json, SDMX-JSON, SDMX-ML
    ok("kz_viewer", "GET", "/api/users", "/api/users", 403, Accept="application/json")
    ok("kz_viewer", "GET", "/api/users", "/api/users", 403, Accept="application/xml")
    # 429 with its Retry-After header, as documented
    with api.client.application.extensions["sdmx_engine"].begin() as conn:
        store = LoginFailureStore(conn)
        for _ in range(9):
            login_throttle.record_failure(store, "kz_admin", "127.0.0.1", datetime.now(timezone.utc))  # the client's
    basic = "Basic " + base64.b64encode(b"kz_admin:whatever").decode()
    r = ok(None, "GET", "/api/me", "/api/me", 429, Authorization=basic)
    assert "Retry-After" in documented_response(doc, "/api/me", "get", 429)["headers"]
    assert 1 <= int(r.headers["Retry-After"]) <= 16
