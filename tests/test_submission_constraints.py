"""A provider submits only inside the constraints attached to its provision agreements (DESIGN.md section 3).

The seed attaches to each country's provision agreements an Allowed ContentConstraint with REF_AREA = that
country: a Kazakh submitter's figures labelled KG are refused (422 naming the row and the constraint's URN)
on every path, and nothing is stored. The constraints are served by the structure API and validate.
"""

from __future__ import annotations

import io

import pytest
from lxml import etree

from sdmx_server.app import create_app
from sdmx_server.seeding import load_structures
from sdmx_server.sdmx.errors import InvalidData
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.storage.user_store import UserStore
from sdmx_server.submission.intake import dataflow_context, ingest

from .access_world import _password_hash, _seed_artefacts
from .db_dump import dump
from .xsd import validate_sdmx_ml

pytestmark = pytest.mark.storage

SUBMIT = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
CSV = {"Content-Type": "text/csv", "Accept": "application/json"}
KZ_CONSTRAINT = "urn:sdmx:org.sdmx.infomodel.registry.DataConstraint=DSM:CC_KZ_OWN_AREA(1.0)"


def csv(*areas: str) -> bytes:
    rows = [HEAD] + [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,{area},UZ,F,2025-S{n % 2 + 1},{100 + n},PS,A"
                     for n, area in enumerate(areas)]
    return "\n".join(rows).encode()


def structure_specific(area: str, provider: str = "KZ") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mes:StructureSpecificData xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
  xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
  xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <mes:Header><mes:ID>T</mes:ID><mes:Test>false</mes:Test><mes:Prepared>2026-01-01T00:00:00</mes:Prepared>
  <mes:Sender id="{provider}"/>
  <mes:Structure structureID="S" namespace="urn:x" dimensionAtObservation="TIME_PERIOD">
   <com:StructureUsage><Ref agencyID="DSM" id="DF_STOCK_FOREIGNERS" version="1.0"/></com:StructureUsage>
  </mes:Structure>
  <mes:DataProvider><Ref agencyID="DSM" maintainableParentID="DATA_PROVIDERS" maintainableParentVersion="1.0"
   id="{provider}"/></mes:DataProvider>
 </mes:Header>
 <mes:DataSet ss:structureRef="S" ss:dataScope="DataStructure" xsi:type="ns1:DataSetType" xmlns:ns1="urn:x">
  <Series FREQ="S" REF_AREA="{area}" CITIZENSHIP="UZ" SEX="F" UNIT_MEASURE="PS">
   <Obs TIME_PERIOD="2025-S1" OBS_VALUE="5" OBS_STATUS="A"/>
  </Series>
 </mes:DataSet>
</mes:StructureSpecificData>""".encode()


@pytest.fixture
def world(config, engine):
    load_structures(engine, list(_seed_artefacts()))
    app = create_app(config=config)
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, role, country in (("kz_submitter", "data_submitter", "KZ"), ("root", "system_administrator", None),
                                    ("kz_admin", "country_administrator", "KZ")):
            users.add(name, "unused-password", roles=[role], country=country, password_hash=_password_hash())
            tokens[name], _ = users.create_token(name, days=1)
    client = app.test_client()

    def as_(user: str):
        def call(method: str, path: str, body=None, **headers):
            return client.open(path, method=method, data=body, headers={"Authorization": f"Bearer {tokens[user]}",
                                                                         **headers})
        return call

    yield as_
    if "sdmx_release_checks" in app.extensions:
        app.extensions["sdmx_release_checks"].stop()
    app.extensions["sdmx_engine"].dispose()


def test_figures_of_another_country_are_refused_naming_row_and_constraint(world, engine):
    before = dump(engine)
    r = world("kz_submitter")("POST", SUBMIT, csv("KZ", "KG"), **CSV)
    assert r.status_code == 422, r.data[:1000]
    problem = r.get_json()
    errors = [e for e in problem["errors"] if e["rule"] == "constraint"]
    assert len(errors) == 1 and problem["errorCount"] == 1, problem
    assert errors[0]["where"] == "row 3, column REF_AREA" and errors[0]["value"] == "KG"
    assert errors[0]["component"] == "REF_AREA" and KZ_CONSTRAINT in errors[0]["message"]
    assert dump(engine) == before


def test_own_figures_pass(world):
    r = world("kz_submitter")("POST", SUBMIT, csv("KZ", "KZ"), **CSV)
    assert r.status_code == 202, r.data[:1000]


@pytest.mark.parametrize("user,query", [("root", "?provider=KZ&release=now"), ("kz_admin", "")])
def test_administrators_are_bound_too(world, engine, user, query):
    before = dump(engine)
    r = world(user)("POST", SUBMIT + query, csv("KG"), **CSV)
    assert r.status_code == 422 and r.get_json()["errors"][0]["rule"] == "constraint", r.data[:1000]
    assert dump(engine) == before


def test_provider_named_by_the_message_is_bound(world, engine):
    """No provider in the request: the message's DataProvider decides whose constraints apply."""
    before = dump(engine)
    r = world("root")("POST", SUBMIT + "?release=now", structure_specific("KG"),
                      **{"Content-Type": "application/xml", "Accept": "application/json"})
    assert r.status_code == 422, r.data[:1000]
    (error,) = r.get_json()["errors"]
    assert error["rule"] == "constraint" and KZ_CONSTRAINT in error["message"] and "line" in error["where"]
    assert dump(engine) == before
    r = world("root")("POST", SUBMIT + "?release=now", structure_specific("KZ"),
                      **{"Content-Type": "application/xml", "Accept": "application/json"})
    assert r.status_code == 200, r.data[:1000]


