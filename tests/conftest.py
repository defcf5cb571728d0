"""Fixtures: every storage test runs on SQLite and on PostgreSQL, each in its own database or schema."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
# before any test reads a structure-specific message with sdmx1: on import, sdmx1's SDMX-ML 3.0 reader copies
# the 2.1 reader's parsers, and fails on a parser that reading such a message added for its own namespace
import sdmx.reader.xml.v30  # noqa: F401
from sqlalchemy import text

from sdmx_server.app import create_app
from sdmx_server.settings import load_config
from sdmx_server.storage.database import make_engine, upgrade_schema
from sdmx_server.storage.user_store import UserStore

SPECIMENS = Path(__file__).resolve().parents[2] / "shared" / "specimens"
if not SPECIMENS.exists():  # CI clones main with shared/ beside it
    SPECIMENS = Path(os.environ.get("SDMX_SPECIMENS", "/work/shared/specimens"))

POSTGRES_URL = os.environ.get("SDMX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL")


@pytest.fixture(scope="session")
def specimens() -> Path:
    assert SPECIMENS.exists(), f"SDMX specimens not found at {SPECIMENS}"
    return SPECIMENS


def _pg_schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database URL; PostgreSQL gets a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def config(database_url: str):
    return load_config(overrides={"database_url": database_url, "secret_key": "test", "max_body_bytes": 1_048_576,
                                  "release_check_seconds": 0})


@pytest.fixture
def engine(config):
    eng = make_engine(config.resolved_database_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def app(config, engine):
    app = create_app(config=config)
    yield app
    if "sdmx_release_checks" in app.extensions:  # a fixture's own config may leave them on
        app.extensions["sdmx_release_checks"].stop()
    app.extensions["sdmx_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app, engine):
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        users.add("root", "pw-root-123", roles=["system_administrator"], country=None)
        token, _ = users.create_token("root", days=1)
    client = app.test_client()

    def call(method: str, path: str, body: bytes | None = None, **headers: str):
        if method in ("POST", "PUT") and path.startswith("/rest/v2/data/") and "release=" not in path:
            path += ("&" if "?" in path else "?") + "release=now"  # the system administrator may do every step
        return client.open(path, method=method, data=body,
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml", **headers})

    call.authorization = f"Bearer {token}"
    return call
