"""StructureMaps and RepresentationMaps through the structure API: seeded, queried with references, round
tripped in SDMX-ML 3.0 and SDMX-JSON 2.0 (schema-valid both ways), and refused cleanly when wrong."""

from __future__ import annotations

import copy
import json

import pytest
from lxml import etree

from sdmx_server.sdmx.artefacts import urn_of
from sdmx_server.sdmx.formats import sdmx_json_2_0_structure_writer, sdmx_ml_3_0_structure_writer
from sdmx_server.sdmx.formats.sdmx_json_2_0_structure_reader import read_structure_message as read_json
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message as read_ml
from sdmx_server.seeding import load_structures, read_files, seed_files

from .test_structure_maps import SEED
from .xsd import validate_sdmx_json_structure, validate_sdmx_ml

ML30 = "application/vnd.sdmx.structure+xml;version=3.0.0"
ML21 = "application/vnd.sdmx.structure+xml;version=2.1"
J20 = "application/vnd.sdmx.structure+json;version=2.0.0"
SM = "/rest/v2/structure/structuremap/KZ/SM_NAT_STOCK/1.0"
MAP_TYPES = ("representationmap", "structuremap")


@pytest.fixture
def seeded(app, engine, config):
    load_structures(engine, read_files(seed_files(config)))
    return app.test_client()


def seed_maps() -> list[dict]:
    return [a for a in read_ml(SEED.read_bytes()).artefacts if a["type"] in MAP_TYPES]


def by_urn(artefacts: list[dict]) -> dict[str, dict]:
    return {urn_of(a): a for a in artefacts}


def test_seeded_maps_read_back_whole_in_both_formats(seeded):
    expected = by_urn(seed_maps())
    for t in MAP_TYPES:
        ml = seeded.get(f"/rest/v2/structure/{t}/KZ/*/~", headers={"Accept": ML30})
        assert ml.status_code == 200 and ml.headers["Content-Type"].startswith(ML30)
        validate_sdmx_ml(ml.data, "3.0")
        js = seeded.get(f"/rest/v2/structure/{t}/KZ/*/~", headers={"Accept": J20})
        assert js.status_code == 200
        validate_sdmx_json_structure(js.data, "2.0")
        for back in (read_ml(ml.data).artefacts, read_json(js.data).artefacts):
            got = by_urn(back)
            assert got and got == {u: a for u, a in expected.items() if a["type"] == t}
    sm = seeded.get(SM, headers={"Accept": J20}).get_json()["data"]["structureMaps"][0]
    assert [c["source"] for c in sm["componentMaps"]] == [["GRAZHDANSTVO"], ["POL"], ["GOD"], ["CHISLENNOST"]]
    assert {f["target"]: f["values"] for f in sm["fixedValueMaps"]} == {"FREQ": ["A"], "REF_AREA": ["KZ"],
                                                                      "UNIT_MEASURE": ["PS"]}


def test_references_descend_to_maps_codelists_and_structures_and_climb_back(seeded):
    r = seeded.get(SM + "?references=descendants", headers={"Accept": J20})
    data = r.get_json()["data"]
    validate_sdmx_json_structure(r.data, "2.0")
    assert {a["id"] for a in data["representationMaps"]} == {"RM_SEX", "RM_CITIZENSHIP"}
    assert {a["id"] for a in data["dataStructures"]} == {"DSD_NAT_STOCK", "DSD_MIGRATION"}
    assert {a["id"] for a in data["dataflows"]} == {"DF_STOCK_FOREIGNERS"}
    assert {"CL_SEX", "CL_AREA"} <= {a["id"] for a in data["codelists"]}
    ml = seeded.get(SM + "?references=descendants", headers={"Accept": ML30})
    validate_sdmx_ml(ml.data, "3.0")
    r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX/~?references=representationmap", headers={"Accept": J20})
    assert [a["id"] for a in r.get_json()["data"]["representationMaps"]] == ["RM_SEX"]
    r = seeded.get("/rest/v2/structure/dataflow/DSM/DF_STOCK_FOREIGNERS/~?references=parents", headers={"Accept": J20})
    assert [a["id"] for a in r.get_json()["data"]["structureMaps"]] == ["SM_NAT_STOCK"]


