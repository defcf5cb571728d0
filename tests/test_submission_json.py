"""SDMX-JSON data submission over HTTP: the ECB_EXR specimens stored equal to sdmx1's (or the json module's) reading."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import sdmx
from sqlalchemy import text

from sdmx_server.sdmx.artefacts import urn_for

from sdmx_server.settings import load_config

from .db_dump import dump
from .test_data_submission import load, provision, stored

DIMS = ("FREQ", "CURRENCY", "CURRENCY_DENOM", "EXR_TYPE", "EXR_SUFFIX")
JSON_TYPE = "application/vnd.sdmx.data+json;version=1.0.0"


@pytest.fixture
def config(database_url):
    """ECB's JSON samples omit COLLECTION, a mandatory series attribute of ECB_EXR1: this module reads
    them as sdmx1 does, without that check (test_submission_bad_input shows the default refusing them)."""
    return load_config(overrides={"database_url": database_url, "secret_key": "test", "max_body_bytes": 1_048_576,
                                  "require_series_attributes": False})


@pytest.fixture
def exr(app, engine, specimens) -> str:
    """ECB_EXR1 (the DSD the JSON specimens' keys and attributes fit) behind a dataflow ECB may submit to."""
    load(engine, specimens / "ECB_EXR/1/structure-full.xml")
    return provision(engine, "ECB", "EXR_JSON", urn_for("datastructure", "ECB", "ECB_EXR1", "1.0")) + "?provider=ECB"


def post(admin, url: str, body: bytes, method: str = "POST", **headers: str):
    return admin(method, url, body, **{"Content-Type": JSON_TYPE, "Accept": "application/problem+json", **headers})


def sdmx1_data_sets(path: Path) -> list[tuple[str, dict[tuple[str, str], float | None], dict]]:
    """(action, {(series key, period): value}, {(series key, period): obs attributes}) per data set, as sdmx1 reads it."""
    out = []
    for ds in sdmx.read_sdmx(path).data:
        values, attrs = {}, {}
        for o in ds.obs:
            key = {k: str(v.value) for k, v in o.key.values.items()}
            if o.series_key is not None:
                key.update({k: str(v.value) for k, v in o.series_key.values.items()})
            k = (".".join(key[d] for d in DIMS), key["TIME_PERIOD"])
            values[k] = None if o.value is None or o.value != o.value else float(o.value)
            attrs[k] = {a: str(getattr(v.value, "id", v.value)) for a, v in o.attached_attribute.items()}
        out.append((ds.action.name.lower(), values, attrs))
    return out


def json_module_reading(path: Path) -> dict[tuple[str, str], float]:
    """An SDMX-JSON 2.0 message decoded independently of the reader, with the json module (sdmx1 reads 1.0 only)."""
    msg = json.loads(path.read_text())
    (st,) = msg["data"]["structures"]
    dims = st["dimensions"]
    out = {}
    for ds in msg["data"]["dataSets"]:
        fixed = {d["id"]: d["values"][0]["id"] for d in dims["dataSet"]}

        def add(base: dict, obs_dims: list, observations: dict) -> None:
            for okey, arr in observations.items():
                key = dict(base)
                for d, i in zip(obs_dims, okey.split(":")):
                    key[d["id"]] = d["values"][int(i)]["id"]
                if arr and arr[0] is not None:
                    out[(".".join(key[d] for d in DIMS), key["TIME_PERIOD"])] = float(arr[0])

        for skey, s in ds.get("series", {}).items():
            base = dict(fixed)
            for d, i in zip(dims["series"], skey.split(":")):
                base[d["id"]] = d["values"][int(i)]["id"]
            add(base, dims["observation"], s.get("observations", {}))
        add(fixed, dims["series"] + dims["observation"], ds.get("observations", {}))
    return out


def current_obs_attributes(engine) -> dict[tuple[str, str], dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT s.series_key, o.time_period, o.attributes FROM observation o "
                                 "JOIN series s ON s.id = o.series_id WHERE o.valid_to IS NULL")).all()
    return {(k, p): json.loads(a) if a else {} for k, p, a in rows}


