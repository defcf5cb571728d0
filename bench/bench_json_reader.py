#!/usr/bin/env python3
"""SDMX-JSON data reader: peak RSS on a small and a 10x larger message, and their ratio.

    .venv/bin/python bench/bench_json_reader.py [--obs 100000] [--factor 10] [--json-load]

Not a test: a yardstick for the "memory does not grow with the message" rule. The messages are
made from ../shared/tools/gen_dsm_data.py's SDMX-CSV output (cached under var/bench/), converted
here to SDMX-JSON in three layouts:

* ``ts``    SDMX-JSON 1.0, structure first, time series (dimensionAtObservation=TIME_PERIOD)
* ``flat``  SDMX-JSON 1.0, structure first, flat observations (AllDimensions)
* ``late``  SDMX-JSON 2.0 with ``data.dataSets`` before ``data.structures``: the reader's
  fallback, which buffers the data sets to a temporary file and decodes them in a second pass

Each read runs in a fresh process (obs/s: the message's observations per CPU second of the process, steadier than wall time
on a shared machine), so its maximum RSS (getrusage ru_maxrss) is its own; a bare
ijson pass over the same file is the yardstick for speed. ``--json-load`` adds json.load (what
the reader did before it streamed) for comparison.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT.parent / "shared" / "tools" / "gen_dsm_data.py"
if not GEN.exists():
    GEN = Path("/work/shared/tools/gen_dsm_data.py")
OUT = ROOT / "var" / "bench"
DIMS = ("FREQ", "REF_AREA", "CITIZENSHIP", "SEX")

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
path, mode = sys.argv[1], sys.argv[2]
from sdmx_server.sdmx.data_structure import Component as C, DataStructureInfo
from sdmx_server.sdmx.formats.data_events import Observation
dsi = DataStructureInfo("urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=DSM:DSD_MIGR(1.0)",
                        tuple(C(d, mandatory=True) for d in {dims!r}), "TIME_PERIOD",
                        (C("OBS_STATUS"),), (C("OBS_VALUE"),))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.process_time()
n = 0
with open(path, "rb") as f:
    if mode == "ijson":
        import ijson
        for ev, _ in ijson.basic_parse(f, use_float=False):
            n += 1
    elif mode == "json.load":
        msg = json.load(f)
        for ds in msg.get("dataSets") or msg["data"]["dataSets"]:
            n += sum(len(s["observations"]) for s in ds.get("series", {{}}).values()) + len(ds.get("observations", {{}}))
    else:
        from sdmx_server.sdmx.formats.sdmx_json_data_reader import read_data
        for e in read_data(f, dsi):
            if type(e) is Observation:
                n += 1
dt = time.process_time() - t
print(json.dumps({{"obs": n, "seconds": dt, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "start_mb": base}}))
"""


def csv_file(obs: int) -> Path:
    path = OUT / f"dsm_{obs}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(GEN), "--obs", str(obs), "--formats", "csv", "--out-dir", str(OUT),
                        "--prefix", f"dsm_{obs}"], check=True, stdout=subprocess.DEVNULL)
    return path


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        at = {c: i for i, c in enumerate(header)}
        for row in reader:
            yield (tuple(row[at[d]] for d in DIMS), row[at["TIME_PERIOD"]], row[at["OBS_VALUE"]],
                   row[at["OBS_STATUS"]])


def _component(cid: str, values: list[str], **extra) -> dict:
    return {"id": cid, "name": cid, **extra, "values": [{"id": v, "name": v} for v in values]}


