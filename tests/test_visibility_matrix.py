"""The visibility rule on every path that can reveal a number, through HTTP, on SQLite and PostgreSQL.

Kazakhstan (KZ) owns figures on DF_STOCK_FOREIGNERS in each workflow state: two released, one
pending, one returned. Callers of every role of KZ and of Kyrgyzstan (KG), and anonymous callers,
under each sharing relation and publicity, ask every data path (v1 and v2 data, updatedAfter,
includeHistory, asOf, v1 and v2 availability counts, revision notices) and see exactly the released
KZ figures the rule allows: both or none, never the pending or returned ones, counts included.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from sdmx_server.app import create_app
from sdmx_server.seeding import load_structures
from sdmx_server.storage import observation_query
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.user_store import UserStore

from .access_world import _password_hash, _seed_artefacts

pytestmark = pytest.mark.storage

FLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
SUBMIT = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
ROLES = ("viewer", "data_submitter", "data_verifier", "data_approver", "content_manager", "country_administrator")
CSV1 = {"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}
CSV2 = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}
V1 = "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ.."
V2 = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/S.KZ.."
PATHS = {  # name: (path, headers, how to count KZ observations in the answer)
    "v1 data": (V1, CSV1, "rows"),
    "v2 data": (V2, CSV2, "rows"),
    "v1 updatedAfter": (V1 + "?updatedAfter=2000-01-01T00:00:00Z", CSV1, "rows"),
    "v2 includeHistory": (V2 + "?includeHistory=true", CSV2, "rows"),
    "v2 asOf": (V2 + "?asOf=2100-01-01T00:00:00Z", CSV2, "rows"),
    "v1 availability": ("/rest/availableconstraint/DSM,DF_STOCK_FOREIGNERS,1.0/S.KZ..", {}, "obs_count"),
    "v2 availability": ("/rest/v2/availability/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/S.KZ..", {}, "obs_count"),
}
# scenario: (grant KZ -> KG, KG released figures of its own, KZ made the flow public)
SCENARIOS = {
    "not granted": (False, True, False),
    "granted": (True, True, False),
    "granted without reciprocity": (True, False, False),
    "public": (False, False, True),
}



@pytest.fixture
def config(config):
    """Country administrators release their figures with release=now: the four-eyes rule is waived for KZ, KG here (tests/test_four_eyes.py checks the rule)."""
    return replace(config, four_eyes_waived=["KZ", "KG"])

def _rows(values: list[tuple[str, str, str]], country: str = "KZ") -> bytes:
    return "\n".join([HEAD] + [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,{country},{cit},{sex},2023-S1,{v},PS,A"
                               for cit, sex, v in values]).encode()


@pytest.fixture(params=list(SCENARIOS))
def world(request, config, engine):
    granted, kg_released, public = SCENARIOS[request.param]
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=replace(config, release_check_seconds=0))
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for country in ("KZ", "KG"):
            for role in ROLES:
                name = f"{country.lower()}_{role}"
                users.add(name, "unused-password", roles=[role], country=country, password_hash=_password_hash())
                tokens[name], _ = users.create_token(name, days=1)
        grants = GrantStore(conn)
        if granted:
            grants.grant("KZ", FLOW_URN, "KG", by="test")
        if public:
            grants.set_public("KZ", FLOW_URN, True, by="test")
    client = app.test_client()

    def call(user: str | None, method: str, path: str, body=None, json=None, **headers):
        auth = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return client.open(path, method=method, data=body, json=json, headers={**auth, **headers})

    csv = {"Content-Type": "text/csv"}
    assert call("kz_country_administrator", "POST", SUBMIT + "?release=now",
                _rows([("RU", "F", "100"), ("RU", "M", "200")]), **csv).status_code == 200
    pending = call("kz_data_submitter", "POST", SUBMIT, _rows([("UZ", "F", "300")]), **csv).get_json()["submission"]
    returned = call("kz_data_submitter", "POST", SUBMIT, _rows([("UZ", "M", "400")]), **csv).get_json()["submission"]
    assert call("kz_data_verifier", "POST", f"/api/submissions/{returned}/return",
                json={"comment": "no"}).status_code == 200
    assert call("kz_data_verifier", "POST", f"/api/submissions/{pending}/verify").status_code == 200
    if kg_released:
        assert call("kg_country_administrator", "POST", SUBMIT + "?release=now",
                    _rows([("RU", "F", "5")], "KG"), **csv).status_code == 200
    yield request.param, call
    app.extensions["sdmx_engine"].dispose()


def seen(call, user: str | None, path: str, headers: dict, how: str) -> int:
    r = call(user, "GET", path, **headers)
    if r.status_code in (204, 404):
        return 0
    assert r.status_code == 200, (path, r.status_code, r.data[:300])
    if how == "rows":
        return len([line for line in r.get_data(as_text=True).splitlines()[1:] if line.strip()])
    counts = [a.findtext("{*}AnnotationTitle") for a in etree.fromstring(r.data).iter("{*}Annotation")
              if a.get("id") == "obs_count"]
    return int(counts[0]) if counts else 0


def expected(scenario: str, user: str | None) -> int:
    """Released KZ figures the rule shows this caller: 2 or 0 (the pending and returned ones never)."""
    if user is not None and user.startswith("kz_"):
        return 2
    if scenario == "public":
        return 2
    if user is None:
        return 0
    return 2 if scenario == "granted" else 0


def test_every_path_shows_exactly_what_the_rule_allows(world):
    scenario, call = world
    callers = [None] + [f"{c}_{r}" for c in ("kz", "kg") for r in ROLES]
    got = {(user, name): seen(call, user, *spec) for user in callers for name, spec in PATHS.items()}
    want = {(user, name): expected(scenario, user) for user in callers for name in PATHS}
    # includeHistory shows each version: the released figures were written once, so the counts are the same
    assert got == want


def test_a_cached_answer_never_reaches_who_sees_less(world):
    scenario, call = world
    etag = call("kz_viewer", "GET", V1, **CSV1).headers["ETag"]
    for user in (None, "kg_viewer"):
        r = call(user, "GET", V1, **CSV1, **{"If-None-Match": etag})
        if expected(scenario, user) == 2:
            assert r.status_code in (200, 304)
        else:
            assert r.status_code in (204, 404), (user, r.status_code)


def test_pending_submissions_stay_out_of_every_other_country_s_reach(world):
    _, call = world
    ids = [s["id"] for s in call("kz_data_verifier", "GET", "/api/submissions").get_json()]
    assert len(ids) == 3
    for user in (None, "kg_country_administrator", "kg_data_verifier", "kz_viewer", "kz_content_manager"):
        for sid in ids:
            for path in (f"/api/submissions/{sid}", f"/api/submissions/{sid}/message"):
                assert call(user, "GET", path).status_code in (401, 404), (user, path)
            assert call(user, "POST", f"/api/submissions/{sid}/release").status_code in (401, 403, 404), user
        if user:
            listed = call(user, "GET", "/api/submissions").get_json()
            assert not {s["id"] for s in listed} & set(ids) and all(s["provider"] != "KZ" for s in listed), user


def test_releases_one_may_not_see_do_not_move_one_s_etag(world):
    scenario, call = world
    user = "kg_viewer"
    before = call(user, "GET", V1.replace("/S.KZ..", ""), **CSV1).headers.get("ETag")
    assert call("kz_country_administrator", "POST", SUBMIT + "?release=now", _rows([("TJ", "F", "7")]),
                **{"Content-Type": "text/csv"}).status_code == 200
    after = call(user, "GET", V1.replace("/S.KZ..", ""), **CSV1).headers.get("ETag")
    assert (before == after) == (expected(scenario, user) == 0), (before, after)


def test_a_withdrawn_grant_takes_effect_on_the_next_request(world):
    scenario, call = world
    path, headers, how = PATHS["v1 data"]
    assert seen(call, "kg_viewer", path, headers, how) == expected(scenario, "kg_viewer")
    r = call("kz_country_administrator", "DELETE", "/api/providers/KZ/sharing/DSM/DF_STOCK_FOREIGNERS/1.0/grantees/KG")
    assert r.status_code == 200
    still = 2 if scenario == "public" else 0  # without the grant only publicity shows KZ's figures
    assert {name: seen(call, "kg_viewer", *spec) for name, spec in PATHS.items()} == {name: still for name in PATHS}


def test_every_visible_data_set_answers_whole_however_its_rows_are_batched(world, monkeypatch):
    """The data sets a caller sees (KG's own and KZ's granted or public ones) are read together (one round trip
    on PostgreSQL, a cursor each): with one row per batch, each still answers all its rows, KG's before KZ's
    (provider order), and a data set without a matching series is left out."""
    scenario, call = world
    monkeypatch.setattr(observation_query, "FETCH", 1)
    kg_released = SCENARIOS[scenario][1]
    for user in (None, "kg_viewer", "kz_viewer"):
        r = call(user, "GET", "/rest/data/DSM,DF_STOCK_FOREIGNERS,1.0/S...", **CSV1)
        lines = r.get_data(as_text=True).splitlines()[1:] if r.status_code == 200 else []
        areas = [line.split(",")[2] for line in lines if line.strip()]
        kg = 1 if kg_released and user == "kg_viewer" else 0
        assert areas == ["KG"] * kg + ["KZ"] * expected(scenario, user), (user, r.status_code, lines)
        keys = [line.split(",")[1:5] for line in lines if line.strip()]
        assert keys == sorted(keys), keys  # series in key order within each data set
        only_kz = call(user, "GET", V1, **CSV1)  # KG's data set has no S.KZ series: it is passed over
        assert (only_kz.status_code == 200) == (expected(scenario, user) == 2), (user, only_kz.status_code)
