#!/usr/bin/env python3
"""Rows per second through a compiled StructureMap (the seeded KZ national table -> DF_STOCK_FOREIGNERS).

    .venv/bin/python bench/bench_structure_maps.py [--rows 1000000]

The interlinking engine translates every national row with ``CompiledMap.translate``; its rate bounds how fast
a link can feed a submission. Rows cycle through exact labels, regex labels ("мужчины", "Республика
Узбекистан"), a dated mapping and 2,000 distinct years, so the per-map answer cache sees repeats as real tables
do. Prints rows/s with and without a date (rows made on the fly, as a source streams them), then the peak
memory a further pass of --rows/10 rows adds, traced apart (tracemalloc slows the loop tenfold).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sdmx_server.sdmx.artefacts import urn_of  # noqa: E402
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message  # noqa: E402
from sdmx_server.sdmx.structure_maps import compile_maps  # noqa: E402

CITIZENSHIP = ["Россия", "Республика Узбекистан", "Кыргызстан", "Таджикистан", "Китай", "Германия", "Узбекистан"]
SEX = ["м", "ж", "мужчины", "женщины", "всего"]


def rows(n: int):
    for i in range(n):
        yield {"GRAZHDANSTVO": CITIZENSHIP[i % 7], "POL": SEX[i % 5], "GOD": str(1000 + i % 2000),
               "CHISLENNOST": str(i)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    n = ap.parse_args().rows
    seed = (ROOT / "structures/maps_kz_national.xml").read_bytes()
    arts = {a["id"]: a for a in read_structure_message(seed).artefacts}
    m = compile_maps(arts["SM_NAT_STOCK"], {urn_of(a): a for a in arts.values() if a["type"] == "representationmap"})
    for label, when in (("no date", None), ("dated", date(2024, 12, 31))):
        started = time.perf_counter()
        for row in rows(n):
            m.translate(row, when)
        elapsed = time.perf_counter() - started
        print(f"{label}: {n} rows in {elapsed:.2f} s = {n / elapsed:,.0f} rows/s")
    tracemalloc.start()
    for row in rows(n // 10):
        m.translate(row, date(2025, 1, 1))
    print(f"peak memory added over {n // 10} rows: {tracemalloc.get_traced_memory()[1] / 1e6:.2f} MB")
    tracemalloc.stop()


if __name__ == "__main__":
    main()