@pytest.mark.parametrize("accept", [ML30, J20])
def test_stubs_keep_source_and_target_and_are_valid(seeded, accept):
    r = seeded.get("/rest/v2/structure/structuremap,representationmap/KZ?detail=allstubs", headers={"Accept": accept})
    assert r.status_code == 200
    if accept == ML30:
        validate_sdmx_ml(r.data, "3.0")
        root = etree.fromstring(r.data)
        assert not list(root.iter("{*}RepresentationMapping")) and not list(root.iter("{*}ComponentMap"))
        assert len(list(root.iter("{*}TargetCodelist"))) == 2
    else:
        validate_sdmx_json_structure(r.data, "2.0")
        sm = r.get_json()["data"]["structureMaps"][0]
        assert sm["isExternalReference"] is True and "componentMaps" not in sm and sm["source"].endswith("(1.0)")


def test_formats_and_api_versions_that_have_no_maps(seeded):
    r = seeded.get(SM, headers={"Accept": ML21})
    assert r.status_code == 406 and ML30.encode() in r.data and J20.encode() in r.data
    for path in ("/rest/structuremap/KZ/SM_NAT_STOCK", "/rest/representationmap",
                 "/rest/codelist/DSM/CL_SEX?references=representationmap"):
        r = seeded.get(path)
        assert r.status_code == 400, path
        assert b"not a resource of the SDMX 2.1 REST API" in r.data and b"/rest/v2/structure/" in r.data
    # every structure, asked in v1: the maps are left out (SDMX-ML 2.1 cannot carry them), the rest answered
    r = seeded.get("/rest/dataflow/DSM/DF_STOCK_FOREIGNERS?references=parents")
    assert r.status_code == 200 and b"StructureMap" not in r.data


def _new_version(artefacts: list[dict], version: str) -> list[dict]:
    """The seed maps under another version, their references to each other following."""
    out = copy.deepcopy(artefacts)
    for a in out:
        a["version"] = version
        for cm in a.get("componentMaps", []):
            if "representationMap" in cm:
                cm["representationMap"] = cm["representationMap"].replace("(1.0)", f"({version})")
    return out


@pytest.mark.parametrize("fmt", ["ml30", "json20"])
def test_submitted_maps_round_trip(seeded, admin, fmt):
    maps = _new_version(seed_maps(), "1.1")
    writer = sdmx_ml_3_0_structure_writer if fmt == "ml30" else sdmx_json_2_0_structure_writer
    body = writer.write_structure_message(maps)
    r = admin("POST", "/rest/v2/structure", body,
              **({"Content-Type": "application/json"} if fmt == "json20" else {}))
    assert r.status_code == 201, r.data[:1500]
    for accept, read in ((ML30, read_ml), (J20, read_json)):
        back = seeded.get("/rest/v2/structure/structuremap,representationmap/KZ/*/1.1", headers={"Accept": accept})
        assert back.status_code == 200
        if accept == ML30:
            validate_sdmx_ml(back.data, "3.0")
        else:
            validate_sdmx_json_structure(back.data, "2.0")
        assert by_urn(read(back.data).artefacts) == by_urn(maps)


def _rm(version: str = "2.0", **mapping) -> dict:
    rm = copy.deepcopy(next(a for a in seed_maps() if a["id"] == "RM_SEX"))
    rm["version"] = version
    rm["representationMappings"][2]["sourceValues"][0].update(mapping)
    return rm


def _refused(admin, seeded, body: bytes, status: int, *words: str, json_body: bool = False) -> None:
    before = seeded.get("/rest/v2/structure/structuremap,representationmap/*/*/*", headers={"Accept": J20}).data
    r = admin("POST", "/rest/v2/structure", body, **({"Content-Type": "application/json"} if json_body else {}))
    assert r.status_code == status, r.data[:1500]
    for w in words:
        assert w.encode() in r.data, (w, r.data[:1500])
    after = seeded.get("/rest/v2/structure/structuremap,representationmap/*/*/*", headers={"Accept": J20}).data
    assert json.loads(after)["data"] == json.loads(before)["data"]  # nothing stored


