#!/usr/bin/env python3
"""Backup, restore, export and import times (issue 21) on SQLite and PostgreSQL, for docs/operations.md.

    .venv/bin/python bench/bench_backup.py [--obs 200000] [--only sqlite|postgresql]

A fresh database gets the DF_MIGR structure and ``--obs`` observations of KZ (generated with
../shared/tools/gen_dsm_data.py, cached under var/bench/, submitted with `sdmx-server submit`); then each
command runs once as an operator runs it (a process of its own) and is timed from the outside: `backup`,
`restore` into a fresh database, `export`, `import` into a fresh database. Sizes are of what each wrote.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_ingest import PY, _env, fresh_database, generate  # noqa: E402


def cli(url: str, *args: str) -> float:
    started = time.perf_counter()
    r = subprocess.run([PY, "-m", "sdmx_server.cli", *args], env=_env(url), capture_output=True, text=True,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr + r.stdout
    return time.perf_counter() - started


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--obs", type=int, default=200_000)
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    data = ROOT / "var" / "bench"
    data.mkdir(parents=True, exist_ok=True)
    generate(args.obs, data)
    structure, csv = data / "dsm_structure.xml", data / f"dsm_{args.obs}.csv"
    for kind in [args.only] if args.only else ["sqlite", "postgresql"]:
        tmp = Path(tempfile.mkdtemp(prefix="bench-backup-"))
        try:
            with fresh_database(kind, tmp) as url, fresh_database(kind, tmp) as restored, \
                    fresh_database(kind, tmp) as imported:
                cli(url, "init")
                cli(url, "load", str(structure), str(ROOT / "bench" / "dsm_provision.xml"))
                cli(url, "submit", str(csv), "--dataflow", "DSM:DF_MIGR(1.0)", "--provider", "KZ")
                times = {"backup": cli(url, "backup", str(tmp / "bk")),
                         "restore": cli(restored, "restore", str(tmp / "bk")),
                         "export": cli(url, "export", str(tmp / "ex")),
                         "import": cli(imported, "import", str(tmp / "ex"))}
                sizes = {"backup": size(tmp / "bk"), "export": size(tmp / "ex")}
                print(f"{kind}, {args.obs:,} observations: " + ", ".join(
                    f"{k} {v:.1f} s ({args.obs / v:,.0f} obs/s)" for k, v in times.items())
                    + f"; backup {sizes['backup'] / 1e6:.1f} MB, export {sizes['export'] / 1e6:.1f} MB")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
