"""Replacing a non-final item scheme keeps references resolvable (maintenance.md): a replacement (or an
item DELETE) that drops items still in use is 409 naming what uses them, and changes nothing."""

from __future__ import annotations

import copy

import pytest

from sdmx_server.sdmx.artefacts import urn_for, urn_of
from sdmx_server.sdmx.formats.sdmx_ml_2_1_structure_writer import write_structure_message
from sdmx_server.seeding import load_structures
from sdmx_server.storage.artefact_store import ArtefactStore

from .access_world import _seed_artefacts
from .db_dump import dump

pytestmark = pytest.mark.storage

STRUCTURE = "/rest/v2/structure"
AGENCIES = urn_for("agencyscheme", "SDMX", "AGENCIES", "1.0")
PROVIDERS = urn_for("dataproviderscheme", "DSM", "DATA_PROVIDERS", "1.0")


@pytest.fixture
def seeded(engine):
    load_structures(engine, list(_seed_artefacts()))


def stored(engine, urn: str) -> dict:
    with engine.connect() as conn:
        return ArtefactStore(conn).get(urn)


def post(admin, *artefacts: dict):
    return admin("POST", STRUCTURE, write_structure_message(list(artefacts), {"id": "T", "sender": "DSM"}))


def without(scheme: dict, key: str, *ids: str) -> dict:
    out = copy.deepcopy(scheme)
    out[key] = [it for it in out[key] if it["id"] not in ids]
    return out


def test_removing_an_agency_that_maintains_artefacts_is_409(app, engine, admin, seeded):
    scheme = stored(engine, AGENCIES)
    replacement = without(scheme, "agencies", "DSM")
    replacement["agencies"].append({"id": "OTHER", "names": {"en": "Other"}})
    before = dump(engine)
    r = admin("POST", STRUCTURE, write_structure_message([replacement], {"id": "T", "sender": "DSM"}))
    assert r.status_code == 409, r.data[:2000]
    text = r.get_data(as_text=True)
    assert "agency DSM maintains" in text and "AgencyScheme SDMX:AGENCIES(1.0)" in text
    assert dump(engine) == before
    r = admin("DELETE", f"{STRUCTURE}/agencyscheme/SDMX/AGENCIES/1.0/DSM")
    assert r.status_code == 409 and "agency DSM maintains" in r.get_data(as_text=True)
    assert dump(engine) == before


def test_adding_an_agency_is_fine(app, engine, admin, seeded):
    scheme = copy.deepcopy(stored(engine, AGENCIES))
    scheme["agencies"].append({"id": "OTHER", "names": {"en": "Other"}})
    assert post(admin, scheme).status_code == 200
    assert {"DSM", "OTHER"} <= {a["id"] for a in stored(engine, AGENCIES)["agencies"]}
    assert admin("DELETE", f"{STRUCTURE}/agencyscheme/SDMX/AGENCIES/1.0/OTHER").status_code == 200


def test_removing_a_provider_named_by_provision_agreements_is_409(app, engine, admin, seeded):
    before = dump(engine)
    r = post(admin, without(stored(engine, PROVIDERS), "dataProviders", "AM"))
    assert r.status_code == 409, r.data[:2000]
    assert "ProvisionAgreement DSM:PA_AM_DF_ENTRIES(1.0) refers to AM" in r.get_data(as_text=True)
    assert dump(engine) == before


