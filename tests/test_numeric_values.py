"""Figures of a numeric measure compare as numbers: ``1038.0`` over a stored ``1038`` (as pysdmx writes
them) is no update, no revision, and the stored text is still what is served; a String measure keeps
comparing the text as reported. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import text

from sdmx_server.sdmx.artefacts import urn_for, urn_of
from sdmx_server.seeding import load_structures
from sdmx_server.storage.artefact_store import ArtefactStore

from .access_world import _seed_artefacts
from .test_data_submission import provision

pytestmark = pytest.mark.storage

HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
CSV = {"Content-Type": "text/csv", "Accept": "application/json"}


def csv(flow: str, values: dict[str, str], status: str = "A") -> bytes:
    rows = [HEAD] + [f"dataflow,DSM:{flow}(1.0),I,S,KZ,{key.split('.')[0]},{key.split('.')[1]},2024-S1,{value},PS,"
                     f"{status}" for key, value in values.items()]
    return "\n".join(rows).encode()


@pytest.fixture
def seeded(engine):
    load_structures(engine, list(_seed_artefacts()))


def post(admin, flow: str, values: dict[str, str], status: str = "A") -> dict:
    r = admin("POST", f"/rest/v2/data/dataflow/DSM/{flow}/1.0?provider=KZ", csv(flow, values, status), **CSV)
    assert r.status_code == 200, r.data[:1000]
    return r.get_json()


def current(engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.value, o.attributes FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {k.split(".")[2]: (v, a) for k, v, a in rows}


def closed(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM observation WHERE valid_to IS NOT NULL")).scalar()


CITIZENS = ["UZ", "TJ", "KG", "RU", "CN", "TR", "AF", "IN"]
STORED = {f"{c}.{s}": str(1000 + 10 * i + j) for i, c in enumerate(CITIZENS) for j, s in enumerate("FM")}


def test_a_number_written_otherwise_is_no_update(app, engine, admin, seeded):
    assert post(admin, "DF_STOCK_FOREIGNERS", STORED)["observations"]["inserted"] == 16
    again = {k: f"{v}.0" for k, v in STORED.items()}  # pysdmx writes floats
    again["UZ.F"] = "1001.0"  # the one real change
    counts = post(admin, "DF_STOCK_FOREIGNERS", again)["observations"]
    assert counts == {"read": 16, "inserted": 0, "updated": 1, "deleted": 0}
    assert closed(engine) == 1


def test_served_text_and_revisions(app, engine, admin, seeded):
    first = post(admin, "DF_STOCK_FOREIGNERS", STORED)
    again = {k: f"{v}.0" for k, v in STORED.items()}
    again["UZ.F"] = "1001.0"
    second = post(admin, "DF_STOCK_FOREIGNERS", again)
    with engine.connect() as conn:
        values = dict(conn.execute(text("SELECT s.series_key, o.value FROM observation o JOIN series s "
                                        "ON s.id = o.series_id WHERE o.valid_to IS NULL")).all())
    assert values["S.KZ.TJ.F"] == "1010" and values["S.KZ.UZ.F"] == "1001.0"  # the stored text stays
    r = admin("GET", "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.TJ.F", Accept="application/vnd.sdmx.data+csv")
    lines = r.get_data(as_text=True).splitlines()
    assert r.status_code == 200 and dict(zip(lines[0].split(","), lines[1].split(",")))["OBS_VALUE"] == "1010"
    r = admin("GET", f"/api/submissions/{second['submission']}/revisions", Accept="application/json")
    assert r.status_code == 200, r.data[:500]
    body = r.get_json()
    revisions = body["revisions"] if isinstance(body, dict) else body
    assert len(revisions) == 1, body
    assert first["submission"] != second["submission"]


def test_a_status_change_keeps_the_stored_number(app, engine, admin, seeded):
    post(admin, "DF_STOCK_FOREIGNERS", {"UZ.F": "1038"})
    counts = post(admin, "DF_STOCK_FOREIGNERS", {"UZ.F": "1038.0"}, status="E")["observations"]
    assert counts["updated"] == 1
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT value, attributes, valid_to IS NULL FROM observation ORDER BY id")).all()
    assert [(v, c) for v, _, c in rows] == [("1038", False), ("1038", True)]
    assert '"OBS_STATUS":"E"' in rows[1][1]


@pytest.mark.parametrize("old,new,changes", [("1038", "1038.0", 0), ("1038", "1.038e3", 0), ("1038", "+1038", 0),
                                             ("1038", "1039", 1), ("NaN", "0", 1), ("0", "NaN", 1), ("", "0", 1),
                                             ("0.1", "0.10", 0), ("1038", "1038.0000001", 1)])
def test_numbers_compare_as_numbers(app, engine, admin, seeded, old, new, changes):
    post(admin, "DF_STOCK_FOREIGNERS", {"UZ.F": old})
    assert post(admin, "DF_STOCK_FOREIGNERS", {"UZ.F": new})["observations"]["updated"] == changes


def test_a_string_measure_compares_text(app, engine, admin, seeded):
    """Where the DSD says OBS_VALUE is a String, ``1038.0`` is another value than ``1038``."""
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        dsd = copy.deepcopy(store.get(urn_for("datastructure", "DSM", "DSD_MIGRATION", "1.0")))
        dsd["id"] = "DSD_TEXT"
        measure = dsd["dataStructureComponents"]["measureList"]["measures"][0]
        measure["localRepresentation"] = {"format": {"dataType": "String"}}
        store.put(dsd)
    provision(engine, "DSM", "DF_TEXT", urn_of(dsd), "KZ")
    post(admin, "DF_TEXT", {"UZ.F": "1038"})
    assert post(admin, "DF_TEXT", {"UZ.F": "1038.0"})["observations"]["updated"] == 1
