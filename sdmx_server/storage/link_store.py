"""Links and their runs (storage/link_tables.py): definitions, the run record, and the scheduler's claim.

The claim is one conditional UPDATE (``next_run_at`` moved on only where it still holds the value read), so of
several processes checking at once exactly one wins each due run, whatever their clocks or timing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from .artefact_store import as_utc, utcnow
from .job_store import ended_on_this_host
from .link_tables import data_link, data_link_run

MAX_STORED_ERRORS = 100


@dataclass(frozen=True)
class LinkRow:
    id: int
    name: str
    provider_id: str
    dataflow_urn: str
    source_kind: str
    source: dict[str, Any]
    structure_map_urn: str | None
    auto_release: bool
    interval_seconds: int | None
    next_run_at: datetime | None
    cursor: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RunRow:
    id: int
    link_id: int
    state: str
    dry_run: bool
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    rows_read: int
    figures_submitted: int
    submission_id: int | None
    errors: list[dict[str, Any]]
    owner: str


def _link(r) -> LinkRow:
    return LinkRow(r.id, r.name, r.provider_id, r.dataflow_urn, r.source_kind, json.loads(r.source),
                   r.structure_map_urn, bool(r.auto_release), r.interval_seconds, as_utc(r.next_run_at), r.cursor,
                   r.created_by, as_utc(r.created_at), as_utc(r.updated_at))  # type: ignore[arg-type]


def _run(r) -> RunRow:
    return RunRow(r.id, r.link_id, r.state, bool(r.dry_run), r.trigger, as_utc(r.started_at),  # type: ignore
                  as_utc(r.finished_at), r.rows_read, r.figures_submitted, r.submission_id,
                  json.loads(r.errors) if r.errors else [], r.owner)


class LinkStore:
    """On one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def put(self, *, name: str, provider_id: str, dataflow_urn: str, source_kind: str, source: dict[str, Any],
            structure_map_urn: str | None, auto_release: bool, interval_seconds: int | None,
            created_by: str) -> str:
        """Create or replace a link by name; answers "created" or "replaced"."""
        now = utcnow()
        values = dict(provider_id=provider_id, dataflow_urn=dataflow_urn, source_kind=source_kind,
                      source=json.dumps(source, ensure_ascii=False, sort_keys=True),
                      structure_map_urn=structure_map_urn, auto_release=auto_release,
                      interval_seconds=interval_seconds, updated_at=now,
                      next_run_at=now + timedelta(seconds=interval_seconds) if interval_seconds else None)
        done = self.conn.execute(update(data_link).where(data_link.c.name == name).values(**values)).rowcount
        if done:
            return "replaced"
        self.conn.execute(insert(data_link).values(name=name, created_by=created_by, created_at=now, **values))
        return "created"

    def get(self, name: str) -> LinkRow | None:
        r = self.conn.execute(select(data_link).where(data_link.c.name == name)).first()
        return _link(r) if r else None

    def list(self, provider_id: str | None = None) -> list[LinkRow]:
        q = select(data_link).order_by(data_link.c.name)
        if provider_id is not None:
            q = q.where(data_link.c.provider_id == provider_id)
        return [_link(r) for r in self.conn.execute(q)]

    def remove(self, name: str) -> bool:
        return self.conn.execute(delete(data_link).where(data_link.c.name == name)).rowcount == 1

    def set_cursor(self, link_id: int, cursor: str | None) -> None:
        self.conn.execute(update(data_link).where(data_link.c.id == link_id).values(cursor=cursor))

    # -- schedule -----------------------------------------------------------------------------------------
    def due(self, now: datetime) -> list[LinkRow]:
        """Due links, of every kind (an SDMX REST link harvests)."""
        q = (select(data_link).where(data_link.c.interval_seconds.is_not(None), data_link.c.next_run_at <= now,
                                     data_link.c.source_kind.in_(("sql", "csv", "excel", "sdmx-rest")))
             .order_by(data_link.c.next_run_at))
        return [_link(r) for r in self.conn.execute(q)]

    def claim(self, link: LinkRow, now: datetime) -> bool:
        """Move the link's next run on from the value read; True for the one caller whose UPDATE changed it."""
        if link.interval_seconds is None or link.next_run_at is None:
            return False
        later = max(link.next_run_at, now) + timedelta(seconds=link.interval_seconds)
        return self.conn.execute(update(data_link).where(data_link.c.id == link.id,
                                                         data_link.c.next_run_at == link.next_run_at)
                                 .values(next_run_at=later)).rowcount == 1

    # -- runs ---------------------------------------------------------------------------------------------
    def start_run(self, link_id: int, *, dry_run: bool, trigger: str, owner: str) -> int:
        return self.conn.execute(insert(data_link_run).values(
            link_id=link_id, state="running", dry_run=dry_run, trigger=trigger, started_at=utcnow(),
            rows_read=0, figures_submitted=0, owner=owner)).inserted_primary_key[0]

    def finish_run(self, run_id: int, *, state: str, rows_read: int, figures_submitted: int,
                   submission_id: int | None, errors: list[dict[str, Any]]) -> None:
        self.conn.execute(update(data_link_run).where(data_link_run.c.id == run_id).values(
            state=state, finished_at=utcnow(), rows_read=rows_read, figures_submitted=figures_submitted,
            submission_id=submission_id,
            errors=json.dumps(errors[:MAX_STORED_ERRORS], ensure_ascii=False) if errors else None))

    def end_dead_runs(self, link_id: int) -> int:
        """Runs of the link left ``running`` by a process of this host that has ended (killed, crashed) are
        marked failed: their transaction never committed, so nothing of them was stored."""
        q = select(data_link_run.c.id, data_link_run.c.owner).where(data_link_run.c.link_id == link_id,
                                                                     data_link_run.c.state == "running")
        ended = 0
        for run_id, owner in self.conn.execute(q).all():
            if ended_on_this_host(owner):
                self.conn.execute(update(data_link_run).where(data_link_run.c.id == run_id).values(
                    state="failed", finished_at=utcnow(), errors=json.dumps([{
                        "rule": "died", "message": "the process running it stopped before it finished; nothing "
                                                   "was stored"}])))
                ended += 1
        return ended

    def run(self, run_id: int) -> RunRow | None:
        r = self.conn.execute(select(data_link_run).where(data_link_run.c.id == run_id)).first()
        return _run(r) if r else None

    def runs(self, link_id: int, limit: int = 50) -> list[RunRow]:
        q = (select(data_link_run).where(data_link_run.c.link_id == link_id)
             .order_by(data_link_run.c.id.desc()).limit(limit))
        return [_run(r) for r in self.conn.execute(q)]
