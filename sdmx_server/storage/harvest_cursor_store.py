"""Where each harvest of a national SDMX REST service stopped (storage/subscription_tables.py: harvest_cursor).

The cursor moves in the same transaction as the submission of what was harvested, so a harvest that fails
half-way leaves both as they were and the next one asks again from the same point: nothing lost, nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from .artefact_store import as_utc, utcnow
from .subscription_tables import harvest_cursor as hc


@dataclass(frozen=True)
class HarvestCursor:
    source: str
    base_url: str
    dataflow: str
    cursor: datetime | None
    etag: str | None
    etag_url: str | None
    updated_at: datetime


class HarvestCursorStore:
    """Cursors by source name on one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, source: str) -> HarvestCursor | None:
        r = self.conn.execute(select(hc).where(hc.c.source == source)).first()
        if r is None:
            return None
        return HarvestCursor(r.source, r.base_url, r.dataflow, as_utc(r.cursor) if r.cursor else None, r.etag,
                             r.etag_url, as_utc(r.updated_at))

    def save(self, source: str, *, base_url: str, dataflow: str, cursor: datetime | None,
             etag: str | None = None, etag_url: str | None = None) -> None:
        values = dict(base_url=base_url, dataflow=dataflow, cursor=cursor, etag=etag, etag_url=etag_url,
                      updated_at=utcnow())
        if self.conn.execute(update(hc).where(hc.c.source == source).values(**values)).rowcount == 0:
            self.conn.execute(insert(hc).values(source=source, **values))
