#!/usr/bin/env python3
"""Hostile data messages against a live server (issue 22, finding 4): each bomb's answer, time and the worker's
memory high-water mark.

    .venv/bin/python bench/bench_bombs.py

One gunicorn worker with gunicorn's default timeout (30 s) on a fresh SQLite database. Each bomb is a gzip body
of about half a megabyte that inflates to 512 MiB (one CSV line, CSV newlines, one XML attribute, XML newlines,
one JSON string or number, JSON newlines), then the same tokens sent plain (3 MiB). Before the bounds each gzip
bomb ran until the timeout killed the worker (a bare 500 after 30 s); now each is a 413/400 naming the limit.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_ingest import FLOW, fresh_database, generate, gunicorn, memory_kb, prepare_database  # noqa: E402
from tests.test_submission_limits import BOMBS, MB, gzip_bomb  # noqa: E402


def main() -> None:
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    generate(100_000, out)
    with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as url:
        headers = prepare_database(url, out / "dsm_structure.xml")
        with gunicorn(url, extra=("--timeout", "30")) as (base, workers):
            idle = memory_kb(workers[0], "VmRSS")
            print(f"worker idle RSS {idle / 1024:.0f} MB; gunicorn timeout 30 s")
            print(f"{'bomb':<28} {'sent':>9} {'status':>6} {'seconds':>8} {'worker HWM':>11}  answer")
            # the CSV bombs in DF_MIGR's own columns, so that they get past the header to their endless line
            with (out / "dsm_100000.csv").open("rb") as f:
                start = f.readline() + f.readline()
            bombs = {**BOMBS, "one CSV line": (start + start.split(b",")[0] + b",", b"x", b"", ""),
                     "CSV newlines": (start, b"\n", b"", "")}
            cases = [(f"gzip: {name}", gzip_bomb(head, filler, 512, tail), {"Content-Encoding": "gzip"})
                     for name, (head, filler, tail, _) in bombs.items()]
            cases += [(f"plain: {name}", head + filler * (3 * MB) + tail, {})
                      for name, (head, filler, tail, _) in bombs.items()]
            for name, body, extra in cases:
                started = time.perf_counter()
                r = requests.post(f"{base}{FLOW}?provider=KZ&release=now", data=body, timeout=120,
                                  headers={**headers, **extra, "Accept": "application/problem+json"})
                took = time.perf_counter() - started
                detail = r.json().get("detail", "") if r.headers.get("Content-Type", "").startswith(
                    "application/problem+json") else r.text[:80]
                print(f"{name:<28} {len(body) / MB:>7.2f}MB {r.status_code:>6} {took:>8.3f} "
                      f"{memory_kb(workers[0], 'VmHWM') / 1024:>9.0f}MB  {detail[:110]}")


if __name__ == "__main__":
    main()
