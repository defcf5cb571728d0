"""The documentation workflow under /api (issue 17, point 4): pending -> validated -> released or returned, by the
roles and the four-eyes rule of data, every step in metadata_set_transition and the audit log; what changed
against the released version, attribute by attribute; the MSD read from the structure store.

Real seed structures, real database (SQLite and PostgreSQL), real HTTP through the Flask test client.
"""

from __future__ import annotations

import json
import re

import pytest

from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.metadata_store import MetadataStore
from sdmx_server.storage.user_store import UserStore

from .db_dump import dump
from .test_metadata_api import POST, STOCK, message

SETS = "/api/documentation/sets"
USERS = {"kz_sub": "data_submitter", "kz_verifier": "data_verifier", "kz_approver": "data_approver",
         "kz_content": "content_manager", "kz_admin": "country_administrator", "kz_viewer": "viewer",
         "kg_admin": "country_administrator"}


@pytest.fixture
def world(app, engine, config):
    load_structures(engine, read_files(seed_files(config)))
    tokens = {}
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        for name, role in USERS.items():
            users.add(name, "pw-" + name + "-123", roles=[role], country=name[:2].upper())
            tokens[name], _ = users.create_token(name, days=1)
        users.add("root", "pw-root-123", roles=["system_administrator"], country=None)
        tokens["root"], _ = users.create_token("root", days=1)
    client = app.test_client()

    def call(method: str, path: str, who: str | None = None, body: bytes | dict | None = None, **headers):
        auth = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        if isinstance(body, dict):
            body, headers = json.dumps(body).encode(), {"Content-Type": "application/json", **headers}
        return client.open(path, method=method, data=body, headers={"Content-Type": "application/xml", **auth,
                                                                      **headers})
    return call


def submitted(world, who: str = "kz_sub", body: bytes | None = None) -> int:
    r = world("POST", POST, who, body or message())
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.get_json()["metadataSets"][0]["internalId"]


