"""Availability answers with references: valid messages, one partial item scheme per scheme."""

from __future__ import annotations

import io

import pytest
import sdmx
from lxml import etree

from sdmx_server.seeding import load_structures, read_files, seed_files

from .xsd import validate_sdmx_ml

HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
ROWS = ["S,KZ,RU,F,2024-S1,100,PS,A", "S,KZ,UZ,M,2024-S1,200,PS,A"]


@pytest.fixture
def stock(app, engine, config, admin):
    load_structures(engine, read_files(seed_files(config)))
    body = "\n".join([HEAD] + [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,{r}" for r in ROWS]).encode()
    r = admin("POST", "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?provider=KZ", body,
              **{"Content-Type": "text/csv"})
    assert r.status_code == 200, r.data[:3000]
    return admin


@pytest.mark.parametrize("url,version", [
    ("/rest/availableconstraint/DSM,DF_STOCK_FOREIGNERS,1.0/S...?references=codelist", "2.1"),
    ("/rest/availableconstraint/DSM,DF_STOCK_FOREIGNERS,1.0/S...?references=all", "2.1"),
    ("/rest/v2/availability/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/S...?references=codelist", "3.0"),
    ("/rest/v2/availability/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/S...?references=all", "3.0"),
])
def test_a_codelist_coding_two_dimensions_comes_once_with_their_union(stock, url, version):
    r = stock("GET", url)
    assert r.status_code == 200, r.data[:3000]
    validate_sdmx_ml(r.data, version)  # the XSD's uniqueness constraint on codelists
    lists = [e for e in etree.fromstring(r.data).iter("{*}Codelist") if e.get("id") == "CL_AREA"]
    assert len(lists) == 1
    # REF_AREA brings KZ, CITIZENSHIP brings RU and UZ
    assert sorted(c.get("id") for c in lists[0].iterfind("{*}Code")) == ["KZ", "RU", "UZ"]
    if version == "2.1":  # and a client reads it (sdmx1 reads no 3.0 TimeRange nor DataProviderSchemes)
        msg = sdmx.read_sdmx(io.BytesIO(r.data))
        assert sorted(c.id for c in msg.codelist["CL_AREA"]) == ["KZ", "RU", "UZ"]


def counts(client, url: str) -> int:
    r = client("GET", url)
    assert r.status_code == 200, r.data[:300]
    return int(etree.fromstring(r.data).find(".//{*}Annotation[@id='obs_count']").findtext("{*}AnnotationTitle"))


def test_availability_filters(stock):
    v2 = "/rest/v2/availability/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0/*.*.*.*"
    assert counts(stock, v2) == 2
    assert counts(stock, v2 + "?c[SEX]=F") == 1
    assert counts(stock, v2 + "?updatedAfter=2099-01-01T00:00:00Z") == 0
    v1 = "/rest/availableconstraint/DSM,DF_STOCK_FOREIGNERS,1.0/all"
    assert counts(stock, v1) == 2
    assert counts(stock, v1 + "?startPeriod=2025") == 0 and counts(stock, v1 + "?endPeriod=2024-S1") == 2
