"""Structure intake (issue 16, points 4-7): real messages in, never a 500, everything accepted retrievable."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from lxml import etree

from .db_dump import dump
from .xsd import validate_sdmx_json_structure, validate_sdmx_ml

MESSAGES = Path(__file__).parent / "messages"
UNICEF = MESSAGES / "unicef_like_global_dataflow.xml"
ML21 = "application/vnd.sdmx.structure+xml;version=2.1"
ML30 = "application/vnd.sdmx.structure+xml;version=3.0.0"
JSON20 = "application/vnd.sdmx.structure+json;version=2.0.0"
REG = {"2.1": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/registry",
       "3.0": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/registry"}


def submission_results(resp, version: str = "3.0") -> list[tuple[str, str, str]]:
    """(status, urn, message) of each SubmissionResult, after checking the response against the XSD."""
    root = etree.fromstring(resp.data)
    validate_sdmx_ml(root, version)
    ns = {"reg": REG[version], "com": REG[version].replace("registry", "common")}
    return [(r.find("reg:StatusMessage", ns).get("status"),
             (r.findtext("reg:SubmittedStructure/reg:MaintainableObject", namespaces=ns) or "").strip(),
             r.findtext("reg:StatusMessage/reg:MessageText/com:Text", namespaces=ns))
            for r in root.iterfind(".//reg:SubmissionResult", ns)]


# -- point 4: a valid DataKeySet constraint loads; an invalid message is the client's error -------------

def test_a_constraint_with_a_data_key_set_loads_and_round_trips(admin):
    r = admin("POST", "/rest/v2/structure", UNICEF.read_bytes())
    assert r.status_code == 201, r.data
    assert {s for s, _, _ in submission_results(r)} == {"Success"}
    path = "/rest/v2/structure/dataconstraint/UNICEF/CC_GLOBAL/1.0"
    keys = [[("REF_AREA", "AFG"), ("INDICATOR", "CME_MRY0T4")], [("REF_AREA", "KAZ"), ("INDICATOR", "NT_ANT_HAZ_NE2")]]
    for accept, version in ((ML21, "2.1"), (ML30, "3.0")):
        got = admin("GET", path, Accept=accept)
        assert got.status_code == 200, got.data
        root = etree.fromstring(got.data)
        validate_sdmx_ml(root, version)
        sets = root.findall(".//{*}DataKeySet")
        assert [s.get("isIncluded") for s in sets] == ["true"]
        assert [[(kv.get("id"), kv.findtext("{*}Value")) for kv in k.iterfind("{*}KeyValue")]
                for k in sets[0].iterfind("{*}Key")] == keys
    doc = admin("GET", path, Accept=JSON20).get_json()
    validate_sdmx_json_structure(doc, "2.0")
    ks = doc["data"]["dataConstraints"][0]["dataKeySets"]
    assert ks == [{"isIncluded": True, "keys": [{"keyValues": [{"id": i, "value": v} for i, v in k]} for k in keys]}]


def test_an_excluding_key_set_and_a_second_set_are_kept(admin):
    body = UNICEF.read_bytes().replace(
        b"</str:DataKeySet>", b"</str:DataKeySet><str:DataKeySet isIncluded=\"false\"><str:Key><com:KeyValue "
        b"id=\"REF_AREA\"><com:Value>ALB</com:Value></com:KeyValue></str:Key></str:DataKeySet>", 1)
    assert admin("POST", "/rest/v2/structure", body).status_code == 201
    doc = admin("GET", "/rest/v2/structure/dataconstraint/UNICEF/CC_GLOBAL/1.0", Accept=JSON20).get_json()
    sets = doc["data"]["dataConstraints"][0]["dataKeySets"]
    assert [s["isIncluded"] for s in sets] == [True, False]
    assert sets[1]["keys"] == [{"keyValues": [{"id": "REF_AREA", "value": "ALB"}]}]


def test_a_reference_of_an_unknown_class_is_a_400_naming_it(admin, engine):
    before = dump(engine)
    body = UNICEF.read_bytes().replace(b'package="codelist" class="Codelist"', b'package="codelist" class="Unicorn"', 1)
    r = admin("POST", "/rest/v2/structure", body)
    assert r.status_code == 400, r.data
    assert b"Unicorn" in r.data and b"line" in r.data
    assert dump(engine) == before


# -- point 4: mutation fuzz of the structure reader (bounded, deterministic) -------------------------

FUZZ_SEED = 20261207
FUZZ_CASES = 240
FUZZ_SOURCES = ("ECB/orgscheme.xml", "ECB/structureset-0.xml", "ECB_EXR/rg-structure.xml", "ESTAT/CL_FREQ.xml",
                "ESTAT/HCL_WSTATUS_SCL_BNSPART.xml", "ESTAT/esms-structure.xml", "v21/xml/demography/demography.xml",
                "v3/xml/codelist.xml", "v3/xml/dataflow.xml", "v3/xml/valuelist.xml", "v3/xml/ECB_EXR_CA_DSD.xml")
_CLASSES = ("Codelist", "ConceptScheme", "Concept", "Dataflow", "DataStructure", "Unicorn", "Code", "AgencyScheme",
            "ContentConstraint", "Categorisation", "Category", "HierarchicalCodelist", "MetadataStructure")


def _mutate(body: bytes, rng: random.Random) -> bytes:
    """One real message changed as a careless or hostile client would: an element dropped, duplicated or
    renamed, an attribute dropped or changed, a class or URN class swapped, or the bytes cut short."""
    kind = rng.choice(("drop", "duplicate", "rename", "drop_attr", "change_attr", "class", "urn_class", "truncate",
                       "text"))
    if kind == "truncate":
        return body[:rng.randrange(1, len(body))]
    root = etree.fromstring(body)
    elements = [e for e in root.iter() if isinstance(e.tag, str)][1:]
    e = rng.choice(elements)
    if kind == "drop" and e.getparent() is not None:
        e.getparent().remove(e)
    elif kind == "duplicate" and e.getparent() is not None:
        e.addnext(etree.fromstring(etree.tostring(e)))
    elif kind == "rename":
        other = rng.choice(elements)
        e.tag = etree.QName(etree.QName(e).namespace or None, etree.QName(other).localname).text
    elif kind in ("drop_attr", "change_attr") and e.attrib:
        name = rng.choice(sorted(e.attrib))
        if kind == "drop_attr":
            del e.attrib[name]
        else:
            e.set(name, rng.choice(("", "0", "-1", "x y", "9999999999", "1.0", "true", "A" * 300, e.get(name) * 2)))
    elif kind == "class":
        refs = [r for r in elements if r.get("class")] or elements
        rng.choice(refs).set("class", rng.choice(_CLASSES))
    elif kind == "urn_class":
        urns = [x for x in elements if (x.text or "").startswith("urn:sdmx")] or elements
        x = rng.choice(urns)
        x.text = (x.text or "").replace(".Codelist=", ".ConceptScheme=").replace(".Concept=", ".Code=").replace(
            ".DataStructure=", ".Dataflow=") or "urn:sdmx:org.sdmx.infomodel.codelist.Unicorn=A:B(1.0)"
    elif kind == "text":
        e.text = rng.choice(("", "x", "1.0.0-", "urn:sdmx:bad", "-1", "\u0436" * 50))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mutated_real_messages_never_answer_500(admin, specimens):
    """Deterministic: the same FUZZ_CASES mutations every run, in well under 30 s; any 500 fails the test."""
    rng = random.Random(FUZZ_SEED)
    sources = [(specimens / p).read_bytes() for p in FUZZ_SOURCES] + [UNICEF.read_bytes()]
    started = time.perf_counter()
    statuses: dict[int, int] = {}
    server_errors = []
    for i in range(FUZZ_CASES):
        body = _mutate(rng.choice(sources), rng)
        r = admin("POST", "/rest/v2/structure", body)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code >= 500:
            server_errors.append((i, r.data[:300], body[:2000]))
    elapsed = time.perf_counter() - started
    assert not server_errors, f"{len(server_errors)} mutated messages answered 5xx; first: {server_errors[0]}"
    assert elapsed < 30, f"the fuzz took {elapsed:.1f} s"
    assert set(statuses) <= {200, 201, 207, 400, 404, 409, 413, 422}, statuses
    assert statuses.get(400, 0) > FUZZ_CASES // 4 and statuses.get(201, 0) + statuses.get(207, 0) + statuses.get(200, 0)


# -- point 5: a refused copy does not make its referrers fail ------------------------------------------

def test_a_refused_copy_of_a_final_artefact_does_not_cascade(admin, specimens):
    original = (specimens / "ESTAT/apro_mk_cola-structure.xml").read_bytes()
    assert admin("POST", "/rest/v2/structure", original).status_code == 201
    cl_freq = "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=ESTAT:CL_FREQ(1.0)"
    stored_before = admin("GET", "/rest/v2/structure/codelist/ESTAT/CL_FREQ/1.0", Accept=JSON20).get_json()
    # the same message from elsewhere: its copy of the final CL_FREQ differs, and it brings a new DSD using it
    changed = original.replace(b'id="DSD_apro_mk_cola"', b'id="DSD_apro_mk_cola_B"', 1).replace(
        b"DataStructure=ESTAT:DSD_apro_mk_cola(1.0)", b"DataStructure=ESTAT:DSD_apro_mk_cola_B(1.0)", 1)
    start = changed.index(b'id="CL_FREQ"')
    name_at = changed.index(b"<com:Name", start)
    changed = changed[:name_at] + b'<com:Name xml:lang="xx">a different copy</com:Name>' + changed[name_at:]
    r = admin("POST", "/rest/v2/structure", changed)
    assert r.status_code == 207, r.data
    by_urn = {urn: (status, text) for status, urn, text in submission_results(r)}
    assert by_urn[cl_freq][0] == "Failure" and "final" in by_urn[cl_freq][1]
    dsd = "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=ESTAT:DSD_apro_mk_cola_B(1.0)"
    assert by_urn[dsd][0] == "Success", by_urn[dsd]
    assert not [t for _, t in by_urn.values() if "do not exist" in t]
    assert admin("GET", "/rest/v2/structure/datastructure/ESTAT/DSD_apro_mk_cola_B/1.0").status_code == 200
    stored_after = admin("GET", "/rest/v2/structure/codelist/ESTAT/CL_FREQ/1.0", Accept=JSON20).get_json()
    assert stored_after["data"] == stored_before["data"]


def test_loading_files_does_not_depend_on_their_order(engine, specimens):
    from sdmx_server.maintenance.structure_intake import read_structures
    from sdmx_server.maintenance.structure_maintenance import submit
    from sdmx_server.storage.artefact_store import ArtefactStore

    arts = read_structures((specimens / "ECB_EXR/rg-structure-full.xml").read_bytes())
    outcomes = []
    for order in (arts, list(reversed(arts))):
        with engine.connect() as conn:
            tx = conn.begin()
            outcomes.append(sorted((r.urn, r.status) for r in submit(ArtefactStore(conn), order, method="POST")))
            tx.rollback()
    assert outcomes[0] == outcomes[1] and {s for _, s in outcomes[0]} == {"Success"}
