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
    results = submission_results(r)
    assert {s for s, _, _ in results} == {"Success"}
    urns = [u for _, u, _ in results]  # 3.0 class names, though the message is SDMX-ML 2.1
    assert "urn:sdmx:org.sdmx.infomodel.registry.DataConstraint=UNICEF:CC_GLOBAL(1.0)" in urns
    assert not [u for u in urns if "ContentConstraint" in u or "Definition=" in u]
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
FUZZ_CASES = 200
FUZZ_JSON_CASES = 80
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


def _mutate_json(doc: dict, rng: random.Random) -> bytes:
    """An SDMX-JSON 2.0 message with one member dropped, retyped, duplicated or replaced by a stray URN."""
    doc = json.loads(json.dumps(doc))
    places = []

    def walk(node, path):
        places.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            walk(v, path + (k,))

    walk(doc, ())
    path = rng.choice(places[1:])
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    kind = rng.choice(("drop", "retype", "duplicate", "urn"))
    if kind == "drop":
        del parent[key]
    elif kind == "retype":
        parent[key] = rng.choice((None, 1, "x", [], {}, True, [1], {"a": 1}))
    elif kind == "duplicate" and isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[key])))
    else:
        parent[key] = "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=A:B(1.0)"
    return json.dumps(doc).encode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mutated_real_messages_never_answer_500(admin, specimens):
    """Deterministic: the same FUZZ_CASES SDMX-ML and FUZZ_JSON_CASES SDMX-JSON mutations every run, in under
    30 s; any 5xx fails the test."""
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
    json_source = json.loads((specimens / "v3/json/structure/constructed-sample.json").read_bytes())
    for i in range(FUZZ_JSON_CASES):
        body = _mutate_json(json_source, rng)
        r = admin("POST", "/rest/v2/structure", body, **{"Content-Type": "application/json"})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code >= 500:
            server_errors.append((f"json {i}", r.data[:300], body[:2000]))
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


# -- point 6: a data structure with no dimensions or no measure is refused ---------------------------

V30 = b"""<?xml version="1.0" encoding="UTF-8"?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
  xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
  xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
 <mes:Header><mes:ID>T1</mes:ID><mes:Test>true</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared>
  <mes:Sender id="TEST"/></mes:Header><mes:Structures>
 <str:ConceptSchemes><str:ConceptScheme agencyID="TST" id="CS" version="1.0"><com:Name xml:lang="en">C</com:Name>
  <str:Concept id="REF_AREA"><com:Name xml:lang="en">Area</com:Name></str:Concept>
  <str:Concept id="OBS_VALUE"><com:Name xml:lang="en">Value</com:Name></str:Concept></str:ConceptScheme></str:ConceptSchemes>
 <str:DataStructures><str:DataStructure agencyID="TST" id="DSD" version="1.0"><com:Name xml:lang="en">D</com:Name>
  COMPONENTS</str:DataStructure></str:DataStructures></mes:Structures></mes:Structure>"""
DIMENSIONS = (b'<str:DimensionList id="DimensionDescriptor"><str:Dimension id="REF_AREA" position="1"><str:ConceptIdentity>'
              b"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=TST:CS(1.0).REF_AREA</str:ConceptIdentity>"
              b"</str:Dimension></str:DimensionList>")
MEASURES = (b'<str:MeasureList id="MeasureDescriptor"><str:Measure id="OBS_VALUE"><str:ConceptIdentity>'
            b"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=TST:CS(1.0).OBS_VALUE</str:ConceptIdentity>"
            b"</str:Measure></str:MeasureList>")


