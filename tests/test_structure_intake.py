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