def _flow_with_own_codelist(engine) -> None:
    """DF_T over a copy of DSD_MIGRATION whose SEX takes a non-final codelist; TST's provider P1 provides it."""
    with engine.begin() as conn:
        store = ArtefactStore(conn)
        sex = copy.deepcopy(store.get(urn_for("codelist", "DSM", "CL_SEX", "1.0")))
        sex.update(id="CL_SEX_T", isFinal=False)
        dsd = copy.deepcopy(store.get(urn_for("datastructure", "DSM", "DSD_MIGRATION", "1.0")))
        dsd.update(id="DSD_T", isFinal=False)
        for d in dsd["dataStructureComponents"]["dimensionList"]["dimensions"]:
            if d["id"] == "SEX":
                d["localRepresentation"] = {"enumeration": urn_of(sex)}
        flow = {"type": "dataflow", "agencyID": "DSM", "id": "DF_T", "version": "1.0", "isFinal": False,
                "names": {"en": "T"}, "structure": urn_of(dsd)}
        providers = {"type": "dataproviderscheme", "agencyID": "TST", "id": "DATA_PROVIDERS", "version": "1.0",
                     "isFinal": False, "names": {"en": "P"}, "dataProviders": [
                         {"id": "P1", "names": {"en": "P1"}}, {"id": "P2", "names": {"en": "P2"}}]}
        pa = {"type": "provisionagreement", "agencyID": "TST", "id": "PA_P1", "version": "1.0", "isFinal": False,
              "names": {"en": "PA"}, "dataflow": urn_of(flow),
              "dataProvider": urn_for("dataproviderscheme", "TST", "DATA_PROVIDERS", "1.0", "P1")}
        for a in (sex, dsd, flow, providers, pa):
            store.put(a)


def _submit_p1(admin) -> None:
    body = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,"
            "OBS_STATUS\ndataflow,DSM:DF_T(1.0),I,S,KZ,UZ,F,2024-S1,5,PS,E\n").encode()
    r = admin("POST", "/rest/v2/data/dataflow/DSM/DF_T/1.0?provider=P1", body, **{"Content-Type": "text/csv"})
    assert r.status_code == 200, r.data[:1000]


def test_codes_in_use_by_data_stay(app, engine, admin, seeded):
    _flow_with_own_codelist(engine)
    sex_urn = urn_for("codelist", "DSM", "CL_SEX_T", "1.0")
    sex = stored(engine, sex_urn)
    assert post(admin, without(sex, "codes", "_U")).status_code == 200  # no data uses _U yet: it may go
    _submit_p1(admin)
    before = dump(engine)
    r = post(admin, without(sex, "codes", "F", "_U"))
    assert r.status_code == 409, r.data[:2000]
    assert "data of Dataflow DSM:DF_T(1.0) has SEX = F" in r.get_data(as_text=True)
    assert dump(engine) == before
    r = admin("DELETE", f"{STRUCTURE}/codelist/DSM/CL_SEX_T/1.0/F")
    assert r.status_code == 409 and "SEX = F" in r.get_data(as_text=True)
    assert dump(engine) == before
    assert admin("DELETE", f"{STRUCTURE}/codelist/DSM/CL_SEX_T/1.0/M").status_code == 200


def test_coded_attribute_values_in_data_stay(app, engine, admin, seeded):
    _flow_with_own_codelist(engine)
    with engine.begin() as conn:  # OBS_STATUS of DSD_T takes a non-final copy of CL_OBS_STATUS
        store = ArtefactStore(conn)
        status = copy.deepcopy(store.get(urn_for("codelist", "DSM", "CL_OBS_STATUS", "1.0")))
        status.update(id="CL_OBS_STATUS_T", isFinal=False)
        store.put(status)
        dsd = store.get(urn_for("datastructure", "DSM", "DSD_T", "1.0"))
        for a in dsd["dataStructureComponents"]["attributeList"]["attributes"]:
            if a["id"] == "OBS_STATUS":
                a["localRepresentation"] = {"enumeration": urn_of(status)}
        store.put(dsd)
    _submit_p1(admin)
    r = admin("DELETE", f"{STRUCTURE}/codelist/DSM/CL_OBS_STATUS_T/1.0/E")
    assert r.status_code == 409 and "OBS_STATUS = E" in r.get_data(as_text=True), r.data[:2000]


def test_providers_with_data_stay(app, engine, admin, seeded):
    _flow_with_own_codelist(engine)
    _submit_p1(admin)
    with engine.begin() as conn:  # the agreement goes; the data P1 submitted stays
        ArtefactStore(conn).delete(urn_for("provisionagreement", "TST", "PA_P1", "1.0"))
    scheme = stored(engine, urn_for("dataproviderscheme", "TST", "DATA_PROVIDERS", "1.0"))
    before = dump(engine)
    r = post(admin, without(scheme, "dataProviders", "P1"))
    assert r.status_code == 409 and "data providers P1 have data" in r.get_data(as_text=True), r.data[:2000]
    assert dump(engine) == before
    assert post(admin, without(scheme, "dataProviders", "P2")).status_code == 200