def test_bad_maps_are_refused_naming_what_and_where(seeded, admin):
    ml = sdmx_ml_3_0_structure_writer.write_structure_message
    js = sdmx_json_2_0_structure_writer.write_structure_message
    _refused(admin, seeded, ml([_rm(value="муж(")]), 422, "RM_SEX(2.0)", "mapping 3", "not a valid regular expression")
    _refused(admin, seeded, js([_rm(value="м" * 201)]), 422, "at most 200", json_body=True)
    _refused(admin, seeded, ml([_rm(value="(м+)+")]), 422, "repeats a group that itself repeats")
    unknown = _rm()
    unknown["source"] = [{"dataType": "Cyrillic"}]
    _refused(admin, seeded, js([unknown]), 422, "unknown data type", "Cyrillic", json_body=True)
    body = ml([_rm()]).replace(b"<str:SourceDataType>String<", b"<str:SourceDataType>Cyrillic<")
    _refused(admin, seeded, body, 400, "XSD", "SourceDataType")
    missing = _rm()
    missing["target"] = [{"codelist": "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_GENDER(1.0)"}]
    _refused(admin, seeded, ml([missing]), 409, "DSM:CL_GENDER(1.0)")
    sm = _new_version([a for a in seed_maps() if a["type"] == "structuremap"], "3.0")
    _refused(admin, seeded, ml(sm), 409, "RepresentationMap=KZ:RM_SEX(3.0)")
    typo = _rm()
    typo["representationMappings"][0]["targetValues"] = ["MALE"]
    _refused(admin, seeded, ml([typo]), 409, "RM_SEX(2.0)", "'MALE' are not codes of DSM:CL_SEX(1.0)")
    wrong = copy.deepcopy(next(a for a in seed_maps() if a["type"] == "structuremap"))
    wrong["version"] = "4.0"
    wrong["componentMaps"][1]["target"] = ["GENDER"]
    _refused(admin, seeded, ml([wrong]), 409, "target components GENDER are not components of DSM:DSD_MIGRATION(1.0)")
    dated = ml(_new_version([a for a in seed_maps() if a["type"] == "structuremap"], "1.0")).replace(
        b"<str:ComponentMap>", b"<str:EpochMap id=\"E\" basePeriod=\"1970-01-01\" epochPeriod=\"day\"><str:Source>GOD"
        b"</str:Source><str:Target>TIME_PERIOD</str:Target><str:TargetFrequencyID>A</str:TargetFrequencyID>"
        b"</str:EpochMap><str:ComponentMap>", 1)
    dated = dated.replace(b"SM_NAT_STOCK", b"SM_DATED")
    _refused(admin, seeded, dated, 422, "EpochMap")


def test_a_code_a_representation_map_writes_cannot_be_removed(admin):
    ml = sdmx_ml_3_0_structure_writer.write_structure_message
    cl = {"type": "codelist", "id": "CL_T", "agencyID": "T", "version": "1.0.0-draft", "isFinal": False,
          "names": {"en": "Test"}, "codes": [{"id": "A", "names": {"en": "A"}}, {"id": "B", "names": {"en": "B"}}]}
    rm = {"type": "representationmap", "id": "RM_T", "agencyID": "T", "version": "1.0.0-draft", "isFinal": False,
          "names": {"en": "Test"}, "source": [{"dataType": "String"}],
          "target": [{"codelist": urn_of(cl)}],
          "representationMappings": [{"sourceValues": [{"value": "б"}], "targetValues": ["B"]}]}
    assert admin("POST", "/rest/v2/structure", ml([cl, rm])).status_code == 201
    without_b = dict(cl, codes=cl["codes"][:1])
    r = admin("PUT", "/rest/v2/structure/codelist/T/CL_T/1.0.0-draft", ml([without_b]))
    assert r.status_code == 409 and b"RepresentationMap T:RM_T(1.0.0-draft) refers to B" in r.data, r.data[:1000]
    without_a = dict(cl, codes=cl["codes"][1:])
    assert admin("PUT", "/rest/v2/structure/codelist/T/CL_T/1.0.0-draft", ml([without_a])).status_code == 200
