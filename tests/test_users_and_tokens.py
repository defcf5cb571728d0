"""Users, roles and tokens through the command line and over HTTP, on both databases."""

from __future__ import annotations

import base64

import pytest
from click.testing import CliRunner

from sdmx_server.cli import main


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("SDMX_SERVER_DATABASE_URL", database_url)
    monkeypatch.delenv("SDMX_SERVER_CONFIG", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def test_help_documents_every_subcommand(cli):
    out = cli("--help").output
    for sub in ("init", "serve", "load", "user", "token"):
        assert sub in out
    assert "add" in cli("user", "--help").output and "list" in cli("user", "--help").output
    assert "--workers" in cli("serve", "--help").output


def test_user_add_list_and_token(cli, engine, app):
    r = cli("user", "add", "aigul", "--role", "data_submitter", "--country", "KZ", "--password", "s3cret-pass")
    assert r.exit_code == 0, r.output
    r = cli("user", "add", "root", "--role", "system_administrator", "--password", "adm1n-pass")
    assert r.exit_code == 0, r.output
    listing = cli("user", "list").output
    assert "aigul\tKZ\tactive\tdata_submitter" in listing and "root\t-" in listing
    token = cli("token", "create", "root").output.strip()
    assert token.startswith("dsm_") and len(token) > 40

    client = app.test_client()
    # anonymous, bad token, wrong role, right role: 401, 401, 403, then past the access check
    assert client.post("/rest/v2/structure/codelist", data=b"<x/>").status_code == 401
    assert client.post("/rest/v2/structure/codelist", data=b"<x/>",
                       headers={"Authorization": "Bearer dsm_nope"}).status_code == 401
    basic = base64.b64encode(b"aigul:s3cret-pass").decode()
    assert client.post("/rest/v2/structure/codelist", data=b"<x/>",
                       headers={"Authorization": f"Basic {basic}"}).status_code == 403
    r = client.post("/rest/v2/structure/codelist", data=b"<x/>", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400  # authorised; the body is not an SDMX message


def test_user_errors_are_clear(cli, engine):
    r = cli("user", "add", "x", "--role", "data_submitter", "--password", "pw")
    assert r.exit_code != 0 and "--country" in r.output
    r = cli("user", "add", "x", "--role", "wizard", "--country", "KZ", "--password", "pw")
    assert r.exit_code != 0 and "unknown role 'wizard'" in r.output
    r = cli("token", "create", "ghost")
    assert r.exit_code != 0 and "no user 'ghost'" in r.output


def test_tokens_listed_and_revoked_by_operators_with_audit(cli, engine, app):
    from sdmx_server.storage.audit_store import AuditStore

    r = cli("user", "add", "aigul", "--role", "viewer", "--country", "KZ", "--password", "s3cret-pass")
    assert r.exit_code == 0, r.output
    token = cli("token", "create", "aigul", "--label", "excel").output.strip()
    client = app.test_client()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listing = cli("token", "list", "aigul").output.strip().split("\t")
    assert listing[1] == "valid" and listing[3] == "excel"
    r = cli("token", "revoke", "aigul", listing[0])
    assert r.exit_code == 0 and "revoked" in r.output
    assert cli("token", "list", "aigul").output.split("\t")[1] == "revoked"
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = cli("token", "revoke", "aigul", listing[0])
    assert r.exit_code != 0 and "no unrevoked token" in r.output
    with engine.connect() as conn:
        log = [(e.actor, e.action, e.target) for e in AuditStore(conn).entries(country="KZ")]
    assert log == [("cli", "token.revoke", f"aigul#{listing[0]}"), ("cli", "token.create", f"aigul#{listing[0]}"),
                   ("cli", "user.create", "aigul")]
