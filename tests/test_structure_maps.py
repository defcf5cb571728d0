"""structure_maps: the seeded KZ maps applied to national rows, and every way a map or a row can be wrong."""

from __future__ import annotations

import copy
import time
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from sdmx_server.sdmx.artefacts import urn_of
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message
from sdmx_server.sdmx.structure_maps import (MAX_MATCHED_LENGTH, MAX_REGEX_LENGTH, MapError, UnmappedValue,
                                             compile_maps, compile_representation_map, intake_problem)

SEED = Path(__file__).resolve().parent.parent / "structures" / "maps_kz_national.xml"
RM_SEX = "urn:sdmx:org.sdmx.infomodel.structuremapping.RepresentationMap=KZ:RM_SEX(1.0)"
RM_CIT = "urn:sdmx:org.sdmx.infomodel.structuremapping.RepresentationMap=KZ:RM_CITIZENSHIP(1.0)"


@cache
def _seed() -> dict[str, dict]:
    return {a["id"]: a for a in read_structure_message(SEED.read_bytes()).artefacts}


def seed() -> dict[str, dict]:
    return copy.deepcopy(_seed())


def rms(s: dict) -> dict[str, dict]:
    return {urn_of(a): a for a in s.values() if a["type"] == "representationmap"}


def test_a_national_row_becomes_target_codes():
    s = seed()
    m = compile_maps(s["SM_NAT_STOCK"], rms(s))
    row = {"GRAZHDANSTVO": "Россия", "POL": "ж", "GOD": "2024", "CHISLENNOST": "1520"}
    assert m.translate(row) == {"FREQ": "A", "REF_AREA": "KZ", "UNIT_MEASURE": "PS", "CITIZENSHIP": "RU",
                                "SEX": "F", "TIME_PERIOD": "2024", "OBS_VALUE": "1520"}
    assert m.source_columns == ("GRAZHDANSTVO", "POL", "GOD", "CHISLENNOST")
    assert m.target_components[:3] == ("FREQ", "REF_AREA", "UNIT_MEASURE")
    assert m.target == "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


def test_regex_is_a_full_match_and_exact_values_win():
    s = seed()
    m = compile_maps(s["SM_NAT_STOCK"], rms(s))
    base = {"GRAZHDANSTVO": "Китай", "GOD": "2024", "CHISLENNOST": "1"}
    assert m.translate(base | {"POL": "мужчины"})["SEX"] == "M"
    assert m.translate(base | {"POL": "женский"})["SEX"] == "F"
    assert m.translate(base | {"POL": "м"})["SEX"] == "M"
    assert m.translate(base | {"GRAZHDANSTVO": "Республика Узбекистан", "POL": "м"})["CITIZENSHIP"] == "UZ"
    with pytest.raises(UnmappedValue):  # "муж.*" must match the whole value, not a part of it
        m.translate(base | {"POL": "не муж"})


def test_an_unmapped_code_names_the_code_the_column_and_the_map():
    s = seed()
    m = compile_maps(s["SM_NAT_STOCK"], rms(s))
    with pytest.raises(UnmappedValue) as e:
        m.translate({"GRAZHDANSTVO": "Атлантида", "POL": "м", "GOD": "2024", "CHISLENNOST": "3"})
    assert e.value.value == "Атлантида" and e.value.column == "GRAZHDANSTVO" and e.value.map_urn == RM_CIT
    assert "Атлантида" in str(e.value) and "GRAZHDANSTVO" in str(e.value) and RM_CIT in str(e.value)
    with pytest.raises(MapError, match="no column POL"):
        m.translate({"GRAZHDANSTVO": "Россия", "GOD": "2024", "CHISLENNOST": "3"})


def test_validity_periods_follow_the_date():
    s = seed()
    m = compile_maps(s["SM_NAT_STOCK"], rms(s))
    row = {"GRAZHDANSTVO": "Киргизия", "POL": "м", "GOD": "1992", "CHISLENNOST": "3"}
    assert m.translate(row, date(1992, 12, 31))["CITIZENSHIP"] == "KG"
    assert m.translate(row, date(1993, 5, 4))["CITIZENSHIP"] == "KG"  # validTo is inclusive
    with pytest.raises(UnmappedValue, match="valid on 1993-05-05"):
        m.translate(row, date(1993, 5, 5))
    assert m.translate(row)["CITIZENSHIP"] == "KG"  # no date: validity is not applied


