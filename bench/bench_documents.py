#!/usr/bin/env python3
"""The documents library's listing with 10,000 documents, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_documents.py [--documents 10000] [--db sqlite|postgresql] [--runs 30]

The listing reads published documents a page (500 rows) at a time and keeps those the reader may see
(content/documents.visible_documents), until it has the newest 200 or none are left. Measured for a visitor
(public ones only, a quarter of them, chosen in SQL), a viewer of Kyrgyzstan with one grant, and a viewer of a
country without grants (regional and all-participant documents only). Prints the median of ``--runs`` runs of
each, and of a plain lookup of one document by id in the same run, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sdmx_server.access.visibility import Visibility  # noqa: E402
from sdmx_server.content.documents import visible_documents  # noqa: E402
from sdmx_server.identity.actor import ANONYMOUS, Actor  # noqa: E402
from sdmx_server.storage.database import make_engine, upgrade_schema  # noqa: E402
from sdmx_server.storage.document_store import DocumentStore  # noqa: E402

POSTGRES = os.environ.get("SDMX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FLOWS = [f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_{n}(1.0)" for n in
         ("STOCK_FOREIGNERS", "ENTRIES", "EXITS", "WORK_PERMITS", "ASYLUM_APPLICATIONS", "ASYLUM_DECISIONS")]
COUNTRIES = ["KZ", "KG", "MD", "AM", "AZ", "BY", "GE", "RU", "TJ", "TM", "UZ", "UA"]


def fill(engine, n: int) -> None:
    rows = []
    for i in range(n):
        rows.append(dict(country=COUNTRIES[i % len(COUNTRIES)] if i % 10 else None, doc_type="legislation",
                         published_on=date(2020, 1, 1) + timedelta(days=i % 2000), titles={"en": f"Document {i}"},
                         summaries={"en": "A summary of some length " * 8}, access="public" if i % 4 == 0 else "restricted",
                         participants=i % 7 == 0, file_name="d.pdf", media_type="application/pdf", file_size=1,
                         file_key=uuid.uuid4().hex, indicators=[FLOWS[i % len(FLOWS)]], by="bench"))
    with engine.begin() as conn:
        store = DocumentStore(conn)
        for r in rows:
            doc_id = store.add(**r)
            store.update(doc_id, state="published")


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
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if args.db == "sqlite":
            url = f"sqlite:///{tmp}/bench.sqlite"
        else:
            schema = f"bench_docs_{uuid.uuid4().hex[:8]}"
            admin = make_engine(POSTGRES)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        try:
            upgrade_schema(engine)
            started = time.perf_counter()
            fill(engine, args.documents)
            print(f"{args.db}: {args.documents:,} documents stored in {time.perf_counter() - started:.1f} s")
            readers = {
                "visitor": (ANONYMOUS, Visibility()),
                "KG viewer, one grant": (Actor(1, "kg", "KG", frozenset({"view_data"})),
                                         Visibility(False, "KG", True, {FLOWS[0]: frozenset({"KZ", "MD", "RU"})})),
                "viewer of a country without grants": (Actor(2, "xx", "XX", frozenset({"view_data"})), Visibility(False, "XX", True)),
            }
            with engine.connect() as conn:
                store = DocumentStore(conn)
                lookup = median_ms(lambda: store.get(args.documents // 2), args.runs)
                print(f"  one document by id: {lookup:.2f} ms median")
                for name, (who, vis) in readers.items():
                    shown = len(visible_documents(store, who, vis))
                    ms = median_ms(lambda: visible_documents(store, who, vis), args.runs)
                    print(f"  listing for {name}: {shown} shown, {ms:.1f} ms median, {ms / lookup:.0f}x the lookup")
        finally:
            engine.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
