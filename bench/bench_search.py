#!/usr/bin/env python3
"""Search across everything with 10,000 documents and 5,000 news items, on SQLite (FTS5) and PostgreSQL (tsvector).

    .venv/bin/python bench/bench_search.py [--documents 10000] [--news 5000] [--db sqlite|postgresql] [--runs 30]

Documents carry a title, a summary and some 1,500 characters of "file text" in English or Russian drawn from a
vocabulary of a few thousand words (so a common word matches some per cent of them, a rare one a handful); a
quarter are public, the rest restricted to their country's sharing. Measured: a whole search as the portal makes
it (content/search.search: the ranked first page, the total and the four facets, visibility in the query) for a
visitor and for a viewer of Kyrgyzstan with two grants, over queries of one common word, one rare word, two words
and a Russian inflection; and, in the same run, a plain lookup of one document row by its id. Prints the median
of ``--runs`` runs of each query and the ratio to the lookup.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sdmx_server.access.visibility import Visibility  # noqa: E402
from sdmx_server.content import search  # noqa: E402
from sdmx_server.content.search_entries import document_entries, news_entries  # noqa: E402
from sdmx_server.identity.actor import ANONYMOUS, Actor  # noqa: E402
from sdmx_server.storage.content_tables import document  # noqa: E402
from sdmx_server.storage.database import make_engine, upgrade_schema  # noqa: E402
from sdmx_server.storage.document_store import DocumentStore  # noqa: E402
from sdmx_server.storage.news_store import NewsStore  # noqa: E402
from sdmx_server.storage.search_index import SearchIndex  # noqa: E402

POSTGRES = os.environ.get("SDMX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FLOWS = [f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_{n}(1.0)" for n in
         ("STOCK_FOREIGNERS", "ENTRIES", "EXITS", "WORK_PERMITS", "ASYLUM_APPLICATIONS", "ASYLUM_DECISIONS")]
COUNTRIES = ["KZ", "KG", "MD", "AM", "AZ", "BY", "GE", "RU", "TJ", "TM", "UZ", "UA"]
EN = ("migration policy labour workers foreigners residence permit border asylum refugees citizenship statistics "
      "census survey register population employment remittances return integration seasonal students family "
      "visa entry exit stock flow report methodology law decree regulation agreement").split()
RU = ("миграция политика трудовых работники иностранцы разрешение граница убежище беженцы гражданство статистика "
      "перепись обследование регистр население занятость переводы возвращение интеграция сезонные студенты семья "
      "виза въезд выезд численность поток доклад методология закон указ постановление соглашение мигрантов").split()
QUERIES = {"common word": ("migration", "en"), "rare word": ("quokka7", "en"), "two words": ("labour permit", "en"),
           "Russian inflection": ("мигранты", "ru")}


def vocabulary(rng: random.Random) -> list[str]:
    """The themes' words, and some thousands of made-up rarer ones (what makes real texts' long tail)."""
    made = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 10))) for _ in range(3000)]
    return EN + RU + made


def text_of(rng: random.Random, words: list[str], n: int, theme: list[str]) -> str:
    return " ".join(rng.choice(theme) if rng.random() < 0.3 else rng.choice(words) for _ in range(n))


def fill(engine, documents: int, news: int) -> None:
    rng = random.Random(7)
    words = vocabulary(rng)
    with engine.begin() as conn:
        store, index = DocumentStore(conn), SearchIndex(conn)
        for i in range(documents):
            theme = RU if i % 2 else EN
            body = text_of(rng, words, 200, theme) + (" quokka7" if i % 1000 == 0 else "")
            doc_id = store.add(country=COUNTRIES[i % len(COUNTRIES)] if i % 10 else None, doc_type="legislation",
                               published_on=date(2016, 1, 1) + timedelta(days=i % 3000),
                               titles={"en": text_of(rng, words, 6, EN), "ru": text_of(rng, words, 6, RU)},
                               summaries={"en": text_of(rng, words, 30, EN)},
                               access="public" if i % 4 == 0 else "restricted", participants=i % 7 == 0,
                               file_name="d.pdf", media_type="application/pdf", file_size=1,
                               file_key=uuid.uuid4().hex, indicators=[FLOWS[i % len(FLOWS)]], by="bench")
            store.update(doc_id, state="published")
            index.replace("document", str(doc_id), document_entries(store.get(doc_id), body))
        items = NewsStore(conn)
        for i in range(news):
            item_id = items.add(kind="event" if i % 5 == 0 else "news",
                                titles={"en": text_of(rng, words, 8, EN), "ru": text_of(rng, words, 8, RU)},
                                bodies={"en": text_of(rng, words, 120, EN), "ru": text_of(rng, words, 120, RU)},
                                places={}, starts_on=date(2020, 1, 1) + timedelta(days=i % 2000), ends_on=None,
                                by="bench")
            items.update(item_id, state="published", published_at=datetime(2020, 1, 1, tzinfo=timezone.utc)
                         + timedelta(hours=i))
            index.replace("news", str(item_id), news_entries(items.get(item_id)))
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
            conn.execute(text("ANALYZE"))


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=10_000)
    ap.add_argument("--news", type=int, default=5_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if args.db == "sqlite":
            url = f"sqlite:///{tmp}/bench.sqlite"
        else:
            schema = f"bench_search_{uuid.uuid4().hex[:8]}"
            admin = make_engine(POSTGRES)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        try:
            upgrade_schema(engine)
            started = time.perf_counter()
            fill(engine, args.documents, args.news)
            print(f"{args.db}: {args.documents} documents and {args.news} news items indexed in "
                  f"{time.perf_counter() - started:.0f} s")
            kg = Actor(1, "kg_viewer", "KG", frozenset({"view_data"}))
            readers = {"visitor": (ANONYMOUS, Visibility()),
                       "KG viewer": (kg, Visibility(country="KG", sees_own_released=True,
                                                    others={FLOWS[0]: frozenset({"KZ"}), FLOWS[3]: frozenset({"UZ"})}))}
            with engine.connect() as conn:
                ids = [i for (i,) in conn.execute(select(document.c.id))]
                rng = random.Random(1)
                lookup = median_ms(lambda: conn.execute(select(document).where(document.c.id == rng.choice(ids)))
                                   .first(), args.runs * 10)
                print(f"plain lookup of one document by id: median {lookup:.3f} ms")
                worst = 0.0
                for who, (actor, vis) in readers.items():
                    for name, (query, lang) in QUERIES.items():
                        got = search.search(conn, actor, vis, query, lang)
                        ms = median_ms(lambda: search.search(conn, actor, vis, query, lang), args.runs)
                        worst = max(worst, ms)
                        print(f"{who:10} {name:19} {query!r:16} {got.total:6} found: median {ms:6.2f} ms, "
                              f"{ms / lookup:6.1f}x the lookup")
                print(f"slowest median {worst:.2f} ms ({worst / lookup:.1f}x the lookup)")
        finally:
            engine.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
