"""A portal session ends for good: a copy of its cookie replayed after signing out, a password change or
reset, deactivation or a role change opens nothing, on the very next request (the cookie's session epoch is
compared with the user's row, which every request reads)."""

from __future__ import annotations

import base64

import pytest

from sdmx_server.storage.user_store import UserStore

from ..access_world import PASSWORD
from .conftest import csrf_token, sign_in

pytestmark = pytest.mark.storage
ADMIN_PAGE = "/en/admin/users/"


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def signed_in_copy(client, username: str = "kz_admin"):
    """Sign in, check the administration page opens, and return another client holding the same cookie
    (what an attacker who copied it would replay)."""
    assert sign_in(client, username).status_code == 302
    assert client.get(ADMIN_PAGE).status_code == 200
    name = client.application.config["SESSION_COOKIE_NAME"]
    copy = client.application.test_client()
    copy.set_cookie(name, client.get_cookie(name).value)
    assert copy.get(ADMIN_PAGE).status_code == 200  # the copy works as well as the original
    return copy


def refused(client) -> bool:
    r = client.get(ADMIN_PAGE)
    return r.status_code == 302 and "/sign-in" in r.headers["Location"]


def test_a_cookie_replayed_after_signing_out_opens_nothing(client, world):
    copy = signed_in_copy(client)
    html = client.get("/en/").get_data(as_text=True)
    assert client.post("/en/sign-out", data={"csrf_token": csrf_token(html)}).status_code == 302
    assert refused(copy)
    assert refused(client)


def test_a_password_reset_by_an_administrator_ends_the_session(client, world):
    copy = signed_in_copy(client)
    r = client.application.test_client().post("/api/users/kz_admin/password", headers=basic("root"))
    assert r.status_code == 200
    assert refused(copy) and refused(client)


def test_changing_ones_own_password_ends_the_session(client, world):
    copy = signed_in_copy(client)
    r = client.application.test_client().post("/api/users/kz_admin/password", headers=basic("kz_admin"),
                                              json={"password": "a-new-password-456"})
    assert r.status_code == 200
    assert refused(copy)
    assert sign_in(client, "kz_admin", "a-new-password-456").status_code == 302  # a new session starts afresh
    assert client.get(ADMIN_PAGE).status_code == 200 and refused(copy)


def test_deactivation_ends_the_session_and_reactivation_does_not_revive_it(client, world):
    copy = signed_in_copy(client)
    api = client.application.test_client()
    assert api.patch("/api/users/kz_admin", headers=basic("root"), json={"active": False}).status_code == 200
    assert refused(copy)
    assert api.patch("/api/users/kz_admin", headers=basic("root"), json={"active": True}).status_code == 200
    assert refused(copy)


def test_a_role_change_ends_the_session(client, world):
    copy = signed_in_copy(client)
    r = client.application.test_client().put("/api/users/kz_admin/roles", headers=basic("root"),
                                             json={"roles": [{"role": "country_administrator"}]})
    assert r.status_code == 200
    assert refused(copy) and refused(client)


def test_what_changes_nothing_of_the_account_keeps_the_session(client, world, engine, app):
    copy = signed_in_copy(client)
    api = client.application.test_client()
    assert api.patch("/api/users/kz_admin", headers=basic("root"), json={"displayName": "Anna"}).status_code == 200
    with engine.begin() as conn:  # a stronger hash of the same password, as a login after an upgrade makes
        UserStore(conn, app.extensions["sdmx_policy"]).rehash_password(world["kz_admin"], PASSWORD)
    assert copy.get(ADMIN_PAGE).status_code == 200


def test_another_node_holding_the_session_in_its_cache_ends_it_at_the_next_request(client, world, config):
    """Two server processes on one database: the second holds the session's user in its access cache (under
    the access version, read on each request anyway) and still refuses the cookie the moment it is signed out."""
    from sdmx_server.app import create_app

    copy = signed_in_copy(client)
    node = create_app(config=config)
    try:
        other = node.test_client()
        name = node.config["SESSION_COOKIE_NAME"]
        other.set_cookie(name, copy.get_cookie(name).value)
        assert other.get(ADMIN_PAGE).status_code == 200 and other.get(ADMIN_PAGE).status_code == 200
        html = client.get("/en/").get_data(as_text=True)
        assert client.post("/en/sign-out", data={"csrf_token": csrf_token(html)}).status_code == 302
        assert refused(other)
    finally:
        node.extensions["sdmx_engine"].dispose()
