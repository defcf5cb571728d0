#!/usr/bin/env python3
"""Links bench (issue 20): a national SQL table translated through the maps and ingested, against ingesting
the equivalent SDMX-CSV directly, in the same run; and the peak memory of a link run at two sizes.

    .venv/bin/python bench/bench_links.py [--rows 200000] [--database-url postgresql+psycopg://...]

The national table (SQLite: sex 'м'/'ж', citizenship as Cyrillic labels, periods '2023-1') holds ``--rows``
rows, translated into DSM:DF_STOCK_FOREIGNERS by a StructureMap with three RepresentationMaps (one a regular
expression). Each measurement runs in a child process on a fresh regional database:

* link: `interlink.link_run.run` of an auto-release link: read the table (streamed), translate every row
  into SDMX-CSV as the workflow reads it, validate, release (pending -> validated -> released) and commit;
* direct: `workflow.submit` (release now) of the very SDMX-CSV message the link produced, from a file.

Rates are national rows (= observations) per second; the goal is link >= 0.5 x direct. Peak RSS (the child's
ru_maxrss) of the link run at ``--rows`` and at a quarter of it shows memory independent of the row count.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def national_table(path: Path, rows: int) -> None:
    """``rows`` distinct observations: citizenship x sex x half-year, national labels."""
    codes = _area_codes()
    per_period = len(codes) * 2
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE inostrantsy (пол TEXT, гражданство TEXT, период TEXT, численность INTEGER)")

        def gen():
            for i in range(rows):
                p, rest = divmod(i, per_period)
                c, s = divmod(rest, 2)
                year, half = 1000 + p // 2, 1 + p % 2
                yield ("м" if s else "ж", f"страна {codes[c]}", f"{year}-{half}", i % 9973)
        db.executemany("INSERT INTO inostrantsy VALUES (?, ?, ?, ?)", gen())


def _area_codes() -> list[str]:
    import re
    text = (ROOT / "codelists" / "CL_AREA.xml").read_text()
    return sorted(set(re.findall(r'<str:Code id="([A-Z]{2})"', text)))


def regional(url: str | None, tmp: Path):
    """A fresh regional database with the seeds, the maps (one entry per citizenship label) and KZ's link."""
    from sqlalchemy import text

    from sdmx_server.seeding import load_structures, read_files, seed_files
    from sdmx_server.settings import load_config
    from sdmx_server.storage.artefact_store import ArtefactStore
    from sdmx_server.storage.database import make_engine, upgrade_schema
    from tests.national_tables import maps

    if url is None:
        url = f"sqlite:///{tmp / f'regional-{uuid.uuid4().hex[:6]}.sqlite'}"
    elif url.startswith("postgresql"):
        schema = f"bench_links_{uuid.uuid4().hex[:8]}"
        with make_engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}?options=-csearch_path%3D{schema}"
    cfg = load_config(overrides={"database_url": url, "secret_key": "bench"})
    engine = make_engine(cfg.resolved_database_url)
    upgrade_schema(engine)
    load_structures(engine, read_files(seed_files(cfg)))
    arts = maps()
    arts[1]["representationMappings"] = [{"sourceValues": [{"value": f"страна {c}", "isRegEx": False}],
                                          "targetValues": [c]} for c in _area_codes()]
    with engine.begin() as conn:
        for a in arts:
            ArtefactStore(conn).put(a)
    return engine


def child(mode: str, rows: int, url: str | None, national: Path, message: Path) -> dict:
    from sdmx_server.interlink.definitions import add
    from sdmx_server.interlink.link_run import context_of, run
    from sdmx_server.interlink.sources import SourceLimits
    from sdmx_server.storage.database import begin_write
    from sdmx_server.storage.link_store import LinkStore
    from sdmx_server.submission import workflow
    from tests.national_tables import FLOW, QUERY, SM_URN

    with tempfile.TemporaryDirectory() as tmp:
        engine = regional(url, Path(tmp))
        with engine.connect() as conn, begin_write(conn):
            add(conn, name="kz", provider="KZ", dataflow=FLOW, kind="sql",
                source={"url": f"sqlite:///{national}", "query": QUERY}, structure_map=SM_URN, auto_release=True,
                interval_seconds=None, created_by="bench")
        options = workflow.IngestOptions(provisional=False)
        limits = SourceLimits(max_rows=10_000_000, seconds=3600)
        started = time.perf_counter()
        if mode == "link":
            if message:  # keep the translated message for the direct run
                with open(message, "w", encoding="utf-8") as out:
                    outcome = run(engine, "kz", options=options, limits=limits, dry_run=True, out=out)
                assert outcome.problem_count == 0, outcome.problems[:3]
                started = time.perf_counter()
            outcome = run(engine, "kz", options=options, limits=limits)
            assert outcome.state == "succeeded" and outcome.figures == rows, (outcome.state, outcome.problems[:3])
        else:
            with engine.connect() as conn:
                link = LinkStore(conn).get("kz")
                ctx = context_of(conn, link)
                conn.rollback()
                from sdmx_server.interlink.link_run import link_actor
                with begin_write(conn), open(message, "rb") as body:
                    receipt = workflow.submit(conn, body, ctx, link_actor(link), provider="KZ", replace=False,
                                              content_type="text/csv", options=options, release_now=True,
                                              four_eyes=workflow.FourEyes(frozenset({"KZ"})))
            assert receipt.observations_read == rows
        seconds = time.perf_counter() - started
        engine.dispose()
    return {"mode": mode, "rows": rows, "seconds": seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def spawn(mode: str, rows: int, url: str | None, national: Path, message: Path | None) -> dict:
    args = [sys.executable, __file__, "--child", mode, "--rows", str(rows), "--national", str(national),
            "--message", str(message or "")] + (["--database-url", url] if url else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--database-url", help=f"regional database (default: a SQLite file; e.g. {PG})")
    ap.add_argument("--child")
    ap.add_argument("--national")
    ap.add_argument("--message")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.rows, a.database_url, Path(a.national),
                               Path(a.message) if a.message else None)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        small = max(1000, a.rows // 4)
        for n in (a.rows, small):
            started = time.perf_counter()
            national_table(tmp_path / f"national-{n}.sqlite", n)
            print(f"national table of {n} rows made in {time.perf_counter() - started:.1f} s", flush=True)
        message = tmp_path / "message.csv"
        link = spawn("link", a.rows, a.database_url, tmp_path / f"national-{a.rows}.sqlite", message)
        direct = spawn("direct", a.rows, a.database_url, tmp_path / f"national-{a.rows}.sqlite", message)
        link_small = spawn("link", small, a.database_url, tmp_path / f"national-{small}.sqlite", None)
    where = "PostgreSQL" if a.database_url else "SQLite"
    rate = {r["mode"]: r["rows"] / r["seconds"] for r in (link, direct)}
    print(f"regional database: {where}; {a.rows} national rows")
    print(f"  link (read + translate + submit + release): {link['seconds']:.1f} s, {rate['link']:,.0f} rows/s")
    print(f"  direct SDMX-CSV (submit + release):          {direct['seconds']:.1f} s, {rate['direct']:,.0f} rows/s")
    print(f"  link / direct rate: {rate['link'] / rate['direct']:.2f} (goal >= 0.5)")
    print(f"  peak RSS of a link run: {link_small['peak_rss_mb']:.0f} MB at {small} rows, "
          f"{link['peak_rss_mb']:.0f} MB at {a.rows} rows (the direct run: {direct['peak_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
