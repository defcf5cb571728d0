"""CPU time and peak memory of the SDMX-ML data reader on a 1M-observation message, against bare parser passes.

Not a test: a yardstick. Each measurement runs in a fresh subprocess so that its peak RSS
(resource.getrusage ru_maxrss) is its own. The reader is reported as a ratio to two floors over the
same file in the same run (DESIGN.md section 9 asks for ratios): a bare lxml iterparse pass (what
the reader used to be built on) and a bare expat pass with a counting start handler (what it is
built on now). Times are CPU seconds (time.process_time), which other load on a shared machine
disturbs less than wall time; wall seconds are shown too.

    .venv/bin/python bench/bench_data_readers.py [--obs 1000000] [--out-dir var/bench] [--prefix dsm_1000000]
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
KINDS = ("iterparse", "expat", "reader")


def _iterparse(path: str) -> int:
    """lxml iterparse, clearing each series: the old reader's floor."""
    from lxml import etree

    n = 0
    for _, elem in etree.iterparse(path, events=("end",), resolve_entities=False, no_network=True, huge_tree=True):
        if elem.tag == "Obs" or elem.tag.endswith("}Obs"):
            n += 1
        if elem.tag.endswith("Series") or elem.tag == "Series":
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    return n


def _expat(path: str) -> int:
    """expat fed in 64 KB chunks, a start handler counting <Obs>: the new reader's floor."""
    from xml.parsers import expat

    n = 0

    def start(name: str, attrs: list[str]) -> None:
        nonlocal n
        if name == "Obs" or name.endswith(" Obs"):
            n += 1

    p = expat.ParserCreate(namespace_separator=" ")
    p.ordered_attributes = True
    p.StartElementHandler = start
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            p.Parse(chunk, False)
    p.Parse(b"", True)
    return n


def _reader(path: str, structure: str) -> tuple[int, float, float]:
    """Every event of the reader; returns observations and the CPU and wall seconds of reading alone."""
    from sdmx_server.sdmx.data_structure import DataStructureInfo
    from sdmx_server.sdmx.formats.data_events import Observation
    from sdmx_server.sdmx.formats.sdmx_ml_2_1_data_reader import read_data
    from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message

    arts = read_structure_message(Path(structure).read_bytes()).artefacts
    info = DataStructureInfo.from_artefact(next(a for a in arts if a.get("type") == "datastructure"))
    cpu, wall = time.process_time(), time.perf_counter()
    n = 0
    with open(path, "rb") as f:
        for ev in read_data(f, info):
            if type(ev) is Observation:
                n += 1
    return n, time.process_time() - cpu, time.perf_counter() - wall


def _measure(kind: str, path: str, structure: str) -> dict:
    """Run inside the child: read the file once; obs count, CPU and wall seconds, peak RSS in MB."""
    cpu, wall = time.process_time(), time.perf_counter()
    if kind == "reader":
        n, cpu_s, wall_s = _reader(path, structure)
    else:
        n = _iterparse(path) if kind == "iterparse" else _expat(path)
        cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    return {"obs": n, "cpu": cpu_s, "wall": wall_s, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


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
    print(f"{'file':<26}{'pass':<11}{'obs':>9}{'CPU s':>8}{'wall s':>8}{'obs/CPU s':>11}{'peak MB':>9}"
          f"{'÷iterparse':>11}{'÷expat':>8}")
    for path in (ss, generic):
        results = {}
        for kind in KINDS:
            proc = subprocess.run([sys.executable, __file__, "--child", kind, str(path), str(structure)],
                                  check=True, capture_output=True, text=True, cwd=root)
            results[kind] = json.loads(proc.stdout)
        for kind, r in results.items():
            print(f"{path.name:<26}{kind:<11}{r['obs']:>9}{r['cpu']:>8.2f}{r['wall']:>8.2f}{r['obs'] / r['cpu']:>11,.0f}"
                  f"{r['rss_mb']:>9.0f}{r['cpu'] / results['iterparse']['cpu']:>11.2f}"
                  f"{r['cpu'] / results['expat']['cpu']:>8.2f}")


if __name__ == "__main__":
    main()