def test_ingest_binds_every_caller(engine):
    """The CLI, the portal and the Excel upload all call intake.ingest: it is the one check."""
    load_structures(engine, list(_seed_artefacts()))
    with engine.begin() as conn:
        ctx = dataflow_context(ArtefactStore(conn), "DSM", "DF_STOCK_FOREIGNERS", "1.0")
        assert ctx.allowed_for("KZ")["REF_AREA"] == {"KZ"} and "REF_AREA" not in ctx.allowed
        with pytest.raises(InvalidData) as caught:
            ingest(conn, io.BytesIO(csv("MD")), ctx, content_type="text/csv", provider="KZ")
    assert caught.value.details[0]["rule"] == "constraint"


@pytest.mark.parametrize("path,version", [("/rest/contentconstraint/DSM/CC_KZ_OWN_AREA/1.0", "2.1"),
                                          ("/rest/v2/structure/dataconstraint/DSM/CC_KZ_OWN_AREA/1.0", "3.0")])
def test_constraints_are_served_and_valid(world, path, version):
    r = world("root")("GET", path)
    assert r.status_code == 200, r.data[:500]
    validate_sdmx_ml(r.data, version)
    root = etree.fromstring(r.data)
    (constraint,) = root.xpath("//*[local-name()='ContentConstraint' or local-name()='DataConstraint']")
    assert constraint.get("type" if version == "2.1" else "role") == "Allowed"
    refs = constraint.xpath(".//*[local-name()='ProvisionAgreement']")
    assert len(refs) == 6
    assert constraint.xpath("string(.//*[local-name()='KeyValue'][@id='REF_AREA']/*[local-name()='Value'])") == "KZ"


def test_the_excel_template_offers_the_providers_own_area(world):
    import openpyxl

    from sdmx_server.sdmx.formats.excel_template import CODES_SHEET

    r = world("kz_submitter")("GET", "/api/dataflows/DSM/DF_STOCK_FOREIGNERS/1.0/template.xlsx?lang=en")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.data))[CODES_SHEET]
    columns = {col[0].value: [c.value for c in col[1:] if c.value] for col in sheet.iter_cols()}
    assert columns["REF_AREA"] == ["KZ: Kazakhstan"] and len(columns["CITIZENSHIP"]) > 200


def test_freq_must_be_the_dataflows_periodicity(world, engine):
    """Issue 19: a half-yearly indicator (PERIODICITY annotation S) takes no quarterly or annual figures: 422
    naming FREQ, the value, the line and why; nothing stored. Its own frequency passes."""
    before = dump(engine)
    rows = [HEAD, "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,UZ,F,2025-S1,100,PS,A",
            "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,A,KZ,UZ,F,2025,200,PS,A"]
    r = world("kz_submitter")("POST", SUBMIT, "\n".join(rows).encode(), **CSV)
    assert r.status_code == 422, r.data[:1000]
    (error,) = r.get_json()["errors"]
    assert error["rule"] == "constraint" and error["component"] == "FREQ" and error["value"] == "A"
    assert "the dataflow's PERIODICITY annotation (it is collected at S)" in error["message"]
    assert error["where"] == "row 3, column FREQ"
    assert dump(engine) == before
    r = world("kz_submitter")("POST", SUBMIT, "\n".join(rows[:2]).encode(), **CSV)
    assert r.status_code == 202, r.data[:1000]
