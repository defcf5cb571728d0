"""The username rule on every path that makes a user (store, management API, portal, CLI): ASCII letters,
digits, ``._-``, starting with a letter; and names that read the same under NFKC + casefold are one name."""

from __future__ import annotations

import base64

import pytest

from sdmx_server.identity.usernames import username_key, username_problem
from sdmx_server.seeding import demo_accounts
from sdmx_server.storage.user_store import DuplicateUser, UserError, UserStore

from .access_world import PASSWORD
from .db_dump import dump
from .live_server import cli
from .portal.conftest import csrf_token, sign_in, world  # noqa: F401 (the fixture)

LOOK_ALIKES = ["Admin", "ADMIN", "ａｄｍｉｎ"]  # beside "admin": case, full-width letters
REFUSED = ["admіn",  # Cyrillic і
           "../x", "<b>x</b>", "x\"onmouseover=\"y", "a b", "1abc", "_x", "", "x" * 65, "kz_viewer\n", "émile"]


def basic(username: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()}


def test_the_rule_keeps_the_demo_names_and_refuses_the_rest():
    assert [a.username for a in demo_accounts() if username_problem(a.username)] == []
    for name in ["a", "kz.anna-2", "x" * 64]:
        assert username_problem(name) is None, name
    for name in REFUSED + LOOK_ALIKES[2:]:
        problem = username_problem(name)
        assert problem and repr(name) in problem and "ASCII letters, digits" in problem, name
    assert {username_key(n) for n in LOOK_ALIKES + ["admin"]} == {"admin"}


@pytest.mark.storage
def test_the_store_refuses_bad_and_look_alike_names(app, engine, world):
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name in filter(None, REFUSED):  # an empty name is "a user needs a username"
            with pytest.raises(UserError, match="ASCII letters, digits"):
                users.add(name, PASSWORD, roles=["viewer"], country="KZ")
        with pytest.raises(DuplicateUser, match="reads the same as the existing user 'kz_viewer'"):
            users.add("KZ_Viewer", PASSWORD, roles=["viewer"], country="KZ")
        assert users.exists("KZ_VIEWER") and not users.exists("kz_viewer2")


@pytest.mark.storage
@pytest.mark.parametrize("name, status", [("Root", 409), ("rOOT", 409), ("roоt", 422), ("../x", 422),
                                          ("<script>x</script>", 422)])
def test_the_management_api_names_the_rule(client, engine, world, name, status):
    before = dump(engine)
    r = client.post("/api/users", headers=basic("root"), json={"username": name, "password": "long-enough-1",
                                                               "roles": [{"role": "system_administrator"}]})
    assert r.status_code == status, r.data
    text = r.get_data(as_text=True)
    assert ("reads the same as the existing user 'root'" if status == 409 else "ASCII letters, digits") in text
    assert dump(engine) == before


@pytest.mark.storage
def test_the_portal_refuses_a_look_alike_and_a_bad_name(client, engine, world):
    sign_in(client, "kz_admin")
    for name, said in [("KZ_viewer", "This username is taken already"),
                       ("admіn", "Latin letters, digits and . _ - only")]:
        page = client.get("/en/admin/users/new").get_data(as_text=True)
        r = client.post("/en/admin/users/new", data={"csrf_token": csrf_token(page), "username": name,
                                                     "password": "long-enough-1", "role_viewer": ["*"]})
        assert r.status_code == 400 and said in r.get_data(as_text=True), name
    with engine.connect() as conn:
        names = {u.username for u in UserStore(conn, None).list()}
    assert "KZ_viewer" not in names and "admіn" not in names


@pytest.mark.storage
def test_the_cli_refuses_with_the_rule(database_url, engine):
    for name, said in [("Admіn", "ASCII letters, digits"), ("../x", "ASCII letters, digits")]:
        done = cli(database_url, "user", "add", name, "--role", "system_administrator", "--password", "long-enough-1")
        assert done.returncode != 0 and said in done.stderr, done.stderr
    done = cli(database_url, "user", "add", "ops", "--role", "system_administrator", "--password", "long-enough-1")
    assert done.returncode == 0, done.stderr
    done = cli(database_url, "user", "add", "OPS", "--role", "system_administrator", "--password", "long-enough-1")
    assert done.returncode != 0 and "reads the same as the existing user 'ops'" in done.stderr


@pytest.mark.storage
def test_migration_0008_makes_what_tables_py_declares(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sdmx_server.storage.tables import metadata

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if "user_account" in repr(d)] == []
