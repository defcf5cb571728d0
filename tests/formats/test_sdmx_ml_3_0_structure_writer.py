"""SDMX-ML 3.0 structure writer: hand-built canonical artefacts -> valid 3.0 XML that pysdmx reads back."""

from __future__ import annotations

import pytest
from pysdmx.io import read_sdmx

from sdmx_server.sdmx.formats.sdmx_ml_3_0_structure_writer import unsupported, write_structure_message
from tests.xsd import validate_sdmx_ml

CL = "urn:sdmx:org.sdmx.infomodel.codelist.Codelist=DSM:CL_SEX(1.0)"
CODELIST = {"type": "codelist", "id": "CL_SEX", "agencyID": "DSM", "version": "1.0", "isFinal": True,
            "names": {"en": "Sex", "fr": "Sexe"},
            "codes": [{"id": "T", "names": {"en": "Total"}},
                      {"id": "F", "names": {"en": "Female"}, "parent": "T"},
                      {"id": "M", "names": {"en": "Male"}, "parent": "T"}]}
CONCEPTS = {"type": "conceptscheme", "id": "CS", "agencyID": "DSM", "version": "1.0.0-draft", "isFinal": False,
            "names": {"en": "Concepts"},
            "concepts": [{"id": "SEX", "names": {"en": "Sex"}, "coreRepresentation": {"enumeration": CL}},
                         {"id": "OBS_VALUE", "names": {"en": "Value"},
                          "coreRepresentation": {"format": {"dataType": "Double"}}}]}


def _write(*artefacts):
    doc = write_structure_message(list(artefacts), {"id": "IREF1", "test": True, "sender": "DSM"})
    validate_sdmx_ml(doc, "3.0")
    return doc


def test_codelist_with_parents_all_languages():
    doc = _write(CODELIST)
    assert b"v3_0/message" in doc and 'xml:lang="fr"'.encode() in doc
    msg = read_sdmx(doc.decode())
    (cl,) = msg.get_codelists()
    assert cl.id == "CL_SEX" and len(cl.items) == 3 and cl.name == "Sex"


def test_concept_scheme_with_draft_version():
    doc = _write(CONCEPTS, CODELIST)
    assert b'version="1.0.0-draft"' in doc
    (cs,) = read_sdmx(doc.decode()).get_concept_schemes()
    assert [c.id for c in cs.items] == ["SEX", "OBS_VALUE"]


def test_nothing_unsupported_for_basic_types():
    assert unsupported([CODELIST, CONCEPTS]) == []


C = "urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=DSM:CS(1.0.0-draft)."
DSD = {"type": "datastructure", "id": "DSD", "agencyID": "DSM", "version": "1.0", "isFinal": True,
       "names": {"en": "DSD"},
       "dataStructureComponents": {
           "dimensionList": {"id": "DimensionDescriptor",
                             "dimensions": [{"id": "SEX", "position": 0, "conceptIdentity": C + "SEX",
                                             "localRepresentation": {"enumeration": CL}}],
                             "timeDimension": {"id": "TIME_PERIOD", "conceptIdentity": C + "SEX",
                                               "localRepresentation": {"format": {"dataType": "ObservationalTimePeriod"}}}},
           "measureList": {"id": "MeasureDescriptor",
                           "measures": [{"id": "OBS_VALUE", "conceptIdentity": C + "OBS_VALUE"}]}}}
DATAFLOW = {"type": "dataflow", "id": "DF", "agencyID": "DSM", "version": "1.0", "isFinal": True,
            "names": {"en": "Flow"},
            "structure": "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=DSM:DSD(1.0)"}


def test_dsd_and_dataflow():
    doc = _write(CODELIST, CONCEPTS, DSD, DATAFLOW)
    msg = read_sdmx(doc.decode())
    assert [d.id for d in msg.get_dataflows()] == ["DF"]


# Cross test: 2.1 specimens read by the 2.1 reader, written as 3.0, must validate against the 3.0 XSD.
from tests.conftest import SPECIMENS  # noqa: E402


@pytest.mark.parametrize("path", [
    "ECB_EXR/1/structure-full.xml",
    "ESTAT/esms-structure.xml",
])
def test_2_1_specimen_written_as_3_0_validates(path):
    from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message

    with open(f"{SPECIMENS}/{path}", "rb") as f:
        arts = read_structure_message(f.read()).artefacts
    bad = set(unsupported(arts))
    arts = [a for a in arts if not any(u.endswith(f"={a['agencyID']}:{a['id']}({a['version']})") for u in bad)]
    assert arts
    _write(*arts)


CATS = {"type": "categoryscheme", "id": "CAT", "agencyID": "DSM", "version": "1.0", "isFinal": True,
        "names": {"en": "Topics"},
        "categories": [{"id": "A", "names": {"en": "A"}, "categories": [{"id": "A1", "names": {"en": "A1"}}]}]}
CATEGORISATION = {"type": "categorisation", "id": "C1", "agencyID": "DSM", "version": "1.0", "isFinal": True,
                  "names": {"en": "C1"},
                  "source": "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF(1.0)",
                  "target": "urn:sdmx:org.sdmx.infomodel.categoryscheme.Category=DSM:CAT(1.0).A.A1"}
AGENCIES = {"type": "agencyscheme", "id": "AGENCIES", "agencyID": "DSM", "version": "1.0", "isFinal": True,
            "names": {"en": "Agencies"}, "agencies": [{"id": "DSM", "names": {"en": "DSM"}}]}
PROVIDERS = {"type": "dataproviderscheme", "id": "DATA_PROVIDERS", "agencyID": "DSM", "version": "1.0",
             "isFinal": True, "names": {"en": "Providers"}, "dataProviders": [{"id": "P1", "names": {"en": "P1"}}]}
PA = {"type": "provisionagreement", "id": "PA", "agencyID": "DSM", "version": "1.0", "isFinal": True,
      "names": {"en": "PA"}, "dataflow": "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF(1.0)",
      "dataProvider": "urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(1.0).P1"}
CONSTRAINT = {"type": "dataconstraint", "id": "CC", "agencyID": "DSM", "version": "1.0", "isFinal": True,
              "names": {"en": "CC"}, "role": "Allowed",
              "constraintAttachment": {"dataflows": ["urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF(1.0)"]},
              "cubeRegions": [{"include": True, "keyValues": [{"id": "SEX", "values": ["F", "M"]}]}]}


def test_categories_organisations_agreement_constraint():
    doc = _write(CATS, CATEGORISATION, AGENCIES, PROVIDERS, PA, CONSTRAINT, DATAFLOW)
    assert b"<str:Category " in doc and b"A1" in doc and b"CubeRegion" in doc
    kinds = [type(s).__name__ + ":" + s.id for s in read_sdmx(doc.decode()).structures]
    assert sorted(kinds) == sorted(["AgencyScheme:AGENCIES", "DataProviderScheme:DATA_PROVIDERS", "Dataflow:DF",
                                    "ProvisionAgreement:PA", "CategoryScheme:CAT", "Categorisation:C1",
                                    "DataConstraint:CC"])
