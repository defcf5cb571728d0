#!/usr/bin/env python3
"""Retrieval benchmark (issue, performance: data retrieval): streaming rates, server memory, request rate.

    .venv/bin/python bench/bench_retrieval.py [--obs 1000000] [--only sqlite|postgresql] [--quick]

Loads the set of ../shared/tools/gen_dsm_data.py (cached under var/bench/) into a fresh database
(a new SQLite file; a new PostgreSQL database, dropped at the end, whose statistics are gathered
with ANALYZE after the load, as autovacuum would) through a live server (bench_ingest's helpers),
then, on SQLite and on PostgreSQL:

1. streams all of it (``/rest/data/DSM,DF_MIGR,1.0/all``, a system administrator's token) from a
   one-worker gunicorn as structure-specific SDMX-ML 2.1 and as SDMX-CSV 1.0, read by curl into
   /dev/null, and times the bare ordered SELECT of the same rows through the driver's own cursor
   (fetchmany, the server's batch size; on PostgreSQL psycopg's server-side cursor, which FETCHes
   batches as the server's cursor does) on the same database. Each is repeated (``--repeat``,
   interleaved) and the best run kept. pysdmx's writers (SDMX-ML 2.1 structure-specific, SDMX-CSV
   1.0) are timed on a pandas DataFrame of the same rows: the writer call only. For comparison,
   so are this server's two writers, on the same answer read into memory first;
2. reads the worker's high-water mark (VmHWM) after a 1M-observation answer and after a
   1k-observation answer (9 series), each on a fresh worker, in both formats;
3. runs ``wrk -t2 -c16 -d60s --latency`` against a one-series query (111 observations) on a
   two-worker gunicorn, once with the system administrator's token and once anonymously (the data
   made public after the load), and against a bare Flask "hello" on the same gunicorn settings.

4. revises every tenth observation (a 100k-row SDMX-CSV POST) and times history queries, best of five
   (no goal: a guard against queries that read the whole table): of the one series, ``includeHistory``,
   ``asOf`` a moment before the revision and ``updatedAfter`` it (with its deletions check); of the
   whole data set, ``updatedAfter`` (the 100k revised observations), the versions since then
   (``includeHistory``) and ``asOf`` (all of it as it was); and the revision's notices (the API's first
   10,000).

Prints each number, then the ratios against the issue's goals with ✓/✗. A bench, not a test:
numbers on a shared 2-core machine are noisy; the load average is printed with them.
wrk (Debian's package) and pysdmx[data,xml] (PyPI, into this venv; not a project dependency)
are installed when missing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import (MEDIA, PY, ROOT, data_file, fresh_database, generate, gunicorn, memory_kb,  # noqa: E402
                          post, prepare_database)

FLOW_V1 = "/rest/data/DSM,DF_MIGR,1.0"
ONE_SERIES = "Q.AM.AD.F"  # 111 quarters in the generated set
SMALL_KEY = "Q.AM.AD+AE+AF.F+M+_T"  # 9 series, 999 observations
PROVIDER = "KZ"
BARE_SQL = ("SELECT s.series_key, o.time_period, o.value, o.attributes FROM series s "
            "JOIN observation o ON o.series_id = s.id WHERE s.data_set_id = {p} AND o.valid_to IS NULL "
            "ORDER BY s.series_key, o.time_period")
GOALS = {"ss_vs_select": 0.5, "csv_vs_select": 0.45, "vs_pysdmx": 8.0, "memory": 1.10,
         "rps_vs_hello": 0.5, "p99_ms": 10.0}


def hello_app():
    """The baseline of the request-rate goal: a bare Flask app (gunicorn "bench_retrieval:hello_app()")."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "hello"

    return app


# -- tools --------------------------------------------------------------------------------------------

def ensure_tools(need_wrk: bool, need_pysdmx: bool) -> None:
    if need_wrk and shutil.which("wrk") is None:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    if need_pysdmx:
        try:
            import pyarrow  # noqa: F401
            import pysdmx.io.pd  # noqa: F401
            import xmltodict  # noqa: F401
        except ImportError:
            subprocess.run([PY, "-m", "pip", "install", "-q", "pysdmx[data,xml]"], check=True)


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


# -- the bare SELECT ---------------------------------------------------------------------------------------

