"""Stored structural artefacts: the database side of structure queries and maintenance.

Implements the ``ArtefactSource`` protocol of ``retrieval.artefact_source`` on a
connection, and the writes that structure maintenance needs.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Connection, delete, func, insert, select, update

from ..sdmx.artefacts import Artefact, maintainable_references, urn_of
from .tables import artefact, artefact_reference, change_log

SCOPE_STRUCTURES = "structures"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _load(body: str) -> Artefact:
    return json.loads(body)


def _dump(a: Artefact) -> str:
    return json.dumps(a, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class ArtefactStore:
    """Reads and writes canonical artefacts on one connection (the caller owns the transaction)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    # -- reading (the ArtefactSource protocol) ---------------------------------------------
    def candidates(self, types: set[str] | None, agencies: list[str] | None,
                   ids: list[str] | None) -> list[Artefact]:
        q = select(artefact.c.body)
        if types is not None:
            q = q.where(artefact.c.type.in_(sorted(types)))
        if agencies:
            q = q.where(artefact.c.agency_id.in_(agencies))
        if ids:
            q = q.where(artefact.c.resource_id.in_(ids))
        q = q.order_by(artefact.c.type, artefact.c.agency_id, artefact.c.resource_id, artefact.c.version)
        return [_load(b) for (b,) in self.conn.execute(q)]

    def by_urns(self, urns: Iterable[str]) -> list[Artefact]:
        urns = sorted(set(urns))
        if not urns:
            return []
        out: list[Artefact] = []
        for i in range(0, len(urns), 500):
            q = select(artefact.c.body).where(artefact.c.urn.in_(urns[i:i + 500]))
            out.extend(_load(b) for (b,) in self.conn.execute(q))
        return out

    def referencing(self, urns: Iterable[str]) -> list[Artefact]:
        urns = sorted(set(urns))
        if not urns:
            return []
        q = (select(artefact.c.body).distinct()
             .join(artefact_reference, artefact_reference.c.source_id == artefact.c.id)
             .where(artefact_reference.c.target_urn.in_(urns)))
        return [_load(b) for (b,) in self.conn.execute(q)]

    # -- metadata -------------------------------------------------------------------------
    def get(self, urn: str) -> Artefact | None:
        row = self.conn.execute(select(artefact.c.body).where(artefact.c.urn == urn)).first()
        return _load(row[0]) if row else None

    def existing_urns(self, urns: Iterable[str]) -> set[str]:
        urns = sorted(set(urns))
        found: set[str] = set()
        for i in range(0, len(urns), 500):
            q = select(artefact.c.urn).where(artefact.c.urn.in_(urns[i:i + 500]))
            found.update(u for (u,) in self.conn.execute(q))
        return found

    def referrers_of(self, urn: str) -> list[str]:
        q = (select(artefact.c.urn)
             .join(artefact_reference, artefact_reference.c.source_id == artefact.c.id)
             .where(artefact_reference.c.target_urn == urn))
        return [u for (u,) in self.conn.execute(q)]

    def maintained_by(self, agencies: Iterable[str], limit: int = 5) -> dict[str, list[str]]:
        """Agency id -> URNs of (up to ``limit``) artefacts it maintains, for the ``agencies`` that maintain any."""
        out: dict[str, list[str]] = {}
        for agency in sorted(set(agencies)):
            q = select(artefact.c.urn).where(artefact.c.agency_id == agency).order_by(artefact.c.urn).limit(limit)
            urns = list(self.conn.execute(q).scalars())
            if urns:
                out[agency] = urns
        return out

    def last_modified(self) -> datetime | None:
        row = self.conn.execute(select(change_log.c.changed_at).where(change_log.c.scope == SCOPE_STRUCTURES)).first()
        return as_utc(row[0]) if row else None

    def count(self) -> int:
        return self.conn.execute(select(func.count()).select_from(artefact)).scalar_one()

    # -- writing --------------------------------------------------------------------------
    def put(self, a: Artefact) -> str:
        """Insert or replace one artefact; answers "created", "replaced" or "unchanged"."""
        urn = urn_of(a)
        body = _dump(a)
        row = self.conn.execute(select(artefact.c.id, artefact.c.body).where(artefact.c.urn == urn)).first()
        now = utcnow()
        if row and row.body == body:
            return "unchanged"
        if row:
            self.conn.execute(update(artefact).where(artefact.c.id == row.id).values(
                body=body, is_final=bool(a.get("isFinal")), updated_at=now))
            self.conn.execute(delete(artefact_reference).where(artefact_reference.c.source_id == row.id))
            art_id = row.id
        else:
            art_id = self.conn.execute(insert(artefact).values(
                type=a["type"], agency_id=a["agencyID"], resource_id=a["id"], version=a["version"],
                is_final=bool(a.get("isFinal")), urn=urn, body=body, created_at=now, updated_at=now,
            )).inserted_primary_key[0]
        refs = sorted(maintainable_references(a))
        if refs:
            self.conn.execute(insert(artefact_reference), [{"source_id": art_id, "target_urn": r} for r in refs])
        self._touch(now)
        return "replaced" if row else "created"

    def delete(self, urn: str) -> bool:
        n = self.conn.execute(delete(artefact).where(artefact.c.urn == urn)).rowcount
        if n:
            self._touch(utcnow())
        return bool(n)

    def _touch(self, now: datetime) -> None:
        done = self.conn.execute(update(change_log).where(change_log.c.scope == SCOPE_STRUCTURES)
                                 .values(changed_at=now)).rowcount
        if not done:
            self.conn.execute(insert(change_log).values(scope=SCOPE_STRUCTURES, changed_at=now))
