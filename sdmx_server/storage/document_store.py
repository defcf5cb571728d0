"""The documents library's rows (content_tables.document and its linked indicators); the files live in
document_files.py. Who may see or change a document is decided above, in content/documents.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import Connection, delete, insert, select, update

from .artefact_store import as_utc, utcnow
from .content_tables import document, document_indicator

STATES = ("draft", "published", "withdrawn")
ACCESS = ("public", "restricted")


@dataclass(frozen=True)
class DocumentRow:
    id: int
    country: str | None  # None: regional
    doc_type: str
    published_on: date
    titles: dict[str, str]
    summaries: dict[str, str]
    access: str
    participants: bool
    state: str
    file_name: str
    media_type: str
    file_size: int
    file_key: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    indicators: tuple[str, ...]

    def as_details(self) -> dict[str, Any]:
        """What the audit log keeps of it."""
        return {"country": self.country, "type": self.doc_type, "published_on": self.published_on.isoformat(),
                "titles": self.titles, "access": self.access, "participants": self.participants,
                "state": self.state, "file": self.file_name, "indicators": list(self.indicators)}


class DocumentStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, country: str | None, doc_type: str, published_on: date, titles: dict[str, str],
            summaries: dict[str, str], access: str, participants: bool, file_name: str, media_type: str,
            file_size: int, file_key: str, indicators: Iterable[str], by: str) -> int:
        """A new draft document; its id."""
        now = utcnow()
        doc_id = self.conn.execute(insert(document).values(
            country=country, doc_type=doc_type, published_on=published_on, titles=_json(titles),
            summaries=_json(summaries), access=access, participants=participants, state="draft",
            file_name=file_name, media_type=media_type, file_size=file_size, file_key=file_key, created_by=by,
            created_at=now, updated_at=now)).inserted_primary_key[0]
        self._set_indicators(doc_id, indicators)
        return doc_id

    def update(self, doc_id: int, *, indicators: Iterable[str] | None = None, **values: Any) -> None:
        """Change the given columns (titles and summaries as dicts) and, when given, the linked indicators."""
        for key in ("titles", "summaries"):
            if key in values:
                values[key] = _json(values[key])
        self.conn.execute(update(document).where(document.c.id == doc_id).values(updated_at=utcnow(), **values))
        if indicators is not None:
            self.conn.execute(delete(document_indicator).where(document_indicator.c.document_id == doc_id))
            self._set_indicators(doc_id, indicators)

    def get(self, doc_id: int) -> DocumentRow | None:
        rows = self._rows(select(document).where(document.c.id == doc_id))
        return rows[0] if rows else None

    def list(self, *, states: Iterable[str] | None = None, countries: Iterable[str | None] | None = None,
             doc_type: str | None = None, access: str | None = None, after: tuple[date, int] | None = None,
             limit: int = 1000) -> list[DocumentRow]:
        """Newest publication date first. ``countries`` may hold None for regional documents; ``after`` pages on
        by the (published_on, id) of the last row of the previous page."""
        q = select(document).order_by(document.c.published_on.desc(), document.c.id.desc()).limit(limit)
        if doc_type is not None:
            q = q.where(document.c.doc_type == doc_type)
        if access is not None:
            q = q.where(document.c.access == access)
        if after is not None:
            q = q.where((document.c.published_on < after[0])
                        | ((document.c.published_on == after[0]) & (document.c.id < after[1])))
        if states is not None:
            q = q.where(document.c.state.in_(list(states)))
        if countries is not None:
            wanted = list(countries)
            named = [c for c in wanted if c is not None]
            cond = document.c.country.in_(named)
            if None in wanted:
                cond = cond | document.c.country.is_(None)
            q = q.where(cond)
        return self._rows(q)

    def _set_indicators(self, doc_id: int, indicators: Iterable[str]) -> None:
        urns = sorted(set(indicators))
        if urns:
            self.conn.execute(insert(document_indicator), [{"document_id": doc_id, "dataflow_urn": u} for u in urns])

    def _rows(self, q: Any) -> list[DocumentRow]:
        rows = self.conn.execute(q).all()
        links: dict[int, list[str]] = {}
        if rows:
            ids = [r.id for r in rows]
            for d, urn in self.conn.execute(select(document_indicator.c.document_id, document_indicator.c.dataflow_urn)
                                            .where(document_indicator.c.document_id.in_(ids))
                                            .order_by(document_indicator.c.dataflow_urn)):
                links.setdefault(d, []).append(urn)
        return [DocumentRow(r.id, r.country, r.doc_type, r.published_on, json.loads(r.titles), json.loads(r.summaries),
                            r.access, bool(r.participants), r.state, r.file_name, r.media_type, r.file_size,
                            r.file_key, r.created_by, as_utc(r.created_at), as_utc(r.updated_at),
                            tuple(links.get(r.id, ()))) for r in rows]


def _json(texts: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in texts.items() if v}, ensure_ascii=False, sort_keys=True)
