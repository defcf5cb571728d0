#!/usr/bin/env python3
"""Serving benchmark (issue 22, findings 1 and 11): slow clients, callers' request rates, a report page.

    .venv/bin/python bench/bench_serving.py [--only sqlite|postgresql] [--seconds 20] [--slow-seconds 60]
                                            [--code DIR] [--no-slow] [--no-instructions]

On a fresh database (a SQLite file; a new PostgreSQL database, dropped at the end) set up by
`sdmx-server init` (demo accounts and figures), with Kazakhstan's stock of foreigners made public by its
country administrator, a two-worker gunicorn started as `sdmx-server serve` starts it, then:

1. ``wrk -t2 -c16`` for ``--seconds`` against one series (``S.KZ.CN.F``, SDMX-ML 2.1) anonymously, with the
   tokens of a system administrator (``admin``) and of two country-bound viewers (``kz_viewer``,
   ``kg_viewer``): the ratio of each to the anonymous rate (goal: country-bound >= 0.9x);
2. the cost per request of each, and of the report page below, in one process (Flask's test client, every
   answer read to its end): CPU time, and (unless --no-instructions; needs valgrind and a C compiler)
   instructions counted by callgrind, which a busy machine does not change; each as served ("cached": a
   repeated small answer comes from the response cache) and with the response cache off ("uncached": read
   from the database and written each time). Each caller's rate relative to anonymous's is judged against
   the same 0.9x goal, per measure;
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
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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
            for mode, costs in cpu.items():
                print(f"  {kind} CPU per request in process, {mode} (best of 5 rounds of 100): "
                      + ", ".join(f"{k} {v:.0f} us" for k, v in costs.items()) + f"  ({load()})", flush=True)
            if args.instructions:
                counts = out["instructions"] = instruction_costs(code, url, auth)
                for mode, costs in (counts or {}).items():
                    print(f"  {kind} instructions per request in process, {mode} (callgrind, best of 3 rounds of "
                          "20): " + ", ".join(f"{k} {v:.0f}k" for k, v in costs.items()), flush=True)
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


# The cost per request in one process (Flask's test client, no HTTP), callers interleaved, best of the rounds: on a
# shared, loaded machine wrk's rates swing with the neighbours, CPU time less (but a busy sibling hyperthread still
# slows every instruction), instruction counts (callgrind) not at all. Each answer is read to its end, as a server
# sends it: a body left unread is never written, nor kept in the response cache. The app's long-lived objects are
# frozen out of the collector first (as a forked worker's are after its first requests), so that a full collection
# does not land on one caller's round.
_CPU_SCRIPT = """
import ctypes, gc, json, sys, time
from sdmx_server.app import create_app
paths, rounds, n, marks = json.loads(sys.argv[1])
mark = ctypes.CDLL(marks) if marks else None
app = create_app(); client = app.test_client()

def ask(path, headers):
    r = client.get(path, headers=headers)
    r.get_data()
    r.close()
    return r.status_code

for name, (path, headers) in paths.items():
    for _ in range(5):
        assert ask(path, headers) == 200, name
gc.collect(); gc.freeze()
best = {}
for _ in range(rounds):
    for name, (path, headers) in paths.items():
        if mark:
            mark.cg_start()
        started = time.process_time()
        for _ in range(n):
            ask(path, headers)
        took = (time.process_time() - started) / n * 1e6
        if mark:
            mark.cg_stop(name.encode())
        best[name] = min(best.get(name, took), took)
print(json.dumps(best))
"""
# callgrind's client requests, so that only the measured requests are counted and each caller's are dumped apart
_MARKS_C = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(const char *name) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(name); }
"""
MODES = {"cached": {}, "uncached": {"SDMX_SERVER_RESPONSE_CACHE_BYTES": "0"}}


def _paths(auth: dict[str, dict], mode: str) -> dict[str, tuple[str, dict]]:
    paths = {f"series {name}": (ONE_SERIES, auth[name]) for name in CALLERS}
    if mode == "cached":
        paths["report page"] = (REPORT, {})
    return paths


