"""Signing in and out of the portal: the shared, throttled password check; a session cookie that is HttpOnly,
SameSite=Lax and optionally Secure; CSRF on every form; and a cookie that never authenticates the API."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import datetime, timezone

import pytest

from sdmx_server.access.login_throttle import PER_USERNAME
from sdmx_server.app import create_app
from sdmx_server.storage.user_store import UserStore

from ..access_world import PASSWORD
from .conftest import csrf_token, sign_in

pytestmark = pytest.mark.storage
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def header_of(client, path: str = "/en/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<div class="account">(.*?)</div>', html, re.S).group(1)


def test_signing_in_shows_name_country_and_roles_and_keeps_the_page(client, world):
    r = sign_in(client, "kz_viewer", next_="/ru/indicators/?x=1")
    assert r.status_code == 302 and r.headers["Location"] == "/ru/indicators/?x=1"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    landing = client.get("/ru/indicators/?x=1").get_data(as_text=True)
    assert "Вы вошли в систему." in landing  # the notice speaks the language of the page it lands on
    assert "Вы вошли в систему." not in client.get("/ru/").get_data(as_text=True)  # and is shown once
    en = header_of(client)
    assert "kz_viewer" in en and "Kazakhstan" in en and "Viewer" in en and "Sign out" in en
    ru = header_of(client, "/ru/indicators/")
    assert "Казахстан" in ru and "Наблюдатель" in ru and "Выйти" in ru
    other = client.application.test_client()  # another browser: nobody signed in there
    assert "Sign in" in header_of(other) and "kz_viewer" not in header_of(other)


def test_a_system_administrator_has_no_country_and_every_role_label(client, world):
    sign_in(client, "root")
    header = header_of(client, "/ru/")
    assert "root" in header and "Системный администратор" in header and "·" in header


def test_a_wrong_password_or_unknown_name_is_refused_alike(client, world):
    for name, password in [("kz_viewer", "wrong-password"), ("nobody", PASSWORD)]:
        r = sign_in(client, name, password, lang="ru")
        html = r.get_data(as_text=True)
        assert r.status_code == 200
        assert "Неверное имя пользователя или пароль, либо учётная запись не активна." in html
        assert r.headers["Cache-Control"] == "no-store"
    assert "Войти" in header_of(client, "/ru/")


def test_empty_fields_are_named_next_to_the_field(client, world):
    page = client.get("/ru/sign-in").get_data(as_text=True)
    r = client.post("/ru/sign-in", data={"csrf_token": csrf_token(page), "username": "", "password": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'aria-describedby="username-error"' in html and "Введите имя пользователя." in html
    assert "Введите пароль." in html


def test_repeated_failures_block_even_the_right_password(client, world, monkeypatch):
    monkeypatch.setattr("sdmx_server.request_context.utcnow", lambda: T0)  # the block cannot run out meanwhile
    for _ in range(PER_USERNAME.free_failures):
        assert sign_in(client, "kz_viewer", "wrong-password").status_code == 200
    r = sign_in(client, "kz_viewer", PASSWORD, lang="ru")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert "Слишком много неудачных попыток входа" in r.get_data(as_text=True)
    assert "Войти" in header_of(client, "/ru/")
    # the same counters guard HTTP Basic on the API: one throttle, two doors
    basic = base64.b64encode(f"kz_viewer:{PASSWORD}".encode()).decode()
    assert client.get("/api/me", headers={"Authorization": f"Basic {basic}"}).status_code == 429


def test_forms_without_their_csrf_token_are_refused(client, world):
    r = client.post("/ru/sign-in", data={"username": "kz_viewer", "password": PASSWORD})
    assert r.status_code == 400 and "Срок действия формы истёк" in r.get_data(as_text=True)
    assert "Войти" in header_of(client, "/ru/")
    sign_in(client, "kz_viewer")
    forged = client.post("/en/sign-out", data={"csrf_token": "made-up"})
    assert forged.status_code == 400 and "kz_viewer" in header_of(client)
    other = client.application.test_client()  # another session's token is no good either
    token = csrf_token(other.get("/en/sign-in").get_data(as_text=True))
    assert client.post("/en/sign-out", data={"csrf_token": token}).status_code == 400


def test_signing_out_ends_the_session(client, world):
    sign_in(client, "kz_viewer")
    html = client.get("/en/").get_data(as_text=True)
    r = client.post("/en/sign-out", data={"csrf_token": csrf_token(html)})
    assert r.status_code == 302 and r.headers["Location"] == "/en/"
    assert "You are signed out." in client.get("/en/").get_data(as_text=True)
    assert "Sign in" in header_of(client)


def test_a_deactivated_account_is_signed_out_at_its_next_request(client, world, engine, app):
    sign_in(client, "kz_viewer")
    with engine.begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).set_active(world["kz_viewer"], False)
    assert "Sign in" in header_of(client) and "kz_viewer" not in header_of(client)


def test_the_session_cookie_never_authenticates_the_api(client, world):
    sign_in(client, "root")  # a system administrator, who may do everything over the API
    assert "root" in header_of(client)
    assert client.get("/api/me").status_code == 401
    assert client.post("/api/tokens", json={"label": "by cookie"}).status_code == 401
    assert client.post("/api/users", json={"username": "x", "password": "y-123456789", "roles": []}).status_code == 401
    r = client.post("/rest/v2/structure", data=b"<x/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 401
    # the APIs do not read the cookie (PortalSessions) and never set or clear it: the portal's session goes on
    r = client.get("/rest/dataflow/DSM")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert "root" in header_of(client)


def test_api_clients_with_tokens_need_no_csrf_token(client, world, engine, app):
    with engine.begin() as conn:
        token, _ = UserStore(conn, app.extensions["sdmx_policy"]).create_token("kz_admin", days=1)
    r = client.post("/api/tokens", json={"label": "nightly", "days": 5}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", ""])
def test_sign_in_never_redirects_off_the_site(client, world, target):
    r = sign_in(client, "kz_viewer", next_=target, lang="ru")
    assert r.status_code == 302 and r.headers["Location"] == "/ru/"


def test_the_secure_flag_is_a_setting(config, engine, world):
    app = create_app(config=dataclasses.replace(config, session_cookie_secure=True))
    try:
        r = sign_in(app.test_client(), "kz_viewer")
        assert r.status_code == 302 and "Secure" in r.headers["Set-Cookie"]
    finally:
        app.extensions["sdmx_engine"].dispose()
