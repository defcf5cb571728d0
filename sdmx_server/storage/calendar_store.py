"""The release calendar's rows (calendar_tables.release_calendar): announced, scheduled, released and cancelled
releases. Plain reads and writes on the caller's connection and transaction; the rules are in
content/release_calendar.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .artefact_store import as_utc, utcnow
from .calendar_tables import release_calendar as rc


@dataclass(frozen=True)
class CalendarRow:
    id: int
    dataflow_urn: str
    provider_id: str
    periods: str
    release_at: datetime
    state: str
    submission_id: int | None
    sequence: int
    created_by: str
    created_at: datetime
    updated_at: datetime

    def as_details(self) -> dict[str, Any]:
        """What the audit log keeps of an entry."""
        return {"indicator": self.dataflow_urn, "country": self.provider_id, "periods": self.periods,
                "release_at": self.release_at.isoformat(), "state": self.state, "submission": self.submission_id}


def _row(r: Any) -> CalendarRow:
    return CalendarRow(r.id, r.dataflow_urn, r.provider_id, r.periods, as_utc(r.release_at), r.state,
                       r.submission_id, r.sequence, r.created_by, as_utc(r.created_at), as_utc(r.updated_at))


class CalendarStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, dataflow_urn: str, provider_id: str, periods: str, release_at: datetime, state: str,
            by: str, submission_id: int | None = None) -> int:
        now = utcnow()
        return self.conn.execute(insert(rc).values(
            dataflow_urn=dataflow_urn, provider_id=provider_id, periods=periods, release_at=release_at, state=state,
            submission_id=submission_id, sequence=0, created_by=by, created_at=now,
            updated_at=now)).inserted_primary_key[0]

    def get(self, entry_id: int) -> CalendarRow | None:
        if not 0 < entry_id < 2**31:
            return None
        found = self.conn.execute(select(rc).where(rc.c.id == entry_id)).first()
        return _row(found) if found else None

    def change(self, entry_id: int, **values: Any) -> None:
        """Change an entry as its subscribers must see it: a new SEQUENCE and last change."""
        self.conn.execute(update(rc).where(rc.c.id == entry_id)
                          .values(sequence=rc.c.sequence + 1, updated_at=utcnow(), **values))

    def of_submission(self, submission_id: int) -> CalendarRow | None:
        found = self.conn.execute(select(rc).where(rc.c.submission_id == submission_id)).first()
        return _row(found) if found else None

    def announced(self, dataflow_urn: str, provider_id: str) -> list[CalendarRow]:
        """Announced entries of this indicator and country not yet linked to a submission, by date."""
        q = (select(rc).where(rc.c.dataflow_urn == dataflow_urn, rc.c.provider_id == provider_id,
                              rc.c.state == "announced", rc.c.submission_id.is_(None))
             .order_by(rc.c.release_at, rc.c.id))
        return [_row(r) for r in self.conn.execute(q)]

    def mark_released(self, submission_id: int, at: datetime) -> bool:
        """The submission's scheduled entry becomes released at ``at`` (its real release time)."""
        return bool(self.conn.execute(
            update(rc).where(rc.c.submission_id == submission_id, rc.c.state == "scheduled")
            .values(state="released", release_at=at, sequence=rc.c.sequence + 1, updated_at=utcnow())).rowcount)

    def list(self, *, since: datetime | None = None, until: datetime | None = None, provider_id: str | None = None,
             dataflow_urn: str | None = None, newest_first: bool = False, limit: int = 500) -> list[CalendarRow]:
        """Entries with ``since`` <= release time < ``until``, by release time."""
        order = (rc.c.release_at.desc(), rc.c.id.desc()) if newest_first else (rc.c.release_at, rc.c.id)
        q = select(rc).order_by(*order).limit(limit)
        if since is not None:
            q = q.where(rc.c.release_at >= since)
        if until is not None:
            q = q.where(rc.c.release_at < until)
        if provider_id is not None:
            q = q.where(rc.c.provider_id == provider_id)
        if dataflow_urn is not None:
            q = q.where(rc.c.dataflow_urn == dataflow_urn)
        return [_row(r) for r in self.conn.execute(q)]
