"""Search across everything (issue 18, item 6): indicators, documents, news and events, country pages.

One interface over each engine's full-text search (storage/search_index.py). Who may find what follows the pages'
own rules (content/documents.may_see, content/country_pages.may_see, published news only), compiled into the
query itself, so a restricted document the reader may not see is never a result, nor a count, nor a facet.
Drafts and withdrawn items are never found, not even by their managers (their screens list them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ..access.visibility import Visibility
from ..identity.actor import Actor
from ..storage.search_index import KINDS, MAX_QUERY, Filters, Found, Hit, Reader, SearchIndex
from .documents import is_system_administrator

PAGE_SIZE = 30
MAX_PAGE = 50  # pages of results offered; past them, a narrower query helps more


@dataclass(frozen=True)
class Group:
    kind: str
    hits: list[Hit]


@dataclass(frozen=True)
class Results:
    query: str
    filters: Filters
    groups: list[Group]  # by type, the type of the best result first
    total: int
    facets: dict
    page: int
    pages: int


def reader_for(actor: Actor, vis: Visibility) -> Reader:
    if actor.is_anonymous:
        return Reader()
    if vis.sees_everything or is_system_administrator(actor):
        return Reader(signed_in=True, everything=True)
    return Reader(signed_in=True, country=actor.country, shared=dict(vis.others))


def clean_query(raw: str | None) -> str:
    """The query as searched: at most MAX_QUERY characters, no control characters, spaces folded."""
    text = "".join(" " if (ord(c) < 32 or ord(c) == 127) else c for c in (raw or "")[:MAX_QUERY])
    return " ".join(text.split())


def filters_from(kind: str | None, country: str | None, indicator: str | None, year: str | None) -> Filters:
    """Filters from a query string; a value that cannot be one (unknown type, not a year) filters nothing."""
    return Filters(kind if kind in KINDS else None, (country or None) if country and len(country) <= 200 else None,
                   (indicator or None) if indicator and len(indicator) <= 600 else None,
                   int(year) if year and year.isdigit() and len(year) == 4 else None)


def search(conn: Connection, actor: Actor, vis: Visibility, query: str, lang: str, filters: Filters = Filters(),
           page: int = 1) -> Results:
    query = clean_query(query)
    page = min(max(page, 1), MAX_PAGE)
    if not query:
        return Results(query, filters, [], 0, {}, 1, 0)
    found: Found = SearchIndex(conn).search(query, lang, reader_for(actor, vis), filters, limit=PAGE_SIZE,
                                            offset=(page - 1) * PAGE_SIZE)
    groups: dict[str, list[Hit]] = {}
    for hit in found.hits:
        groups.setdefault(hit.kind, []).append(hit)
    pages = min(MAX_PAGE, -(-found.total // PAGE_SIZE))
    return Results(query, filters, [Group(k, v) for k, v in groups.items()], found.total, found.facets, page, pages)
