"""The links' translator of national rows (interlink/translation.py) on the SDMX-JSON 2.0 map shapes: exact
codes, regular expressions with groups, validity periods, several source columns, and maps that cannot work."""

from __future__ import annotations

from datetime import date

import pytest

from sdmx_server.interlink.translation import MapError, Unmapped, compile_maps

RM_A = "urn:sdmx:org.sdmx.infomodel.structuremapping.RepresentationMap=X:RM_A(1.0)"
RM_B = "urn:sdmx:org.sdmx.infomodel.structuremapping.RepresentationMap=X:RM_B(1.0)"


def sm(*component_maps, fixed=()):
    return {"componentMaps": list(component_maps), "fixedValueMaps": [{"target": t, "value": v} for t, v in fixed]}


def test_exact_regex_validity_and_several_columns():
    rm_a = {"representationMappings": [
        {"sourceValues": [{"value": "СССР", "isRegEx": False}], "targetValues": ["SU"], "validTo": "1991-12-25"},
        {"sourceValues": [{"value": "СССР", "isRegEx": False}], "targetValues": ["RU"], "validFrom": "1991-12-26"},
        {"sourceValues": [{"value": r"ISO-([A-Z]{2})", "isRegEx": True}], "targetValues": [r"\1"]}]}
    rm_b = {"representationMappings": [
        {"sourceValues": [{"value": r"\d{4}"}, {"value": "I|II", "isRegEx": True}], "targetValues": ["H"]}]}
    compiled = compile_maps(sm({"source": ["grazhd"], "target": ["CITIZENSHIP"], "representationMap": RM_A},
                               {"source": ["GOD", "POLUGODIE"], "target": ["NOTE"], "representationMap": RM_B},
                               {"source": ["N"], "target": ["OBS_VALUE"]}, fixed=[("FREQ", "S")]),
                            {RM_A: rm_a, RM_B: rm_b})
    row = {"GRAZHD": "СССР", "god": r"\d{4}", "POLUGODIE": "II", "n": 7}
    assert compiled.translate(row, date(1990, 1, 1)) == {"FREQ": "S", "CITIZENSHIP": "SU", "NOTE": "H",
                                                          "OBS_VALUE": "7"}
    assert compiled.translate(row, date(2020, 1, 1))["CITIZENSHIP"] == "RU"
    assert compiled.translate({**row, "grazhd": "ISO-KZ"}, date(2020, 1, 1))["CITIZENSHIP"] == "KZ"
    with pytest.raises(Unmapped) as e:
        compiled.translate({**row, "grazhd": "ISO-kz"}, date(2020, 1, 1))
    assert str(e.value) == f"national code GRAZHD='ISO-kz' has no mapping to CITIZENSHIP in {RM_A}"
    with pytest.raises(Unmapped):
        compiled.translate({**row, "POLUGODIE": "III"}, date(2020, 1, 1))


@pytest.mark.parametrize("maps, expected", [
    ((sm({"source": ["A"], "target": ["B"], "representationMap": RM_A}), {}), "RM_A(1.0) is not stored"),
    ((sm({"source": [], "target": ["B"]}), {}), "needs a source and a target"),
    ((sm({"source": ["A"], "target": ["B"], "representationMap": RM_A}),
      {RM_A: {"representationMappings": [{"sourceValues": [{"value": "(", "isRegEx": True}],
                                          "targetValues": ["x"]}]}}), "is not a regular expression"),
    ((sm({"source": ["A"], "target": ["B"], "representationMap": RM_A}),
      {RM_A: {"representationMappings": [{"sourceValues": [{"value": "a"}], "targetValues": ["x"],
                                          "validFrom": "soon"}]}}), "is not a date"),
])
def test_maps_that_cannot_work_are_refused_naming_where(maps, expected):
    with pytest.raises(MapError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        compile_maps(*maps)


def test_urls_show_no_password_and_literal_ones_are_told_apart():
    from sdmx_server.interlink.sources import literal_password, masked_settings, masked_url

    assert masked_url("postgresql+psycopg://stat:pw@db/nat") == "postgresql+psycopg://stat:***@db/nat"
    assert masked_url("https://nsi:${NSI_PW}@stat.kz/rest/data") == "https://nsi:***@stat.kz/rest/data"
    assert masked_url("https://stat.kz/rest") == "https://stat.kz/rest"
    assert literal_password("mysql+pymysql://u:pw@h/d") and literal_password("https://u:pw@h/")
    assert not literal_password("mysql+pymysql://u:${PW}@h/d") and not literal_password("https://u:${PW}@h/")
    assert not literal_password("sqlite:////srv/nat.sqlite")
    assert masked_settings("sql", {"url": "postgresql://u:x@h/d", "api_token": "t"}) == {
        "url": "postgresql://u:***@h/d", "api_token": "***"}