def _pg_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def data_set_id(url: str) -> int:
    import sqlalchemy as sa
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return c.execute(sa.text("SELECT id FROM data_set WHERE provider_id = :p"), {"p": PROVIDER}).scalar_one()
    finally:
        eng.dispose()


def analyze(url: str) -> None:
    """PostgreSQL's statistics of the fresh tables, which autovacuum gathers a while after a large load: now,
    so that neither the server nor the bare SELECT changes plan in the middle of the measurements."""
    import psycopg
    with psycopg.connect(_pg_conninfo(url), autocommit=True) as conn:
        conn.execute("ANALYZE")


def bare_select(url: str, ds_id: int, keep: list | None = None) -> tuple[float, int]:
    """(seconds, rows) of the ordered SELECT the server runs, every row fetched (fetchmany) and dropped."""
    from sdmx_server.storage.observation_query import FETCH
    n = 0
    if url.startswith("sqlite"):
        import sqlite3
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            t = time.perf_counter()
            cur = conn.cursor()
            cur.execute(BARE_SQL.format(p="?"), (ds_id,))
            while rows := cur.fetchmany(FETCH):
                n += len(rows)
                if keep is not None:
                    keep += rows
            seconds = time.perf_counter() - t
        finally:
            conn.close()
        return seconds, n
    import psycopg
    with psycopg.connect(_pg_conninfo(url)) as conn:
        t = time.perf_counter()
        cur = conn.cursor(name="bench")  # server-side, as ObservationQuery reads
        cur.itersize = FETCH
        cur.execute(BARE_SQL.format(p="%s"), (ds_id,))
        while rows := cur.fetchmany(FETCH):
            n += len(rows)
            if keep is not None:
                keep += rows
        seconds = time.perf_counter() - t
        cur.close()
        conn.rollback()
    return seconds, n


# -- HTTP --------------------------------------------------------------------------------------------------

def fetch(base: str, headers: dict, path: str, fmt: str, gzip: bool = False) -> tuple[float, int]:
    """(seconds, bytes) of one GET read to the end by curl (its own process, its own core)."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}",
           "-H", f"Accept: {MEDIA[fmt]}"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(cmd + [base + path], check=True, capture_output=True, text=True).stdout.split()
    assert out[0] == "200", f"{path}: HTTP {out[0]}"
    return float(out[2]), int(out[1])


def publish(base: str, headers: dict) -> None:
    """Make the provider's data on DF_MIGR public, so that the one-series query can also be asked anonymously
    (the system administrator sees it either way)."""
    import requests
    r = requests.put(f"{base}/api/providers/{PROVIDER}/sharing/DSM/DF_MIGR/1.0/public", json={"public": True},
                     headers=headers, timeout=60)
    assert r.status_code == 200, (r.status_code, r.text[:500])


def count_observations(base: str, headers: dict, path: str) -> int:
    import requests
    r = requests.get(base + path, headers={**headers, "Accept": MEDIA["ss"]}, timeout=60)
    assert r.status_code == 200, (r.status_code, r.text[:500])
    return r.text.count("<Obs ")


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, seconds: int, headers: dict | None = None, accept: str | None = None, connections: int = 16
        ) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if accept:
        cmd += ["-H", f"Accept: {accept}"]
    text = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    out = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
           "requests": int(re.search(r"(\d+) requests in", text).group(1)), "errors": 0, "text": text}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        out[f"p{pct}"] = float(m.group(1)) * _UNIT_MS[m.group(2)]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["errors"] += sum(map(int, m.groups()))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["errors"] += int(m.group(1))
    return out


@contextmanager
def collector_paused() -> Iterator[None]:
    """Both sides' writers are timed without the cyclic garbage collector (the server pauses it while it makes
    each chunk; the million rows each side holds in memory would otherwise make every collection slow)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- pysdmx --------------------------------------------------------------------------------------------------

