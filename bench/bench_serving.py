#!/usr/bin/env python3
"""Serving benchmark (issue 22, findings 1 and 11): slow clients, callers' request rates, a report page.

    .venv/bin/python bench/bench_serving.py [--only sqlite|postgresql] [--seconds 20] [--slow-seconds 60]
                                            [--code DIR] [--no-slow]

On a fresh database (a SQLite file; a new PostgreSQL database, dropped at the end) set up by
`sdmx-server init` (demo accounts and figures), with Kazakhstan's stock of foreigners made public by its
country administrator, a two-worker gunicorn started as `sdmx-server serve` starts it, then:

1. ``wrk -t2 -c16`` for ``--seconds`` against one series (``S.KZ.CN.F``, SDMX-ML 2.1) anonymously, with the
   tokens of a system administrator (``admin``) and of two country-bound viewers (``kz_viewer``,
   ``kg_viewer``): the ratio of each to the anonymous rate (goal: country-bound >= 0.9x);
2. the CPU time per request of each, and of the report page below, in one process (Flask's test client:
   steadier than wrk on a shared machine);
3. ``wrk -t2 -c16`` and ``-c64`` against the report page of one country
   (/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0?country=KZ), anonymously (goal at 16: >= 100 req/s,
   p99 < 300 ms, no errors);
4. (SQLite only, unless --no-slow) 50 slow clients for ``--slow-seconds``, each sending a request line and
   then one header every 5 s, while a normal client asks for a dataflow on fresh connections (goal: >= 95 %
   answered within 1 s; tests/slow_clients.py).

``--code DIR`` serves another checkout's code (e.g. /work/main, for the numbers before a change); a
checkout without sdmx_server/serving.py is served as its `serve` did: sync workers.
A bench, not a test: numbers on a shared 2-core machine are noisy; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.request import Request, urlopen

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_ingest import PY, fresh_database  # noqa: E402
from bench_retrieval import ensure_tools, load, wrk  # noqa: E402
from tests import slow_clients  # noqa: E402
from tests.live_server import free_port  # noqa: E402

ONE_SERIES = "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.CN.F"
REPORT = "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0?country=KZ"
CALLERS = ("anonymous", "admin", "kz_viewer", "kg_viewer")


def _env(code: Path, url: str) -> dict:
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=url, SDMX_SERVER_SECRET_KEY="bench", PYTHONPATH=str(code))
    env.pop("SDMX_SERVER_CONFIG", None)
    return env


def _cli(code: Path, url: str, *args: str) -> str:
    done = subprocess.run([PY, "-m", "sdmx_server.cli", *args], cwd=code, env=_env(code, url),
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"sdmx-server {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout.strip()


def _serve_args(code: Path, url: str, port: int) -> list[str]:
    """gunicorn's arguments as that checkout's `serve` builds them."""
    if not (code / "sdmx_server" / "serving.py").exists():
        return ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--limit-request-line", "8190"]
    script = ("import json; from sdmx_server.serving import gunicorn_args; from sdmx_server.settings import "
              f"load_config; print(json.dumps(gunicorn_args(load_config(), '127.0.0.1', {port}, 2)))")
    return json.loads(subprocess.run([PY, "-c", script], cwd=code, env=_env(code, url), check=True,
                                     capture_output=True, text=True).stdout)


@contextmanager
def served(code: Path, url: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([PY, "-m", "gunicorn", *_serve_args(code, url, port), "sdmx_server.app:create_app()"],
                            cwd=code, env=_env(code, url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urlopen(base + "/rest/dataflow/DSM", timeout=30).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def prepare(code: Path, url: str, base: str) -> dict[str, dict]:
    """Kazakhstan's stock of foreigners made public; the Authorization header of each caller."""
    tokens = {name: _cli(code, url, "token", "create", name).splitlines()[-1]
              for name in ("kz_country_administrator", "admin", "kz_viewer", "kg_viewer")}
    req = Request(f"{base}/api/providers/KZ/sharing/DSM/DF_STOCK_FOREIGNERS/1.0/public", method="PUT",
                  data=b'{"public": true}', headers={"Content-Type": "application/json",
                                                     "Authorization": f"Bearer {tokens['kz_country_administrator']}"})
    urlopen(req, timeout=30).read()
    return {name: {} if name == "anonymous" else {"Authorization": f"Bearer {tokens[name]}"} for name in CALLERS}


def warm(base: str, path: str, headers: dict) -> tuple[int, int]:
    """A few requests first (each worker's first answer loads what later ones reuse); (status, size)."""
    for _ in range(8):
        with urlopen(Request(base + path, headers=headers), timeout=60) as r:
            status, size = r.status, len(r.read())
    return status, size


