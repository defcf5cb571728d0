"""News and events, and the curated links: who may change them, and the audited operations.

News, events and links belong to the whole mechanism, not to one country: any content manager (of any country)
and system administrators manage them; every change is in the audit log under the manager's country. Published
items are public; drafts and withdrawn items are seen by their managers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from ..identity.actor import Actor
from ..sdmx.errors import Forbidden, NotFound, SemanticError
from ..storage.artefact_store import utcnow
from ..storage.audit_store import AuditStore
from ..storage.news_store import LinkRow, LinkStore, NewsRow, NewsStore
from .documents import MAX_TITLE, MOVES, may_manage_any
from .search_entries import index_news

KINDS = ("news", "event")
LINK_CATEGORIES = ("statistics", "migration", "international")
MAX_BODY = 20_000


@dataclass(frozen=True)
class NewsFields:
    kind: str
    titles: dict[str, str]
    bodies: dict[str, str]
    places: dict[str, str]
    starts_on: date | None
    ends_on: date | None


def can_manage(actor: Actor) -> bool:
    return may_manage_any(actor)


def _require(actor: Actor) -> None:
    if not can_manage(actor):
        raise Forbidden("only content managers manage news, events and links")


def _check(f: NewsFields) -> None:
    if f.kind not in KINDS:
        raise SemanticError(f"unknown kind {f.kind!r}")
    if not any(f.titles.values()):
        raise SemanticError("an item needs a title in at least one language")
    if any(len(t) > MAX_TITLE for t in f.titles.values()) or any(len(b) > MAX_BODY for b in f.bodies.values()):
        raise SemanticError("a title or text is too long")
    if f.kind == "event" and f.starts_on is None:
        raise SemanticError("an event needs its first day")
    if f.starts_on and f.ends_on and f.ends_on < f.starts_on:
        raise SemanticError("an event cannot end before it starts")


def published_news(store: NewsStore, *, kind: str | None = None, limit: int = 200) -> list[NewsRow]:
    return store.list(states=["published"], kind=kind, limit=limit)


def news_for(store: NewsStore, actor: Actor, item_id: int) -> NewsRow:
    item = store.get(item_id)
    if item is None or (item.state != "published" and not can_manage(actor)):
        raise NotFound(f"no news item {item_id}")
    return item


def create_news(store: NewsStore, audit: AuditStore, actor: Actor, f: NewsFields) -> int:
    _require(actor)
    _check(f)
    item_id = store.add(kind=f.kind, titles=f.titles, bodies=f.bodies, places=f.places if f.kind == "event" else {},
                        starts_on=f.starts_on if f.kind == "event" else None,
                        ends_on=f.ends_on if f.kind == "event" else None, by=actor.username or "?")
    audit.record(actor.username or "?", "news.create", f"news:{item_id}", country=actor.country,
                 details=store.get(item_id).as_details())
    index_news(store.conn, item_id)
    return item_id


def edit_news(store: NewsStore, audit: AuditStore, actor: Actor, item_id: int, f: NewsFields) -> None:
    _require(actor)
    before = store.get(item_id)
    if before is None:
        raise NotFound(f"no news item {item_id}")
    _check(f)
    event = f.kind == "event"
    store.update(item_id, kind=f.kind, titles=f.titles, bodies=f.bodies, places=f.places if event else {},
                 starts_on=f.starts_on if event else None, ends_on=f.ends_on if event else None)
    after = store.get(item_id).as_details()
    changed = {k: v for k, v in after.items() if before.as_details().get(k) != v}
    audit.record(actor.username or "?", "news.update", f"news:{item_id}", country=actor.country,
                 details={"changed": sorted(changed), **changed})
    index_news(store.conn, item_id)


def move_news(store: NewsStore, audit: AuditStore, actor: Actor, item_id: int, state: str) -> bool:
    _require(actor)
    item = store.get(item_id)
    if item is None:
        raise NotFound(f"no news item {item_id}")
    if item.state == state:
        return False
    if state not in MOVES.get(item.state, ()):
        raise SemanticError(f"a {item.state} item cannot become {state}")
    values: dict = {"state": state}
    if state == "published" and item.published_at is None:
        values["published_at"] = utcnow()
    store.update(item_id, **values)
    action = {"published": "news.publish", "withdrawn": "news.withdraw", "draft": "news.draft"}[state]
    audit.record(actor.username or "?", action, f"news:{item_id}", country=actor.country,
                 details={"before": item.state, "after": state})
    index_news(store.conn, item_id)
    return True


# -- links ----------------------------------------------------------------------------------------

def safe_url(url: str) -> bool:
    """Only http and https addresses with a host: no javascript:, data: or relative tricks."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c in url for c in "\r\n\t <>\"'")


def save_link(store: LinkStore, audit: AuditStore, actor: Actor, link_id: int | None, *, category: str,
              titles: dict[str, str], url: str, position: int) -> int:
    _require(actor)
    if category not in LINK_CATEGORIES:
        raise SemanticError(f"unknown group {category!r}")
    if not any(titles.values()) or any(len(t) > MAX_TITLE for t in titles.values()):
        raise SemanticError("a link needs a title of at most 300 characters")
    if not safe_url(url):
        raise SemanticError("a link is an http or https address")
    by = actor.username or "?"
    if link_id is None:
        link_id = store.add(category=category, titles=titles, url=url.strip(), position=position, by=by)
        action = "link.create"
    else:
        if store.get(link_id) is None:
            raise NotFound(f"no link {link_id}")
        store.update(link_id, by=by, category=category, titles=titles, url=url.strip(), position=position)
        action = "link.update"
    audit.record(by, action, f"link:{link_id}", country=actor.country,
                 details={"titles": titles, "url": url.strip(), "category": category})
    return link_id


def delete_link(store: LinkStore, audit: AuditStore, actor: Actor, link_id: int) -> LinkRow:
    _require(actor)
    link = store.get(link_id)
    if link is None:
        raise NotFound(f"no link {link_id}")
    store.delete(link_id)
    audit.record(actor.username or "?", "link.delete", f"link:{link_id}", country=actor.country,
                 details={"titles": link.titles, "url": link.url})
    return link
