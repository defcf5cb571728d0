#!/usr/bin/env python3
"""Backup, restore, export and import times (issue 21) on SQLite and PostgreSQL, for docs/operations.md.

    .venv/bin/python bench/bench_backup.py [--obs 200000] [--only sqlite|postgresql] [--documents 100 --document-mb 2]

A fresh database gets the DF_MIGR structure and ``--obs`` observations of KZ (generated with
../shared/tools/gen_dsm_data.py, cached under var/bench/, submitted with `sdmx-server submit`); then each
command runs once as an operator runs it (a process of its own) and is timed from the outside: `backup`,
`restore` into a fresh database, `export`, `import` into a fresh database. Sizes are of what each wrote.
``--documents`` adds that many documents of ``--document-mb`` random bytes each (rows and files, as an upload
writes them) to the source, in its own ``document_dir``; restore and import put them into fresh folders.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_ingest import PY, _env, fresh_database, generate  # noqa: E402


def cli(url: str, *args: str, documents: Path | None = None) -> float:
    started = time.perf_counter()
    env = {**_env(url), **({"SDMX_SERVER_DOCUMENT_DIR": str(documents)} if documents else {})}
    r = subprocess.run([PY, "-m", "sdmx_server.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr + r.stdout
    return time.perf_counter() - started


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def add_documents(url: str, folder: Path, n: int, mb: float) -> None:
    """``n`` document rows and their files, written as content/documents.py's upload writes them."""
    from datetime import date

    from sdmx_server.storage.database import make_engine
    from sdmx_server.storage.document_files import DocumentFiles
    from sdmx_server.storage.document_store import DocumentStore

    files, size_ = DocumentFiles(folder), int(mb * 1e6)
    engine = make_engine(url)
    with engine.begin() as conn:
        for i in range(n):
            key = files.save(os.urandom(size_))
            DocumentStore(conn).add(country="KZ", doc_type="analysis", published_on=date(2026, 1, 1),
                                    titles={"en": f"Document {i}"}, summaries={}, access="public",
                                    participants=False, file_name=f"d{i}.pdf", media_type="application/pdf",
                                    file_size=size_, file_key=key, indicators=(), by="bench")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--obs", type=int, default=200_000)
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    ap.add_argument("--documents", type=int, default=0)
    ap.add_argument("--document-mb", type=float, default=2.0)
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
                add_documents(url, tmp / "docs", args.documents, args.document_mb)
                times = {"backup": cli(url, "backup", str(tmp / "bk"), documents=tmp / "docs"),
                         "restore": cli(restored, "restore", str(tmp / "bk"), documents=tmp / "docs-restored"),
                         "export": cli(url, "export", str(tmp / "ex"), documents=tmp / "docs"),
                         "import": cli(imported, "import", str(tmp / "ex"), documents=tmp / "docs-imported")}
                if args.documents:  # every file arrived
                    for copy in ("docs-restored", "docs-imported"):
                        assert len(list((tmp / copy).glob("*"))) == args.documents, copy
                sizes = {"backup": size(tmp / "bk"), "export": size(tmp / "ex")}
                print(f"{kind}, {args.obs:,} observations: " + ", ".join(
                    f"{k} {v:.1f} s ({args.obs / v:,.0f} obs/s)" for k, v in times.items())
                    + f"; backup {sizes['backup'] / 1e6:.1f} MB, export {sizes['export'] / 1e6:.1f} MB"
                    + (f"; {args.documents} documents of {args.document_mb} MB" if args.documents else ""))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
