"""Data and availability queries over HTTP (REST v1 and v2): negotiation, status codes, caching, streaming,
and who sees what. Query semantics are in tests/test_data_retrieval.py; writers in tests/formats/."""

from __future__ import annotations

import gzip
import io
import json

import pytest
import sdmx
from lxml import etree

from .test_data_retrieval import FLOW, _csv, _post, config, exr  # noqa: F401 (fixtures)
from .xsd import validate_sdmx_ml

V1 = "/rest/data/ECB,EXR,1.0"
V2 = "/rest/v2/data/dataflow/ECB/EXR/1.0"


@pytest.fixture
def get(admin):
    """GET as the system administrator (who sees every provider's data)."""
    return lambda path, **headers: admin("GET", path, **headers)


def test_defaults_per_api_version(exr, get):
    r = get(V1 + "/M.USD?lastNObservations=3")
    assert r.status_code == 200 and r.mimetype == "application/vnd.sdmx.genericdata+xml"
    validate_sdmx_ml(r.data, "2.1")
    assert len(etree.fromstring(r.data).findall(".//{*}Obs")) == 3
    r = get(V2 + "/M.USD.EUR.SP00.A?lastNObservations=3")
    assert r.status_code == 200 and r.content_type.startswith("application/vnd.sdmx.data+json;version=2.0.0")
    doc = json.loads(r.data)
    assert len(next(iter(doc["data"]["dataSets"][0]["series"].values()))["observations"]) == 3
    assert "Accept" in r.headers["Vary"] and r.headers["ETag"] and r.headers["Last-Modified"]


@pytest.mark.parametrize("accept,root", [
    ("application/vnd.sdmx.genericdata+xml;version=2.1", "GenericData"),
    ("application/vnd.sdmx.generictimeseriesdata+xml;version=2.1", "GenericTimeSeriesData"),
    ("application/vnd.sdmx.structurespecificdata+xml;version=2.1", "StructureSpecificData"),
    ("application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1", "StructureSpecificTimeSeriesData"),
    ("application/vnd.sdmx.data+xml;version=3.0.0", "StructureSpecificData"),
])
def test_sdmx_ml_formats_read_back_by_sdmx1(exr, get, specimens, accept, root):
    r = get(V1 + "/M.USD?startPeriod=2019-01", Accept=accept)
    assert r.status_code == 200 and r.mimetype == accept.split(";")[0]
    assert etree.QName(etree.fromstring(r.data)).localname == root
    dsd = next(iter(sdmx.read_sdmx(specimens / "ECB_EXR/1/structure-full.xml").structure.values()))
    msg = sdmx.read_sdmx(io.BytesIO(r.data), structure=dsd)
    values = {str(o.dimension.values["TIME_PERIOD"].value) if o.dimension else None: o.value for o in msg.data[0].obs}
    assert len(msg.data[0].obs) == 12 and float(values.get("2019-12") or msg.data[0].obs[-1].value) == 1.111345


def test_csv_options_and_format_parameter(exr, get):
    r = get(V2 + "/M.USD.EUR.SP00.A?lastNObservations=1",
            Accept="application/vnd.sdmx.data+csv;version=2.0.0;labels=both;timeFormat=normalized")
    head, row = r.get_data(as_text=True).splitlines()[:2]
    assert head.startswith("STRUCTURE,STRUCTURE_ID,ACTION,FREQ: ") and "M: Monthly" in row
    r = get(V1 + "/M.USD?lastNObservations=1&format=csvdata&formatVersion=1.0.0")
    assert r.mimetype == "application/vnd.sdmx.data+csv" and r.get_data(as_text=True).startswith("DATAFLOW,")
    r = get(V2, Accept="application/vnd.sdmx.data+csv;version=2.0.0;labels=fancy")
    assert r.status_code == 406 and b"labels=fancy" in r.data
    r = get(V1 + "/M.USD", Accept="text/html")
    assert r.status_code == 406 and b"offered" in r.data


def test_time_series_formats_refuse_other_packagings(exr, get):
    r = get(V1 + "?dimensionAtObservation=CURRENCY",
            Accept="application/vnd.sdmx.generictimeseriesdata+xml;version=2.1")
    assert r.status_code == 406 and b"time series only" in r.data
    r = get(V1 + "?dimensionAtObservation=AllDimensions&startPeriod=2019-12",
            Accept="application/vnd.sdmx.genericdata+xml;version=2.1")
    assert r.status_code == 200 and len(etree.fromstring(r.data).findall(".//{*}ObsKey")) == 2


