"""Every `sdmx-server` subcommand against a database `init` has not prepared: one clear line, a non-zero
status, no traceback (issue 19, item 4: `token list` before `init` printed a SQLAlchemy traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from sdmx_server.storage.database import make_engine

from .live_server import ROOT, cli

SUBCOMMANDS = [
    ["token", "list", "admin"],
    ["token", "create", "admin"],
    ["token", "revoke", "admin", "1"],
    ["user", "list"],
    ["user", "add", "bob", "--role", "viewer", "--password", "a-long-password"],
    ["release-due"],
    ["serve", "--port", "1"],
    ["submit", str(ROOT / "docs" / "examples" / "data.csv"), "--dataflow", "DSM:DF_STOCK_FOREIGNERS(1.0)"],
]


def _says_run_init(done) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one line: no traceback
    assert "Traceback" not in done.stderr and "sqlalchemy" not in done.stderr.lower()
    assert "run `sdmx-server init`" in lines[0], lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_subcommand_before_init_says_run_init(database_url: str, args: list[str]):
    _says_run_init(cli(database_url, *args))
    if database_url.startswith("sqlite"):  # and leaves no empty database file behind
        assert not Path(database_url.split("///", 1)[1]).exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_database_with_other_tables_but_no_schema_says_run_init(database_url: str):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE something_else (a INTEGER)"))
    engine.dispose()
    done = cli(database_url, "token", "list", "admin")
    _says_run_init(done)
    assert "is not initialised" in done.stderr


def test_an_unreachable_database_is_one_line():
    done = cli("postgresql+psycopg://nobody@127.0.0.1:1/none", "user", "list")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: database error: "), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_after_init_the_same_commands_work(database_url: str):
    assert cli(database_url, "init").returncode == 0
    done = cli(database_url, "token", "list", "admin")
    assert done.returncode == 0, done.stderr
    done = cli(database_url, "user", "list")
    assert done.returncode == 0 and "kz_data_submitter\tKZ\tactive\tdata_submitter" in done.stdout
