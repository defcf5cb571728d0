"""references= and item queries as the REST specification defines them, on the seeded artefacts.

Answers are SDMX-ML 2.1 (v1) or 3.0 (v2), validated against the official XSDs and read by sdmx1, a
client of its own, so what we assert is what a real consumer sees.
"""

from __future__ import annotations

import io

import pytest
import sdmx
from pysdmx.io import read_sdmx
from sdmx.model import common

from sdmx_server.seeding import load_structures, read_files, seed_files

from .xsd import validate_sdmx_ml


@pytest.fixture
def seeded(app, engine, config):
    load_structures(engine, read_files(seed_files(config)))
    return app.test_client()


def read(client, url: str) -> dict[str, set[str]]:
    """Class name -> ids of the full (non-stub) maintainable artefacts in a valid answer to ``url``."""
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.data[:500])
    validate_sdmx_ml(resp.data, "3.0" if url.startswith("/rest/v2/") else "2.1")
    out: dict[str, set[str]] = {}
    for obj in sdmx.read_sdmx(io.BytesIO(resp.data)).iter_objects():
        if isinstance(obj, common.MaintainableArtefact) and not obj.is_external_reference:
            name = type(obj).__name__.replace("Definition", "")
            out.setdefault(name, set()).add(obj.id)
    return out


def test_a_concrete_type_returns_only_direct_references(seeded):
    # the dataflows' categorisations refer to the dataflows, not to the codelist
    assert read(seeded, "/rest/codelist/DSM/CL_SEX?references=categorisation") == {"Codelist": {"CL_SEX"}}
    assert read(seeded, "/rest/v2/structure/codelist/DSM/CL_SEX?references=categorisation") == {
        "Codelist": {"CL_SEX"}}
    # DSD_MIGRATION reaches CL_DECISION only through the concept scheme
    got = read(seeded, "/rest/codelist/DSM/CL_DECISION?references=datastructure")
    assert got["DataStructure"] == {"DSD_ASYLUM_DECISIONS", "DSD_WORK_PERMITS"}
    # one step down as well as up
    got = read(seeded, "/rest/v2/structure/dataflow/DSM/DF_ENTRIES?references=datastructure")
    assert got == {"Dataflow": {"DF_ENTRIES"}, "DataStructure": {"DSD_MIGRATION"}}
    # ... and no further: the codelists are two steps away
    assert "Codelist" not in read(seeded, "/rest/v2/structure/dataflow/DSM/DF_ENTRIES?references=codelist")
    # v2 takes several values
    got = read(seeded, "/rest/v2/structure/datastructure/DSM/DSD_MIGRATION?references=codelist,conceptscheme")
    assert set(got) == {"DataStructure", "Codelist", "ConceptScheme"} and "CL_SEX" in got["Codelist"]
    # the relatives further away stay reachable through ancestors
    assert "Categorisation" in read(seeded, "/rest/codelist/DSM/CL_SEX?references=ancestors")


@pytest.mark.parametrize("name", ["attachmentconstraint", "contentconstraint", "actualconstraint",
                                  "allowedconstraint", "organisationscheme", "structureset", "hierarchicalcodelist"])
def test_v1_references_accepts_every_resource_name(seeded, name):
    got = read(seeded, f"/rest/dataflow/DSM/DF_ENTRIES?references={name}")
    assert got["Dataflow"] == {"DF_ENTRIES"}


def test_an_item_query_references_only_what_refers_to_its_items(seeded):
    url = "/rest/categoryscheme/DSM/CAT_MIGRATION/1.0/STOCK?references="
    got = read(seeded, url + "categorisation")
    assert got == {"CategoryScheme": {"CAT_MIGRATION"}, "Categorisation": {"CAT_DF_STOCK_FOREIGNERS"}}
    got = read(seeded, url + "parentsandsiblings")
    assert got == {"CategoryScheme": {"CAT_MIGRATION"}, "Categorisation": {"CAT_DF_STOCK_FOREIGNERS"},
                   "Dataflow": {"DF_STOCK_FOREIGNERS"}}
    got = read(seeded, "/rest/v2/structure/categoryscheme/DSM/CAT_MIGRATION/1.0/FLOWS,LABOUR?references=parents")
    assert got["Categorisation"] == {"CAT_DF_ENTRIES", "CAT_DF_EXITS", "CAT_DF_WORK_PERMITS"}
    # a DSD refers to the whole codelist, so it is a parent of any of its codes
    assert "DataStructure" in read(seeded, "/rest/codelist/DSM/CL_SEX/1.0/F?references=parents")


