#!/usr/bin/env python3
"""SDMX-CSV 1.0/2.0 and SDMX-JSON 1.0/2.0 data writers: observations per second and peak RSS.

    .venv/bin/python bench/bench_csv_json_writers.py [--series 10000] [--periods 100] [--writer NAME]

Not a test: a yardstick for the writers' goals (CSV >= 500k obs/s without labels, SDMX-JSON
>= 300k obs/s). The message is generated lazily, one series at a time, as retrieval makes it from
a cursor: 10,000 series x 100 monthly periods = 1M observations, five dimensions, a data-set
attribute, two series attributes, OBS_STATUS on every observation (P on one in ten), values like
``1234.5``. Each writer runs in a fresh process (so ru_maxrss is its own peak) and its output
chunks are counted, not kept. ``generate`` is the cost of making the message alone; the writer's
own rate is reported both with generation included (``total``) and without (``writer``), in
observations per CPU second of the process, steadier than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITERS = {
    "generate": None,
    "csv-1.0": ("sdmx_csv_1_0_data_writer", {}),
    "csv-2.0": ("sdmx_csv_2_0_data_writer", {}),
    "csv-2.0-labels-both": ("sdmx_csv_2_0_data_writer", {"csv_labels": "both"}),
    "csv-2.0-keys-both": ("sdmx_csv_2_0_data_writer", {"csv_keys": "both"}),
    "csv-2.0-flat": ("sdmx_csv_2_0_data_writer", {"flat": True}),
    "json-1.0": ("sdmx_json_1_0_data_writer", {}),
    "json-2.0": ("sdmx_json_2_0_data_writer", {}),
    "json-2.0-flat": ("sdmx_json_2_0_data_writer", {"flat": True}),
}

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from sdmx_server.sdmx.data_message import DataMessage, DataSetOut, SeriesOut, StructureLabels
from sdmx_server.sdmx.data_structure import Component as C, DataStructureInfo

n_series, n_periods, module, options = {n_series}, {n_periods}, {module!r}, {options!r}
flat = options.pop("flat", False)
dims = ("FREQ", "REF_AREA", "CITIZENSHIP", "SEX", "INDICATOR")
info = DataStructureInfo("urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=DSM:DSD_BENCH(1.0)",
                         tuple(C(d, mandatory=True) for d in dims), "TIME_PERIOD",
                         (C("UNIT_MEASURE", attachment="series", attached_to=dims),
                          C("DECIMALS", attachment="series", attached_to=dims),
                          C("COMMENT_DSET", attachment="dataset"), C("OBS_STATUS")),
                         (C("OBS_VALUE", mandatory=True),))
periods = [f"{{2000 + i // 12}}-{{i % 12 + 1:02d}}" for i in range(n_periods)]
areas = [f"A{{i:03d}}" for i in range(100)]
cits = [f"C{{i:02d}}" for i in range(50)]

def series():
    for s in range(n_series):
        key = ("M", areas[s % 100], cits[(s // 100) % 50], "FM"[s % 2], f"I{{s // 5000}}")
        obs = [((p,), f"{{(s * 7 + i) % 10000}}.{{i % 10}}", {{"OBS_STATUS": "P" if i % 10 == 0 else "A"}})
               for i, p in enumerate(periods)]
        if flat:
            obs = [(key + o, v, a) for (o, v, a) in obs]
            yield SeriesOut((), {{}}, obs)
        else:
            yield SeriesOut(key, {{"UNIT_MEASURE": "PS", "DECIMALS": "1"}}, obs)

ds = DataSetOut("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:BENCH(1.0)", "P1", series(),
                attributes={{"COMMENT_DSET": "generated"}})
if flat:
    packaging = ("AllDimensions", (), dims + ("TIME_PERIOD",))
else:
    packaging = ("TIME_PERIOD", dims, ("TIME_PERIOD",))
msg = DataMessage(info, {{"agencyID": "DSM", "id": "BENCH", "version": "1.0", "names": {{"en": "Bench"}}}},
                  *packaging, iter([ds]), StructureLabels(["en"]), **options)
t = time.process_time()
size = chunks = smallest = 0
if module is None:
    for d in msg.data_sets:
        for s in d.series:
            chunks += len(s.observations)
else:
    import importlib
    writer = importlib.import_module("sdmx_server.sdmx.formats." + module)
    sizes = [len(c) for c in writer.write_data_message(msg)]
    size, chunks, smallest = sum(sizes), len(sizes), min(sizes[:-1] or sizes)
cpu = time.process_time() - t
print(json.dumps({{"cpu": cpu, "size": size, "chunks": chunks, "smallest": smallest,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(name: str, n_series: int, n_periods: int) -> dict:
    spec = WRITERS[name]
    module, options = spec if spec else (None, {})
    code = CHILD.format(root=str(ROOT), n_series=n_series, n_periods=n_periods, module=module, options=dict(options))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--periods", type=int, default=100)
    ap.add_argument("--writer", choices=list(WRITERS), action="append")
    args = ap.parse_args()
    n = args.series * args.periods
    names = args.writer or list(WRITERS)
    base = run("generate", args.series, args.periods) if "generate" not in names[:1] else None
    print(f"{n:,} observations ({args.series:,} series x {args.periods} periods), CPU seconds per process")
    print(f"{'writer':<22}{'cpu s':>8}{'total obs/s':>13}{'writer obs/s':>14}{'MB out':>9}{'chunks':>8}"
          f"{'min chunk':>11}{'peak RSS MB':>13}")
    for name in names:
        r = run(name, args.series, args.periods)
        if name == "generate":
            base = r
            print(f"{name:<22}{r['cpu']:>8.2f}{n / r['cpu']:>13,.0f}{'':>14}{'':>9}{'':>8}{'':>11}{r['rss_mb']:>13.0f}")
            continue
        own = r["cpu"] - base["cpu"]
        print(f"{name:<22}{r['cpu']:>8.2f}{n / r['cpu']:>13,.0f}{n / own:>14,.0f}{r['size'] / 1e6:>9.1f}"
              f"{r['chunks']:>8}{r['smallest']:>11,}{r['rss_mb']:>13.0f}")


if __name__ == "__main__":
    main()
