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

MAX_QUERY_CHARS = MAX_QUERY
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


class BadSearch(ValueError):
    """A query string that cannot be a search: ``param`` names the part, ``value`` what it held."""

    def __init__(self, param: str, value: str):
        super().__init__(f"{param}={value[:40]!r} cannot be searched")
        self.param, self.value = param, value


def clean_query(raw: str | None) -> str:
    """The query as searched: no control characters, spaces folded."""
    text = "".join(" " if (ord(c) < 32 or ord(c) == 127) else c for c in (raw or "")[:MAX_QUERY_CHARS])
    return " ".join(text.split())


def parse_request(q: str | None, kind: str | None, country: str | None, indicator: str | None, year: str | None,
                  page: str | None) -> tuple[str, Filters, int]:
    """(query, filters, page) from a query string's values; BadSearch names the first that cannot be one."""
    if q and len(q) > MAX_QUERY_CHARS:
        raise BadSearch("q", q)
    if kind and kind not in KINDS:
        raise BadSearch("type", kind)
    if country and (len(country) > 200 or not country.replace("_", "").replace("-", "").isalnum()):
        raise BadSearch("country", country)
    if indicator and (len(indicator) > 600 or not indicator.startswith("urn:sdmx:")):
        raise BadSearch("indicator", indicator)
    if year and not (year.isdigit() and len(year) == 4):
        raise BadSearch("year", year)
    if page and not (page.isdigit() and len(page) <= 4 and int(page) >= 1):
        raise BadSearch("page", page)
    return (clean_query(q), Filters(kind or None, country or None, indicator or None, int(year) if year else None),
            int(page) if page else 1)


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