def current_key_attributes(engine) -> dict[tuple[str, str], dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT level, key, attributes FROM key_attribute WHERE valid_to IS NULL")).all()
    return {(level, key): json.loads(a) for level, key, a in rows}


def titles(path: Path) -> dict[str, str]:
    """Currency -> TITLE, from the message's structure with the json module (TITLE values have names only)."""
    msg = json.loads(path.read_text())
    st = msg["structure"]
    currencies = next(d for level in st["dimensions"].values() for d in level if d["id"] == "CURRENCY")["values"]
    title = next(a for level in st["attributes"].values() for a in level if a["id"] == "TITLE")["values"]
    return {c["id"]: t["name"] for c, t in zip(currencies, title)}


@pytest.mark.parametrize("name", ["ts.json", "xs.json", "flat.json"])
def test_json_1_0_stores_what_sdmx1_reads(engine, admin, exr, specimens, name):
    path = specimens / "ECB_EXR" / name
    r = post(admin, exr, path.read_bytes())
    assert r.status_code == 200, r.data[:3000]
    receipt = r.get_json()
    assert receipt["format"] == "sdmx_json_data_reader" and receipt["action"] == "Information"
    ((action, values, obs_attrs),) = sdmx1_data_sets(path)
    assert action == "information" and len(values) == 4
    assert stored(engine) == values
    assert receipt["observations"] == {"read": 4, "inserted": 4, "updated": 0, "deleted": 0}
    # observation-level attributes by index: OBS_STATUS stored per observation, as sdmx1 reads it
    attrs = current_obs_attributes(engine)
    assert {k: a["OBS_STATUS"] for k, a in attrs.items()} == {k: a["OBS_STATUS"] for k, a in obs_attrs.items()}
    # TITLE (a series attribute in ts.json, an observation attribute in xs/flat) is stored above the
    # observation, once per currency, with the name its value index points at
    assert all("TITLE" not in a for a in attrs.values())
    keyed = current_key_attributes(engine)
    stored_titles = {key.split(".")[1]: a["TITLE"] for (level, key), a in keyed.items() if "TITLE" in a}
    assert stored_titles == titles(path) == {"NZD": "New Zealand dollar (NZD)", "RUB": "Russian rouble (RUB)"}
    assert receipt["keyAttributesChanged"] == 2


def test_action_delete_message_replaces_and_deletes(engine, admin, exr, specimens):
    """action-delete.json holds a Replace data set, then a Delete one; applied on top of ts.json."""
    ts, actions = specimens / "ECB_EXR/ts.json", specimens / "ECB_EXR/action-delete.json"
    assert post(admin, exr, ts.read_bytes()).status_code == 200
    r = post(admin, exr, actions.read_bytes())
    assert r.status_code == 200, r.data[:3000]
    receipt = r.get_json()
    # what sdmx1 reads, applied as the server documents it: Replace adds or updates, Delete removes
    ((_, expected, _),) = sdmx1_data_sets(ts)
    expected = {k: v for k, v in expected.items()}
    data_sets = sdmx1_data_sets(actions)
    assert [a for a, _, _ in data_sets] == ["replace", "delete"]
    for action, values, _ in data_sets:
        for k, v in values.items():
            if action == "delete":
                expected.pop(k, None)
            else:
                expected[k] = v
    assert stored(engine) == expected
    # a cross section: the Replace data set restates RUB on both days (same values, same attributes),
    # the Delete one names NZD on 2013-01-18 with no value
    assert set(expected) == {("D.NZD.EUR.SP00.A", "2013-01-21"), ("D.RUB.EUR.SP00.A", "2013-01-18"),
                             ("D.RUB.EUR.SP00.A", "2013-01-21")}
    assert receipt["action"] == "Delete"  # the message's last data set
    assert receipt["observations"] == {"read": 3, "inserted": 0, "updated": 0, "deleted": 1}
    with engine.connect() as conn:  # history: the deleted value is kept, closed
        closed = conn.execute(text("SELECT s.series_key, o.time_period, o.value FROM observation o JOIN series s "
                                   "ON s.id = o.series_id WHERE o.valid_to IS NOT NULL")).all()
    assert [(k, p, float(v)) for k, p, v in closed] == [("D.NZD.EUR.SP00.A", "2013-01-18", 1.5931)]
    # a Replace that changes a value updates it, keeping the old one closed
    changed = actions.read_text().replace("[40.3000, 1, 0]", "[41.5, 1, 0]")
    r = post(admin, exr, changed.encode())
    assert r.get_json()["observations"] == {"read": 3, "inserted": 0, "updated": 1, "deleted": 0}
    assert stored(engine)[("D.RUB.EUR.SP00.A", "2013-01-21")] == 41.5


@pytest.mark.parametrize("name", ["exr-time-series.json", "exr-cross-section.json", "exr-flat.json"])
def test_json_2_0_stores_what_the_json_module_reads(engine, admin, exr, specimens, name):
    path = specimens / "v3/json/data" / name
    r = post(admin, exr, path.read_bytes(), **{"Content-Type": "application/vnd.sdmx.data+json;version=2.0.0"})
    assert r.status_code == 200, r.data[:3000]
    expected = json_module_reading(path)
    assert len(expected) == 4 and stored(engine) == expected


def test_data_sets_before_structure_and_gzip(engine, admin, exr, specimens):
    """The fallback path (data sets first: buffered to a temporary file, decoded after) stores the same."""
    path = specimens / "ECB_EXR/ts.json"
    msg = json.loads(path.read_text())
    reordered = json.dumps({"dataSets": msg["dataSets"], "header": msg["header"], "structure": msg["structure"]})
    assert reordered.index('"dataSets"') < reordered.index('"structure"')
    r = post(admin, exr, gzip.compress(reordered.encode()), **{"Content-Encoding": "gzip"})
    assert r.status_code == 200, r.data[:3000]
    ((_, expected, _),) = sdmx1_data_sets(path)
    assert stored(engine) == expected


def test_put_replaces_whole_series(engine, admin, exr, specimens):
    assert post(admin, exr, (specimens / "ECB_EXR/ts.json").read_bytes()).status_code == 200
    msg = json.loads((specimens / "ECB_EXR/ts.json").read_text())
    del msg["dataSets"][0]["series"]["0"]["observations"]["1"]  # NZD without 2013-01-21
    del msg["dataSets"][0]["series"]["1"]  # RUB not in the message: untouched
    r = post(admin, exr, json.dumps(msg).encode(), method="PUT")
    assert r.status_code == 200 and r.get_json()["observations"]["deleted"] == 1
    assert set(stored(engine)) == {("D.NZD.EUR.SP00.A", "2013-01-18"), ("D.RUB.EUR.SP00.A", "2013-01-18"),
                                   ("D.RUB.EUR.SP00.A", "2013-01-21")}


def test_delete_data_set_with_an_empty_series_deletes_the_series(engine, admin, exr, specimens):
    ts = json.loads((specimens / "ECB_EXR/ts.json").read_text())
    assert post(admin, exr, json.dumps(ts).encode()).status_code == 200
    delete = {**ts, "dataSets": [{"action": "Delete", "series": {"0": {}}}]}  # NZD, no observation named
    r = post(admin, exr, json.dumps(delete).encode())
    assert r.status_code == 200 and r.get_json()["observations"]["deleted"] == 2, r.data
    assert set(stored(engine)) == {("D.RUB.EUR.SP00.A", "2013-01-18"), ("D.RUB.EUR.SP00.A", "2013-01-21")}


def test_invalid_json_data_is_refused_with_json_paths(engine, admin, exr, specimens):
    before = dump(engine)
    msg = json.loads((specimens / "ECB_EXR/ts.json").read_text())
    msg["structure"]["dimensions"]["series"][0]["values"][1]["id"] = "QQQ"  # RUB -> an unknown currency
    msg["structure"]["attributes"]["observation"][0]["values"][0]["id"] = "Z"  # OBS_STATUS A -> Z
    r = post(admin, exr, json.dumps(msg).encode())
    problem = r.get_json()
    assert r.status_code == 422, problem
    by_rule = {}
    for e in problem["errors"]:
        by_rule.setdefault(e["rule"], []).append(e)
    # the bad currency is reported at each observation of its series, not again for the series' TITLE
    assert {e["where"] for e in by_rule["unknown-code"] if e["component"] == "CURRENCY"} == {
        "dataSets[0].series['1'].observations['0']", "dataSets[0].series['1'].observations['1']"}
    assert {e["value"] for e in by_rule["unknown-code"] if e["component"] == "OBS_STATUS"} == {"Z"}
    assert dump(engine) == before


def test_json_syntax_error_is_400_with_line_and_column(engine, admin, exr, specimens):
    before = dump(engine)
    body = (specimens / "ECB_EXR/ts.json").read_bytes()
    broken = body.replace(b'"1": [1.5925, 0]', b'"1": [1.5925, 0,]')
    line = body[:body.index(b'"1": [1.5925, 0]')].count(b"\n") + 1
    r = post(admin, exr, broken)
    assert r.status_code == 400
    assert f"(line {line}, column" in r.data.decode() and "not JSON" in r.data.decode()
    truncated = post(admin, exr, body[: len(body) // 2])
    assert truncated.status_code == 400 and b"premature EOF" in truncated.data
    assert dump(engine) == before
