"""Saved reports of each user: save (or replace by name), list, get and delete, always within one user's own.

Every read and write names the user: nobody reaches another's saved reports by guessing an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from .artefact_store import as_utc, utcnow
from .saved_report_tables import saved_report as sr

MAX_SAVED_REPORTS = 200  # per user (docs/security.md)
MAX_NAME_CHARS = 200
MAX_QUERY_CHARS = 4000  # a report's query string; a longer URL is refused by the server anyway (414)


@dataclass(frozen=True)
class SavedReport:
    id: int
    name: str
    dataflow_urn: str
    query: str
    created_at: datetime
    updated_at: datetime


class TooManySavedReports(Exception):
    """The user has MAX_SAVED_REPORTS already."""


class SavedReportStore:
    """One user's saved reports on one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def save(self, user_id: int, name: str, dataflow_urn: str, query: str) -> tuple[int, bool]:
        """(id, whether it replaced a report saved under the same name)."""
        now = utcnow()
        found = self.conn.execute(select(sr.c.id).where(sr.c.user_id == user_id, sr.c.name == name)).scalar()
        if found is not None:
            self.conn.execute(update(sr).where(sr.c.id == found).values(dataflow_urn=dataflow_urn, query=query,
                                                                        updated_at=now))
            return found, True
        count = self.conn.execute(select(func.count()).select_from(sr).where(sr.c.user_id == user_id)).scalar()
        if count >= MAX_SAVED_REPORTS:
            raise TooManySavedReports()
        new_id = self.conn.execute(insert(sr).values(user_id=user_id, name=name, dataflow_urn=dataflow_urn,
                                                     query=query, created_at=now, updated_at=now)).inserted_primary_key[0]
        return new_id, False

    def list(self, user_id: int) -> list[SavedReport]:
        rows = self.conn.execute(select(sr).where(sr.c.user_id == user_id).order_by(func.lower(sr.c.name), sr.c.id))
        return [self._row(r) for r in rows]

    def get(self, user_id: int, report_id: int) -> SavedReport | None:
        row = self.conn.execute(select(sr).where(sr.c.user_id == user_id, sr.c.id == report_id)).first()
        return self._row(row) if row else None

    def delete(self, user_id: int, report_id: int) -> bool:
        return bool(self.conn.execute(delete(sr).where(sr.c.user_id == user_id, sr.c.id == report_id)).rowcount)

    @staticmethod
    def _row(r) -> SavedReport:
        return SavedReport(r.id, r.name, r.dataflow_urn, r.query, as_utc(r.created_at), as_utc(r.updated_at))