def pysdmx_rates(structure: Path, rows: list[tuple], repeat: int) -> dict[str, float]:
    """Observations per second of pysdmx's writers (the ``write_sdmx`` call only, best of ``repeat``; once
    for a writer that takes over 30 s) on a PandasDataset of ``rows`` with the DSD's schema."""
    import pandas as pd
    from pysdmx.io import read_sdmx, write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset

    dsd = next(s for s in read_sdmx(str(structure)).structures if type(s).__name__ == "DataStructureDefinition")
    dims = [c.id for c in dsd.components if c.role.name == "DIMENSION" and c.id != "TIME_PERIOD"]
    memo: dict = {None: {}}

    def attrs(text):
        if text not in memo:
            memo[text] = json.loads(text)
        return memo[text]

    keys = [r[0].split(".") for r in rows]
    frame = {d: [k[i] for k in keys] for i, d in enumerate(dims)}
    frame |= {"TIME_PERIOD": [r[1] for r in rows], "OBS_VALUE": [r[2] for r in rows],
              "OBS_STATUS": [attrs(r[3]).get("OBS_STATUS") for r in rows]}
    del keys
    ds = PandasDataset(structure=dsd.to_schema(), data=pd.DataFrame(frame))
    del frame
    formats = {"ss": (Format.DATA_SDMX_ML_2_1_STR, {"prettyprint": False, "dimension_at_observation": "TIME_PERIOD"}),
               "csv": (Format.DATA_SDMX_CSV_1_0_0, {})}
    best: dict[str, float] = {}
    for _ in range(repeat):
        for fmt, (f, kw) in formats.items():
            if best.get(fmt, 0) > 30:  # a long run is its own average: once is enough
                continue
            with collector_paused():
                t = time.perf_counter()
                text = write_sdmx([ds], f, **kw)
                seconds = time.perf_counter() - t
            assert text and len(text) > len(rows) * 20
            best[fmt] = min(best.get(fmt, seconds), seconds)
            del text
    return {fmt: len(rows) / s for fmt, s in best.items()}


def own_writer_rates(url: str, repeat: int) -> dict[str, float]:
    """Observations per second of this server's writers alone (the writer call only, best of ``repeat``), on
    the answer to the whole-dataflow query read into memory first: the same rows pysdmx's writers get."""
    os.environ.setdefault("SDMX_SERVER_SECRET_KEY", "bench")
    from sdmx_server.retrieval.data_retrieval import prepare_data_query, read_data
    from sdmx_server.sdmx.data_query import parse_data_query_v1
    from sdmx_server.sdmx.formats import sdmx_csv_1_0_data_writer, sdmx_ml_2_1_structure_specific_data_writer
    from sdmx_server.storage.artefact_store import ArtefactStore
    from sdmx_server.storage.database import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            store = ArtefactStore(conn)
            q = parse_data_query_v1("DSM,DF_MIGR,1.0", "all", None, {})
            prepared = prepare_data_query(conn, store, q, visible=lambda _urn: None)
            message = read_data(conn, store, prepared, languages=["en"], max_observations=1 << 40, need_labels=False)
            data_sets = list(message.data_sets)
            for ds in data_sets:
                ds.series = list(ds.series)
            conn.rollback()
    finally:
        engine.dispose()
    message.data_sets = data_sets
    n = sum(len(s.observations) for ds in data_sets for s in ds.series)
    best: dict[str, float] = {}
    for _ in range(repeat):
        for fmt, writer in (("ss", sdmx_ml_2_1_structure_specific_data_writer), ("csv", sdmx_csv_1_0_data_writer)):
            with collector_paused():
                t = time.perf_counter()
                for _chunk in writer.write_data_message(message):
                    pass
                seconds = time.perf_counter() - t
            best[fmt] = min(best.get(fmt, seconds), seconds)
    return {fmt: n / seconds for fmt, seconds in best.items()}


# -- one database --------------------------------------------------------------------------------------------

