#!/usr/bin/env python3
"""A submission far past gunicorn's worker timeout (issue 22, finding 4): 5M observations through a live server.

    .venv/bin/python bench/bench_async_submission.py [--obs 5000000] [--fmt csv|ss]

gunicorn runs with its default 30 s timeout (the bench_ingest servers use 600 s). Before the background jobs
a 3M-observation message was killed at 31 s; now the POST answers 202 at once with the job's Location, the
job runs in the worker outside the request, and the poll ends with the receipt. Prints the time to the 202,
the time to the receipt, the rate, and the observations then stored.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_ingest import FLOW, MEDIA, data_file, fresh_database, generate, gunicorn, prepare_database  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=int, default=5_000_000)
    ap.add_argument("--fmt", choices=("csv", "ss"), default="csv")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    generate(args.obs, out)
    path = data_file(out, args.obs, args.fmt)
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.db, Path(tmp)) as url:
        headers = prepare_database(url, out / "dsm_structure.xml")
        with gunicorn(url, extra=("--timeout", "30")) as (base, _workers), path.open("rb") as body:
            started = time.perf_counter()
            r = requests.post(f"{base}{FLOW}?provider=KZ&release=now", data=body, timeout=600,
                              headers={**headers, "Content-Type": MEDIA[args.fmt]})
            accepted = time.perf_counter() - started
            print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, POST answered {r.status_code} in "
                  f"{accepted:.1f} s, Location {r.headers.get('Location')}")
            polls = 0
            job = base + r.headers.get("Location", "")
            while r.status_code == 202 and r.json().get("state") == "running":
                time.sleep(1)
                polls += 1
                r = requests.get(job, headers=headers, timeout=60)
            total = time.perf_counter() - started
            print(f"job ended {r.status_code} after {total:.1f} s ({polls} polls): {r.text[:400]}")
            receipt = r.json()
            print(f"{receipt['observations']['read'] / total:,.0f} obs/s end to end")
        eng = sa.create_engine(url)
        with eng.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM observation WHERE valid_to IS NULL")).scalar_one()
        eng.dispose()
        print(f"current observations stored: {stored:,}")


if __name__ == "__main__":
    main()
