#!/usr/bin/env python3
"""What a pending submission changes (issue 19): GET /api/submissions/{id} compares every figure of the stored
message with the released ones. Times that GET for a message that revises a released data set of --obs figures.

    .venv/bin/python bench/bench_submission_changes.py [--obs 100000] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_ingest import FLOW, MEDIA, data_file, fresh_database, generate, gunicorn, prepare_database  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=int, default=100_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    generate(args.obs, out)
    path = data_file(out, args.obs, "csv")
    body = path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.db, Path(tmp)) as url:
        headers = prepare_database(url, out / "dsm_structure.xml")
        with gunicorn(url) as (base, _workers):
            h = {**headers, "Content-Type": MEDIA["csv"], "Prefer": "respond-sync"}
            r = requests.post(f"{base}{FLOW}?provider=KZ&release=now", data=body, headers=h, timeout=600)
            assert r.status_code in (200, 201), r.text[:400]
            r = requests.post(f"{base}{FLOW}?provider=KZ", data=body, headers=h, timeout=600)
            assert r.status_code == 202, r.text[:400]
            sid = r.json()["submission"]
            for limit in (100, 10_000):
                started = time.perf_counter()
                r = requests.get(f"{base}/api/submissions/{sid}?diff={limit}", headers=headers, timeout=600)
                took = time.perf_counter() - started
                assert r.status_code == 200, r.text[:400]
                print(f"{args.db} {args.obs:,} figures, diff={limit}: {took:.2f} s, "
                      f"summary {r.json()['diff']['summary']}")


if __name__ == "__main__":
    main()
