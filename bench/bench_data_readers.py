"""Throughput and peak memory of the SDMX-ML data readers on a 1M-observation message.

Not a test: a yardstick. Each measurement runs in a fresh subprocess so that its peak RSS
(resource.getrusage ru_maxrss) is its own, and every reader is reported as a ratio to a bare
lxml iterparse pass over the same file in the same run (DESIGN.md section 9 asks for ratios).

    .venv/bin/python bench/bench_data_readers.py [--obs 1000000] [--out-dir /tmp/dsm1m]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

GEN = "/work/shared/tools/gen_dsm_data.py"


def _measure(kind: str, path: str, structure: str) -> dict:
    """Run inside the child: read the file once, return obs count, seconds and peak RSS in MB."""
    from lxml import etree

    start = time.perf_counter()
    n = 0
    if kind == "iterparse":
        for _, elem in etree.iterparse(path, events=("end",), resolve_entities=False, no_network=True,
                                       huge_tree=True):
            if elem.tag == "Obs" or elem.tag.endswith("}Obs"):
                n += 1
            if elem.tag.endswith("Series") or elem.tag == "Series":
                elem.clear()
                while elem.getprevious() is not None:
                    del elem.getparent()[0]
    else:
        from sdmx_server.sdmx.data_structure import DataStructureInfo
        from sdmx_server.sdmx.formats.data_events import Observation
        from sdmx_server.sdmx.formats.sdmx_ml_2_1_data_reader import read_data
        from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message

        arts = read_structure_message(Path(structure).read_bytes()).artefacts
        info = DataStructureInfo.from_artefact(next(a for a in arts if a.get("type") == "datastructure"))
        start = time.perf_counter()
        with open(path, "rb") as f:
            for ev in read_data(f, info):
                if type(ev) is Observation:
                    n += 1
    seconds = time.perf_counter() - start
    return {"obs": n, "seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=int, default=1_000_000)
    ap.add_argument("--out-dir", default="/tmp/dsm1m")
    ap.add_argument("--prefix", default="dsm_1m")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return
    out = Path(args.out_dir)
    ss, generic = out / f"{args.prefix}_ss.xml", out / f"{args.prefix}_generic.xml"
    structure = out / "dsm_structure.xml"
    if not (ss.exists() and generic.exists() and structure.exists()):
        subprocess.run([sys.executable, GEN, "--obs", str(args.obs), "--out-dir", str(out), "--prefix", args.prefix,
                        "--formats", "ss,generic"], check=True)
    root = Path(__file__).resolve().parent.parent
    print(f"{'file':<22}{'pass':<12}{'obs':>9}{'obs/s':>11}{'peak MB':>9}{'speed ratio':>13}{'RSS ratio':>11}")
    for path in (ss, generic):
        results = {}
        for kind in ("iterparse", "reader"):
            proc = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(structure)],
                                  check=True, capture_output=True, text=True, cwd=root)
            results[kind] = json.loads(proc.stdout)
        base = results["iterparse"]
        for kind, r in results.items():
            rate = r["obs"] / r["seconds"]
            ratio = rate / (base["obs"] / base["seconds"])
            print(f"{path.name:<22}{kind:<12}{r['obs']:>9}{rate:>11,.0f}{r['rss_mb']:>9.0f}{ratio:>13.2f}"
                  f"{r['rss_mb'] / base['rss_mb']:>11.2f}")


if __name__ == "__main__":
    main()
