"""Structure maintenance (doc/maintenance.md): create, replace, delete, and bad input that stores nothing."""

from __future__ import annotations

import gzip

import pytest
from lxml import etree

from .db_dump import dump
from .xsd import validate_sdmx_ml

HEAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
  xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
  xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
 <mes:Header><mes:ID>T1</mes:ID><mes:Test>true</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared>
  <mes:Sender id="TEST"/></mes:Header>
 <mes:Structures>"""
TAIL = b"</mes:Structures></mes:Structure>"


def codelist(version: str = "1.0.0-draft", codes: str = "A", name: str = "Test") -> bytes:
    items = "".join(f'<str:Code id="{c}"><com:Name xml:lang="en">{c}</com:Name></str:Code>' for c in codes)
    return (f'<str:Codelists><str:Codelist agencyID="TST" id="CL_T" version="{version}">'
            f'<com:Name xml:lang="en">{name}</com:Name>{items}</str:Codelist></str:Codelists>').encode()


def concepts_using(cl_version: str) -> bytes:
    return (f'<str:ConceptSchemes><str:ConceptScheme agencyID="TST" id="CS_T" version="1.0.0-draft">'
            f'<com:Name xml:lang="en">Concepts</com:Name><str:Concept id="C"><com:Name xml:lang="en">C</com:Name>'
            f'<str:CoreRepresentation><str:Enumeration>urn:sdmx:org.sdmx.infomodel.codelist.Codelist=TST:CL_T({cl_version})'
            f'</str:Enumeration></str:CoreRepresentation></str:Concept></str:ConceptScheme></str:ConceptSchemes>').encode()


def msg(*parts: bytes) -> bytes:
    return HEAD + b"".join(parts) + TAIL


def results(resp) -> list[tuple[str, str]]:
    root = etree.fromstring(resp.data)
    validate_sdmx_ml(root, "3.0")
    ns = {"reg": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/registry"}
    return [(r.find("reg:StatusMessage", ns).get("status"), r.find("reg:StatusMessage/reg:MessageText", ns).get("code"))
            for r in root.iterfind(".//reg:SubmissionResult", ns)]


def test_create_read_replace_delete(admin):
    r = admin("POST", "/rest/v2/structure", msg(codelist()))
    assert r.status_code == 201, r.data
    assert results(r) == [("Success", "201")]
    assert admin("GET", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft").status_code == 200
    r = admin("PUT", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft", msg(codelist(codes="AB")))
    assert r.status_code == 200, r.data
    got = admin("GET", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft",
                Accept="application/vnd.sdmx.structure+json;version=2.0.0").get_json()
    assert [c["id"] for c in got["data"]["codelists"][0]["codes"]] == ["A", "B"]
    r = admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft/B")
    assert r.status_code == 200
    r = admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft")
    assert r.status_code == 200
    assert admin("GET", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft").status_code in (204, 404)
    assert admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft").status_code == 404


def test_every_structure_change_is_in_the_audit_log(admin, engine):
    from sdmx_server.storage.audit_store import AuditStore

    def log() -> list[tuple[str, str, str, dict]]:
        with engine.connect() as conn:
            return [(e.actor, e.action, e.target, e.details) for e in reversed(AuditStore(conn).entries(
                country=None, all_countries=True, limit=50))]

    urn = "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=TST:CL_T(1.0.0-draft)"
    assert admin("POST", "/rest/v2/structure", msg(codelist())).status_code == 201
    assert admin("POST", "/rest/v2/structure", msg(codelist())).status_code == 200  # unchanged: nothing to record
    assert admin("PUT", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft", msg(codelist(codes="AB"))).status_code == 200
    assert admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft/B").status_code == 200
    assert admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft").status_code == 200
    assert admin("POST", "/rest/v2/structure", msg(concepts_using("1.0.0-draft"))).status_code == 409  # refused
    assert log() == [("root", "structure.create", urn, {}), ("root", "structure.replace", urn, {}),
                     ("root", "structure.delete_item", urn, {"item": "B"}), ("root", "structure.delete", urn, {})]


def test_final_artefacts_are_immutable(admin):
    assert admin("POST", "/rest/v2/structure", msg(codelist("1.0.0"))).status_code == 201
    assert admin("POST", "/rest/v2/structure", msg(codelist("1.0.0"))).status_code == 200  # same content: fine
    r = admin("POST", "/rest/v2/structure", msg(codelist("1.0.0", name="Changed")))
    assert r.status_code == 409 and b"new version" in r.data
    assert admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0").status_code == 409
    assert admin("POST", "/rest/v2/structure", msg(codelist("1.1.0", name="Changed"))).status_code == 201


def test_references_must_exist_and_referenced_artefacts_stay(admin, engine):
    before = dump(engine)
    r = admin("POST", "/rest/v2/structure", msg(concepts_using("1.0.0-draft")))
    assert r.status_code == 409 and b"CL_T" in r.data
    assert dump(engine) == before
    r = admin("POST", "/rest/v2/structure", msg(codelist(), concepts_using("1.0.0-draft")))  # one message, any order
    assert r.status_code == 201 and results(r) == [("Success", "201")] * 2
    r = admin("DELETE", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft")
    assert r.status_code == 409 and b"CS_T" in r.data


def test_partial_success_is_207(admin):
    r = admin("POST", "/rest/v2/structure", msg(codelist(), concepts_using("9.9.9")))
    assert r.status_code == 207
    assert sorted(results(r)) == [("Failure", "409"), ("Success", "201")]


def test_type_mismatch_and_put_errors(admin):
    r = admin("POST", "/rest/v2/structure/dataflow", msg(codelist()))
    assert r.status_code == 422 and b"dataflow" in r.data
    r = admin("PUT", "/rest/v2/structure/codelist/TST/CL_T/2.0.0", msg(codelist()))
    assert r.status_code == 422
    r = admin("PUT", "/rest/v2/structure/codelist/TST/CL_T/1.0.0-draft", msg(codelist()))
    assert r.status_code == 404


BAD_BODIES = {
    "not xml": (b"this is not xml", 400, b"neither SDMX-ML"),
    "truncated": (msg(codelist())[:-40], 400, b"line"),
    "entities": (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]>' + msg(codelist())[38:], 400, b"entity"),
    "external entity": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
                        400, b"entity"),
    "wrong namespace": (msg(codelist()).replace(b"v3_0/message", b"v9_9/message"), 400, b"v9_9"),
    "unknown artefact": (msg(b"<str:Unicorns><str:Unicorn id='U'/></str:Unicorns>"), None, b"Unicorn"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_input_is_explained_and_stores_nothing(admin, engine, case):
    body, status, words = BAD_BODIES[case]
    before = dump(engine)
    r = admin("POST", "/rest/v2/structure", body)
    assert r.status_code == status if status else r.status_code in (400, 422), r.data
    assert words.lower() in r.data.lower(), r.data
    assert dump(engine) == before


def test_oversized_and_gzip_bodies(admin, engine, app):
    before = dump(engine)
    big = msg(codelist(codes="A" * 1)) + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10)
    assert admin("POST", "/rest/v2/structure", big).status_code == 413
    bomb = gzip.compress(b" " * (app.config["MAX_CONTENT_LENGTH"] * 3))
    assert admin("POST", "/rest/v2/structure", bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    assert dump(engine) == before
    r = admin("POST", "/rest/v2/structure", gzip.compress(msg(codelist())), **{"Content-Encoding": "gzip"})
    assert r.status_code == 201
