#!/usr/bin/env python3
"""The Excel documentation template (issue 17): time to write it and to read a filled-in copy back, and the
worst case the reader accepts (MAX_ROWS rows of answers, each text cell long).

    PYTHONPATH=. .venv/bin/python bench/bench_documentation_excel.py [--repeat 20]

Uses the committed MSD's 43 attributes with made-up labels and codes (no database): the workbook's cost, not
the store's. Prints milliseconds per template and per read, and the worst case's size and read time.
"""

from __future__ import annotations

import argparse
import io
import time

from openpyxl import load_workbook

from sdmx_server.sdmx.formats.excel_documentation_reader import MAX_ROWS, read_documentation_workbook
from sdmx_server.sdmx.formats.excel_documentation_template import Question, Target, write_documentation_template


def questions() -> list[Question]:
    out = []
    for i in range(43):
        if i % 3 == 0:
            codes = [(f"C{j}", f"Code {j} — a name of some length") for j in range(8)]
            out.append(Question(f"ATTR_{i}", f"Question {i} about the data", "code", i % 2 == 0, 8, codes,
                                values=["C1", "C3"]))
        else:
            out.append(Question(f"ATTR_{i}", f"Question {i} about the data", "text", False, 1,
                                texts=[{"en": "An answer " * 20, "ru": "Ответ " * 20}]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    target = Target("urn:mdf", "urn:flow", "KZ", "DOC_X", {"en": "Doc", "ru": "Док"}, "Indicator", "Kazakhstan")
    qs = questions()
    t = time.perf_counter()
    for _ in range(args.repeat):
        body = write_documentation_template(target, qs, "en")
    write_ms = (time.perf_counter() - t) * 1000 / args.repeat
    t = time.perf_counter()
    for _ in range(args.repeat):
        (s,) = read_documentation_workbook(body)
    read_ms = (time.perf_counter() - t) * 1000 / args.repeat
    print(f"template: {len(body)} bytes, {write_ms:.1f} ms to write; read back {len(s.values)} answers in "
          f"{read_ms:.1f} ms")
    wb = load_workbook(io.BytesIO(body))
    sheet = wb["Documentation"]
    for r in range(3, MAX_ROWS + 2):
        sheet.cell(r, 1, "ATTR_1")
        sheet.cell(r, 5, "x" * 2000)
    out = io.BytesIO()
    wb.save(out)
    t = time.perf_counter()
    (s,) = read_documentation_workbook(out.getvalue())
    print(f"worst case: {MAX_ROWS} rows of 2000-character texts, {len(out.getvalue())} bytes, read in "
          f"{(time.perf_counter() - t) * 1000:.0f} ms ({len(s.values)} answers)")


if __name__ == "__main__":
    main()
