#!/usr/bin/env python3
"""Ingest benchmark (issue 3): end-to-end rates on SQLite and PostgreSQL, as ratios measured in one run.

    .venv/bin/python bench/bench_ingest.py [--obs 1000000] [--small 100000]

Generates the test set with ../shared/tools/gen_dsm_data.py (cached under var/bench/), then for each
format submits the file through `sdmx-server submit` in a fresh process (peak memory is that
process's maximum RSS) and prints observations per second, ratios to sdmx1's bare parse rate,
and the memory ratio between the large and the small file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "tools" / "gen_dsm_data.py"
if not GEN.exists():
    GEN = Path("/work/shared/tools/gen_dsm_data.py")
PY = sys.executable
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(obs: int, out: Path) -> Path:
    prefix = f"dsm_{obs}"
    if not (out / f"{prefix}_ss.xml").exists():
        subprocess.run([PY, str(GEN), "--obs", str(obs), "--out-dir", str(out), "--prefix", prefix,
                        "--formats", "ss,generic,csv"], check=True, stdout=subprocess.DEVNULL)
    return out


def sdmx1_parse_rate(structure: Path, data: Path, limit: int) -> float:
    """sdmx1 is slow and memory-hungry: time it on the first `limit` observations' worth (a smaller file)."""
    code = ("import sdmx,time,sys;s=sdmx.read_sdmx(sys.argv[1]);d=s.structure['DSD_MIGR'];"
            "t=time.perf_counter();m=sdmx.read_sdmx(sys.argv[2],structure=d);"
            "n=sum(len(ds.obs) for ds in m.data);print(n/(time.perf_counter()-t))")
    return float(subprocess.run([PY, "-c", code, str(structure), str(data)], check=True,
                                capture_output=True, text=True).stdout)


def fresh_database(kind: str, tmp: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        path = tmp / f"bench-{uuid.uuid4().hex[:8]}.sqlite"
        return f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in tmp.glob(path.name + "*")]
    import sqlalchemy as sa
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    eng = sa.create_engine(PG)
    with eng.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with eng.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    return f"{PG}?options=-csearch_path%3D{schema}", drop


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "sdmx_server.cli", *args], env=env, capture_output=True, text=True)


def submit(kind: str, structure: Path, data: Path, tmp: Path) -> tuple[float, int, int]:
    """(observations/second, peak RSS of the submitting process in KB, idle RSS in KB)."""
    url, drop = fresh_database(kind, tmp)
    env = {**os.environ, "SDMX_SERVER_DATABASE_URL": url, "SDMX_SERVER_SEED_DIRS": "",
           "SDMX_SERVER_DEMO_ACCOUNTS": "false", "SDMX_SERVER_SECRET_KEY": "bench"}
    try:
        for args in (("init",), ("load", str(structure), str(ROOT / "bench" / "dsm_provision.xml"))):
            r = cli(env, *args)
            assert r.returncode == 0, r.stderr
        code = ("import resource,sys,json,time;from sdmx_server.cli import main;"
                "idle=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
                "t=time.perf_counter();"
                "sys.argv=['sdmx-server','submit',sys.argv[1],'--dataflow','DSM:DF_MIGR(1.0)','--provider','KZ'];"
                "\ntry:\n main(standalone_mode=False)\nexcept SystemExit:\n pass\n"
                "print(json.dumps({'s':time.perf_counter()-t,'idle':idle,"
                "'peak':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))")
        r = subprocess.run([PY, "-c", code, str(data)], env=env, capture_output=True, text=True)
        lines = r.stdout.strip().splitlines()
        receipt = json.loads("\n".join(lines[:-1]))
        stats = json.loads(lines[-1])
        n = receipt["observations"]["read"]
        return n / stats["s"], stats["peak"], stats["idle"]
    finally:
        drop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--obs", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    args = ap.parse_args()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    big, small = generate(args.obs, out), generate(args.small, out)
    structure = out / "dsm_structure.xml"
    f = lambda n, kind: out / (f"dsm_{n}_ss.xml" if kind == "ss" else f"dsm_{n}_generic.xml" if kind == "generic"
                               else f"dsm_{n}.csv")
    rate_sdmx1 = sdmx1_parse_rate(structure, f(args.small, "ss"), args.small)
    print(f"sdmx1 parse (structure-specific, {args.small} obs): {rate_sdmx1:,.0f} obs/s")
    results = {}
    for kind in ("sqlite", "postgresql"):
        for fmt in ("ss", "csv", "generic"):
            rate, peak, idle = submit(kind, structure, f(args.obs, fmt), out)
            results[(kind, fmt)] = (rate, peak, idle)
            print(f"{kind:10} {fmt:8} {args.obs} obs: {rate:,.0f} obs/s, peak RSS {peak / 1024:.0f} MB "
                  f"(idle {idle / 1024:.0f} MB)")
    _, small_peak, _ = submit("sqlite", structure, f(args.small, "ss"), out)
    ss = results[("sqlite", "ss")][0]
    print("\nratios (goal in brackets)")
    print(f"  SQLite structure-specific / sdmx1 parse: {ss / rate_sdmx1:.1f}x  [>= 10]")
    print(f"  PostgreSQL / SQLite (structure-specific): {results[('postgresql', 'ss')][0] / ss:.2f}  [>= 0.85]")
    print(f"  SDMX-CSV / structure-specific (SQLite):   {results[('sqlite', 'csv')][0] / ss:.2f}  [>= 1.2]")
    print(f"  generic / structure-specific (SQLite):    {results[('sqlite', 'generic')][0] / ss:.2f}  [>= 0.4]")
    big_peak, idle = results[("sqlite", "ss")][1], results[("sqlite", "ss")][2]
    print(f"  peak memory {args.obs} / {args.small} obs:   {big_peak / small_peak:.2f}  [<= 1.1]")
    print(f"  peak above idle for {args.obs} obs:      {(big_peak - idle) / 1024:.0f} MB  [< 64]")


if __name__ == "__main__":
    main()