def _rm(*mappings: dict, sources=({"dataType": "String"},), targets=({"dataType": "String"},)) -> dict:
    return {"type": "representationmap", "id": "RM_T", "agencyID": "T", "version": "1.0", "source": list(sources),
            "target": list(targets), "representationMappings": list(mappings)}


def test_indexes_capture_groups_and_several_sources():
    rm = compile_representation_map(_rm(
        {"sourceValues": [{"value": "KZ", "startIndex": 0, "endIndex": 1}], "targetValues": ["KZ"]},
        {"sourceValues": [{"value": r"(\d{4})-(\d\d)", "isRegEx": True}], "targetValues": [r"\1-M\2"]}))
    assert rm.lookup(("KZ-ALMATY",)) == ("KZ",)
    assert rm.lookup(("2024-03",)) == ("2024-M03",)
    two = compile_representation_map(_rm(
        {"sourceValues": [{"value": "м"}, {"value": "Россия"}], "targetValues": ["M", "RU"]},
        sources=({"dataType": "String"}, {"dataType": "String"}), targets=({"dataType": "String"},) * 2))
    assert two.lookup(("м", "Россия")) == ("M", "RU")
    with pytest.raises(UnmappedValue, match="'ж' \\(column POL\\), 'Россия' \\(column GR\\)"):
        two.lookup(("ж", "Россия"), columns=("POL", "GR"))


def test_broken_and_overlong_regexes_and_unknown_types_are_refused_at_intake():
    broken = _rm({"sourceValues": [{"value": "муж(", "isRegEx": True}], "targetValues": ["M"]})
    assert "not a valid regular expression" in intake_problem(broken) and "mapping 1" in intake_problem(broken)
    long = _rm({"sourceValues": [{"value": "a" * (MAX_REGEX_LENGTH + 1), "isRegEx": True}], "targetValues": ["M"]})
    assert f"at most {MAX_REGEX_LENGTH}" in intake_problem(long)
    unknown = _rm({"sourceValues": [{"value": "x"}], "targetValues": ["M"]}, sources=({"dataType": "Text"},))
    assert "unknown data type 'Text'" in intake_problem(unknown)
    counts = _rm({"sourceValues": [{"value": "x"}, {"value": "y"}], "targetValues": ["M"]})
    assert "2 source values for 1 source" in intake_problem(counts)
    backwards = _rm({"sourceValues": [{"value": "x"}], "targetValues": ["M"], "validFrom": "2020-01-01T00:00:00Z",
                     "validTo": "2019-01-01T00:00:00Z"})
    assert "before validFrom" in intake_problem(backwards)
    sm = dict(seed()["SM_NAT_STOCK"], epochMaps=[{"id": "E"}])
    assert "epochMaps" in intake_problem(sm)
    assert intake_problem(seed()["SM_NAT_STOCK"]) is None and intake_problem(seed()["RM_SEX"]) is None


def test_compile_names_what_is_missing_or_inconsistent():
    s = seed()
    with pytest.raises(MapError, match="RM_SEX.*was not given"):
        compile_maps(s["SM_NAT_STOCK"], {RM_CIT: s["RM_CITIZENSHIP"]})
    sm = copy.deepcopy(s["SM_NAT_STOCK"])
    sm["componentMaps"][1]["source"] = ["POL", "GOD"]
    with pytest.raises(MapError, match="maps 2 source\\(s\\) to 1 target\\(s\\) but RepresentationMap .*RM_SEX"):
        compile_maps(sm, rms(s))
    sm = dict(s["SM_NAT_STOCK"], datePatternMaps=[{"id": "D"}])
    with pytest.raises(MapError, match="datePatternMaps"):
        compile_maps(sm, rms(s))


