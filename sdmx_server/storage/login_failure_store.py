"""Counters of failed logins per key, updated atomically so concurrent workers never lose a failure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .artefact_store import as_utc
from .tables import login_failure


class LoginFailureStore:
    """The caller owns the transaction; on SQLite it should be a write transaction (database.begin_write)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def blocked_until(self, keys: Iterable[str], now: datetime) -> datetime | None:
        """The latest end of a block still running on any of the keys."""
        q = select(func.max(login_failure.c.blocked_until)).where(login_failure.c.key.in_(list(keys)),
                                                                  login_failure.c.blocked_until > now)
        return as_utc(self.conn.execute(q).scalar())

    def failures(self, key: str) -> int:
        return self.conn.execute(select(login_failure.c.failures).where(login_failure.c.key == key)).scalar() or 0

    def record_failure(self, key: str, now: datetime, *, forget_after: timedelta,
                       block_for: Callable[[int], timedelta | None]) -> int:
        """Count one more failure (restarting the count when the last one is older than ``forget_after``)
        and set the block ``block_for(count)`` asks for; returns the count."""
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        self.conn.execute(dialect.insert(login_failure)
                          .values(key=key, failures=0, last_failed_at=now, blocked_until=None)
                          .on_conflict_do_nothing(index_elements=["key"]))
        q = select(login_failure.c.failures, login_failure.c.last_failed_at).where(login_failure.c.key == key)
        row = self.conn.execute(q.with_for_update() if dialect is postgresql else q).one()
        count = 1 if as_utc(row.last_failed_at) < now - forget_after else row.failures + 1
        block = block_for(count)
        self.conn.execute(update(login_failure).where(login_failure.c.key == key).values(
            failures=count, last_failed_at=now, blocked_until=now + block if block else None))
        return count

    def forget(self, key: str) -> None:
        self.conn.execute(delete(login_failure).where(login_failure.c.key == key))