def cpu_costs(code: Path, url: str, auth: dict[str, dict], rounds: int = 5, n: int = 100) -> dict[str, dict]:
    """Microseconds of CPU per request, by mode: ``cached`` as served (a repeated small answer comes from the
    response cache), ``uncached`` with the response cache off (each answer read from the database and written)."""
    out = {}
    for mode, extra in MODES.items():
        done = subprocess.run([PY, "-c", _CPU_SCRIPT, json.dumps([_paths(auth, mode), rounds, n, ""])], cwd=code,
                              env={**_env(code, url), **extra}, capture_output=True, text=True, check=True)
        out[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def instruction_costs(code: Path, url: str, auth: dict[str, dict], rounds: int = 3, n: int = 20
                      ) -> dict[str, dict] | None:
    """Instructions per request (thousands) under callgrind, by mode, best of ``rounds``: the same on a busy
    machine as on a quiet one. The process's own work only: on PostgreSQL the server's is not counted (the
    number of statements per request is, in the process's share). None without valgrind or a C compiler."""
    if not (shutil.which("valgrind") and shutil.which("cc") and Path("/usr/include/valgrind/callgrind.h").exists()):
        print("  (no valgrind, cc or valgrind/callgrind.h: instruction counts skipped)", flush=True)
        return None
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "marks.c").write_text(_MARKS_C)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", f"{tmp}/marks.so", f"{tmp}/marks.c"], check=True)
        for mode, extra in MODES.items():
            dumps = Path(tmp) / mode
            dumps.mkdir()
            subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                            f"--callgrind-out-file={dumps}/cg.%p", PY, "-c", _CPU_SCRIPT,
                            json.dumps([_paths(auth, mode), rounds, n, f"{tmp}/marks.so"])],
                           cwd=code, env={**_env(code, url), **extra, "PYTHONHASHSEED": "0"}, capture_output=True,
                           text=True, check=True)
            best: dict[str, float] = {}
            for dump in dumps.iterdir():
                text = dump.read_text(errors="replace")
                name = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
                total = re.search(r"^totals: (\d+)", text, re.M)
                if name and total:
                    k = name.group(1).strip()
                    best[k] = min(best.get(k, float("inf")), int(total.group(1)) / n / 1000)
            out[mode] = best
    return out


def _line(r: dict) -> str:
    return f"{r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, {r['errors']} errors"


def report(kind: str, r: dict) -> None:
    """One verdict per caller and measure: wrk's request rate, and per request in process CPU time and
    instructions (as served, and with every answer read from the database), each as a rate relative to
    anonymous's (anonymous's cost over the caller's)."""
    anon = r["series anonymous"]["rps"]
    for name in CALLERS[1:]:
        ratio = r[f"series {name}"]["rps"] / anon
        print(f"{'✓' if ratio >= 0.9 else '✗'} {kind}: {name} {ratio:.2f}x anonymous's req/s through gunicorn "
              "(wrk; goal >= 0.9x)")
    for measure, unit in (("cpu", "CPU time"), ("instructions", "instructions")):
        for mode, costs in (r.get(measure) or {}).items():
            for name in CALLERS[1:]:
                ratio = costs["series anonymous"] / costs[f"series {name}"]
                print(f"{'✓' if ratio >= 0.9 else '✗'} {kind}: {name} {ratio:.2f}x anonymous's rate in process, "
                      f"{mode} ({unit} per request; goal >= 0.9x)")
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
    ap.add_argument("--no-instructions", dest="instructions", action="store_false",
                    help="skip the instruction counts under callgrind (a few minutes on a busy machine)")
    ap.add_argument("--code", default=str(HERE.parent), help="checkout whose code is served (default: this one)")
    args = ap.parse_args()
    ensure_tools(True, False)
    results = {kind: measure(kind, args) for kind in ("sqlite", "postgresql") if args.only in (None, kind)}
    print()
    for kind, r in results.items():
        report(kind, r)


if __name__ == "__main__":
    main()
