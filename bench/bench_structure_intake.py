#!/usr/bin/env python3
"""Structure intake: what the XSD check costs next to the rest of reading a structure message.

    .venv/bin/python bench/bench_structure_intake.py [--codes 20000] [--repeat 3]

Not a test. Reads the seed CL_AREA and a generated SDMX-ML 3.0 codelist of ``--codes`` codes (two
names each, like the ESTAT GEO codelist's size), and prints, per message, the best of ``--repeat``
runs of: the safe parse, the official-XSD validation of the parsed tree (libxml2), and the whole
reader (parse + validation + sdmx1 + conversion). The XSD share is validation / whole reader.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sdmx.reader.xml.v30  # noqa: E402,F401

from sdmx_server.sdmx.formats.sdmx_ml_schemas import message_schema, validate_message  # noqa: E402
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message  # noqa: E402
from sdmx_server.sdmx.xml_safety import parse_xml  # noqa: E402


def codelist(n: int) -> bytes:
    codes = "".join(f'<str:Code id="C{i:06d}"><com:Name xml:lang="en">Area {i}</com:Name>'
                    f'<com:Name xml:lang="ru">Территория {i}</com:Name></str:Code>' for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><mes:Structure '
            f'xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message" '
            f'xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure" '
            f'xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"><mes:Header><mes:ID>B</mes:ID>'
            f'<mes:Test>true</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared><mes:Sender id="B"/>'
            f'</mes:Header><mes:Structures><str:Codelists><str:Codelist agencyID="B" id="CL_BIG" version="1.0">'
            f'<com:Name xml:lang="en">Big</com:Name>{codes}</str:Codelist></str:Codelists></mes:Structures>'
            f'</mes:Structure>').encode()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--codes", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t = time.perf_counter()
    message_schema("2.1"), message_schema("3.0")
    print(f"schemas loaded (once per process): {time.perf_counter() - t:.3f} s")
    cases = {"seed CL_AREA (2.1)": ((ROOT / "codelists/CL_AREA.xml").read_bytes(), "2.1"),
             f"generated {args.codes}-code codelist (3.0)": (codelist(args.codes), "3.0")}
    for name, (body, version) in cases.items():
        root = parse_xml(body)
        parse = best(lambda: parse_xml(body), args.repeat)
        xsd = best(lambda: validate_message(root, version), args.repeat)
        whole = best(lambda: read_structure_message(body), args.repeat)
        print(f"{name}: {len(body) / 1e6:.2f} MB  parse {parse * 1000:.1f} ms  xsd {xsd * 1000:.1f} ms  "
              f"whole reader {whole * 1000:.0f} ms  xsd share {xsd / whole:.1%}")


if __name__ == "__main__":
    main()