def measure(kind: str, args) -> dict:
    out: dict = {}
    code = Path(args.code).resolve()
    with fresh_database(kind, Path("/tmp")) as url:
        _cli(code, url, "init")
        with served(code, url) as base:
            auth = prepare(code, url, base)
            for name in CALLERS:
                status, size = warm(base, ONE_SERIES, auth[name])
                assert status == 200, f"{name}: {status}"
                out[f"series {name}"] = wrk(base + ONE_SERIES, args.seconds, auth[name])
                print(f"  {kind} one series, {name}: {_line(out[f'series {name}'])}  ({size} B; {load()})", flush=True)
            cpu = out["cpu"] = cpu_costs(code, url, auth)
            print(f"  {kind} CPU per request in process (best of 5 rounds of 100): "
                  + ", ".join(f"{k} {v:.0f} us" for k, v in cpu.items()), flush=True)
            status, size = warm(base, REPORT, {})
            assert status == 200, status
            for connections in (16, 64):
                r = out[f"report c{connections}"] = wrk(base + REPORT, args.seconds, connections=connections)
                print(f"  {kind} report page, {connections} connections: {_line(r)}  ({size} B; {load()})", flush=True)
            if kind == "sqlite" and not args.no_slow:
                o = out["slow"] = slow_clients.run(base, slow=50, seconds=args.slow_seconds, interval=5.0)
                print(f"  {kind} 50 slow clients for {args.slow_seconds:.0f} s: {o.answered_in_time} of {o.asked} "
                      f"answered within 1 s ({o.share:.1%}), median {statistics.median(o.latencies) * 1000:.1f} ms, "
                      f"{o.closed_by_server} slow connections closed by the server ({load()})", flush=True)
    return out


# CPU time per request in one process (Flask's test client, no HTTP), callers interleaved, best of the rounds:
# on a shared, loaded machine wrk's rates swing with the neighbours, this much less.
_CPU_SCRIPT = """
import json, os, sys, time
from sdmx_server.app import create_app
app = create_app(); client = app.test_client()
paths, auth, rounds, n = json.loads(sys.argv[1])
best = {}
for name, (path, headers) in paths.items():
    for _ in range(5):
        assert client.get(path, headers=headers).status_code == 200, name
for _ in range(rounds):
    for name, (path, headers) in paths.items():
        started = time.process_time()
        for _ in range(n):
            client.get(path, headers=headers)
        took = (time.process_time() - started) / n * 1e6
        best[name] = min(best.get(name, took), took)
print(json.dumps(best))
"""


def cpu_costs(code: Path, url: str, auth: dict[str, dict], rounds: int = 5, n: int = 100) -> dict[str, float]:
    """Microseconds of CPU per request: one series for each caller, and the report page."""
    paths = {f"series {name}": (ONE_SERIES, auth[name]) for name in CALLERS}
    paths["report page"] = (REPORT, {})
    done = subprocess.run([PY, "-c", _CPU_SCRIPT, json.dumps([paths, auth, rounds, n])], cwd=code,
                          env=_env(code, url), capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(r: dict) -> str:
    return f"{r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, {r['errors']} errors"


def report(kind: str, r: dict) -> None:
    anon = r["series anonymous"]["rps"]
    for name in CALLERS[1:]:
        ratio = r[f"series {name}"]["rps"] / anon
        print(f"{'✓' if ratio >= 0.9 else '✗'} {kind}: {name} {ratio:.2f}x anonymous (goal >= 0.9x)")
    cpu = r["cpu"]
    for name in CALLERS[2:]:
        ratio = cpu["series anonymous"] / cpu[f"series {name}"]
        print(f"{'✓' if ratio >= 0.9 else '✗'} {kind}: {name} in process {ratio:.2f}x anonymous's rate "
              "(CPU per request; goal >= 0.9x)")
    page = r["report c16"]
    ok = page["rps"] >= 100 and page["p99"] < 300 and page["errors"] == 0
    print(f"{'✓' if ok else '✗'} {kind}: report page at 16 connections {_line(page)} (goal >= 100 req/s, "
          "p99 < 300 ms, no errors)")
    if "slow" in r:
        print(f"{'✓' if r['slow'].share >= 0.95 else '✗'} {kind}: {r['slow'].share:.1%} of a normal client's "
              "requests answered within 1 s beside 50 slow clients (goal >= 95 %)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    ap.add_argument("--seconds", type=int, default=20, help="each wrk run")
    ap.add_argument("--slow-seconds", type=float, default=60.0)
    ap.add_argument("--no-slow", action="store_true")
    ap.add_argument("--code", default=str(HERE.parent), help="checkout whose code is served (default: this one)")
    args = ap.parse_args()
    ensure_tools(True, False)
    results = {kind: measure(kind, args) for kind in ("sqlite", "postgresql") if args.only in (None, kind)}
    print()
    for kind, r in results.items():
        report(kind, r)


if __name__ == "__main__":
    main()
