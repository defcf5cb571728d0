"""Engines for SQLite and PostgreSQL, and the schema upgrade that `init` runs."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine; ``schema`` puts a PostgreSQL connection in its own schema (test isolation).

    A failing statement's error names the statement but never its parameters (``hide_parameters``): those of
    users' and tokens' statements are password and token hashes, and errors end up in logs (docs/security.md).
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # one thread at a time, but not always the same one: ingest applies on a second (submission.apply_ahead)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    # No pre-ping: it costs a round trip on every request. When the server restarts, the first statement on a
    # dead pooled connection fails; rest_api/lost_connections.py empties the pool and runs a read again on a
    # fresh connection, and answers a write 503 with Retry-After.
    engine = create_engine(url, connect_args=connect_args, hide_parameters=True)

    @event.listens_for(engine, "checkin")
    def _transactions_again(dbapi_conn, _record):  # noqa: ANN001
        if dbapi_conn is not None and dbapi_conn.autocommit:  # see reads_without_transaction
            dbapi_conn.autocommit = False

    return engine


def reads_without_transaction(conn: Connection) -> None:
    """PostgreSQL: run this connection's reads outside a transaction, until :func:`begin_write`.

    A request that only reads would otherwise pay two round trips (BEGIN, ROLLBACK) for nothing: under READ
    COMMITTED each statement takes its own snapshot inside a transaction too. What needs a transaction opens
    one itself (a streamed answer's cursor: ``ObservationQuery._declare``); the pool turns it off again at
    check-in, so other users of the engine get the driver's usual behaviour. SQLite's driver already begins
    only before a write.
    """
    if conn.dialect.name == "postgresql":
        conn.connection.driver_connection.autocommit = True


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it is already there)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """The database's Alembic revision (None: never initialised) and the newest this code knows: a command that
    needs the schema compares them before it runs, instead of failing on a missing table."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


@contextmanager
def checkpoint_later(conn: Connection, defer: Callable[[Callable[[], None]], None]) -> Iterator[None]:
    """SQLite: commit a large write inside this block without copying the WAL into the database file there and
    then; ``defer`` is handed that checkpoint, to run it later (after the answer is sent).

    SQLite's commit checkpoints once the WAL holds 1,000 pages: for a 1M-observation submission that is most of
    a second of the commit (PostgreSQL leaves it to its checkpointer process). The deferred checkpoint is a
    passive one: it waits for no reader, and what it leaves, the next commit's does.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection  # a pragma through SQLAlchemy would begin its transaction
    usual = int(driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    driver.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA wal_autocheckpoint={usual}")
    engine = conn.engine

    def checkpoint() -> None:
        with engine.connect() as fresh:
            fresh.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    defer(checkpoint)


def begin_write(conn: Connection) -> RootTransaction:
    """Begin a write transaction; on SQLite take the write lock first (BEGIN IMMEDIATE).

    A deferred SQLite transaction that read before writing fails with "database is locked"
    when another writer committed in between; taking the lock up front makes writers queue.
    """
    if conn.dialect.name == "postgresql":
        conn.connection.driver_connection.autocommit = False
    tx = conn.begin()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    return tx