@pytest.mark.parametrize("components", ["none", "no measure", "no dimension"])
def test_a_data_structure_without_dimensions_or_measures_is_refused(admin, engine, components):
    inner = {"none": b"", "no measure": b"<str:DataStructureComponents>" + DIMENSIONS + b"</str:DataStructureComponents>",
             "no dimension": b"<str:DataStructureComponents>" + MEASURES + b"</str:DataStructureComponents>"}[components]
    before = dump(engine)
    r = admin("POST", "/rest/v2/structure/datastructure", V30.replace(b"COMPONENTS", inner).replace(
        V30[V30.index(b"<str:ConceptSchemes>"):V30.index(b"</str:ConceptSchemes>") + 21], b""))
    assert r.status_code in (400, 422), r.data
    assert (b"DSD" in r.data and (b"dimension" in r.data or b"measure" in r.data)) or b"DimensionList" in r.data, r.data
    assert dump(engine) == before
    r = admin("POST", "/rest/v2/structure", V30.replace(b"COMPONENTS", inner))  # the concepts load, the DSD not
    if r.status_code != 400:  # (the XSD itself refuses a DSD with measures and no dimension)
        by_urn = {urn: (status, text) for status, urn, text in submission_results(r)}
        status, text = by_urn["urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=TST:DSD(1.0)"]
        assert status == "Failure" and ("dimension" in text or "measure" in text), text
    assert admin("GET", "/rest/v2/structure/datastructure/TST/DSD/1.0").status_code in (404, 204)
    complete = V30.replace(b"COMPONENTS", b"<str:DataStructureComponents>" + DIMENSIONS + MEASURES +
                           b"</str:DataStructureComponents>")
    assert admin("POST", "/rest/v2/structure", complete).status_code in (200, 201)


# -- point 7: everything accepted is retrievable --------------------------------------------------------

MSD_MESSAGE = MESSAGES / "dsm_data_documentation_msd.xml"
MSD_PATH = "/rest/v2/structure/metadatastructure/DSM/MSD_DATA_DOCUMENTATION/1.0"
MF_PATH = "/rest/v2/structure/metadataflow/DSM/MF_DATA_DOCUMENTATION/1.0"


def test_a_metadata_structure_and_metadataflow_round_trip_in_3_0_and_json_2_0(admin):
    from sdmx_server.maintenance.structure_intake import read_structures

    r = admin("POST", "/rest/v2/structure", MSD_MESSAGE.read_bytes())
    assert r.status_code == 201, r.data
    results = submission_results(r)
    assert {s for s, _, _ in results} == {"Success"}
    assert "urn:sdmx:org.sdmx.infomodel.metadatastructure.MetadataStructure=DSM:MSD_DATA_DOCUMENTATION(1.0)" in [
        u for _, u, _ in results]
    submitted = {(a["type"], a["id"]): a for a in read_structures(MSD_MESSAGE.read_bytes())}
    for path in (MSD_PATH, MF_PATH):
        ml = admin("GET", path, Accept=ML30)
        assert ml.status_code == 200, ml.data
        validate_sdmx_ml(ml.data, "3.0")
        doc = admin("GET", path, Accept=JSON20)
        assert doc.status_code == 200, doc.data
        validate_sdmx_json_structure(doc.data, "2.0")
        for body in (ml.data, doc.data):  # what the server writes reads back as what was submitted
            (again,) = read_structures(body)
            assert again == submitted[(again["type"], again["id"])]
    mf = etree.fromstring(admin("GET", MF_PATH, Accept=ML30).data)
    assert [t.text for t in mf.iterfind(".//{*}Metadataflow/{*}Target")] == [
        "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:*(*)"]
    attrs = json.loads(admin("GET", MSD_PATH, Accept=JSON20).data)["data"]["metadataStructures"][0][
        "metadataStructureComponents"]["metadataAttributeList"]["metadataAttributes"]
    assert [a["id"] for a in attrs] == ["DEFINITIONS", "SOURCE", "COUNTING_UNIT"]
    assert attrs[0]["metadataAttributes"][0]["id"] == "DEF_FOREIGNER" and attrs[1]["maxOccurs"] == "unbounded"


@pytest.mark.parametrize("accept", [ML21, "application/vnd.sdmx.structure+json;version=1.0.0"])
def test_formats_without_the_3_0_metadata_model_answer_a_coherent_406(admin, accept):
    assert admin("POST", "/rest/v2/structure", MSD_MESSAGE.read_bytes()).status_code == 201
    for path in (MSD_PATH, MF_PATH):
        r = admin("GET", path, Accept=accept)
        assert r.status_code == 406, r.data
        text = r.data.decode()
        assert ML30 in text and JSON20 in text  # the formats that can
        assert f"{accept} cannot represent" in text and text.count(f"or {accept}") + text.count(f"for {accept}") == 0


