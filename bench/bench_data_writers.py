"""Speed and peak memory of the SDMX-ML data writers on a 1M-observation answer built lazily in memory.

Not a test: a yardstick. The message is 10,000 series x 100 quarters of the DSM asylum-decisions DSD,
made series by series by a generator (as retrieval makes them from a cursor), so it is never all in
memory; one observation in four carries OBS_STATUS and a free-text OBS_COMMENT, one comment in ten with
an "&" to escape (``--attrs all``: every observation). Each writer runs in a fresh subprocess so that its
peak RSS (ru_maxrss) is its own, and a "generate" pass that only walks the same message tells what
building it costs, so the writer's own rate is shown too: observations / (writer CPU - generation CPU).
Times are CPU seconds (time.process_time), the best of ``--repeat`` runs since other load on a shared
machine only ever adds; wall seconds are shown too. DESIGN.md section 9: string-template writers did
600-730k obs/s; the goal is at least 600k obs/s in the writer itself.

    .venv/bin/python bench/bench_data_writers.py [--series 10000] [--periods 100] [--attrs some|all]
        [--dao TIME_PERIOD|AllDimensions] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from sdmx_server.sdmx.data_message import DataMessage
    from sdmx_server.sdmx.data_structure import DataStructureInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRITERS = {  # label -> (module, variant)
    "generic-2.1": ("sdmx_ml_2_1_generic_data_writer", ""),
    "generic-ts-2.1": ("sdmx_ml_2_1_generic_data_writer", "timeseries"),
    "ss-2.1": ("sdmx_ml_2_1_structure_specific_data_writer", ""),
    "ss-ts-2.1": ("sdmx_ml_2_1_structure_specific_data_writer", "timeseries"),
    "ss-3.0": ("sdmx_ml_3_0_data_writer", ""),
}
DSD = ROOT / "structures" / "DSD_ASYLUM_DECISIONS.xml"


def build_message(n_series: int, n_periods: int, attrs: str, dao: str | None = None) -> DataMessage:
    """A DataMessage whose series are generated one at a time."""
    from sdmx_server.sdmx.data_message import DataMessage, DataSetOut, SeriesOut, StructureLabels, packaging
    from sdmx_server.sdmx.data_structure import DataStructureInfo
    from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message

    arts = read_structure_message(DSD.read_bytes()).artefacts
    info = DataStructureInfo.from_artefact(next(a for a in arts if a.get("type") == "datastructure"))
    dao, series_dims, obs_dims = packaging(info, dao)
    if dao != "TIME_PERIOD":  # regroup the same observations: one SeriesOut per series, full keys
        return _repackaged(info, dao, series_dims, obs_dims, build_message(n_series, n_periods, attrs))
    periods = [f"{2000 + q // 4}-Q{q % 4 + 1}" for q in range(n_periods)]
    areas = [f"C{i:02d}" for i in range(40)]
    every = 1 if attrs == "all" else 4

    def series() -> Iterator[SeriesOut]:
        for s in range(n_series):
            key = ("Q", areas[s % 40], areas[(s // 40) % 40], "FMT"[s % 3], f"D{s // 1600}")
            obs = []
            for i, p in enumerate(periods):
                note = f"estimate {i}: persons & cases" if i % 10 == 0 else f"estimate {i}, persons"
                a = {"OBS_STATUS": "P", "OBS_COMMENT": note} if (s + i) % every == 0 else None
                obs.append(((p,), str(s * 7 + i * 13), a))
            yield SeriesOut(key, {"UNIT_MEASURE": "PERS"}, obs)

    flow = {"agencyID": "DSM", "id": "ASYLUM_DECISIONS", "version": "1.0"}
    ds = DataSetOut("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:ASYLUM_DECISIONS(1.0)", "KZ", series())
    return DataMessage(info, flow, dao, series_dims, obs_dims, iter([ds]), StructureLabels(["en"]))


def _repackaged(info: DataStructureInfo, dao: str, series_dims: tuple[str, ...], obs_dims: tuple[str, ...],
                message: DataMessage) -> DataMessage:
    """The time-series message's observations as cross-sections or flat (lazily, series by series)."""
    from dataclasses import replace

    from sdmx_server.sdmx.data_message import DataSetOut, SeriesOut

    ds = next(iter(message.data_sets))
    keys = info.key_ids
    pos = [keys.index(d) for d in obs_dims]

    def series() -> Iterator[SeriesOut]:
        for s in ds.series:  # flat: every observation with its full key, the series' attributes on each
            yield SeriesOut((), s.attributes, [(tuple((*s.key, o[0][0])[p] for p in pos), o[1], o[2])
                                               for o in s.observations])

    return replace(message, dimension_at_observation=dao, series_dimensions=series_dims, obs_dimensions=obs_dims,
                   data_sets=iter([DataSetOut(ds.dataflow_urn, ds.provider, series())]))


