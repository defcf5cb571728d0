"""The management JSON API under /api: users of my country, sharing of my indicators, my tokens, the audit log.

Thin views: parse, call access/administration.py, answer JSON. Callers sign in with a token
(Bearer) or HTTP Basic; no cookies, so no CSRF. Errors are mapped in rest_api/errors.py.
Documented in sdmx_server/openapi/management.yaml.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from ..access import administration as admin
from ..request_context import actor, db, write_transaction
from ..sdmx.artefacts import urn_for
from ..sdmx.errors import BadInput
from ..storage.audit_store import AuditEntry
from ..storage.user_store import TokenRow, UserRow

from .json_api import caller, check_text, int_arg, json_body, json_field, optional_json_body

bp = Blueprint("management", __name__, url_prefix="/api")
SHARING = "/providers/<provider>/sharing/<agency_id>/<resource_id>/<version>"


def _stores() -> admin.Stores:
    return admin.Stores.on(db(), current_app.extensions["sdmx_policy"])


def _roles(body: dict[str, Any]) -> list[admin.RoleAssignment]:
    out = []
    for item in json_field(body, "roles", list, required=True):
        if not isinstance(item, dict) or not isinstance(item.get("role"), str) \
                or not isinstance(item.get("dataflow") or "", str):
            raise BadInput('each role is {"role": "data_submitter", "dataflow": URN or null}')
        out.append(admin.RoleAssignment(check_text("role", item["role"]),
                                        check_text("dataflow", item.get("dataflow") or "")))
    return out


# -- JSON shapes ----------------------------------------------------------------------------------

def user_json(u: UserRow) -> dict[str, Any]:
    return {"username": u.username, "country": u.country, "displayName": u.display_name, "active": u.is_active,
            "roles": [{"role": r, "dataflow": d or None} for r, d in u.roles]}


def token_json(t: TokenRow) -> dict[str, Any]:
    return {"id": t.id, "label": t.label, "createdAt": t.created_at.isoformat(), "expiresAt": t.expires_at.isoformat(),
            "revokedAt": t.revoked_at.isoformat() if t.revoked_at else None}


def sharing_json(owner: str, s: admin.IndicatorSharing) -> dict[str, Any]:
    return {"owner": owner, "dataflow": s.dataflow_urn, "public": s.is_public, "grantees": list(s.grantees)}


def audit_json(e: AuditEntry) -> dict[str, Any]:
    return e.as_json()


# -- who am I -------------------------------------------------------------------------------------

@bp.get("/me")
def me() -> Response:
    who = caller()
    return jsonify({"username": who.username, "country": who.country, "privileges": sorted(who.privileges),
                    "indicatorPrivileges": {p: sorted(d or "*" for d in v)
                                            for p, v in sorted(who.indicator_privileges.items())
                                            if p in current_app.extensions["sdmx_policy"].per_indicator}})


# -- users ----------------------------------------------------------------------------------------

@bp.get("/users")
def list_users() -> Response:
    who = caller()
    return jsonify([user_json(u) for u in admin.list_users(_stores(), who, request.args.get("country"))])


@bp.post("/users")
def create_user() -> tuple[Response, int]:
    who = caller()
    body = json_body()
    with write_transaction():
        user = admin.create_user(_stores(), who, username=json_field(body, "username", str, required=True),
                                 password=json_field(body, "password", str, required=True), roles=_roles(body),
                                 country=json_field(body, "country", str),
                                 display_name=json_field(body, "displayName", str, ""))
    return jsonify(user_json(user)), 201


@bp.get("/users/<username>")
def get_user(username: str) -> Response:
    return jsonify(user_json(admin.get_user(_stores(), caller(), username)))


@bp.patch("/users/<username>")
def update_user(username: str) -> Response:
    who = caller()
    body = json_body()
    active, name = json_field(body, "active", bool), json_field(body, "displayName", str)
    with write_transaction():
        user = admin.get_user(_stores(), who, username)
        if name is not None:
            user = admin.set_display_name(_stores(), who, username, name)
        if active is not None:
            user = admin.set_active(_stores(), who, username, active)
    return jsonify(user_json(user))


@bp.put("/users/<username>/roles")
def set_roles(username: str) -> Response:
    who = caller()
    roles = _roles(json_body())
    with write_transaction():
        user = admin.set_roles(_stores(), who, username, roles)
    return jsonify(user_json(user))


@bp.post("/users/<username>/password")
def reset_password(username: str) -> Response:
    who = caller()
    password = json_field(optional_json_body(), "password", str)
    with write_transaction():
        new = admin.reset_password(_stores(), who, username, password)
    return jsonify({"username": username, "password": new})


# -- my tokens ------------------------------------------------------------------------------------

@bp.get("/tokens")
def list_tokens() -> Response:
    return jsonify([token_json(t) for t in admin.my_tokens(_stores(), caller())])


@bp.post("/tokens")
def create_token() -> tuple[Response, int]:
    who = caller()
    body = optional_json_body()
    days = json_field(body, "days", int, current_app.extensions["sdmx_config"].token_days)
    with write_transaction():
        token, row = admin.create_my_token(_stores(), who, days=days, label=json_field(body, "label", str, ""))
    return jsonify({**token_json(row), "token": token}), 201


@bp.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int) -> tuple[str, int]:
    who = caller()
    with write_transaction():
        admin.revoke_my_token(_stores(), who, token_id)
    return "", 204


# -- sharing of my indicators ---------------------------------------------------------------------

@bp.get("/providers/<provider>/sharing")
def list_sharing(provider: str) -> Response:
    return jsonify([sharing_json(provider, s) for s in admin.sharing_of(_stores(), caller(), provider)])


def _one_sharing(provider: str, flow: str) -> Response:
    found = next((s for s in admin.sharing_of(_stores(), actor(), provider) if s.dataflow_urn == flow),
                 admin.IndicatorSharing(flow, False, ()))  # a withdrawn grant on a dataflow deleted since
    return jsonify(sharing_json(provider, found))


@bp.route(SHARING + "/grantees/<grantee>", methods=["PUT", "DELETE"])
def grant(provider: str, agency_id: str, resource_id: str, version: str, grantee: str) -> Response:
    who = caller()
    flow = urn_for("dataflow", agency_id, resource_id, version)
    with write_transaction():
        if request.method == "PUT":
            admin.grant_access(_stores(), who, provider, flow, grantee)
        else:
            admin.withdraw_access(_stores(), who, provider, flow, grantee)
    return _one_sharing(provider, flow)


@bp.put(SHARING + "/public")
def publish(provider: str, agency_id: str, resource_id: str, version: str) -> Response:
    who = caller()
    public = json_field(json_body(), "public", bool, required=True)
    flow = urn_for("dataflow", agency_id, resource_id, version)
    with write_transaction():
        admin.set_public(_stores(), who, provider, flow, public)
    return _one_sharing(provider, flow)


# -- audit log ------------------------------------------------------------------------------------

@bp.get("/audit")
def audit() -> Response:
    who = caller()
    entries = admin.audit_entries(_stores(), who, country=request.args.get("country"),
                                  before=int_arg("before", None, 1, 2**62), limit=int_arg("limit", 100, 1, 1000))
    return jsonify([audit_json(e) for e in entries])
