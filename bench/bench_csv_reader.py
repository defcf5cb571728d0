#!/usr/bin/env python3
"""SDMX-CSV data reader benchmark: obs/s and peak RSS of read_data next to a bare csv.reader pass.

    .venv/bin/python bench/bench_csv_reader.py [--obs 1000000] [--format csv2|csv]

Generates the file with ../shared/tools/gen_dsm_data.py (cached under var/bench/); each pass runs
in a fresh process so that its maximum RSS is its own. Prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = Path("/work/shared/tools/gen_dsm_data.py")
OUT = ROOT / "var" / "bench"

CHILD = r"""
import csv, io, json, resource, sys, time
sys.path.insert(0, {root!r})
path, mode = sys.argv[1], sys.argv[2]
from sdmx_server.sdmx.data_structure import Component as C, DataStructureInfo
from sdmx_server.sdmx.formats.data_events import Observation, ObservationRows
from sdmx_server.sdmx.formats.sdmx_csv_data_reader import read_data
try:
    from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message
    arts = read_structure_message(open({structure!r}, "rb").read()).artefacts
    dsi = DataStructureInfo.from_artefact(next(a for a in arts if a["type"] == "datastructure"))
except Exception:
    dsi = DataStructureInfo("urn:DSM", tuple(C(d) for d in ("FREQ", "REF_AREA", "CITIZENSHIP", "SEX")),
                            "TIME_PERIOD", (C("OBS_STATUS"),), (C("OBS_VALUE", mandatory=True),))
t = time.perf_counter()
n = 0
with open(path, "rb") as f:
    if mode == "bare":
        for row in csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig", newline="")):
            n += 1
        n -= 1
    else:
        for e in read_data(f, dsi):
            if type(e) is Observation:
                n += 1
            elif type(e) is ObservationRows:
                n += len(e.rows)
dt = time.perf_counter() - t
print(json.dumps({{"obs": n, "seconds": dt, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(path: Path, mode: str) -> dict:
    code = CHILD.format(root=str(ROOT), structure=str(OUT / "dsm_structure.xml"))
    out = subprocess.run([sys.executable, "-c", code, str(path), mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--obs", type=int, default=1_000_000)
    ap.add_argument("--format", choices=("csv", "csv2"), default="csv2")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"dsm_{args.obs}.csv" if args.format == "csv" else f"dsm_{args.obs}.csv2.csv"
    path = OUT / name
    if not path.exists():
        subprocess.run([sys.executable, str(GEN), "--obs", str(args.obs), "--formats", args.format,
                        "--out-dir", str(OUT)], check=True)
    bare, ours = run(path, "bare"), run(path, "reader")
    assert ours["obs"] == bare["obs"], (ours, bare)
    for label, r in (("bare csv.reader", bare), ("sdmx_csv_data_reader", ours)):
        print(f"{label:22} {r['obs']:>9} obs  {r['obs'] / r['seconds']:>10,.0f} obs/s  peak RSS {r['rss_mb']:.0f} MB")
    print(f"ratio reader/bare: speed {(ours['obs'] / ours['seconds']) / (bare['obs'] / bare['seconds']):.2f}, "
          f"peak RSS {ours['rss_mb'] / bare['rss_mb']:.2f}")


if __name__ == "__main__":
    main()