def convert(src: Path, layout: str) -> Path:
    """SDMX-CSV 1.0 rows (series contiguous, as the generator writes them) to an SDMX-JSON message.

    Two passes over the CSV, none over memory: the first collects the value lists (as large as
    the structure), the second writes the data sets row by row.
    """
    dst = src.with_name(f"{src.stem}.{layout}.json")
    if dst.exists():
        return dst
    values: list[dict[str, int]] = [{} for _ in DIMS]
    periods: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for key, period, _, status in _rows(src):
        for i, v in enumerate(key):
            values[i].setdefault(v, len(values[i]))
        periods.setdefault(period, len(periods))
        statuses.setdefault(status, len(statuses))
    dims = [_component(d, list(values[i]), keyPosition=i) for i, d in enumerate(DIMS)]
    time_dim = _component("TIME_PERIOD", list(periods), keyPosition=len(DIMS), role="TIME_PERIOD")
    obs_attr = _component("OBS_STATUS", list(statuses))
    flat = layout == "flat"
    structure = {
        "links": [{"href": "http://example.org/dataflow/DSM/DF_MIGR/1.0", "rel": "dataflow",
                   "urn": "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_MIGR(1.0)"}],
        "dimensions": {"dataSet": [], "series": [] if flat else dims,
                       "observation": dims + [time_dim] if flat else [time_dim]},
        "attributes": {"dataSet": [], "series": [], "observation": [obs_attr]},
    }
    if layout == "late":
        structure["measures"] = {"observation": [{"id": "OBS_VALUE", "name": "Observation value"}]}

    def obs_array(value: str, status: str) -> str:
        return f"[{'null' if value == 'NaN' else value},{statuses[status]}]"

    with open(dst, "w", encoding="utf-8", buffering=1 << 20) as out:
        w = out.write
        if layout == "late":
            w('{"meta":{"id":"BENCH","prepared":"2024-01-01T00:00:00Z","sender":{"id":"DSM"}},"data":{')
        else:
            w('{"header":{"id":"BENCH","prepared":"2024-01-01T00:00:00Z","sender":{"id":"DSM"}},')
            w('"structure":' + json.dumps(structure) + ",")
        w('"dataSets":[{"action":"Information",' + ('"observations":{' if flat else '"series":{'))
        first_series, current = True, None
        for key, period, value, status in _rows(src):
            idx = ":".join(str(values[i][v]) for i, v in enumerate(key))
            if flat:
                w(("" if first_series else ",") + f'"{idx}:{periods[period]}":{obs_array(value, status)}')
                first_series = False
                continue
            if key != current:
                w(("" if first_series else "}},") + f'"{idx}":{{"attributes":[],"observations":{{')
                first_series, current, first_obs = False, key, True
            w(("" if first_obs else ",") + f'"{periods[period]}":{obs_array(value, status)}')
            first_obs = False
        w("}}]" if flat else ("}}}}]" if not first_series else "}}]"))
        if layout == "late":
            w(',"structures":[' + json.dumps(structure) + "]}}")
        else:
            w("}")
    return dst


def run(path: Path, mode: str) -> dict:
    code = CHILD.format(root=str(ROOT), dims=DIMS)
    out = subprocess.run([sys.executable, "-c", code, str(path), mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=int, default=100_000, help="observations in the small message")
    ap.add_argument("--factor", type=int, default=10, help="how many times larger the large message is")
    ap.add_argument("--layouts", default="ts,flat,late")
    ap.add_argument("--json-load", action="store_true", help="also measure json.load (the old reader)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = (args.obs, args.obs * args.factor)
    modes = ["ijson", "reader"] + (["json.load"] if args.json_load else [])
    print(f"{'layout':<6}{'pass':<11}{'obs':>9}{'MB file':>9}{'obs/s':>11}{'peak RSS MB':>13}"
          f"{'over start':>12}")
    for layout in args.layouts.split(","):
        results: dict[tuple[str, int], dict] = {}
        for size in sizes:
            path = convert(csv_file(size), layout)
            mb = path.stat().st_size / 1e6
            for mode in modes:
                r = results[(mode, size)] = run(path, mode)
                if mode == "reader":
                    assert r["obs"] == size, (layout, size, r)
                print(f"{layout:<6}{mode:<11}{size:>9}{mb:>9.0f}{size / r['seconds']:>11,.0f}"
                      f"{r['rss_mb']:>13.1f}{r['rss_mb'] - r['start_mb']:>12.1f}")
        for mode in modes:
            small, large = results[(mode, sizes[0])], results[(mode, sizes[1])]
            print(f"{layout:<6}{mode:<11}peak RSS ratio {args.factor}x message / 1x: "
                  f"{large['rss_mb'] / small['rss_mb']:.2f}")
        reader, bare = results[("reader", sizes[1])], results[("ijson", sizes[1])]
        print(f"{layout:<6}reader speed / bare ijson pass: {reader['seconds'] and bare['seconds'] / reader['seconds']:.2f}")


if __name__ == "__main__":
    main()
