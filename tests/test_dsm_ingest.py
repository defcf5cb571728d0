"""The synthetic migration set of ../shared/tools/gen_dsm_data.py in every input format it writes.

Each shape of the same observations (structure-specific, generic, SDMX-CSV 1.0 and 2.0) must
store exactly what sdmx1 reads from the structure-specific file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sdmx
from sqlalchemy import text

from sdmx_server.seeding import load_structures, read_files

from .conftest import SPECIMENS
from .db_dump import dump

GEN = SPECIMENS.parent / "tools" / "gen_dsm_data.py"
ROOT = Path(__file__).resolve().parent.parent
URL = "/rest/v2/data/dataflow/DSM/DF_MIGR/1.0?provider=KZ"


@pytest.fixture(scope="session")
def dsm_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dsm")
    subprocess.run([sys.executable, str(GEN), "--obs", "3000", "--out-dir", str(out), "--prefix", "small",
                    "--formats", "ss,generic,csv,csv2"], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def expected(dsm_files) -> dict[tuple[str, str], tuple[str, str]]:
    dsd = sdmx.read_sdmx(dsm_files / "dsm_structure.xml").structure["DSD_MIGR"]
    msg = sdmx.read_sdmx(dsm_files / "small_ss.xml", structure=dsd)
    out = {}
    for obs in msg.data[0].obs:
        values = {k: str(v.value) for k, v in obs.key.values.items()}
        series = ".".join(values[d] for d in ("FREQ", "REF_AREA", "CITIZENSHIP", "SEX"))
        out[(series, values["TIME_PERIOD"])] = (number(obs.value), str(obs.attached_attribute["OBS_STATUS"].value))
    return out


@pytest.fixture
def dsm(engine, dsm_files):
    load_structures(engine, read_files([dsm_files / "dsm_structure.xml", ROOT / "bench" / "dsm_provision.xml"]))
    return dsm_files


def stored(engine) -> dict[tuple[str, str], tuple[str, str]]:
    import json

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.value, o.attributes FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {(k, p): (number(v), json.loads(a)["OBS_STATUS"]) for k, p, v, a in rows}


def number(value) -> str:
    """Comparable text of a value: NaN (a missing figure) equals NaN here."""
    f = float(value) if value not in (None, "") else float("nan")
    return "NaN" if f != f else repr(f)


@pytest.mark.parametrize("name", ["small_ss.xml", "small_generic.xml", "small.csv", "small.csv2.csv"])
def test_every_format_stores_what_sdmx1_reads(engine, admin, dsm, expected, name):
    r = admin("POST", URL, (dsm / name).read_bytes(), **{"Content-Type": "text/csv" if "csv" in name else "application/xml"})
    assert r.status_code == 200, r.data[:1500]
    assert r.get_json()["observations"]["inserted"] == len(expected) == 3000
    assert stored(engine) == expected


def test_csv_without_a_dimension_column_is_refused(engine, admin, dsm):
    before = dump(engine)
    lines = (dsm / "small.csv").read_text().splitlines()
    cut = "\n".join(",".join(cell for i, cell in enumerate(line.split(",")) if i != 3) for line in lines)
    r = admin("POST", URL, cut.encode(), **{"Content-Type": "text/csv"})
    assert r.status_code == 422 and b"CITIZENSHIP" in r.data and b"row 1" in r.data
    assert dump(engine) == before


def test_csv_errors_name_row_and_column(engine, admin, dsm):
    before = dump(engine)
    lines = (dsm / "small.csv").read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",Z"  # OBS_STATUS Z is not a code
    lines[7] = lines[7].rsplit(",", 2)[0] + ",many,A"  # OBS_VALUE must be a number
    r = admin("POST", URL, "\n".join(lines).encode(), Accept="application/problem+json",
              **{"Content-Type": "text/csv"})
    problem = r.get_json()
    assert r.status_code == 422, problem
    assert {(e["rule"], e["where"]) for e in problem["errors"]} == {
        ("unknown-code", "row 6, column OBS_STATUS"), ("not-a-number", "row 8, column OBS_VALUE")}
    assert dump(engine) == before