def test_an_sdmx_ml_2_1_metadata_structure_is_refused_at_submission_not_served_half(admin, specimens):
    r = admin("POST", "/rest/v2/structure", (specimens / "ESTAT/esms-structure.xml").read_bytes())
    results = submission_results(r)
    refused = [(u, t) for s, u, t in results if s == "Failure" and "MetadataStructure=" in u]
    assert refused and all("SDMX-ML 3.0" in t for _, t in refused), results
    assert admin("GET", "/rest/v2/structure/metadatastructure/ESTAT/*/*").status_code in (204, 404)


def test_types_no_format_serves_are_refused_at_submission_naming_the_type(admin, specimens):
    r = admin("POST", "/rest/v2/structure", (specimens / "ESTAT/HCL_WSTATUS_SCL_BNSPART.xml").read_bytes())
    results = submission_results(r)
    hcl = [(s, t) for s, u, t in results if "Hierarchy=" in u]  # a 2.1 HierarchicalCodelist is a 3.0 Hierarchy
    assert hcl and all(s == "Failure" and "Hierarchy" in t for s, t in hcl), results
    assert r.status_code == 422
    with_codelist = (specimens / "ESTAT/HCL_WSTATUS_SCL_BNSPART.xml").read_bytes().replace(  # the rest still loads
        b"</message:Structures>", b'<str:Codelists><str:Codelist agencyID="TST" id="CL_T" version="1.0"><com:Name '
        b'xml:lang="en">T</com:Name><str:Code id="A"><com:Name xml:lang="en">A</com:Name></str:Code></str:Codelist>'
        b"</str:Codelists></message:Structures>")
    r = admin("POST", "/rest/v2/structure", with_codelist)
    assert r.status_code == 207, r.data
    assert any(s == "Success" and "Codelist=" in u for s, u, _ in submission_results(r))
    r = admin("POST", "/rest/v2/structure", (specimens / "ECB/structureset-0.xml").read_bytes())
    assert r.status_code == 422 and b"StructureSet" in r.data, r.data


SWEEP = ("ECB/orgscheme.xml", "ECB/structureset-0.xml", "ECB_EXR/1/structure-full.xml", "ESTAT/CL_FREQ.xml",
         "ESTAT/HCL_WSTATUS_SCL_WSTATUSPR.xml", "ESTAT/esms-structure.xml", "ESTAT/demography-structure.xml",
         "v21/xml/VTL/VTL_Sample_1.xml", "v21/xml/demography/esms.xml", "v3/xml/VTL_Sample_1.xml",
         "v3/xml/codelist-extended.xml", "v3/xml/valuelist.xml", "v3/xml/ECB_EXR_CA_DSD.xml")
FORMATS = (ML21, ML30, JSON20, "application/vnd.sdmx.structure+json;version=1.0.0")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_accepted_artefact_is_served_in_a_format_and_valid(admin, specimens):
    """No 201 then 406 in every format: each stored artefact answers 200 in at least one structure format,
    every 200 is valid against the official schema, and every 406 names formats that do answer."""
    from sdmx_server.sdmx.artefacts import parse_urn

    stored = []
    for name in SWEEP + (str(MSD_MESSAGE), str(UNICEF)):
        r = admin("POST", "/rest/v2/structure", (specimens / name).read_bytes())
        assert r.status_code < 500, (name, r.data)
        stored += [u for s, u, _ in submission_results(r) if s == "Success"]
    assert len(stored) > 40
    for urn in stored:
        u = parse_urn(urn)
        path = f"/rest/v2/structure/{u.type}/{u.agency_id}/{u.id}/{u.version}"
        served = {}
        for accept in FORMATS:
            r = admin("GET", path, Accept=accept)
            assert r.status_code in (200, 406), (urn, accept, r.status_code, r.data[:500])
            served[accept] = r
            if r.status_code == 200 and "xml" in accept:
                validate_sdmx_ml(r.data, "2.1" if accept == ML21 else "3.0")
            elif r.status_code == 200:
                validate_sdmx_json_structure(r.data, "2.0" if accept == JSON20 else "1.0")
        ok = [a for a, r in served.items() if r.status_code == 200]
        assert ok, f"{urn} was stored but answers 406 in every format"
        for accept, r in served.items():
            if r.status_code == 406:
                named = [f for f in FORMATS if f != accept and f in r.data.decode()]
                assert named and set(named) <= set(ok), (urn, accept, r.data)
