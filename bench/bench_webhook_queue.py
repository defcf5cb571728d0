#!/usr/bin/env python3
"""What subscribers cost a release (issue 20): the one INSERT ... SELECT that queues their deliveries, timed in a
release-sized transaction, with 0, 100 and 10,000 subscriptions on the dataflow, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_webhook_queue.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Prints the median of 20 queuings per case in milliseconds; the release itself does not wait for any webhook.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sdmx_server.storage.artefact_store import utcnow  # noqa: E402
from sdmx_server.storage.database import make_engine, upgrade_schema  # noqa: E402
from sdmx_server.storage.subscription_store import SubscriptionStore  # noqa: E402
from sdmx_server.storage.subscription_tables import subscription  # noqa: E402
from sdmx_server.storage.tables import user_account  # noqa: E402

FLOW = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


def run(url: str, label: str) -> None:
    engine = make_engine(url)
    upgrade_schema(engine)
    with engine.begin() as conn:
        uid = conn.execute(insert(user_account).values(username="bench", password_hash="x", country="KZ",
                                                       display_name="", is_active=True, created_at=utcnow(),
                                                       username_key="bench")).inserted_primary_key[0]
    made = 0
    for n in (0, 100, 10_000):
        with engine.begin() as conn:
            rows = [dict(user_id=uid, dataflow_urn=FLOW if i % 2 == 0 else FLOW.replace("STOCK", "OTHER"),
                         provider_id=None, events="release,revision", url="https://x.example/hook", secret="s",
                         created_at=utcnow(), active=True) for i in range(made, 2 * n)]
            if rows:
                conn.execute(insert(subscription), rows)
            made = max(made, 2 * n)
        times = []
        for _ in range(20):
            with engine.connect() as conn:
                tx = conn.begin()
                started = time.perf_counter()
                queued = SubscriptionStore(conn).queue("release", FLOW, provider_id="KZ", submission_id=1)
                times.append((time.perf_counter() - started) * 1000)
                tx.rollback()
        print(f"{label}: {n:>6} subscriptions on the dataflow (of {made}): queued {queued:>6} in "
              f"{statistics.median(times):7.2f} ms (median of 20)")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        run(f"sqlite:///{d}/bench.sqlite", "SQLite    ")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        run(f"{args.postgres}?options=-csearch_path%3D{schema}", "PostgreSQL")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