def measure(kind: str, args, structure: Path, big: Path, out: Path, with_pysdmx: bool, hello: dict | None) -> dict:
    res: dict = {}
    with fresh_database(kind, out) as url:
        headers = prepare_database(url, structure)
        with gunicorn(url) as (base, _):
            seconds, receipt = post(base, headers, big, "ss", PROVIDER)
            publish(base, headers)
        res["obs"] = receipt["observations"]["inserted"]
        print(f"[{kind}] loaded {res['obs']:,} observations in {seconds:.0f} s; {load()}", flush=True)
        if kind == "postgresql":
            analyze(url)
        ds_id = data_set_id(url)
        all_path = f"{FLOW_V1}/all"

        # 1. streaming rates, interleaved repeats, best of each
        best: dict[str, float] = {}
        sizes: dict[str, int] = {}
        with gunicorn(url) as (base, _):
            for fmt in ("ss", "csv"):  # warm-up: imports, caches, the first query
                fetch(base, headers, f"{FLOW_V1}/{SMALL_KEY}", fmt)
            for i in range(args.repeat):
                s, n = bare_select(url, ds_id)
                assert n == res["obs"], (n, res["obs"])
                best["select"] = min(best.get("select", s), s)
                for fmt in ("ss", "csv"):
                    s, size = fetch(base, headers, all_path, fmt)
                    best[fmt] = min(best.get(fmt, s), s)
                    sizes[fmt] = size
                print(f"[{kind}] run {i + 1}: select {res['obs'] / best['select']:,.0f}, "
                      f"ss {res['obs'] / best['ss']:,.0f}, csv {res['obs'] / best['csv']:,.0f} obs/s (best so far); "
                      f"{load()}", flush=True)
            if args.gzip:
                s, size = fetch(base, headers, all_path, "ss", gzip=True)
                res["ss_gzip"] = (res["obs"] / s, size)
        res["rate"] = {k: res["obs"] / v for k, v in best.items()}
        res["size"] = sizes

        if with_pysdmx:
            res["own"] = own_writer_rates(url, 1 if args.quick else min(args.repeat, 2))
            rows: list[tuple] = []
            bare_select(url, ds_id, keep=rows)
            print(f"[{kind}] pysdmx writers on {len(rows):,} rows...", flush=True)
            res["pysdmx"] = pysdmx_rates(structure, rows, 1 if args.quick else min(args.repeat, 2))
            del rows

        # 2. memory: the worker's high-water mark after one answer, each on a fresh worker
        res["memory"] = {}
        for fmt in ("ss", "csv"):
            peaks = []
            for path in (f"{FLOW_V1}/{SMALL_KEY}", all_path):
                with gunicorn(url) as (base, workers):
                    idle = memory_kb(workers[0], "VmRSS")
                    fetch(base, headers, path, fmt)
                    peaks.append((idle, memory_kb(workers[0], "VmHWM")))
            res["memory"][fmt] = peaks

        # 3. request rate of a one-series query, two workers
        if not args.no_wrk:
            with gunicorn(url, workers=2) as (base, _):
                one = f"{FLOW_V1}/{ONE_SERIES}"
                res["series_obs"] = count_observations(base, headers, one)
                wrk(base + one, 2, headers, MEDIA["ss"])  # warm-up: both workers
                if hello is not None and "rps" not in hello:
                    with gunicorn(url, workers=2, app="bench_retrieval:hello_app()",
                                  extra=("--pythonpath", str(ROOT / "bench"))) as (hbase, _):
                        wrk(hbase + "/", 2)
                        print(f"[hello] wrk {args.seconds} s; {load()}", flush=True)
                        hello.update(wrk(hbase + "/", args.seconds))
                assert count_observations(base, {}, one) == res["series_obs"]  # public: anonymous callers see it
                res["wrk"] = {}
                for who, auth in (("token", headers), ("anonymous", {})):
                    print(f"[{kind}] wrk {args.seconds} s, {who}; {load()}", flush=True)
                    res["wrk"][who] = wrk(base + one, args.seconds, auth, MEDIA["ss"])
        # 4. history queries, after a revision of a tenth of the observations
        if not args.no_history:
            res["history"] = history_times(url, headers, revision_file(out, res["obs"]), res["obs"])
    return res


@contextmanager
def no_answer_cache() -> Iterator[None]:
    """Servers started inside keep no answers (bench_ingest's gunicorn passes the environment on)."""
    os.environ["SDMX_SERVER_RESPONSE_CACHE_BYTES"] = "0"
    try:
        yield
    finally:
        del os.environ["SDMX_SERVER_RESPONSE_CACHE_BYTES"]


def revision_file(out: Path, n: int) -> Path:
    """Every tenth row of the generated SDMX-CSV with its value raised by one (a missing one, NaN, set to 1),
    cached next to it."""
    path = out / f"dsm_{n}_revision.csv"
    if not path.exists():
        with data_file(out, n, "csv").open() as src, path.open("w") as dst:
            dst.write(next(src))
            for i, line in enumerate(src):
                if i % 10 == 0:
                    cells = line.rstrip("\n").split(",")
                    cells[-2] = "1" if cells[-2] == "NaN" else str(int(cells[-2]) + 1)
                    dst.write(",".join(cells) + "\n")
    return path


