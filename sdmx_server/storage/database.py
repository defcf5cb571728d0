"""Engines for SQLite and PostgreSQL, and the schema upgrade that `init` runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine; ``schema`` puts a PostgreSQL connection in its own schema (test isolation)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

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
    # dead pooled connection fails (that one request answers 500), and SQLAlchemy then discards every pooled
    # connection made before the failure, so the next requests connect afresh.
    return create_engine(url, connect_args=connect_args)


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it is already there)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def begin_write(conn: Connection) -> RootTransaction:
    """Begin a write transaction; on SQLite take the write lock first (BEGIN IMMEDIATE).

    A deferred SQLite transaction that read before writing fails with "database is locked"
    when another writer committed in between; taking the lock up front makes writers queue.
    """
    tx = conn.begin()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    return tx
