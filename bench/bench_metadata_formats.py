#!/usr/bin/env python3
"""Reference metadata formats: write and read N documentation sets in SDMX-ML 3.0, SDMX-JSON 2.0 and SDMX-CSV 2.0.

    PYTHONPATH=. .venv/bin/python bench/bench_metadata_formats.py [--sets 2000]

Each set is like a country's documentation of one indicator (text in two languages, repeated codes, dates).
Prints, per format, the body size and the time to write and to read it back, and checks the read sets carry
what was written (so a fast but lossy reader would fail here rather than look good).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_reader import read_metadata_csv
from sdmx_server.sdmx.formats.sdmx_csv_2_0_metadata_writer import write_metadata_csv
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_reader import read_metadata_json
from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_writer import write_metadata_json
from sdmx_server.sdmx.formats.sdmx_ml_3_0_metadata import read_metadata_message, write_metadata_message
from sdmx_server.sdmx.metadata_set import AttributeValue, MetadataSet

MDF = "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=DSM:MDF_DATA_DOCUMENTATION(1.0)"


def make(n: int) -> list[MetadataSet]:
    out = []
    for i in range(n):
        values = [AttributeValue(f"TEXT_{k}", texts={"en": (f"Definition {i}.{k}; with \"quotes\" " * 8).strip(),
                                                      "ru": (f"Определение {i}.{k} " * 8).strip()}) for k in range(20)]
        values += [AttributeValue("DATA_SOURCE", value=c) for c in ("POP_REGISTER", "RES_PERMIT", "SURVEY")]
        values += [AttributeValue(f"DAY_{k}", value="2026-06-30") for k in range(5)]
        out.append(MetadataSet(f"DOC_{i}", MDF, f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_{i}(1.0)",
                               "KZ", {"en": f"Documentation {i}"}, tuple(values),
                               valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc), version=1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=2000)
    sets = make(ap.parse_args().sets)
    writers = {"SDMX-ML 3.0": lambda: write_metadata_message(sets, message_id="B", prepared=datetime.now(timezone.utc)),
               "SDMX-JSON 2.0": lambda: write_metadata_json(sets, ["en"]),
               "SDMX-CSV 2.0": lambda: write_metadata_csv(sets)}
    readers = {"SDMX-ML 3.0": read_metadata_message, "SDMX-JSON 2.0": read_metadata_json,
               "SDMX-CSV 2.0": read_metadata_csv}
    values = sum(len(s.values) for s in sets)
    print(f"{len(sets)} sets, {values} attribute values")
    for name, write in writers.items():
        t0 = time.perf_counter()
        body = write()
        t1 = time.perf_counter()
        back = readers[name](body)
        t2 = time.perf_counter()
        assert len(back) == len(sets) and sum(len(s.values) for s in back) == values, name
        assert back[-1].values[0].texts == sets[-1].values[0].texts, name
        print(f"{name:14} {len(body) / 1e6:7.1f} MB  write {t1 - t0:6.2f} s  read {t2 - t1:6.2f} s  "
              f"({values / (t2 - t1):,.0f} values/s read)")


if __name__ == "__main__":
    main()