def test_v1_lists_take_plus(seeded):
    resp = seeded.get("/rest/codelist/DSM/CL_SEX/1.0/F+M")
    assert resp.status_code == 200, resp.data[:300]
    validate_sdmx_ml(resp.data, "2.1")
    (cl,) = sdmx.read_sdmx(io.BytesIO(resp.data)).codelist.values()
    assert sorted(c.id for c in cl) == ["F", "M"]
    # agencies and ids too
    assert read(seeded, "/rest/codelist/DSM+OTHER/CL_SEX+CL_FREQ") == {"Codelist": {"CL_SEX", "CL_FREQ"}}
    # v2 keeps the comma as its only separator
    assert seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX/1.0/F+M").status_code == 400


@pytest.mark.parametrize("detail", ["allstubs", "allcompletestubs"])
@pytest.mark.parametrize("prefix,version", [("/rest/", "2.1"), ("/rest/v2/structure/", "3.0")])
def test_stubs_keep_required_references_and_point_at_the_full_artefact(seeded, detail, prefix, version):
    # read by pysdmx: sdmx1 reads no structureURL, nor provision agreements whose dataflows are elsewhere
    for type_ in ("provisionagreement", "categorisation", "codelist"):
        resp = seeded.get(f"{prefix}{type_}/DSM?detail={detail}")
        assert resp.status_code == 200, (type_, resp.data[:400])
        validate_sdmx_ml(resp.data, version)
        stubs = read_sdmx(resp.data.decode()).structures
        assert stubs and all(o.is_external_reference for o in stubs)
        url = stubs[0].structure_url
        assert url.startswith("http://localhost" + prefix) and url.endswith(f"/DSM/{stubs[0].id}/1.0"), url
        full = seeded.get(url.removeprefix("http://localhost"))  # the URL answers with the full artefact
        assert full.status_code == 200 and b'isExternalReference="true"' not in full.data
        if type_ == "provisionagreement":
            assert all(o.dataflow and o.provider for o in stubs)


def test_reference_stubs_in_json_are_valid(seeded):
    from .xsd import validate_sdmx_json_structure

    for fmt in ("1.0", "2.0"):
        resp = seeded.get("/rest/v2/structure/dataflow/DSM/DF_ENTRIES?references=all&detail=referencestubs",
                          headers={"Accept": f"application/vnd.sdmx.structure+json;version={fmt}.0"})
        assert resp.status_code == 200
        validate_sdmx_json_structure(resp.data, fmt)


PA_KZ = "urn:sdmx:org.sdmx.infomodel.registry.ProvisionAgreement=DSM:PA_KZ_DF_STOCK_FOREIGNERS(1.0)"


def test_constraints_on_provision_agreements_are_one_step_from_them(seeded, engine):
    """A provider's own constraint (its REF_AREA) hangs on its provision agreement: found from there, stubbed
    validly, and not taken for a relative of the codelists or dataflows it does not refer to."""
    load_structures(engine, [{
        "type": "dataconstraint", "agencyID": "DSM", "id": "CON_PA_KZ_STOCK", "version": "1.0", "isFinal": True,
        "names": {"en": "KZ reports KZ"}, "role": "Allowed", "constraintAttachment": {"provisionAgreements": [PA_KZ]},
        "cubeRegions": [{"include": True, "keyValues": [{"id": "REF_AREA", "values": ["KZ"]}]}]}])
    got = read(seeded, "/rest/provisionagreement/DSM/PA_KZ_DF_STOCK_FOREIGNERS?references=contentconstraint")
    # the seed's own constraint of Kazakhstan's agreements (dataflows/constraints.xml) hangs there too
    own = {"CON_PA_KZ_STOCK", "CC_KZ_OWN_AREA"}
    assert got == {"ProvisionAgreement": {"PA_KZ_DF_STOCK_FOREIGNERS"}, "ContentConstraint": own}
    got = read(seeded, "/rest/provisionagreement/DSM/PA_KZ_DF_STOCK_FOREIGNERS?references=all")
    assert got["ContentConstraint"] == own and got["Dataflow"] == {"DF_STOCK_FOREIGNERS"}
    flow = read(seeded, "/rest/dataflow/DSM/DF_STOCK_FOREIGNERS?references=contentconstraint")
    assert "ContentConstraint" not in flow
    assert "ContentConstraint" not in read(seeded, "/rest/codelist/DSM/CL_AREA?references=parentsandsiblings")
    for prefix, version in (("/rest/", "2.1"), ("/rest/v2/structure/", "3.0")):
        for detail in ("allstubs", "referencestubs"):
            r = seeded.get(f"{prefix}provisionagreement/DSM/PA_KZ_DF_STOCK_FOREIGNERS?references=all&detail={detail}")
            assert r.status_code == 200, r.data[:300]
            validate_sdmx_ml(r.data, version)