def test_status_codes(exr, get, app):
    r = get(V1 + "/D.USD")  # SDMX 2.1 RESTful: no results is error 100, HTTP 404
    assert r.status_code == 404 and b"No results found" in r.data and r.mimetype == "application/vnd.sdmx.error+xml"
    r = get(V2 + "/D.USD")  # REST v2 (doc/status.md): 204, typed as the query's format for clients like sdmx1
    assert r.status_code == 204 and r.data == b"" and r.mimetype.startswith("application/vnd.sdmx.data+")
    r = get("/rest/data/ECB,NOPE,1.0")
    assert r.status_code == 404 and b"NOPE" in r.data
    r = get(V1 + "?startPeriod=2019-13")
    assert r.status_code == 400 and b"startPeriod" in r.data
    r = get(V2 + "?c[NOPE]=1")
    assert r.status_code == 400 and b"NOPE is not a component" in r.data
    r = get(V1 + "/" + "+".join(f"C{i:04d}" for i in range(900)))
    assert r.status_code == 414 and b"4096" in r.data
    r = get(V2 + "?reportingYearStartDay=--07-01")
    assert r.status_code == 501
    app.extensions["sdmx_config"] = type(app.extensions["sdmx_config"])(
        **{**app.extensions["sdmx_config"].__dict__, "max_observations": 100})
    r = get(V1)
    assert r.status_code == 413 and b"narrow it" in r.data
    assert get(V1 + "/A.GBP").status_code == 200


def test_conditional_get_and_gzip(exr, get, admin):
    r = get(V1 + "/M.JPY")
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert get(V1 + "/M.JPY", **{"If-None-Match": etag}).status_code == 304
    assert get(V1 + "/M.JPY", **{"If-Modified-Since": modified}).status_code == 304
    assert get(V1 + "/M.JPY", Accept="application/vnd.sdmx.data+json;version=1.0.0",
               **{"If-None-Match": etag}).status_code == 200  # another representation, another ETag
    _post(admin, _csv(["M,JPY,EUR,SP00,A,2019-01,999,A"]))
    r2 = get(V1 + "/M.JPY", **{"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["ETag"] != etag and b"999" in r2.data
    z = get(V1 + "/M.JPY", **{"Accept-Encoding": "gzip"})
    assert z.headers["Content-Encoding"] == "gzip" and gzip.decompress(z.data).count(b"<generic:Obs>") == 12


def test_answers_stream(exr, app, admin):
    """The body is a generator over the cursor: the test client, unbuffered, gets it piece by piece."""
    r = app.test_client().get(V1, buffered=False, headers={"Authorization": admin.authorization})
    assert r.is_streamed and r.status_code == 200
    chunks = list(r.response)
    assert len(chunks) > 1 and b"".join(chunks).count(b"<generic:Obs>") == 273


def test_anonymous_callers_see_no_confidential_data(exr, client, get):
    """Nothing is public by default: an anonymous caller gets what an empty dataflow gives, not 403."""
    assert get(V1).status_code == 200
    assert client.get(V1).status_code == 404  # v1: no results
    assert client.get(V2).status_code == 204
    etag = get(V1).headers["ETag"]
    r = client.get(V1, headers={"If-None-Match": etag})
    assert r.status_code == 404  # the administrator's ETag never makes a 304 for someone who sees less
    r = client.get("/rest/v2/availability/dataflow/ECB/EXR/1.0")
    assert r.status_code == 200 and b"CubeRegion" not in r.data and b"<com:AnnotationTitle>0<" in r.data


def test_availability_modes_counts_and_references(exr, get):
    r = get("/rest/v2/availability/dataflow/ECB/EXR/1.0/M.*.EUR.SP00.A?references=codelist",
            Accept="application/vnd.sdmx.structure+json;version=2.0.0")
    assert r.status_code == 200
    structures = json.loads(r.data)["data"]
    (constraint,) = structures["dataConstraints"]
    values = {kv["id"]: kv.get("values") for kv in constraint["cubeRegions"][0]["keyValues"]}
    assert values["FREQ"] == ["M"] and values["CURRENCY"] == ["JPY", "USD"]
    counts = {a["id"]: a["title"] for a in constraint["annotations"]}
    assert counts == {"obs_count": "264", "series_count": "2"}
    # one CL_CURRENCY, holding what CURRENCY (JPY, USD) and CURRENCY_DENOM (EUR) both use
    (currencies,) = [c for c in structures["codelists"] if c["id"] == "CL_CURRENCY"]
    assert sorted(c["id"] for c in currencies["codes"]) == ["EUR", "JPY", "USD"]

    r = get("/rest/v2/availability/dataflow/ECB/EXR/1.0/M.*.EUR.SP00.A?mode=available")
    doc = etree.fromstring(r.data)
    validate_sdmx_ml(r.data, "3.0")
    freq = doc.find(".//{*}KeyValue[@id='FREQ']")
    assert sorted(v.text for v in freq) == ["A", "M", "Q"]  # other frequencies remain valid selections
    r = get("/rest/availableconstraint/ECB,EXR,1.0/all/all/CURRENCY")
    validate_sdmx_ml(r.data, "2.1")
    assert [kv.get("id") for kv in etree.fromstring(r.data).iterfind(".//{*}KeyValue")] == ["CURRENCY"]
    assert get("/rest/availableconstraint/ECB,EXR,1.0/all/all/NOPE").status_code == 400
