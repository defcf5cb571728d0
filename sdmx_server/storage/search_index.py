"""The full-text index behind search (storage/search_tables.py), one interface over each engine's own search.

PostgreSQL: a ``tsvector`` per entry (title weight A, summary B, the rest C) with a GIN index, queried with
``websearch_to_tsquery`` (which reads any input, quotes and minus signs included, without a syntax error) and
ranked by ``ts_rank``. The configuration of a text is ``russian`` on the Russian portal and for mostly Cyrillic
text (a Russian PDF under the English portal), else ``english``; PostgreSQL's ``russian`` configuration stems Latin
words with the English stemmer, so a text is stemmed one way whichever page indexes or asks. SQLite: FTS5 has no
Russian stemmer, so words are stemmed here with Snowball (``snowballstemmer``: Russian for Cyrillic words,
English for the others) and the stemmed words are indexed; a query is stemmed the same way and each word quoted,
so FTS5's own syntax (``NEAR``, ``*``, ``"``, ``^``) never reaches it; ranked by ``bm25``.

Who may find an entry is a condition in the same query (:class:`Reader`), so counts and facets only ever count
what the reader may see.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping

import snowballstemmer
from sqlalchemy import (Connection, and_, column, delete, exists, false, func, insert, literal_column, or_, select,
                        table, text, true)

from .search_tables import search_entry, search_entry_indicator

KINDS = ("indicator", "document", "news", "event", "country")
MAX_QUERY = 200  # characters of a query read; the rest is ignored
MAX_QUERY_WORDS = 12
MAX_BODY = 200_000  # characters of an entry's other text indexed (a tsvector is at most 1 MB)
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_fts = table("search_fts", column("rowid"), column("title"), column("summary"), column("body"))
_tsv = literal_column("search_entry.tsv")
_local = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


@dataclass(frozen=True)
class Entry:
    """One thing to find, in one language."""

    kind: str
    ref: str
    lang: str
    state: str  # only "published" is ever found
    access: str  # public | participants | restricted
    country: str | None
    year: int | None
    title: str
    summary: str
    body: str = ""
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reader:
    """Who searches, as far as finding is concerned (built in content/search.py from the actor and visibility)."""

    signed_in: bool = False
    everything: bool = False  # system administrators
    country: str | None = None  # a participating country's user
    shared: Mapping[str, frozenset[str]] = field(default_factory=dict)  # dataflow URN -> providers seen there


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    country: str | None = None
    indicator: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class Hit:
    kind: str
    ref: str
    title: str
    summary: str
    country: str | None
    year: int | None
    rank: float


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[Any, int]]]  # kind | country | indicator | year -> (value, count), most first


# -- words ------------------------------------------------------------------------------------------------

def _stemmers() -> tuple[Any, Any]:
    if not hasattr(_local, "stemmers"):
        _local.stemmers = (snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english"))
    return _local.stemmers


def words(text: str) -> list[str]:
    """The text's words, lower case, each stemmed in its own script's language."""
    ru, en = _stemmers()
    out = []
    for w in _WORD.findall(text.lower().replace("ё", "е")):
        out.append(ru.stemWord(w) if _CYRILLIC.search(w) else en.stemWord(w))
    return out


def stemmed(text: str) -> str:
    return " ".join(words(text))


def mostly_cyrillic(text: str) -> bool:
    sample = text[:5000]
    cyr = len(_CYRILLIC.findall(sample))
    return cyr > 0 and cyr * 2 >= sum(1 for c in sample if c.isalpha())


def config_for(text: str, lang: str) -> str:
    """The PostgreSQL text search configuration of a text shown (or asked) on the ``lang`` portal."""
    return "russian" if lang == "ru" or mostly_cyrillic(text) else "english"


def _bounded(query: str) -> str:
    return query[:MAX_QUERY]


# -- the index -----------------------------------------------------------------------------------------------

class SearchIndex:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # writing ------------------------------------------------------------------------------------------
    def replace(self, kind: str, ref: str, entries: list[Entry]) -> None:
        """What the index holds of one thing (one entry per language); none: it is no longer found."""
        self.delete(kind, ref)
        for e in entries:
            self._add(e)

    def delete(self, kind: str, ref: str) -> None:
        ids = list(self.conn.execute(select(search_entry.c.id).where(search_entry.c.kind == kind,
                                                                     search_entry.c.ref == ref)).scalars())
        self._delete_ids(ids)

    def clear(self, kinds: tuple[str, ...] = KINDS) -> None:
        ids = list(self.conn.execute(select(search_entry.c.id).where(search_entry.c.kind.in_(kinds))).scalars())
        self._delete_ids(ids)

    def _delete_ids(self, ids: list[int]) -> None:
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            if not self.postgres:
                self.conn.execute(delete(_fts).where(_fts.c.rowid.in_(part)))
            self.conn.execute(delete(search_entry_indicator).where(search_entry_indicator.c.entry_id.in_(part)))
            self.conn.execute(delete(search_entry).where(search_entry.c.id.in_(part)))

    def _add(self, e: Entry) -> None:
        body = e.body[:MAX_BODY]
        values = dict(kind=e.kind, ref=e.ref, lang=e.lang, state=e.state, access=e.access, country=e.country,
                      year=e.year, title=e.title, summary=e.summary[:400])
        if self.postgres:
            entry_id = self.conn.execute(text(
                "INSERT INTO search_entry (kind, ref, lang, state, access, country, year, title, summary, tsv) "
                "VALUES (:kind, :ref, :lang, :state, :access, :country, :year, :title, :summary, "
                "setweight(to_tsvector(CAST(:ct AS regconfig), :title), 'A') || "
                "setweight(to_tsvector(CAST(:cs AS regconfig), :full_summary), 'B') || "
                "setweight(to_tsvector(CAST(:cb AS regconfig), :body), 'C')) RETURNING id"),
                dict(values, ct=config_for(e.title, e.lang), cs=config_for(e.summary, e.lang),
                     cb=config_for(body, e.lang), full_summary=e.summary, body=body)).scalar_one()
        else:
            entry_id = self.conn.execute(insert(search_entry).values(**values)).inserted_primary_key[0]
            self.conn.execute(insert(_fts).values(rowid=entry_id, title=stemmed(e.title), summary=stemmed(e.summary),
                                                  body=stemmed(body)))
        urns = sorted(set(e.indicators))
        if urns:
            self.conn.execute(insert(search_entry_indicator), [{"entry_id": entry_id, "dataflow_urn": u} for u in urns])

    # reading ------------------------------------------------------------------------------------------
    def search(self, query: str, lang: str, reader: Reader, filters: Filters = Filters(), *, limit: int = 20,
               offset: int = 0) -> Found:
        """The entries matching ``query`` in ``lang`` that ``reader`` may find, best first; the total and the
        facets count only those."""
        match = self._match(_bounded(query), lang)
        if match is None:
            return Found([], 0, {"kind": [], "country": [], "indicator": [], "year": []})
        where, rank, source = match
        base = [search_entry.c.lang == lang, _visible(reader), where]
        picked = _filters(filters)
        q = (select(search_entry.c.kind, search_entry.c.ref, search_entry.c.title, search_entry.c.summary,
                    search_entry.c.country, search_entry.c.year, rank.label("rank"))
             .select_from(source).where(*base, *picked.values())
             .order_by(rank.desc() if self.postgres else rank, search_entry.c.id).limit(limit).offset(offset))
        hits = [Hit(r.kind, r.ref, r.title, r.summary, r.country, r.year,
                    float(r.rank) if self.postgres else -float(r.rank)) for r in self.conn.execute(q)]
        total = self.conn.execute(select(func.count()).select_from(source).where(*base, *picked.values())).scalar_one()
        facets = {}
        for name, col in (("kind", search_entry.c.kind), ("country", search_entry.c.country),
                          ("year", search_entry.c.year)):
            others = [c for k, c in picked.items() if k != name]
            n = func.count().label("n")
            rows = self.conn.execute(select(col, n).select_from(source).where(*base, *others, col.is_not(None))
                                     .group_by(col).order_by(n.desc(), col))
            facets[name] = [(v, c) for v, c in rows]
        others = [c for k, c in picked.items() if k != "indicator"]
        n = func.count().label("n")
        urn = search_entry_indicator.c.dataflow_urn
        rows = self.conn.execute(
            select(urn, n).select_from(source.join(search_entry_indicator,
                                                   search_entry_indicator.c.entry_id == search_entry.c.id))
            .where(*base, *others).group_by(urn).order_by(n.desc(), urn))
        facets["indicator"] = [(v, c) for v, c in rows]
        return Found(hits, total, facets)

    def _match(self, query: str, lang: str) -> tuple[Any, Any, Any] | None:
        """(the match condition, the rank expression, the FROM clause), or None when the query has no word."""
        found = words(query)[:MAX_QUERY_WORDS]
        if not found:
            return None
        if self.postgres:
            cfg = config_for(query, lang)
            tsq = func.websearch_to_tsquery(literal_column(f"'{cfg}'::regconfig"), query)
            return _tsv.op("@@")(tsq), func.ts_rank(_tsv, tsq), search_entry
        fts_query = " ".join(f'"{w}"' for w in found)  # words only: FTS5's syntax never reaches it
        source = search_entry.join(_fts, _fts.c.rowid == search_entry.c.id)
        return (text("search_fts MATCH :fts_query").bindparams(fts_query=fts_query),
                literal_column("bm25(search_fts, 10.0, 4.0, 1.0)"), source)

    def refs(self, kind: str) -> set[str]:
        return set(self.conn.execute(select(search_entry.c.ref).where(search_entry.c.kind == kind)).scalars())

    def count(self) -> int:
        return self.conn.execute(select(func.count()).select_from(search_entry)).scalar_one()


def _filters(f: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if f.kind:
        out["kind"] = search_entry.c.kind == f.kind
    if f.country:
        out["country"] = search_entry.c.country == f.country
    if f.year:
        out["year"] = search_entry.c.year == f.year
    if f.indicator:
        si = search_entry_indicator.alias("si_chosen")  # the indicator facet's own join stays apart
        out["indicator"] = exists().where(si.c.entry_id == search_entry.c.id, si.c.dataflow_urn == f.indicator)
    return out


def _visible(reader: Reader) -> Any:
    """Published, and public or within the reader's reach: the rule of content/documents.may_see and
    content/country_pages.may_see for what is published, in SQL."""
    e = search_entry.c
    reach: Any = false()
    if reader.signed_in and reader.everything:
        reach = true()
    elif reader.signed_in and reader.country:
        si = search_entry_indicator.alias("si_shared")  # the indicator facet's own join stays apart
        shared = [and_(si.c.dataflow_urn == urn, e.country.in_(sorted(providers)))
                  for urn, providers in sorted(reader.shared.items()) if providers]
        by_sharing = exists().where(si.c.entry_id == e.id, or_(*shared)) if shared else false()
        reach = or_(e.access == "participants",
                    and_(e.access == "restricted", or_(e.country.is_(None), e.country == reader.country, by_sharing)))
    return and_(e.state == "published", or_(e.access == "public", reach))