def audit(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [(e.actor, e.action, e.country) for e in reversed(AuditStore(conn).entries(all_countries=True))
                if e.action.startswith("documentation.")]


def test_verified_then_released_by_two_others_each_step_recorded(world, engine):
    sid = submitted(world)
    # the verifier's queue lists it; the approver's does not yet
    listed = world("GET", f"{SETS}?state=pending", "kz_verifier").get_json()
    assert [s["id"] for s in listed] == [sid] and listed[0]["provider"] == "KZ" and listed[0]["dataflow"] == STOCK
    assert world("POST", f"{SETS}/{sid}/release", "kz_approver").status_code == 409  # not verified yet
    assert world("POST", f"{SETS}/{sid}/verify", "kz_sub").status_code == 403  # a submitter does not verify
    r = world("POST", f"{SETS}/{sid}/verify", "kz_verifier", {"comment": "definitions checked"})
    assert r.status_code == 200 and r.get_json()["state"] == "validated"
    assert world("POST", f"{SETS}/{sid}/verify", "kz_verifier").status_code == 409  # already done
    assert world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_viewer").status_code == 204  # not yet public
    r = world("POST", f"{SETS}/{sid}/release", "kz_approver")
    assert r.status_code == 200, r.get_data(as_text=True)
    doc = r.get_json()
    assert doc["state"] == "released" and [(t["from"], t["to"], t["actor"]) for t in doc["transitions"]] == [
        (None, "pending", "kz_sub"), ("pending", "validated", "kz_verifier"), ("validated", "released", "kz_approver")]
    assert doc["transitions"][1]["comment"] == "definitions checked"
    assert world("GET", "/rest/v2/metadata/metadataset/KZ", "kz_viewer").status_code == 200
    assert audit(engine) == [("kz_sub", "documentation.submit", "KZ"), ("kz_verifier", "documentation.verify", "KZ"),
                             ("kz_approver", "documentation.release", "KZ")]
    with engine.connect() as conn:
        assert len(MetadataStore(conn).transitions(sid)) == 3


def test_four_eyes_the_submitter_neither_verifies_nor_releases(world, engine):
    sid = submitted(world, "kz_admin")
    before = dump(engine)
    r = world("POST", f"{SETS}/{sid}/verify", "kz_admin")
    assert r.status_code == 403 and "four-eyes" in r.get_data(as_text=True)
    assert dump(engine) == before
    assert world("POST", f"{SETS}/{sid}/verify", "kz_verifier").status_code == 200
    r = world("POST", f"{SETS}/{sid}/release", "kz_admin")
    assert r.status_code == 403 and "four-eyes" in r.get_data(as_text=True)
    # a system administrator is not bound, and is recorded like everyone
    r = world("POST", f"{SETS}/{sid}/release", "root")
    assert r.status_code == 200 and r.get_json()["state"] == "released"
    assert audit(engine)[-1] == ("root", "documentation.release", "KZ")


def test_returned_with_a_comment_and_then_nothing_more(world, engine):
    sid = submitted(world)
    assert world("POST", f"{SETS}/{sid}/return", "kz_verifier", {"comment": "  "}).status_code == 400
    assert world("POST", f"{SETS}/{sid}/return", "kz_verifier", {}).status_code == 400
    r = world("POST", f"{SETS}/{sid}/return", "kz_verifier", {"comment": "the legal basis is missing"})
    assert r.status_code == 200 and r.get_json()["state"] == "returned"
    assert r.get_json()["transitions"][-1]["comment"] == "the legal basis is missing"
    assert world("POST", f"{SETS}/{sid}/verify", "kz_verifier").status_code == 409
    assert world("POST", f"{SETS}/{sid}/release", "kz_approver").status_code == 409
    assert ("kz_verifier", "documentation.return", "KZ") in audit(engine)
    assert world("GET", f"{SETS}?state=returned", "kz_sub").get_json()[0]["id"] == sid


@pytest.mark.parametrize("who", ["kg_admin", "kz_viewer"])
def test_others_see_no_such_documentation(world, engine, who):
    sid = submitted(world)
    assert world("GET", f"{SETS}/{sid}", who).status_code == 404
    for step in ("verify", "release", "return"):
        assert world("POST", f"{SETS}/{sid}/{step}", who, {"comment": "x"}).status_code == 404
    assert world("GET", SETS, who).get_json() == []
    assert world("GET", f"{SETS}/{sid}").status_code == 401
    assert world("GET", f"{SETS}/999999", "kz_admin").status_code == 404


def test_a_content_manager_documents_but_does_not_verify(world, engine):
    sid = submitted(world, "kz_content")
    assert world("POST", f"{SETS}/{sid}/verify", "kz_content").status_code == 403
    assert world("GET", f"{SETS}/{sid}", "kz_content").get_json()["submittedBy"] == "kz_content"


def test_changes_against_the_released_version_attribute_by_attribute(world, engine):
    first = submitted(world)
    world("POST", f"{SETS}/{first}/verify", "kz_verifier")
    world("POST", f"{SETS}/{first}/release", "kz_approver")
    body = message().replace(b"A person who is not a citizen</com:Text>", b"A person without citizenship</com:Text>")
    body = body.replace(b"<md:Value>RES_PERMIT</md:Value>", b"<md:Value>CENSUS</md:Value>")
    body = body.replace(b'<md:Attribute id="CHILDREN_INCLUDED"><md:Value>Y</md:Value></md:Attribute>',
                        b'<md:Attribute id="ASYLUM_SEEKERS"><md:Value>N</md:Value></md:Attribute>')
    second = submitted(world, body=body)
    doc = world("GET", f"{SETS}/{second}", "kz_verifier").get_json()
    assert doc["version"] == 2 and doc["comparedWith"] == 1
    changes = {c["attribute"]: c for c in doc["changes"]}
    assert set(changes) == {"DEF_FOREIGNER", "DATA_SOURCE", "ASYLUM_SEEKERS", "CHILDREN_INCLUDED"}
    assert changes["DEF_FOREIGNER"]["kind"] == "changed"
    assert changes["DEF_FOREIGNER"]["before"][0]["texts"]["en"] == "A person who is not a citizen"
    assert changes["DEF_FOREIGNER"]["after"][0]["texts"]["en"] == "A person without citizenship"
    assert [v["value"] for v in changes["DATA_SOURCE"]["after"]] == ["POP_REGISTER", "CENSUS"]
    assert (changes["ASYLUM_SEEKERS"]["kind"], changes["CHILDREN_INCLUDED"]["kind"]) == ("added", "removed")


def test_the_msd_replaced_through_the_structure_api_is_the_one_used(world, engine, config):
    """A version 1.1 of the MSD (DEF_FOREIGNER optional, a new attribute NOTE) and of the metadataflow, stored
    through the structure API: documentation of the 1.1 metadataflow is checked against it at once, and the
    portal's questionnaire is the newest version's."""
    from sdmx_server.metadata.questionnaire import documentation_flow
    from sdmx_server.storage.artefact_store import ArtefactStore

    without = re.sub(rb'<md:Attribute id="DEF_FOREIGNER">.*?</md:Attribute>', b"", message(), flags=re.S)
    noted = without.replace(b"</mes:MetadataSet>", b'<md:Attribute id="NOTE"><com:Text xml:lang="en">new</com:Text>'
                            b"</md:Attribute></mes:MetadataSet>")
    r = world("POST", POST, "kz_sub", noted, Accept="application/problem+json")
    rules = {e["rule"]: e for e in r.get_json()["errors"]}
    assert r.status_code == 422 and {"missing-attribute", "unknown-attribute"} <= set(rules)
    msd = (config.path("structures") / "MSD_DATA_DOCUMENTATION.xml").read_bytes()
    changed = msd.replace(b'id="DEF_FOREIGNER" minOccurs="1"', b'id="DEF_FOREIGNER" minOccurs="0"')
    changed = changed.replace(b"MSD_DATA_DOCUMENTATION(1.0)", b"MSD_DATA_DOCUMENTATION(1.1)").replace(
        b'id="MSD_DATA_DOCUMENTATION" version="1.0"', b'id="MSD_DATA_DOCUMENTATION" version="1.1"')
    note = (b'<str:MetadataAttribute id="NOTE" minOccurs="0" maxOccurs="1"><str:ConceptIdentity>'
            b"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=DSM:CS_DATA_DOCUMENTATION(1.0).DEF_CHILD"
            b"</str:ConceptIdentity><str:LocalRepresentation><str:TextFormat textType=\"String\" "
            b'isMultiLingual="true"/></str:LocalRepresentation></str:MetadataAttribute>')
    changed = changed.replace(b"</str:MetadataAttributeList>", note + b"</str:MetadataAttributeList>")
    assert changed.count(b'id="NOTE"') == 1 and b'version="1.1"' in changed
    flow = (config.path("dataflows") / "MDF_DATA_DOCUMENTATION.xml").read_bytes()
    flow = flow.replace(b"(1.0)", b"(1.1)").replace(b'version="1.0">', b'version="1.1">')
    for body in (changed, flow):
        r = world("POST", "/rest/v2/structure", "root", body)
        assert r.status_code in (200, 201) and b'status="Failure"' not in r.data, r.get_data(as_text=True)
    r = world("POST", POST.replace("/1.0", "/1.1"), "kz_sub", noted.replace(b"MDF_DATA_DOCUMENTATION(1.0)",
                                                                            b"MDF_DATA_DOCUMENTATION(1.1)"))
    assert r.status_code == 202, r.get_data(as_text=True)
    with engine.connect() as conn:
        newest = documentation_flow(ArtefactStore(conn))
    assert newest.urn.endswith("(1.1)") and "NOTE" in newest.attributes
    assert newest.attributes["DEF_FOREIGNER"].min_occurs == 0
