"""The visibility rule of the data extended to the data documentation (issue 17), on every path that shows it,
through HTTP, on SQLite and PostgreSQL.

Kazakhstan (KZ) documents DF_STOCK_FOREIGNERS in each workflow state: version 1 released, version 2 returned,
version 3 pending, each with its own focal point as a marker. Callers of every role of KZ and of Kyrgyzstan (KG),
and anonymous callers, under each sharing relation and publicity, ask every read path (the three metadata
queries in the three formats, the indicator page, the comparison, the report's panel and its Excel notes) and see
the released version exactly when the rule allows (whoever may see KZ's released figures, or everyone once KZ
made its documentation public), and never the returned or pending one.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from sdmx_server.app import create_app
from sdmx_server.seeding import load_structures
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.metadata_store import MetadataStore
from sdmx_server.storage.user_store import UserStore

from .access_world import PASSWORD, _password_hash, _seed_artefacts
from .portal.conftest import sign_in
from .test_metadata_api import POST, message

pytestmark = pytest.mark.storage

STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
DATA = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
ROLES = ("viewer", "data_submitter", "data_verifier", "data_approver", "content_manager", "country_administrator")
CALLERS = [None] + [f"{c}_{r}" for c in ("kz", "kg") for r in ROLES]
MARKS = {"released": "MARK-RELEASED-V1", "returned": "MARK-RETURNED-V2", "pending": "MARK-PENDING-V3"}
ML = {"Accept": "application/vnd.sdmx.metadata+xml;version=3.0.0"}
JSON = {"Accept": "application/vnd.sdmx.metadata+json;version=2.0.0"}
CSV = {"Accept": "application/vnd.sdmx.metadata+csv;version=2.0.0"}
REST = {  # name: (path, headers)
    "metadataflow ML": ("/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0", ML),
    "metadataflow JSON": ("/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0", JSON),
    "metadataflow CSV": ("/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0", CSV),
    "metadataset every version": ("/rest/v2/metadata/metadataset/KZ/DOC_STOCK/*", ML),
    "metadataset newest JSON": ("/rest/v2/metadata/metadataset/KZ/DOC_STOCK/~", JSON),
    "structure": ("/rest/v2/metadata/structure/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", ML),
    "structure asOf": ("/rest/v2/metadata/structure/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
                       "?asOf=2100-01-01T00:00:00Z", CSV),
}
PORTAL = {  # name: page
    "indicator page": "/{lang}/indicators/DSM/DF_STOCK_FOREIGNERS/1.0",
    "comparison": "/{lang}/indicators/DSM/DF_STOCK_FOREIGNERS/1.0/documentation",
    "report panel": "/{lang}/reports/DSM/DF_STOCK_FOREIGNERS/1.0",
}
# scenario: (grant KZ -> KG, KG released figures of its own, KZ figures public, KZ documentation public)
SCENARIOS = {
    "not granted": (False, True, False, False),
    "granted": (True, True, False, False),
    "granted without reciprocity": (True, False, False, False),
    "figures public": (False, False, True, False),
    "documentation public": (False, True, False, True),
}


def documentation(mark: str) -> bytes:
    """The documentation of tests/test_metadata_api.py, its focal point replaced by the mark of its version."""
    return message("KZ").replace(b"Bureau of statistics", mark.encode())


def figures(country: str) -> bytes:
    return "\n".join([HEAD] + [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,{country},RU,{sex},2023-S1,{v},PS,A"
                               for sex, v in (("F", 100), ("M", 200))]).encode()


@pytest.fixture
def config(config):
    """Both countries' administrators release alone here (tests/test_four_eyes.py checks the rule)."""
    return replace(config, four_eyes_waived=["KZ", "KG"])


