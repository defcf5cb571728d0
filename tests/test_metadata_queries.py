"""REST v2 metadata queries beyond metadataflow and metadataset (reference/sdmx-rest/doc/metadata.md): by the
structure a set targets, asOf time travel on every query, detail; and the structure API's answers for the MSD and
the metadataflow in each structure format (the formats that cannot represent them say so with a 406)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from lxml import etree

from sdmx_server.sdmx.formats.sdmx_json_2_0_metadata_reader import read_metadata_json
from sdmx_server.storage.grant_store import GrantStore
from tests.test_metadata_api import POST, STOCK, config, message, world  # noqa: F401 (fixtures)
from tests.xsd import validate_sdmx_json_structure, validate_sdmx_ml

JSON = "application/vnd.sdmx.metadata+json;version=2.0.0"
BY_STRUCTURE = "/rest/v2/metadata/structure"


def released(world, text: str = "A person who is not a citizen") -> None:
    body = message().replace(b"A person who is not a citizen", text.encode())
    r = world("POST", POST + "?release=now", "kz_admin", body)
    assert r.status_code == 200, r.get_data(as_text=True)


def sets_of(r) -> list:
    assert r.status_code == 200, (r.status_code, r.get_data(as_text=True)[:500])
    return read_metadata_json(r.data)


def test_by_structure_finds_the_sets_that_target_it_under_the_visibility_rule(world, engine):
    released(world)
    for path in ("/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", "/dataflow/DSM/DF_STOCK_FOREIGNERS", "/dataflow",
                 "", "/*/DSM", "/dataflow,codelist/DSM/DF_STOCK_FOREIGNERS,CL_FREQ/~",
                 "/dataproviderscheme/DSM/DATA_PROVIDERS/1.0"):
        (s,) = sets_of(world("GET", BY_STRUCTURE + path, "kz_sub", Accept=JSON))
        assert (s.set_id, s.dataflow_urn, s.provider_id) == ("DOC_STOCK", STOCK, "KZ"), path
    for path in ("/dataflow/DSM/DF_NOTHING", "/codelist", "/dataflow/DSM/DF_STOCK_FOREIGNERS/2.0",
                 "/dataflow/OTHER_AGENCY"):
        assert world("GET", BY_STRUCTURE + path, "kz_sub").status_code == 204, path
    for path, words in (("/nonsense", b"unknown structure type"), ("/dataflow/DSM/DF'X", b"resourceID"),
                        ("/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/extra/part", b"too many path parameters")):
        r = world("GET", BY_STRUCTURE + path, "kz_sub")
        assert r.status_code == 400 and words in r.data, (path, r.data[:300])
    r = world("GET", BY_STRUCTURE + "/dataflow?references=all", "kz_sub")
    assert r.status_code == 400 and b"references" in r.data
    # visibility: as the other metadata queries
    assert world("GET", BY_STRUCTURE + "/dataflow", "md_viewer").status_code == 204
    assert world("GET", BY_STRUCTURE + "/dataflow").status_code == 204
    with engine.begin() as conn:
        GrantStore(conn).set_public("KZ", STOCK, True, by="test")
    assert world("GET", BY_STRUCTURE + "/dataflow", "md_viewer").status_code == 200
    # detail, formats
    r = world("GET", BY_STRUCTURE + "/dataflow?detail=allstubs", "kz_sub")
    assert r.status_code == 200 and b"DOC_STOCK" in r.data and b"Attribute" not in r.data
    validate_sdmx_ml(r.data, "3.0")
    r = world("GET", BY_STRUCTURE + "/dataflow", "kz_sub", Accept="text/csv")
    assert r.status_code == 200 and b"KZ:DOC_STOCK(1.0)" in r.data
    assert world("GET", BY_STRUCTURE + "/dataflow?detail=referencestubs", "kz_sub").status_code == 400


def _stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_as_of_answers_the_documentation_as_it_was_released(world):
    before = datetime.now(timezone.utc)
    time.sleep(0.05)
    released(world, "First definition")
    time.sleep(0.05)
    between = datetime.now(timezone.utc)
    time.sleep(0.05)
    released(world, "Second definition")

    def definition(path: str, **params) -> tuple[int, str] | None:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        r = world("GET", path + ("?" + query if query else ""), "kz_sub", Accept=JSON)
        if r.status_code == 204:
            return None
        (s,) = sets_of(r)
        return s.extra["where"] and (json.loads(r.data)["data"]["metadataSets"][0]["version"],
                                     next(v.texts["en"] for v in s.values if v.attribute == "DEF_FOREIGNER"))

    for path in ("/rest/v2/metadata/metadataset/KZ/DOC_STOCK/~", "/rest/v2/metadata/metadataflow/DSM/"
                 "MDF_DATA_DOCUMENTATION/1.0/KZ", BY_STRUCTURE + "/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"):
        assert definition(path) == ("2.0.0", "Second definition"), path
        assert definition(path, asOf=_stamp(between)) == ("1.0.0", "First definition"), path
        assert definition(path, asOf=_stamp(datetime.now(timezone.utc))) == ("2.0.0", "Second definition"), path
        assert definition(path, asOf=_stamp(before)) is None, path
    # a version that did not exist yet at that time; an offset spelled with an encoded '+'
    assert definition("/rest/v2/metadata/metadataset/KZ/DOC_STOCK/2.0", asOf=_stamp(between)) is None
    assert definition("/rest/v2/metadata/metadataset/KZ/DOC_STOCK/1.0", asOf=_stamp(between)) == (
        "1.0.0", "First definition")
    offset = between.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "%2B00:00"
    assert definition("/rest/v2/metadata/metadataset/KZ", asOf=offset) == ("1.0.0", "First definition")
    r = world("GET", "/rest/v2/metadata/metadataset/KZ?asOf=yesterday", "kz_sub")
    assert r.status_code == 400 and b"asOf='yesterday' is not an xs:dateTime" in r.data
    r = world("GET", "/rest/v2/metadata/metadataset/KZ?updatedAfter=2026-01-01", "kz_sub")
    assert r.status_code == 400 and b"unknown query parameter 'updatedAfter'" in r.data


MSD = "/structure/metadatastructure/DSM/MSD_DATA_DOCUMENTATION/1.0"
MDF_PATH = "/structure/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0"


@pytest.mark.parametrize("path, v1_path", [(MSD, "/metadatastructure/DSM/MSD_DATA_DOCUMENTATION/1.0"),
                                           (MDF_PATH, "/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0")])
def test_the_structure_api_serves_msd_and_metadataflow_where_the_format_can_hold_them(world, path, v1_path):
    """SDMX-ML 3.0 and SDMX-JSON 2.0 hold the SDMX 3.0 MSD and metadataflow; SDMX-ML 2.1 and SDMX-JSON 1.0 cannot
    (2.1's MSD has report structures and target objects, not 3.0's attribute list and wildcard targets): those
    answer 406 naming the artefact, never a 2.1 message that would say something else."""
    for prefix in ("/rest/v2", "/rest"):
        p = f"/rest/v2{path}" if prefix == "/rest/v2" else f"/rest{v1_path}"
        r = world("GET", p, None, Accept="application/vnd.sdmx.structure+xml;version=3.0.0")
        assert r.status_code == 200, (p, r.data[:300])
        validate_sdmx_ml(r.data, "3.0")
        ident = path.rsplit("/", 2)[-2]
        assert etree.fromstring(r.data).find(f".//*[@id='{ident}']") is not None
        r = world("GET", p, None, Accept="application/vnd.sdmx.structure+json;version=2.0.0")
        assert r.status_code == 200
        validate_sdmx_json_structure(r.data, "2.0")
        assert ident in r.get_data(as_text=True)
        for unable in ("application/vnd.sdmx.structure+xml;version=2.1",
                       "application/vnd.sdmx.structure+json;version=1.0.0"):
            r = world("GET", p, None, Accept=unable)
            assert r.status_code == 406, (p, unable, r.status_code)
            assert f"{unable} cannot represent".encode() in r.data and ident.encode() in r.data
