"""A request's reads open no transaction on PostgreSQL (BEGIN and ROLLBACK would cost two round trips each
time); its writes are still all or nothing, and the pooled connection goes back to the driver's usual
transactions for everyone else."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from sdmx_server.request_context import access_reads, db, write_transaction
from sdmx_server.storage.database import begin_write, checkpoint_later

pytestmark = pytest.mark.storage


def _status(conn) -> str:
    driver = conn.connection.driver_connection
    return driver.info.transaction_status.name if conn.dialect.name == "postgresql" else \
        ("INTRANS" if driver.in_transaction else "IDLE")


def _scopes(conn) -> set[str]:
    return {r[0] for r in conn.execute(text("SELECT scope FROM change_log"))}


def _add(conn, scope: str) -> None:
    conn.execute(text("INSERT INTO change_log (scope, changed_at) VALUES (:s, CURRENT_TIMESTAMP)"), {"s": scope})


def test_reads_leave_no_transaction_open_and_writes_stay_atomic(app, engine):
    with engine.begin() as conn:
        before = _scopes(conn)
    with app.test_request_context("/rest/data/DSM,DF_MIGR,1.0/all"):
        conn = db()
        access_reads()  # what every API request reads first
        conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar_one()  # and a read through SQLAlchemy
        assert _status(conn) == "IDLE"
        with pytest.raises(RuntimeError), write_transaction():
            _add(conn, "ZZ")
            _add(conn, "ZY")
            raise RuntimeError("half-way")
        assert _scopes(conn) == before  # neither row: the write was one transaction
        with write_transaction():
            _add(conn, "ZX")
    with app.test_request_context("/"):
        access_reads()  # a request that only reads hands its connection back as it was
    with app.extensions["sdmx_engine"].connect() as other:
        assert _scopes(other) == before | {"ZX"}
        _add(other, "ZW")
        assert _status(other) == "INTRANS"  # the pool gave it back with the usual implicit transactions
        other.rollback()
        assert _scopes(other) == before | {"ZX"}


def test_a_large_commit_leaves_the_sqlite_checkpoint_for_later(engine, tmp_path):
    """checkpoint_later: the commit does not copy the WAL into the database file; the deferred checkpoint does,
    and the pooled connection checkpoints as usual again."""
    deferred: list = []
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            with checkpoint_later(conn, deferred.append), begin_write(conn):
                _add(conn, "written")
            assert deferred == [] and "written" in _scopes(conn)  # PostgreSQL's checkpointer does it
            return
        conn.exec_driver_sql("CREATE TABLE filler (x BLOB)")
        conn.commit()
        database = engine.url.database
        size = os.path.getsize(database)
        with checkpoint_later(conn, deferred.append), begin_write(conn):
            conn.exec_driver_sql("INSERT INTO filler VALUES (zeroblob(8000000))")  # 2,000 pages of WAL
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
        assert os.path.getsize(database) < size + 1_000_000  # the blob is still only in the WAL
        [checkpoint] = deferred
    checkpoint()
    assert os.path.getsize(database) > size + 8_000_000
