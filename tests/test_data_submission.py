"""Data submission over HTTP: real specimens stored equal to sdmx1's reading; bad input stores nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import sdmx
from sqlalchemy import text

from sdmx_server.sdmx.artefacts import urn_for
from sdmx_server.seeding import load_structures, read_files
from sdmx_server.storage.artefact_store import ArtefactStore

from .db_dump import dump


def provision(engine, agency: str, flow_id: str, dsd_urn: str, provider: str = "ECB") -> str:
    """A dataflow over the DSD, a provider scheme and a provision agreement: what submission requires."""
    flow = {"type": "dataflow", "agencyID": agency, "id": flow_id, "version": "1.0", "isFinal": True,
            "names": {"en": flow_id}, "structure": dsd_urn}
    providers = {"type": "dataproviderscheme", "agencyID": agency, "id": "DATA_PROVIDERS", "version": "1.0",
                 "isFinal": True, "names": {"en": "Providers"}, "dataProviders": [{"id": provider, "names": {"en": provider}}]}
    pa = {"type": "provisionagreement", "agencyID": agency, "id": f"PA_{flow_id}_{provider}", "version": "1.0",
          "isFinal": True, "names": {"en": "agreement"}, "dataflow": urn_for("dataflow", agency, flow_id, "1.0"),
          "dataProvider": urn_for("dataproviderscheme", agency, "DATA_PROVIDERS", "1.0", provider)}
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        for a in (flow, providers, pa):
            if store.get(urn_for(a["type"], a["agencyID"], a["id"], a["version"])) is None:
                store.put(a)
    return f"/rest/v2/data/dataflow/{agency}/{flow_id}/1.0"


def load(engine, path: Path) -> None:
    """The structures of a specimen, without categorisations into category schemes it does not hold."""
    load_structures(engine, [a for a in read_files([path]) if a["type"] != "categorisation"])


def stored(engine) -> dict[tuple[str, str], float]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.value FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {(k, p): float(v) for k, p, v in rows if v not in (None, "", "NaN")}


def sdmx1_reading(structure: Path, data: Path, dsd_id: str) -> dict[tuple[str, str], float]:
    dsd = sdmx.read_sdmx(structure).structure[dsd_id]
    msg = sdmx.read_sdmx(data, structure=dsd)
    out = {}
    for ds in msg.data:
        for obs in ds.obs:
            key = obs.key.order()
            values = [str(kv.value) for kv in key.values.values()]
            dims = [d.id for d in dsd.dimensions.components]
            period = values[dims.index("TIME_PERIOD")]
            series_key = ".".join(v for d, v in zip(dims, values) if d != "TIME_PERIOD")
            if obs.value is not None and str(obs.value) != "nan":
                out[(series_key, period)] = float(obs.value)
    return out


ECB = [  # structure file, DSD id, data files
    ("ECB_EXR/1/structure-full.xml", "ECB_EXR1", ["ECB_EXR/1/M.USD.EUR.SP00.A.xml"]),
    ("ECB_EXR/ng-structure-full.xml", "ECB_EXR_NG",
     ["ECB_EXR/ng-ts.xml", "ECB_EXR/ng-ts-ss.xml", "ECB_EXR/ng-ts-gf.xml", "ECB_EXR/ng-ts-gf-ss.xml",
      "ECB_EXR/ng-xs.xml", "ECB_EXR/ng-xs-ss.xml", "ECB_EXR/ng-flat.xml", "ECB_EXR/ng-flat-ss.xml"]),
    ("ECB_EXR/sg-structure-full.xml", "ECB_EXR_SG",
     ["ECB_EXR/sg-ts.xml", "ECB_EXR/sg-ts-ss.xml", "ECB_EXR/sg-ts-gf.xml", "ECB_EXR/sg-ts-gf-ss.xml",
      "ECB_EXR/sg-xs.xml", "ECB_EXR/sg-xs-ss.xml", "ECB_EXR/sg-flat.xml"]),
]


# ECB's sample holds the section 2010-08 twice with different values (the third section was meant to be
# another month): one message may not report an observation twice, so it is refused, naming the keys.
TWICE = {"ECB_EXR/sg-xs.xml"}


@pytest.mark.parametrize("structure,dsd_id,data_files", ECB, ids=[e[1] for e in ECB])
def test_specimens_store_what_sdmx1_reads(app, engine, admin, specimens, structure, dsd_id, data_files):
    load(engine, specimens / structure)
    url = provision(engine, "ECB", "EXR_" + dsd_id, urn_for("datastructure", "ECB", dsd_id, "1.0"))
    for name in data_files:
        with engine.begin() as conn:  # each file on its own: start empty
            conn.execute(text("DELETE FROM observation"))
        r = admin("POST", url + "?provider=ECB", (specimens / name).read_bytes(), Accept="application/problem+json")
        if name in TWICE:
            problem = r.get_json()
            assert r.status_code == 422 and {e["rule"] for e in problem["errors"]} == {"duplicate-key"}, problem
            assert {e["period"] for e in problem["errors"]} == {"2010-08"} and problem["errorCount"] == 4
            continue
        assert r.status_code == 200, (name, r.data[:5000].decode())
        expected = sdmx1_reading(specimens / structure, specimens / name, dsd_id)
        assert expected and stored(engine) == expected, name
        assert r.get_json()["observations"]["read"] >= len(expected)


@pytest.fixture
def exr(app, engine, specimens):
    load(engine, specimens / "ECB_EXR/1/structure-full.xml")
    return provision(engine, "ECB", "EXR_TEST", urn_for("datastructure", "ECB", "ECB_EXR1", "1.0")) + "?provider=ECB"


@pytest.fixture
def exr_message(specimens) -> str:
    return (specimens / "ECB_EXR/1/M.USD.EUR.SP00.A.xml").read_text()


def test_add_update_replace_and_history(engine, admin, exr, exr_message):
    first = admin("POST", exr, exr_message.encode()).get_json()
    n = first["observations"]["inserted"]
    assert n > 200 and first["observations"]["updated"] == 0
    again = admin("POST", exr, exr_message.encode()).get_json()["observations"]
    assert again == {"read": n, "inserted": 0, "updated": 0, "deleted": 0}  # idempotent
    changed = exr_message.replace('<generic:ObsValue value="', '<generic:ObsValue value="1', 1)
    assert admin("POST", exr, changed.encode()).get_json()["observations"]["updated"] == 1
    with engine.connect() as conn:  # the old value is kept, closed
        closed = conn.execute(text("SELECT count(*) FROM observation WHERE valid_to IS NOT NULL")).scalar()
    assert closed == 1
    # PUT replaces whole series: a message with one observation fewer deletes it
    obs_start = changed.index("<generic:Obs>")
    fewer = changed[:obs_start] + changed[changed.index("</generic:Obs>", obs_start) + len("</generic:Obs>"):]
    counts = admin("PUT", exr, fewer.encode()).get_json()["observations"]
    assert counts["deleted"] == 1 and counts["inserted"] == 0


def test_gzip_body(admin, exr, exr_message):
    r = admin("POST", exr, gzip.compress(exr_message.encode()), **{"Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.get_json()["observations"]["inserted"] > 200


def test_submitting_needs_credentials(client, exr, exr_message):
    r = client.post(exr, data=exr_message.encode())
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers


def _obs_value_replaced(msg: str, new: str) -> str:
    return msg.replace('<generic:ObsValue value="', f'<generic:ObsValue value="{new}" x="', 1)


BAD = {
    "unknown code": (lambda m: m.replace('id="CURRENCY" value="USD"', 'id="CURRENCY" value="QQQ"'), 422, "unknown-code"),
    "wrong period": (lambda m: m.replace('<generic:ObsDimension value="', '<generic:ObsDimension value="2019-13" x="', 1),
                     422, "period-format"),
    "missing mandatory attribute": (lambda m: m.replace('<generic:Value id="OBS_STATUS"', '<generic:Value id="OBS_COM"', 1),
                                    422, "missing-attribute"),
    "duplicate key": (lambda m: m.replace("</generic:Series>", m[m.index("<generic:Obs>"):m.index("</generic:Obs>") + 14]
                                          + "</generic:Series>", 1), 422, "duplicate-key"),
    "truncated XML": (lambda m: m[: len(m) // 2], 400, "line"),
    "wrong namespace": (lambda m: m.replace("schemas/v2_1/message", "schemas/v9_9/message"), 400, "v9_9"),
        "entity declarations": (lambda m: m.replace('?>', '?><!DOCTYPE x [<!ENTITY e "boom">]>', 1), 400,
                            "entity declarations are not accepted"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_stores_nothing(engine, admin, exr, exr_message, case):
    admin("POST", exr, exr_message.encode())  # some data already there
    before = dump(engine)
    mutate, status, fragment = BAD[case]
    r = admin("POST", exr, mutate(exr_message).encode(), Accept="application/problem+json")
    assert r.status_code == status, r.data[:1000]
    assert fragment in r.data.decode(), r.data[:1000]
    assert dump(engine) == before


def test_every_error_is_reported_with_its_place(admin, exr, exr_message):
    bad = exr_message.replace('id="OBS_STATUS" value="A"', 'id="OBS_STATUS" value="Z"')
    r = admin("POST", exr, bad.encode(), Accept="application/problem+json")
    problem = r.get_json()
    assert r.status_code == 422 and problem["errorCount"] > 100 and len(problem["errors"]) == 100
    first = problem["errors"][0]
    assert first["rule"] == "unknown-code" and first["component"] == "OBS_STATUS" and first["value"] == "Z"
    assert first["where"].startswith("line ") and first["series_key"] == "M.USD.EUR.SP00.A" and first["period"]
    xml = admin("POST", exr, bad.encode())  # SDMX error message by default
    assert xml.status_code == 422 and b"ErrorMessage" in xml.data and b"OBS_STATUS" in xml.data


def test_unknown_dataflow_and_missing_agreement(admin, exr, exr_message):
    assert admin("POST", "/rest/v2/data/dataflow/ECB/NOPE/1.0", exr_message.encode()).status_code == 404
    r = admin("POST", exr.replace("provider=ECB", "provider=BIS"), exr_message.encode(),
              Accept="application/problem+json")
    assert r.status_code == 422 and r.get_json()["errors"][0]["rule"] == "no-provision-agreement"


def test_oversized_body_is_413(database_url, specimens, exr_message):
    from sdmx_server.app import create_app
    from sdmx_server.settings import load_config
    from sdmx_server.storage.database import make_engine, upgrade_schema

    cfg = load_config(overrides={"database_url": database_url, "secret_key": "t", "max_data_body_bytes": 10_000,
                                 "release_check_seconds": 0})
    eng = make_engine(cfg.resolved_database_url)
    upgrade_schema(eng)
    app = create_app(config=cfg)
    load(eng, specimens / "ECB_EXR/1/structure-full.xml")
    url = provision(eng, "ECB", "EXR_TEST", urn_for("datastructure", "ECB", "ECB_EXR1", "1.0"))
    from sdmx_server.storage.user_store import UserStore
    with eng.begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).add("root", "pw-root-123", roles=["system_administrator"],
                                                            country=None)
    before = dump(eng)
    import base64
    auth = "Basic " + base64.b64encode(b"root:pw-root-123").decode()
    for body in (exr_message.encode(), gzip.compress(exr_message.encode())):
        r = app.test_client().post(url + "?provider=ECB", data=body, headers={"Authorization": auth})
        assert r.status_code == 413, r.data[:500]
    assert dump(eng) == before
    app.extensions["sdmx_engine"].dispose()
    eng.dispose()


def test_delete_by_key_with_wildcards(engine, admin, exr, exr_message):
    n = admin("POST", exr, exr_message.encode()).get_json()["observations"]["inserted"]
    base = exr.split("?")[0]
    r = admin("DELETE", base + "/M.JPY.EUR.*.A?provider=ECB")  # no such series: nothing deleted
    assert r.status_code == 200 and r.get_json()["observations"]["deleted"] == 0
    r = admin("DELETE", base + "/M.USD+JPY?provider=ECB")
    assert r.get_json()["observations"]["deleted"] == n
    assert stored(engine) == {}
    assert admin("DELETE", base + "/M.USD.EUR.SP00.A.X.Y?provider=ECB").status_code == 400
