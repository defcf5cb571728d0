#!/usr/bin/env python3
"""Ingest benchmark (issue 3): end-to-end submission rates on SQLite and PostgreSQL, as ratios from one run.

    .venv/bin/python bench/bench_ingest.py [--obs 1000000] [--small 100000] [--only sqlite|postgresql] [--repeat 2]

Generates the test set with ../shared/tools/gen_dsm_data.py (cached under var/bench/). For each
database and format it starts a real server (gunicorn, one worker) on a fresh database, warms
it up with the small file under another data provider, then POSTs the large file and times the
request: parse, validate every code and period, stage, apply and commit. The structure-specific file
is then sent again, by POST (nothing changes) and by PUT: every row is matched with a stored one.
Server memory is the worker's own high-water mark (VmHWM), read from /proc: for the large file against
the small one, each on a fresh server, and above the idle worker. sdmx1's bare parse of the same
structure-specific data is timed in the same run, on the same large file (it needs ~1.7 KB per
observation: 1.7 GB for 1M; ``--sdmx1-small`` times it on the small file instead). The machines are shared
and drift by a fifth from one minute to the next: sdmx1's parse and each first load are run ``--repeat``
times (each load on a fresh database and server) and the best of each kept, as the retrieval bench does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live_server import free_port  # noqa: E402

GEN = ROOT.parent / "shared" / "tools" / "gen_dsm_data.py"
if not GEN.exists():
    GEN = Path("/work/shared/tools/gen_dsm_data.py")
PY = sys.executable
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FLOW = "/rest/v2/data/dataflow/DSM/DF_MIGR/1.0"
MEDIA = {"ss": "application/vnd.sdmx.structurespecificdata+xml;version=2.1",
         "generic": "application/vnd.sdmx.genericdata+xml;version=2.1",
         "csv": "application/vnd.sdmx.data+csv;version=1.0.0"}


def generate(obs: int, out: Path) -> None:
    prefix = f"dsm_{obs}"
    if not (out / f"{prefix}_ss.xml").exists():
        subprocess.run([PY, str(GEN), "--obs", str(obs), "--out-dir", str(out), "--prefix", prefix,
                        "--formats", "ss,generic,csv"], check=True, stdout=subprocess.DEVNULL)


def data_file(out: Path, obs: int, fmt: str) -> Path:
    return out / {"ss": f"dsm_{obs}_ss.xml", "generic": f"dsm_{obs}_generic.xml", "csv": f"dsm_{obs}.csv"}[fmt]


def sdmx1_parse_rate(structure: Path, data: Path) -> float:
    code = ("import sdmx,time,sys;s=sdmx.read_sdmx(sys.argv[1]);d=s.structure['DSD_MIGR'];"
            "t=time.perf_counter();m=sdmx.read_sdmx(sys.argv[2],structure=d);"
            "n=sum(len(ds.obs) for ds in m.data);print(n/(time.perf_counter()-t))")
    return float(subprocess.run([PY, "-c", code, str(structure), str(data)], check=True,
                                capture_output=True, text=True).stdout)


@contextmanager
def fresh_database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        path = tmp / f"bench-{uuid.uuid4().hex[:8]}.sqlite"
        try:
            yield f"sqlite:///{path}"
        finally:
            for p in tmp.glob(path.name + "*"):
                p.unlink()
        return
    # a database of its own (created next to ``test``, dropped at the end): nothing another test uses is touched
    import sqlalchemy as sa
    name = f"bench_{uuid.uuid4().hex[:8]}"
    eng = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield PG.rsplit("/", 1)[0] + "/" + name
    finally:
        with eng.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        eng.dispose()


def _env(url: str) -> dict:
    return {**os.environ, "SDMX_SERVER_DATABASE_URL": url, "SDMX_SERVER_SEED_DIRS": "",
            "SDMX_SERVER_DEMO_ACCOUNTS": "false", "SDMX_SERVER_SECRET_KEY": "bench",
            "SDMX_SERVER_MAX_DATA_BODY_BYTES": str(4 << 30)}


def _cli(env: dict, *args: str) -> str:
    r = subprocess.run([PY, "-m", "sdmx_server.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout


def prepare_database(url: str, structure: Path) -> dict:
    """Initialise a database for DF_MIGR (structure, provision agreements, a system administrator);
    the administrator's auth headers."""
    env = _env(url)
    _cli(env, "init")
    _cli(env, "load", str(structure), str(ROOT / "bench" / "dsm_provision.xml"))
    _cli(env, "user", "add", "bench", "--role", "system_administrator", "--password", "bench-password")
    token = _cli(env, "token", "create", "bench").strip().splitlines()[-1]
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def gunicorn(url: str, workers: int = 1, app: str = "sdmx_server.app:create_app()",
             extra: tuple[str, ...] = ()) -> Iterator[tuple[str, list[int]]]:
    """(base URL, worker pids) of a gunicorn serving ``app`` on the database ``url``."""
    port = free_port()
    proc = subprocess.Popen([PY, "-m", "gunicorn", "--workers", str(workers), "--timeout", "600", "--bind",
                             f"127.0.0.1:{port}", *extra, app], cwd=ROOT, env=_env(url),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/rest/dataflow/DSM", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        children: list[int] = []
        for _ in range(300):
            children = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
            if len(children) >= workers:
                break
            time.sleep(0.1)
        yield base, children
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def server(url: str, structure: Path) -> Iterator[tuple[str, dict, int]]:
    """(base URL, auth headers, worker pid) of a one-worker gunicorn on a database prepared for DF_MIGR."""
    headers = prepare_database(url, structure)
    with gunicorn(url) as (base, workers):
        yield base, headers, workers[0]


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def post(base: str, headers: dict, path: Path, fmt: str, provider: str, method: str = "POST") -> tuple[float, dict]:
    with path.open("rb") as body:
        t = time.perf_counter()
        # release=now: applied at once, not left pending for verification and release (a server without the
        # submission workflow ignores the parameter)
        r = requests.request(method, f"{base}{FLOW}?provider={provider}&release=now", data=body, timeout=3600,
                             headers={**headers, "Content-Type": MEDIA[fmt]})
        r = finished(base, headers, r)
        seconds = time.perf_counter() - t
    assert r.status_code == 200, r.text[:2000]
    return seconds, r.json()


def finished(base: str, headers: dict, r: requests.Response) -> requests.Response:
    """The answer of a submission: a large one is taken in the background (202 and a job), polled until done."""
    job = base + r.headers.get("Location", "")
    while r.status_code == 202 and r.json().get("state") == "running":
        time.sleep(0.02)
        r = requests.get(job, headers=headers, timeout=60)
    return r


def measure(kind: str, fmt: str, big: Path, small: Path, structure: Path, tmp: Path, again: bool = False,
            repeat: int = 1) -> dict:
    """The best rate of ``repeat`` first loads of ``big``, each on a fresh database; with ``again``, also of
    sending it once more (POST: nothing changes) and of replacing it (PUT), which match every row with a
    stored one (after the last load)."""
    result: dict = {"rate": 0.0, "runs": []}
    for run in range(repeat):
        with fresh_database(kind, tmp) as url, server(url, structure) as (base, headers, worker):
            post(base, headers, small, fmt, "KG")  # warm-up: imports, caches, another provider's data set
            seconds, receipt = post(base, headers, big, fmt, "KZ")
            rate = receipt["observations"]["read"] / seconds
            result["runs"].append(rate)
            result["rate"], result["inserted"] = max(result["rate"], rate), receipt["observations"]["inserted"]
            if again and run == repeat - 1:
                for method in ("POST", "PUT"):
                    seconds, receipt = post(base, headers, big, fmt, "KZ", method)
                    result[method] = receipt["observations"]["read"] / seconds
    return result


def peak_memory(kind: str, path: Path, structure: Path, tmp: Path) -> tuple[int, int]:
    """(idle RSS, high-water RSS) of a fresh worker that ingests ``path``, in KB."""
    with fresh_database(kind, tmp) as url, server(url, structure) as (base, headers, worker):
        idle = memory_kb(worker, "VmRSS")
        post(base, headers, path, "ss", "KZ")
        return idle, memory_kb(worker, "VmHWM")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    ap.add_argument("--sdmx1-small", action="store_true", help="time sdmx1 on the small file")
    ap.add_argument("--repeat", type=int, default=2, help="runs of sdmx1's parse and of each first load (best kept)")
    args = ap.parse_args()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    generate(args.obs, out)
    generate(args.small, out)
    structure = out / "dsm_structure.xml"
    sdmx1_obs = args.small if args.sdmx1_small else args.obs
    runs = [sdmx1_parse_rate(structure, data_file(out, sdmx1_obs, "ss")) for _ in range(args.repeat)]
    rate_sdmx1 = max(runs)
    print(f"sdmx1 bare parse, structure-specific, {sdmx1_obs:,} obs: {rate_sdmx1:,.0f} obs/s "
          f"(runs: {', '.join(f'{r:,.0f}' for r in runs)})")
    rates = {}
    for kind in ("sqlite", "postgresql"):
        if args.only and kind != args.only:
            continue
        for fmt in ("ss", "csv", "generic"):
            r = measure(kind, fmt, data_file(out, args.obs, fmt), data_file(out, args.small, fmt), structure, out,
                        again=fmt == "ss", repeat=args.repeat)
            rates[(kind, fmt)] = r["rate"]
            print(f"{kind:10} {fmt:8} {args.obs:,} obs: {r['rate']:,.0f} obs/s ({r['inserted']:,} inserted; "
                  f"runs: {', '.join(f'{x:,.0f}' for x in r['runs'])})")
            for method in ("POST", "PUT"):
                if method in r:
                    print(f"{kind:10} {fmt:8} {args.obs:,} obs again, {method}: {r[method]:,.0f} obs/s (all stored)")
    kind = args.only or "sqlite"
    idle, small_peak = peak_memory(kind, data_file(out, args.small, "ss"), structure, out)
    idle_big, big_peak = peak_memory(kind, data_file(out, args.obs, "ss"), structure, out)
    print(f"{kind} server worker: idle {idle_big / 1024:.0f} MB, peak {small_peak / 1024:.0f} MB for "
          f"{args.small:,} obs, {big_peak / 1024:.0f} MB for {args.obs:,} obs")
    print("\nratios (goal in brackets)")
    ss = rates.get((kind, "ss"))
    print(f"  {kind} structure-specific / sdmx1 parse: {ss / rate_sdmx1:.1f}x  [>= 10]")
    if ("postgresql", "ss") in rates and ("sqlite", "ss") in rates:
        print(f"  PostgreSQL / SQLite (structure-specific): "
              f"{rates[('postgresql', 'ss')] / rates[('sqlite', 'ss')]:.2f}  [>= 0.85]")
    print(f"  SDMX-CSV / structure-specific ({kind}):   {rates[(kind, 'csv')] / ss:.2f}  [>= 1.2]")
    print(f"  generic / structure-specific ({kind}):    {rates[(kind, 'generic')] / ss:.2f}  [>= 0.4]")
    print(f"  server peak memory {args.obs:,} / {args.small:,} obs: {big_peak / small_peak:.2f}  [<= 1.1]")
    print(f"  server peak above idle for {args.obs:,} obs: {(big_peak - idle_big) / 1024:.0f} MB  [< 64]")


if __name__ == "__main__":
    main()
