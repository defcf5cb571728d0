"""The audit log: every administrative change, written in the same transaction as the change itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from .artefact_store import as_utc, utcnow
from .tables import audit_log


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    country: str | None
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "target": self.target, "country": self.country, "details": self.details}


class AuditStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def record(self, actor: str, action: str, target: str, *, country: str | None,
               details: dict[str, Any] | None = None) -> None:
        """One entry; ``country`` is the country the change concerns (None: system-wide)."""
        self.conn.execute(insert(audit_log).values(
            at=utcnow(), actor=actor, action=action, target=target, country=country,
            details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True)))

    def entries(self, *, country: str | None = None, all_countries: bool = False, before: int | None = None,
                limit: int = 100) -> list[AuditEntry]:
        """Newest first; one country's entries unless ``all_countries``. ``before`` pages by id."""
        q = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if not all_countries:
            q = q.where(audit_log.c.country == country)
        if before is not None:
            q = q.where(audit_log.c.id < before)
        return [AuditEntry(r.id, as_utc(r.at), r.actor, r.action, r.target, r.country, json.loads(r.details))
                for r in self.conn.execute(q)]
