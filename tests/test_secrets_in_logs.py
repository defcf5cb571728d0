"""A request that fails in the database logs what failed, never the statement's parameters (issue 22, finding 8):
those of a user's insert hold an argon2 hash, those of a token's its hash. The database is made to fail by a real
trigger (SQLite and PostgreSQL); the test reads the logs of the failing request as an operator would."""

from __future__ import annotations

import base64
import logging

import pytest
from sqlalchemy import text

from .access_world import PASSWORD
from .test_management_api import api  # noqa: F401 (a fixture)

pytestmark = pytest.mark.storage

NEW_PASSWORD = "correct-horse-battery-staple-7"
FAILURE = "the disk is on fire"


def fail_inserts_into(engine, table: str) -> None:
    """Every INSERT into ``table`` fails inside the database, as a full disk or a lost connection would."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text(f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                              f"BEGIN SELECT RAISE(FAIL, '{FAILURE}'); END"))
        else:
            conn.execute(text(f"CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS "
                              f"$$ BEGIN RAISE EXCEPTION '{FAILURE}'; END $$"))
            conn.execute(text(f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION fail_{table}()"))


def assert_logged_without_secrets(caplog, *secrets: str) -> None:
    logged = caplog.text
    assert FAILURE in logged and "unhandled error" in logged  # the failure itself is logged, with its statement
    assert "INSERT INTO" in logged
    assert "$argon2" not in logged and "[parameters:" not in logged
    for secret in secrets:
        assert secret not in logged


def test_a_failing_user_insert_logs_no_password_hash(api, engine, caplog):  # noqa: F811
    fail_inserts_into(engine, "user_account")
    caplog.set_level(logging.INFO)
    r = api("kz_admin", "POST", "/api/users", {"username": "kz_new", "password": NEW_PASSWORD, "roles": []})
    assert r.status_code == 500
    assert_logged_without_secrets(caplog, NEW_PASSWORD, api.tokens["kz_admin"])


def test_a_failing_token_insert_logs_no_token_hash_nor_credentials(api, engine, caplog):  # noqa: F811
    fail_inserts_into(engine, "api_token")
    caplog.set_level(logging.INFO)
    basic = base64.b64encode(f"kz_admin:{PASSWORD}".encode()).decode()
    r = api.client.post("/api/tokens", json={"label": "nightly", "days": 1},
                        headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
    assert r.status_code == 500
    assert_logged_without_secrets(caplog, basic, PASSWORD)