def history_times(url: str, headers: dict, revision: Path, n: int) -> dict[str, tuple[float, int]]:
    """(best seconds of five, bytes) of each history query, on a one-worker gunicorn without its answer cache
    (which would answer the repeats of the small ones), after ``revision``."""
    from datetime import datetime, timezone
    with no_answer_cache(), gunicorn(url) as (base, _):
        time.sleep(1.1)  # transaction times are kept to the microsecond; a clear second apart reads better
        before = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        time.sleep(1.1)
        seconds, receipt = post(base, headers, revision, "csv", PROVIDER)
        assert receipt["observations"]["updated"] == n // 10, receipt
        one = f"/rest/v2/data/dataflow/DSM/DF_MIGR/1.0/{ONE_SERIES}"
        queries = {"one series, includeHistory": f"{one}?includeHistory=true",
                   "one series, asOf before the revision": f"{one}?asOf={before}",
                   "one series, updatedAfter before it": f"{one}?updatedAfter={before}",
                   f"all, updatedAfter ({n // 10:,} revised)": f"{FLOW_V1}/all?updatedAfter={before}",
                   "all, includeHistory since before it": f"{FLOW_V1}/all?includeHistory=true&updatedAfter={before}",
                   f"all, asOf ({n:,} as they were)": f"{FLOW_V1}/all?asOf={before}"}
        times = {}
        for name, path in queries.items():
            fetch(base, headers, path, "ss")  # warm-up
            runs = [fetch(base, headers, path, "ss") for _ in range(5)]
            times[name] = (min(r[0] for r in runs), runs[0][1])
        import requests
        notices = f"{base}/api/submissions/{receipt['submission']}/revisions"
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            r = requests.get(notices, headers=headers, timeout=600)
            runs.append((time.perf_counter() - t, len(r.content)))
            assert r.status_code == 200 and len(r.json()["revisions"]) == 10_000, r.text[:300]  # the API's cap
        times["the revision's notices (first 10,000)"] = min(runs)
        print(f"[history] revision of {n // 10:,} observations in {seconds:.1f} s; {load()}", flush=True)
    return times


# -- report ---------------------------------------------------------------------------------------------------

