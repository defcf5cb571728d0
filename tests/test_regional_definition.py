"""The regional definition (sdmx_server/metadata/regional_definition.toml) answers the MSD's questions with
the MSD's codes, and the comparison key treats answers as the file says (codes as sets, English wording)."""

from __future__ import annotations

import pytest

from sdmx_server.metadata.regional import FILE, _read, answer_key, regional_answers
from sdmx_server.metadata.structure import attributes_of
from sdmx_server.sdmx.metadata_set import AttributeValue
from sdmx_server.seeding import read_files, seed_files
from sdmx_server.settings import load_config


def test_every_regional_answer_is_an_attribute_of_the_msd_with_its_codes():
    artefacts = read_files(seed_files(load_config(environ={})))
    specs = attributes_of(next(a for a in artefacts if a["type"] == "metadatastructure"
                               and a["id"] == "MSD_DATA_DOCUMENTATION"))
    codes = {f"urn:sdmx:org.sdmx.infomodel.codelist.Codelist={a['agencyID']}:{a['id']}({a['version']})":
             {c["id"] for c in a.get("codes", [])} for a in artefacts if a["type"] == "codelist"}
    flows = {f"{a['agencyID']}:{a['id']}({a['version']})" for a in artefacts if a["type"] == "dataflow"}
    all_, indicators = _read(FILE)
    assert set(indicators) <= flows, set(indicators) - flows
    for answer in [*all_.values(), *(a for s in indicators.values() for a in s.values())]:
        spec = specs[answer.attribute]
        if spec.codelist:
            assert answer.codes and set(answer.codes) <= codes[spec.codelist], answer
            assert spec.max_occurs is None or len(answer.codes) <= spec.max_occurs
        else:
            assert spec.multilingual and answer.texts and {"en", "ru"} <= set(answer.texts), answer


def test_an_indicator_section_replaces_the_common_answer():
    stock = regional_answers("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)")
    entries = regional_answers("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ENTRIES(1.0)")
    assert stock["COUNTING_UNIT"].codes == ("PERSONS",) and entries["COUNTING_UNIT"].codes == ("CASES",)
    assert stock["DEF_FOREIGNER"] == entries["DEF_FOREIGNER"]


@pytest.mark.parametrize("a, b, same", [
    ([AttributeValue("X", "A"), AttributeValue("X", "B")], [AttributeValue("X", "B"), AttributeValue("X", "A")], True),
    ([AttributeValue("X", "A")], [AttributeValue("X", "A"), AttributeValue("X", "B")], False),
    ([AttributeValue("X", texts={"en": "A  Person.", "ru": "x"})], [AttributeValue("X", texts={"en": "a person."})],
     True),
    ([AttributeValue("X", texts={"en": "A person"})], [AttributeValue("X", texts={"en": "A citizen"})], False),
])
def test_answers_agree_as_sets_of_codes_or_by_english_wording(a, b, same):
    assert (answer_key(a) == answer_key(b)) is same


def test_a_malformed_answer_is_named(tmp_path):
    bad = tmp_path / "regional.toml"
    bad.write_text("[all]\nCOUNTING_UNIT = 3\n")
    with pytest.raises(ValueError, match=r"\[all\] COUNTING_UNIT"):
        regional_answers("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ENTRIES(1.0)", bad)
