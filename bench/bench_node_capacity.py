#!/usr/bin/env python3
"""Capacity of a server node and of its PostgreSQL database for the cached one-series query (issue 21).

    .venv/bin/python bench/bench_node_capacity.py [--requests 6000] [--workers 2] [--clients 4] [--rounds 3]
                                                  [--released N] [--callers anonymous,kz_viewer]

On a fresh PostgreSQL database (created next to ``test``, dropped at the end) set up by `sdmx-server init` (demo
accounts and figures), with Kazakhstan's stock of foreigners made public, a gunicorn started as `sdmx-server
serve` starts it (``--workers`` processes; release checks off, so that nothing but the requests runs) answers
``--requests`` GETs of one series (``S.KZ.CN.F``, SDMX-ML 2.1), from ``--clients`` client threads on kept-alive
loopback connections, for each caller (anonymous, and ``kz_viewer`` with a token). Every answer is checked (200,
the same data). Measured around each round of requests, from /proc (utime + stime, 10 ms ticks):

- the node's CPU: gunicorn's master and workers;
- the database's CPU: the server's own backends (pg_stat_activity of the bench database; the cluster is shared,
  so the postgres processes of other databases are not counted). pg_stat_statements would give it per statement,
  but it needs shared_preload_libraries, which takes a restart of the shared cluster: not done here;
- transactions and reads of ``access_version`` per request (pg_stat_database, pg_stat_user_tables).

The client's CPU is not counted: it shares the machine's two cores, which lowers the wall-clock rate, not the CPU
per request. The best round (least CPU per request) is reported, as neighbours on a shared machine only add.

Then the price of the declined per-request ``application_name`` (docs/operations.md, Logs): on one connection,
the access stamp statement each cached request runs, and ``SET application_name`` to a fresh request id, each
``--requests`` times: round trip and backend CPU per statement.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.request import Request, urlopen

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from bench_ingest import PY, fresh_database  # noqa: E402
from bench_retrieval import load  # noqa: E402
from tests.live_server import free_port  # noqa: E402

ONE_SERIES = "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.CN.F"
TICK = os.sysconf("SC_CLK_TCK")


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=url, SDMX_SERVER_SECRET_KEY="bench",
               SDMX_SERVER_RELEASE_CHECK_SECONDS="0", SDMX_SERVER_LOG_FORMAT="text")
    env.pop("SDMX_SERVER_CONFIG", None)
    return env


def _cli(url: str, *args: str) -> str:
    done = subprocess.run([PY, "-m", "sdmx_server.cli", *args], cwd=ROOT, env=_env(url), capture_output=True,
                          text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"sdmx-server {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout.strip()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process (all its threads), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5), after "pid (comm)"


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


class Database:
    """The bench database's statistics, read on a connection of its own (not counted: its pid is left out)."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        self.pid = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def backends(self) -> set[int]:
        return {pid for (pid,) in self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")}

    def counts(self) -> tuple[int, int]:
        """(transactions, scans of access_version) so far, as the statistics collector has them."""
        xacts = self.conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                  "WHERE datname = current_database()").fetchone()[0]
        scans = self.conn.execute("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                                  "WHERE relname = 'access_version'").fetchone()[0]
        return xacts, scans


def _data(body: bytes) -> bytes:
    """The answer without its header (each worker's cached answer has its own message id and time)."""
    return body.partition(b"</message:Header>")[2]


def drive(port: int, headers: dict[str, str], requests: int, clients: int, expect: bytes) -> float:
    """``requests`` GETs of the series over ``clients`` kept-alive connections; the wall-clock seconds."""
    left = [requests]
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            conn.request("GET", ONE_SERIES, headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or _data(body) != expect:
                failures.append(f"{r.status} {body[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} answers differed, e.g. {failures[0]}")
    return took


def measure_caller(port: int, master: int, db: Database, headers: dict[str, str], args) -> dict:
    with urlopen(Request(f"http://127.0.0.1:{port}{ONE_SERIES}", headers=headers), timeout=60) as r:
        expect = _data(r.read())
    drive(port, headers, 400, args.clients, expect)  # every worker's caches and pooled connections warm
    best: dict | None = None
    for _ in range(args.rounds):
        time.sleep(11)  # idle backends flush their statistics within 10 s (PostgreSQL 15's shared statistics)
        node = [master, *children(master)]
        node_before = {pid: cpu_seconds(pid) for pid in node}
        backends = db.backends()
        db_before = {pid: cpu_seconds(pid) for pid in backends}
        counts_before = db.counts()
        took = drive(port, headers, args.requests, args.clients, expect)
        node_cpu = sum((cpu_seconds(pid) or 0.0) - (node_before[pid] or 0.0) for pid in node)
        after = db.backends()
        db_cpu = sum((cpu_seconds(pid) or 0.0) - (db_before[pid] or 0.0) for pid in backends & after)
        db_cpu += sum(cpu_seconds(pid) or 0.0 for pid in after - backends)  # opened during the round: all of it
        time.sleep(11)
        counts_after = db.counts()
        row = {"wall_rps": args.requests / took, "node_us": node_cpu / args.requests * 1e6,
               "db_us": db_cpu / args.requests * 1e6, "backends": len(backends | after),
               "lost_backends": len(backends - after),
               "xacts": (counts_after[0] - counts_before[0]) / args.requests,
               "stamp_reads": (counts_after[1] - counts_before[1]) / args.requests, "load": load()}
        print(f"    round: {row['wall_rps']:.0f} req/s wall, node {row['node_us']:.0f} us, database "
              f"{row['db_us']:.0f} us CPU per request; {row['xacts']:.2f} transactions, {row['stamp_reads']:.2f} "
              f"access_version reads per request ({row['backends']} backends; {row['load']})", flush=True)
        if best is None or row["node_us"] + row["db_us"] < best["node_us"] + best["db_us"]:
            best = row
    assert best is not None
    last = {query for (query,) in db.conn.execute(
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND state = 'idle'")}
    for query in sorted(last):
        print(f"    a backend's last statement: {' '.join(query.split())[:300]}", flush=True)
    return best


def statement_costs(url: str, n: int) -> dict[str, tuple[float, float, float]]:
    """Per statement on one connection: (round trip µs, backend CPU µs, this process's CPU µs: what the node's
    driver spends) of the access stamp read, and of the SET application_name a request id in the database's
    view would add to every request."""
    import psycopg

    from sdmx_server.storage.observation_query import RELEASES_SQL

    out = {}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        statements = {
            "access stamp read": lambda i: conn.execute(f"SELECT n, {RELEASES_SQL} FROM access_version WHERE id = 1"),
            "SET application_name": lambda i: conn.execute(f"SET application_name = 'req-{i:032x}'"),
        }
        for name, run in statements.items():
            for i in range(200):
                run(i)
            best = None
            for _ in range(3):
                cpu, own, started = cpu_seconds(pid), time.process_time(), time.perf_counter()
                for i in range(n):
                    run(i).fetchall() if name == "access stamp read" else run(i)
                took, used, client = time.perf_counter() - started, cpu_seconds(pid) - cpu, time.process_time() - own
                triple = (took / n * 1e6, used / n * 1e6, client / n * 1e6)
                best = triple if best is None or triple[0] < best[0] else best
            out[name] = best
    return out


def add_released_submissions(url: str, n: int) -> int:
    """``n`` more released submissions, copies of the demo's released ones (of MD's asylum applications, another
    provider and flow than the query's): the access stamp counted them on every request until migration 0107 kept
    the count in a row; what still grows with them is measured here. Returns how many are released now."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO submission (dataflow_urn, provider_id, action, state, format, submitted_by, submitted_at, "
            "inserted, updated, deleted, replace, content_type, observations_read, release_at, released_at) "
            "SELECT s.dataflow_urn, s.provider_id, s.action, s.state, s.format, s.submitted_by, s.submitted_at, "
            "0, 0, 0, s.replace, s.content_type, 0, s.release_at, s.released_at "
            "FROM generate_series(1, %s) AS g CROSS JOIN LATERAL (SELECT * FROM submission WHERE state = 'released' "
            "AND provider_id = 'MD' ORDER BY id LIMIT 1) AS s", (n,))
        conn.execute("VACUUM ANALYZE submission")  # as autovacuum leaves it: the visibility map set
        return conn.execute("SELECT count(*) FROM submission WHERE state = 'released'").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=6000, help="requests a round (default 6000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="client threads, one connection each (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds a caller; the best is reported (default 3)")
    parser.add_argument("--released", type=int, default=0,
                        help="released submissions to add first (default none)")
    parser.add_argument("--callers", default="anonymous,kz_viewer", help="callers measured (default both)")
    args = parser.parse_args()
    from sdmx_server.serving import gunicorn_args
    from sdmx_server.settings import load_config

    with fresh_database("postgresql", Path("/tmp")) as url:
        _cli(url, "init")
        tokens = {name: _cli(url, "token", "create", name).splitlines()[-1]
                  for name in ("kz_country_administrator", "kz_viewer")}
        port = free_port()
        proc = subprocess.Popen([PY, "-m", "gunicorn", *gunicorn_args(load_config(environ=_env(url)), "127.0.0.1",
                                                                      port, args.workers),
                                 "sdmx_server.app:create_app()"],
                                cwd=ROOT, env=_env(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = None
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    urlopen(base + "/health/ready", timeout=5).read()
                    break
                except OSError:
                    time.sleep(0.1)
            req = Request(f"{base}/api/providers/KZ/sharing/DSM/DF_STOCK_FOREIGNERS/1.0/public", method="PUT",
                          data=b'{"public": true}',
                          headers={"Content-Type": "application/json",
                                   "Authorization": f"Bearer {tokens['kz_country_administrator']}"})
            urlopen(req, timeout=30).read()
            if args.released:
                print(f"  released submissions now: {add_released_submissions(url, args.released)}", flush=True)
            db = Database(url)
            results = {}
            callers = {"anonymous": {}, "kz_viewer": {"Authorization": f"Bearer {tokens['kz_viewer']}"}}
            for caller in args.callers.split(","):
                headers = callers[caller]
                print(f"  {caller}: {args.requests} requests a round, {args.clients} clients, {args.workers} workers",
                      flush=True)
                results[caller] = measure_caller(port, proc.pid, db, headers, args)
            costs = statement_costs(url, args.requests)
        finally:
            if db is not None:
                db.conn.close()
            proc.terminate()
            proc.wait(30)

    print("\nThe cached one-series query (best round; CPU from /proc, the client not counted):")
    print("| caller | node CPU / request | requests/s per node core | database CPU / request | "
          "requests/s per database core | node cores one database core serves | transactions / request |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for caller, row in results.items():
        node_rate, db_rate = 1e6 / row["node_us"], 1e6 / max(row["db_us"], 1e-9)
        print(f"| {caller} | {row['node_us']:.0f} µs | {node_rate:.0f} | {row['db_us']:.0f} µs | {db_rate:.0f} | "
              f"{db_rate / node_rate:.1f} | {row['xacts']:.2f} |")
    stamp, setname = costs["access stamp read"], costs["SET application_name"]
    print(f"\nOne statement on one connection (best of 3 x {args.requests}): access stamp read {stamp[0]:.0f} µs "
          f"round trip, {stamp[1]:.0f} µs database CPU, {stamp[2]:.0f} µs driver CPU; SET application_name "
          f"{setname[0]:.0f} µs round trip, {setname[1]:.0f} µs database CPU, {setname[2]:.0f} µs driver CPU.")
    anon = results["anonymous"]
    print(f"A request id in application_name would add one such SET to every request: +{setname[1]:.0f} µs database "
          f"CPU on {anon['db_us']:.0f} µs (+{setname[1] / max(anon['db_us'], 1e-9):.0%}), about +{setname[2]:.0f} µs "
          f"node CPU on {anon['node_us']:.0f} µs (+{setname[2] / anon['node_us']:.0%}) and a round trip "
          f"(+{setname[0]:.0f} µs) of latency to the anonymous cached request.")
    print(json.dumps({"results": results, "statements": costs}, indent=None, default=str))


if __name__ == "__main__":
    main()