def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def report(results: dict[str, dict], hello: dict, args) -> None:
    print(f"\n== numbers ({args.obs:,} observations; {load()}) ==")
    print(f"{'':12}{'bare SELECT':>14}{'struct-spec':>14}{'SDMX-CSV':>14}{'pysdmx ss':>14}{'pysdmx csv':>14}  obs/s")
    for kind, r in results.items():
        py = r.get("pysdmx", {})
        cells = [r["rate"]["select"], r["rate"]["ss"], r["rate"]["csv"], py.get("ss"), py.get("csv")]
        print(f"{kind:12}" + "".join(f"{c:>14,.0f}" if c else f"{'-':>14}" for c in cells))
    for kind, r in results.items():
        print(f"{kind:12}answer sizes: structure-specific {r['size']['ss'] / 1e6:,.0f} MB, "
              f"SDMX-CSV {r['size']['csv'] / 1e6:,.0f} MB"
              + (f"; gzip structure-specific {r['ss_gzip'][0]:,.0f} obs/s, {r['ss_gzip'][1] / 1e6:,.0f} MB"
                 if "ss_gzip" in r else ""))
    for kind, r in results.items():
        for fmt, ((idle_s, small), (idle_b, big)) in r.get("memory", {}).items():
            print(f"{kind:12}worker memory ({fmt}): idle {idle_b / 1024:.0f} MB; peak {small / 1024:.0f} MB after "
                  f"999 obs, {big / 1024:.0f} MB after {r['obs']:,} obs")
    if hello:
        print(f"{'hello':12}wrk: {hello['rps']:,.0f} req/s, p50 {hello['p50']:.2f} ms, p99 {hello['p99']:.2f} ms, "
              f"{hello['errors']} errors, {hello['requests']:,} requests")
    for kind, r in results.items():
        for who, w in r.get("wrk", {}).items():
            print(f"{kind:12}wrk one series ({r['series_obs']} obs, {who}): {w['rps']:,.0f} req/s, "
                  f"p50 {w['p50']:.2f} ms, p99 {w['p99']:.2f} ms, {w['errors']} errors, {w['requests']:,} requests")
    for kind, r in results.items():
        for name, (seconds, size) in r.get("history", {}).items():
            print(f"{kind:12}history: {name:40} {seconds * 1000:9.1f} ms  {size / 1e6:7.2f} MB")
    for kind, r in results.items():
        if "own" in r:
            py = r.get("pysdmx", {})
            print(f"{kind:12}this server's writers alone on the same rows (the writer call only, as pysdmx's is "
                  f"timed): structure-specific {r['own']['ss']:,.0f} obs/s"
                  + (f" ({r['own']['ss'] / py['ss']:.0f}x pysdmx)" if py else "")
                  + f", SDMX-CSV {r['own']['csv']:,.0f} obs/s"
                  + (f" ({r['own']['csv'] / py['csv']:.0f}x pysdmx)" if py else ""))

    print("\n== ratios [goal] ==")

    def line(ok: bool, kind: str, what: str, value: str, goal: str) -> None:
        print(f"{mark(ok)} {kind:10} {what:46} {value:>8}  [{goal}]")

    for kind, r in results.items():
        rate, py = r["rate"], r.get("pysdmx")
        for fmt, name, goal in (("ss", "structure-specific", "ss_vs_select"), ("csv", "SDMX-CSV", "csv_vs_select")):
            x = rate[fmt] / rate["select"]
            line(x >= GOALS[goal], kind, f"{name} / bare SELECT", f"{x:.2f}", f">= {GOALS[goal]}")
        if py:
            for fmt, name in (("ss", "structure-specific"), ("csv", "SDMX-CSV")):
                x = rate[fmt] / py[fmt]
                line(x >= GOALS["vs_pysdmx"], kind, f"{name} / pysdmx writer", f"{x:.1f}", ">= 8")
        for fmt, ((_, small), (_, big)) in r.get("memory", {}).items():
            x = big / small
            line(x <= GOALS["memory"], kind, f"worker peak memory {r['obs']:,} / 999 obs ({fmt})", f"{x:.2f}",
                 "<= 1.10")
        for who, w in r.get("wrk", {}).items() if hello else ():
            x = w["rps"] / hello["rps"]
            line(x >= GOALS["rps_vs_hello"], kind, f"one-series req/s / hello req/s ({who})", f"{x:.2f}", ">= 0.5")
            line(w["p99"] <= GOALS["p99_ms"], kind, f"one-series p99 latency ({who})", f"{w['p99']:.2f} ms",
                 "<= 10 ms")
            line(w["errors"] == 0, kind, f"errors during the wrk run ({who})", str(w["errors"]), "0")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=int, default=1_000_000)
    ap.add_argument("--only", choices=("sqlite", "postgresql"))
    ap.add_argument("--repeat", type=int, default=3, help="runs of each streaming measurement (best kept)")
    ap.add_argument("--quick", action="store_true", help="wrk for 10 s instead of 60, fewer repeats")
    ap.add_argument("--no-wrk", action="store_true")
    ap.add_argument("--no-pysdmx", action="store_true")
    ap.add_argument("--no-history", action="store_true")
    ap.add_argument("--gzip", action="store_true", help="also time a gzip-compressed structure-specific answer")
    args = ap.parse_args()
    args.seconds = 10 if args.quick else 60
    if args.quick:
        args.repeat = min(args.repeat, 2)
    ensure_tools(not args.no_wrk, not args.no_pysdmx)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    generate(args.obs, out)
    structure = out / "dsm_structure.xml"
    big = data_file(out, args.obs, "ss")
    print(f"{os.cpu_count()} cores; {load()}", flush=True)
    results: dict[str, dict] = {}
    hello: dict = {}
    kinds = [k for k in ("sqlite", "postgresql") if not args.only or k == args.only]
    for i, kind in enumerate(kinds):
        results[kind] = measure(kind, args, structure, big, out, with_pysdmx=i == 0 and not args.no_pysdmx,
                                hello=hello)
    first = results[kinds[0]]
    if "pysdmx" in first:  # the writer's rate does not depend on the database the rows came from
        for r in results.values():
            r.setdefault("pysdmx", first["pysdmx"])
    report(results, hello, args)


if __name__ == "__main__":
    main()
