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
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Mapping

import snowballstemmer
from sqlalchemy import (Connection, Float, String, and_, cast, column, delete, exists, false, func, insert, literal,
                        literal_column, or_, select, table, text, true, union_all)

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


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Snowball is pure Python (some 50 µs a word); texts repeat their words, so each is stemmed once."""
    ru, en = _stemmers()
    return ru.stemWord(word) if _CYRILLIC.search(word) else en.stemWord(word)


def words(text: str) -> list[str]:
    """The text's words, lower case, each stemmed in its own script's language."""
    return [_stem(w) for w in _WORD.findall(text.lower().replace("ё", "е"))]


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
        facets count only those. The matches the reader may find are made once (a materialised CTE: the full-text
        match runs once) and counted there by the database, in one query; a second one ranks them for the page.
        Nothing per match comes back to Python, so a word found in thousands of entries costs little more."""
        match = self._match(_bounded(query), lang)
        if match is None:
            return Found([], 0, {"kind": [], "country": [], "indicator": [], "year": []})
        where, rank, source = match
        e = search_entry.c
        found = (select(e.id, e.kind, e.country, e.year, rank.label("rank")).select_from(source)
                 .where(e.lang == lang, _visible(reader), where).cte("found").prefix_with("MATERIALIZED"))
        m = found.c
        si = search_entry_indicator.alias("si_facet")
        chosen = _chosen(filters, m)
        parts = [select(literal("total").label("part"), literal(None, String).label("value"),
                        cast(func.count(), Float).label("n")).select_from(found).where(*chosen.values())]
        for name, col in (("kind", m.kind), ("country", m.country), ("year", cast(m.year, String))):
            others = [c for k, c in chosen.items() if k != name]
            parts.append(select(literal(name), col, cast(func.count(), Float)).select_from(found)
                         .where(col.is_not(None), *others).group_by(col))
        others = [c for k, c in chosen.items() if k != "indicator"]
        kept = select(m.id).where(*others)  # the entries first, then their indicators by the primary key
        parts.append(select(literal("indicator"), si.c.dataflow_urn, cast(func.count(), Float))
                     .where(si.c.entry_id.in_(kept)).group_by(si.c.dataflow_urn))
        best = (select(m.id, m.rank).where(*chosen.values())
                .order_by(m.rank.desc() if self.postgres else m.rank, m.id).limit(limit).offset(offset).subquery())
        parts.append(select(literal("hit"), cast(best.c.id, String), cast(best.c.rank, Float)))
        total, counts, page = 0, {"kind": {}, "country": {}, "year": {}, "indicator": {}}, []
        for part, value, n in self.conn.execute(union_all(*parts)):
            if part == "total":
                total = int(n)
            elif part == "hit":
                page.append((int(value), float(n) if self.postgres else -float(n)))  # bm25: the lower the better
            else:
                counts[part][int(value) if part == "year" else value] = int(n)
        facets = {k: sorted(v.items(), key=lambda kv: (-kv[1], str(kv[0]))) for k, v in counts.items()}
        page.sort(key=lambda t: (-t[1], t[0]))
        shown = {}
        if page:
            shown = {r.id: r for r in self.conn.execute(
                select(e.id, e.kind, e.ref, e.title, e.summary, e.country, e.year).where(e.id.in_([i for i, _ in page])))}
        hits = [Hit(shown[i].kind, shown[i].ref, shown[i].title, shown[i].summary, shown[i].country, shown[i].year,
                    score) for i, score in page]
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


def _chosen(f: Filters, cols: Any) -> dict[str, Any]:
    """The chosen facets as conditions on ``cols`` (the entry's columns, or the matches' CTE's)."""
    out: dict[str, Any] = {}
    if f.kind:
        out["kind"] = cols.kind == f.kind
    if f.country:
        out["country"] = cols.country == f.country
    if f.year:
        out["year"] = cols.year == f.year
    if f.indicator:
        si = search_entry_indicator.alias("si_chosen")  # the indicator facet's own join stays apart
        out["indicator"] = exists().where(si.c.entry_id == cols.id, si.c.dataflow_urn == f.indicator)
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