def test_a_regex_is_not_tried_on_an_overlong_value():
    rm = compile_representation_map(_rm({"sourceValues": [{"value": "a+", "isRegEx": True}],
                                         "targetValues": ["X"]}))
    assert rm.lookup(("a" * MAX_MATCHED_LENGTH,)) == ("X",)
    started = time.monotonic()
    with pytest.raises(UnmappedValue):
        rm.lookup(("a" * (MAX_MATCHED_LENGTH + 1),))
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("pattern", ["(a+)+b", "(a*)*", "(x|ab+)*c", "((ab)+c?)+"])
def test_nested_repetition_is_refused(pattern):
    rm = _rm({"sourceValues": [{"value": pattern, "isRegEx": True}], "targetValues": ["X"]})
    assert "repeats a group that itself repeats" in intake_problem(rm)


@pytest.mark.parametrize("pattern", ["муж.*", "(Республика )?Узбекистан", r"(\d{4})-(\d\d)", "(ab){2}c+", "[а-я]+"])
def test_ordinary_patterns_are_accepted(pattern):
    assert intake_problem(_rm({"sourceValues": [{"value": pattern, "isRegEx": True}], "targetValues": ["X"]})) is None


def test_reference_problems_name_unknown_components_and_codes():
    from sdmx_server.maintenance.structure_intake import read_structures
    from sdmx_server.sdmx.structure_maps import reference_problems

    root = SEED.parent.parent
    known = {urn_of(a): a for f in ("structures/DSD_MIGRATION.xml", "dataflows/dataflows.xml", "codelists/CL_SEX.xml",
                                    "codelists/CL_AREA.xml") for a in read_structures((root / f).read_bytes())}
    known |= {urn_of(a): a for a in seed().values()}
    assert all(reference_problems(a, known.get) == [] for a in seed().values())
    sm = seed()["SM_NAT_STOCK"]
    sm["componentMaps"][1]["target"] = ["GENDER"]
    sm["componentMaps"][0]["source"] = ["STRANA"]
    sm["fixedValueMaps"][0]["target"] = "FREQUENCY"
    problems = reference_problems(sm, known.get)
    assert problems == ["its source components STRANA are not components of KZ:DSD_NAT_STOCK(1.0)",
                        "its target components FREQUENCY, GENDER are not components of DSM:DSD_MIGRATION(1.0)"]
    rm = seed()["RM_SEX"]
    rm["representationMappings"][0]["targetValues"] = ["MALE"]
    assert reference_problems(rm, known.get) == ["its target values 'MALE' are not codes of DSM:CL_SEX(1.0)"]


def test_the_maps_to_fetch_and_a_fixed_source_value():
    from sdmx_server.sdmx.structure_maps import representation_map_urns

    s = seed()
    assert representation_map_urns(s["SM_NAT_STOCK"]) == [RM_CIT, RM_SEX]
    sm = s["SM_NAT_STOCK"]
    sm["fixedValueMaps"].append({"source": "POL", "values": ["всего"]})
    m = compile_maps(sm, rms(s))
    assert m.translate({"GRAZHDANSTVO": "Китай", "GOD": "2020", "CHISLENNOST": "7"})["SEX"] == "_T"


def test_values_from_a_database_driver_are_read_as_text():
    s = seed()
    m = compile_maps(s["SM_NAT_STOCK"], rms(s))
    out = m.translate({"GRAZHDANSTVO": "Россия", "POL": "м", "GOD": 2024, "CHISLENNOST": 1520})
    assert out["TIME_PERIOD"] == "2024" and out["OBS_VALUE"] == "1520"
    rm = compile_representation_map(_rm({"sourceValues": [{"value": "7"}], "targetValues": ["X"]}))
    two = compile_maps({"type": "structuremap", "id": "SM", "agencyID": "T", "version": "1.0", "source": "s",
                        "target": "t", "componentMaps": [{"source": ["A"], "target": ["B", "C"]},
                                                         {"source": ["D"], "target": ["E"],
                                                          "representationMap": rm.urn}]},
                       {rm.urn: _rm({"sourceValues": [{"value": "7"}], "targetValues": ["X"]})})
    assert two.translate({"A": 5, "D": 7}) == {"B": "5", "C": "5", "E": "X"}
