"""News items and events (content_tables.news_item) and the curated links (content_tables.portal_link)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import Connection, delete, insert, select, update

from .artefact_store import as_utc, utcnow
from .content_tables import news_item, portal_link


@dataclass(frozen=True)
class NewsRow:
    id: int
    kind: str  # news | event
    titles: dict[str, str]
    bodies: dict[str, str]
    places: dict[str, str]
    starts_on: date | None
    ends_on: date | None
    state: str  # draft | published | withdrawn
    published_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    def as_details(self) -> dict[str, Any]:
        return {"kind": self.kind, "titles": self.titles, "state": self.state,
                "starts_on": self.starts_on.isoformat() if self.starts_on else None,
                "ends_on": self.ends_on.isoformat() if self.ends_on else None, "places": self.places}


@dataclass(frozen=True)
class LinkRow:
    id: int
    category: str
    titles: dict[str, str]
    url: str
    position: int


class NewsStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, kind: str, titles: dict[str, str], bodies: dict[str, str], places: dict[str, str],
            starts_on: date | None, ends_on: date | None, by: str) -> int:
        now = utcnow()
        return self.conn.execute(insert(news_item).values(
            kind=kind, titles=_json(titles), bodies=_json(bodies), places=_json(places), starts_on=starts_on,
            ends_on=ends_on, state="draft", created_by=by, created_at=now, updated_at=now)).inserted_primary_key[0]

    def update(self, item_id: int, **values: Any) -> None:
        for key in ("titles", "bodies", "places"):
            if key in values:
                values[key] = _json(values[key])
        self.conn.execute(update(news_item).where(news_item.c.id == item_id).values(updated_at=utcnow(), **values))

    def get(self, item_id: int) -> NewsRow | None:
        rows = self._rows(select(news_item).where(news_item.c.id == item_id))
        return rows[0] if rows else None

    def list(self, *, states: Iterable[str] | None = None, kind: str | None = None, limit: int = 200) -> list[NewsRow]:
        """Newest first: published ones by publication time, the others by their last change."""
        q = select(news_item).order_by(news_item.c.published_at.desc().nulls_first(), news_item.c.id.desc()).limit(limit)
        if states is not None:
            q = q.where(news_item.c.state.in_(list(states)))
        if kind is not None:
            q = q.where(news_item.c.kind == kind)
        return self._rows(q)

    def _rows(self, q: Any) -> list[NewsRow]:
        return [NewsRow(r.id, r.kind, json.loads(r.titles), json.loads(r.bodies), json.loads(r.places or "{}"),
                        r.starts_on, r.ends_on, r.state, as_utc(r.published_at), r.created_by, as_utc(r.created_at),
                        as_utc(r.updated_at)) for r in self.conn.execute(q)]


class LinkStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, category: str, titles: dict[str, str], url: str, position: int, by: str) -> int:
        return self.conn.execute(insert(portal_link).values(
            category=category, titles=_json(titles), url=url, position=position, updated_by=by,
            updated_at=utcnow())).inserted_primary_key[0]

    def update(self, link_id: int, *, by: str, **values: Any) -> None:
        if "titles" in values:
            values["titles"] = _json(values["titles"])
        self.conn.execute(update(portal_link).where(portal_link.c.id == link_id).values(
            updated_by=by, updated_at=utcnow(), **values))

    def delete(self, link_id: int) -> bool:
        return bool(self.conn.execute(delete(portal_link).where(portal_link.c.id == link_id)).rowcount)

    def get(self, link_id: int) -> LinkRow | None:
        r = self.conn.execute(select(portal_link).where(portal_link.c.id == link_id)).first()
        return None if r is None else LinkRow(r.id, r.category, json.loads(r.titles), r.url, r.position)

    def list(self) -> list[LinkRow]:
        q = select(portal_link).order_by(portal_link.c.category, portal_link.c.position, portal_link.c.id)
        return [LinkRow(r.id, r.category, json.loads(r.titles), r.url, r.position) for r in self.conn.execute(q)]


def _json(texts: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in texts.items() if v}, ensure_ascii=False, sort_keys=True)