def run_one(label: str, args: argparse.Namespace) -> dict:
    """One measurement in this process: obs, CPU and wall seconds (best of ``repeat``), characters, chunks,
    peak RSS."""
    import importlib

    best: dict = {}
    before = 0.0
    for _ in range(args.repeat):
        message = build_message(args.series, args.periods, args.attrs, args.dao)
        before = before or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # imports, DSD
        wall, cpu = time.perf_counter(), time.process_time()
        chars = chunks = 0
        if label == "generate":
            for ds in message.data_sets:
                for s in ds.series:
                    chunks += len(s.observations)
        else:
            module, variant = WRITERS[label]
            writer = importlib.import_module(f"sdmx_server.sdmx.formats.{module}")
            for chunk in writer.write_data_message(message, variant):
                chars += len(chunk)
                chunks += 1
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if not best or cpu < best["cpu"]:
            best = {"label": label, "obs": args.series * args.periods, "cpu": cpu, "wall": wall, "chars": chars,
                    "chunks": chunks}
    return best | {"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_mb": before}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--periods", type=int, default=100)
    ap.add_argument("--attrs", choices=("some", "all"), default="some")
    ap.add_argument("--dao", default="TIME_PERIOD", choices=("TIME_PERIOD", "AllDimensions"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args)))
        return
    results = {}
    writers = [w for w in WRITERS if args.dao == "TIME_PERIOD" or not w.endswith("-ts-2.1")]
    for label in ("generate", *writers):
        out = subprocess.run([sys.executable, __file__, "--one", label, "--series", str(args.series),
                              "--periods", str(args.periods), "--attrs", args.attrs, "--dao", args.dao,
                              "--repeat", str(args.repeat)], check=True, capture_output=True, text=True).stdout
        results[label] = json.loads(out)
    base = results["generate"]
    print(f"{base['obs']:,} observations ({args.series:,} series x {args.periods}, {args.dao}), attributes on "
          f"{'every' if args.attrs == 'all' else 'one in four'} observation; generating the message alone: "
          f"{base['cpu']:.2f} s CPU, peak RSS {base['rss_mb']:.0f} MB ({base['rss_before_mb']:.0f} MB after imports)")
    print(f"{'writer':16} {'CPU s':>7} {'wall s':>7} {'obs/s (all)':>12} {'obs/s (writer)':>15} "
          f"{'MB out':>7} {'chunks':>7} {'peak RSS MB':>12} {'growth MB':>10}")
    for label in writers:
        r = results[label]
        own = r["cpu"] - base["cpu"]
        print(f"{label:16} {r['cpu']:7.2f} {r['wall']:7.2f} {r['obs'] / r['cpu']:12,.0f} {r['obs'] / own:15,.0f} "
              f"{r['chars'] / 1e6:7.1f} {r['chunks']:7,} {r['rss_mb']:12.0f} {r['rss_mb'] - r['rss_before_mb']:10.0f}")


if __name__ == "__main__":
    main()
