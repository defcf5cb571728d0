"""The seed SDMX-ML artefacts (codelists/, structures/, dataflows/) are valid, bilingual, self-contained
and reproducible from tools/make_seed_artefacts.py."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import pytest
import sdmx

from sdmx_server.sdmx.artefacts import references, urn_of
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message
from tests.xsd import validate_sdmx_ml

ROOT = Path(__file__).resolve().parent.parent
# the SDMX-ML 3.0 seeds (the data documentation MSD) have their own tool and tests: test_metadata_structure.py
SEED_FILES = sorted(p for d in ("codelists", "structures", "dataflows") for p in (ROOT / d).glob("*.xml")
                    if b"/schemas/v3_0/" not in p.read_bytes()[:1000])
FLOWS = ["DF_STOCK_FOREIGNERS", "DF_ENTRIES", "DF_EXITS", "DF_WORK_PERMITS",
         "DF_ASYLUM_APPLICATIONS", "DF_ASYLUM_DECISIONS"]


@cache
def tool():
    spec = importlib.util.spec_from_file_location("make_seed_artefacts", ROOT / "tools/make_seed_artefacts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def canonical() -> list[dict]:
    return [a for arts in tool().files().values() for a in arts]


def test_seed_files_exist():
    assert len(SEED_FILES) >= 15
    assert {p.relative_to(ROOT).as_posix() for p in SEED_FILES} == set(tool().files())


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_valid_against_xsd_and_read_by_sdmx1(path):
    body = path.read_bytes()
    validate_sdmx_ml(body, "2.1")
    msg = sdmx.read_sdmx(path)
    assert sum(len(getattr(msg, name)) for name in (
        "codelist", "concept_scheme", "structure", "dataflow", "category_scheme", "categorisation",
        "organisation_scheme", "provisionagreement", "constraint") if hasattr(msg, name)) >= 1


def _texts(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("names", "descriptions", "texts"):
                yield f"{where}/{key}", value
            else:
                yield from _texts(value, f"{where}/{node.get('id', key)}")
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value, where)


def test_every_text_in_english_and_russian():
    texts = list(_texts(canonical()))
    assert len(texts) > 300
    missing = [w for w, v in texts if set(v) != {"en", "ru"} or not all(v.values())]
    assert not missing, missing[:10]


def _resolve_all(artefacts: list[dict]) -> tuple[int, list]:
    """Count references and list those that point outside the set (items are matched within their scheme)."""
    known = {urn_of(a) for a in artefacts}
    items = {(urn_of(a).split("=", 1)[1], it["id"]) for a in artefacts
             for key in ("codes", "concepts", "categories", "dataProviders", "dataConsumers", "agencies")
             for it in a.get(key, [])}
    count, dangling = 0, []
    for a in artefacts:
        for ref in references(a):
            count += 1
            if ref in known:
                continue
            head, _, item_id = ref.split("=", 1)[1].rpartition(".")
            if (head, item_id) not in items:
                dangling.append((urn_of(a), ref))
    return count, dangling


def test_references_resolve_within_seed_set():
    count, dangling = _resolve_all(canonical())
    assert count > 50
    assert not dangling, dangling[:10]


def test_server_reader_reads_every_seed_file_and_references_resolve():
    read = [a for p in SEED_FILES for a in read_structure_message(p.read_bytes()).artefacts]
    assert sorted(urn_of(a) for a in read) == sorted(urn_of(a) for a in canonical())
    count, dangling = _resolve_all(read)
    assert count > 50
    assert not dangling, dangling[:10]


def test_six_dataflows_with_periodicity_and_timeliness():
    flows = {a["id"]: a for a in canonical() if a["type"] == "dataflow"}
    assert sorted(flows) == sorted(FLOWS)
    for f in flows.values():
        assert {n["type"] for n in f["annotations"]} >= {"PERIODICITY", "TIMELINESS"}
    msg = sdmx.read_sdmx(ROOT / "dataflows/dataflows.xml")
    assert sorted(msg.dataflow) == sorted(FLOWS)
    df = msg.dataflow["DF_ASYLUM_DECISIONS"]
    assert {a.type for a in df.annotations} >= {"PERIODICITY", "TIMELINESS"}


def test_categorisations_and_provision_agreements():
    msg = sdmx.read_sdmx(ROOT / "dataflows/categories.xml")
    assert len(msg.categorisation) == 6
    assert len(msg.category_scheme["CAT_MIGRATION"]) == 5
    pas = {a["id"] for a in canonical() if a["type"] == "provisionagreement"}
    for c in ("KZ", "KG", "MD"):
        for f in FLOWS:
            assert f"PA_{c}_{f}" in pas


def test_area_and_sex_codelists():
    area = sdmx.read_sdmx(ROOT / "codelists/CL_AREA.xml").codelist["CL_AREA"]
    assert len(area) > 200
    assert str(area["KZ"].name.localizations["ru"]) == "Казахстан"
    for code in ("STLS", "_U", "_T"):
        assert code in area
    assert "EU" not in area and "001" not in area
    sex = sdmx.read_sdmx(ROOT / "codelists/CL_SEX.xml").codelist["CL_SEX"]
    assert sex.name.localizations["ru"].startswith("Пол")
    assert {c.id for c in sex} == {"F", "M", "_T", "_U"}


def test_tool_reproduces_committed_files():
    rendered = tool().render()
    for path, body in rendered.items():
        assert (ROOT / path).read_bytes() == body, f"{path} differs: run tools/make_seed_artefacts.py"


def test_each_provision_agreement_binds_its_country_to_its_own_area():
    """DESIGN.md section 3: a provider submits only inside its agreements' constraints (its own REF_AREA)."""
    read = [a for a in read_structure_message((ROOT / "dataflows/constraints.xml").read_bytes()).artefacts]
    bound = {}
    for con in read:
        assert con["type"] == "dataconstraint" and con["role"] == "Allowed"
        (region,) = con["cubeRegions"]
        assert region["include"] and region["keyValues"][0]["id"] == "REF_AREA"
        for pa in con["constraintAttachment"]["provisionAgreements"]:
            bound[pa] = region["keyValues"][0]["values"]
    pas = [a for a in canonical() if a["type"] == "provisionagreement"]
    assert len(pas) == 72
    for pa in pas:
        assert bound[urn_of(pa)] == [pa["dataProvider"].rsplit(".", 1)[1]], urn_of(pa)