@pytest.fixture(params=list(SCENARIOS))
def world(request, config, engine):
    granted, kg_released, figures_public, documentation_public = SCENARIOS[request.param]
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=replace(config, release_check_seconds=0))
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name in CALLERS[1:]:
            country, role = name.split("_", 1)
            users.add(name, PASSWORD, roles=[role], country=country.upper(), password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
    client = app.test_client()

    def call(user: str | None, method: str, path: str, body=None, json=None, **headers):
        auth = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return client.open(path, method=method, data=body, json=json, headers={**auth, **headers})

    csv = {"Content-Type": "text/csv"}
    xml = {"Content-Type": "application/xml"}
    assert call("kz_country_administrator", "POST", DATA + "?release=now", figures("KZ"), **csv).status_code == 200
    if kg_released:
        assert call("kg_country_administrator", "POST", DATA + "?release=now", figures("KG"), **csv).status_code == 200
    assert call("kz_country_administrator", "POST", POST + "?release=now", documentation(MARKS["released"]),
                **xml).status_code == 200
    r = call("kz_data_submitter", "POST", POST, documentation(MARKS["returned"]), **xml)
    assert r.status_code == 202, r.get_data(as_text=True)
    returned = r.get_json()["metadataSets"][0]["internalId"]
    assert call("kz_data_verifier", "POST", f"/api/documentation/sets/{returned}/return",
                json={"comment": "the focal point is wrong"}).status_code == 200
    assert call("kz_data_submitter", "POST", POST, documentation(MARKS["pending"]), **xml).status_code == 202
    with engine.begin() as conn:
        if granted:
            GrantStore(conn).grant("KZ", STOCK, "KG", by="test")
        if figures_public:
            GrantStore(conn).set_public("KZ", STOCK, True, by="test")
        if documentation_public:
            MetadataStore(conn).set_public("KZ", STOCK, True, by="test")
    yield request.param, call, app
    app.extensions["sdmx_engine"].dispose()


def may_see(scenario: str, user: str | None) -> bool:
    """The rule: KZ's own users; everyone when the figures or the documentation are public; KG's users when KZ
    granted the indicator to KG and KG shares figures of its own on it (reciprocity)."""
    if scenario in ("figures public", "documentation public"):
        return True
    if user is None:
        return False
    return user.startswith("kz_") or scenario == "granted"


def sees_figures(scenario: str, user: str | None) -> bool:
    """Whether KZ's released figures reach this caller: a report (and its panel and notes) holds only the
    countries whose figures the reader sees, so public documentation alone puts no KZ panel in a report."""
    return may_see(scenario, user) and (scenario != "documentation public" or (user or "").startswith("kz_"))


def marks_in(text: str) -> set[str]:
    return {state for state, mark in MARKS.items() if mark in text}


def test_every_rest_query_shows_the_released_version_exactly_where_the_rule_allows(world):
    scenario, call, _app = world
    got, want = {}, {}
    for user in CALLERS:
        for name, (path, headers) in REST.items():
            r = call(user, "GET", path, **headers)
            assert r.status_code in (200, 204), (user, name, r.status_code, r.data[:300])
            got[user, name] = marks_in(r.get_data(as_text=True)) if r.status_code == 200 else set()
            want[user, name] = {"released"} if may_see(scenario, user) else set()
    assert got == want


def test_every_portal_page_and_export_shows_it_exactly_where_the_rule_allows(world):
    scenario, _call, app = world
    got, want = {}, {}
    for user in (None, "kz_viewer", "kz_content_manager", "kg_viewer", "kg_country_administrator"):
        client = app.test_client()
        if user:
            assert sign_in(client, user).status_code == 302
        for lang in ("en", "ru"):
            for name, page in PORTAL.items():
                r = client.get(page.format(lang=lang))
                assert r.status_code in (200, 404), (user, name, r.status_code)
                got[user, lang, name] = marks_in(r.get_data(as_text=True))
                rule = sees_figures if name == "report panel" else may_see
                want[user, lang, name] = {"released"} if rule(scenario, user) else set()
        r = client.get(PORTAL["report panel"].format(lang="en") + "/export.xlsx")
        text = ""
        if r.status_code == 200:
            book = load_workbook(io.BytesIO(r.data), read_only=True)
            text = " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                            for c in row if c is not None)
        got[user, "xlsx", "notes"] = marks_in(text)
        want[user, "xlsx", "notes"] = {"released"} if sees_figures(scenario, user) else set()
    assert got == want


def test_the_workflow_api_never_shows_another_country_s_unreleased_versions(world):
    _scenario, call, _app = world
    for user in CALLERS:
        r = call(user, "GET", "/api/documentation/sets")
        text = r.get_data(as_text=True)
        if user is None or user.startswith("kg_"):
            assert MARKS["pending"] not in text and MARKS["returned"] not in text, (user, r.status_code)
