"""Content negotiation follows doc/content_negotiation.md and doc/extend.md."""

from __future__ import annotations

import pytest

from sdmx_server.sdmx.errors import NotAcceptable
from sdmx_server.sdmx.media_types import (DATA_GENERIC_21, DATA_GENERIC_TS_21, DATA_ML_30, DATA_SS_21, DATA_SS_TS_21,
                                          STRUCTURE_JSON_10, STRUCTURE_JSON_20, STRUCTURE_ML_21, STRUCTURE_ML_30, XLSX,
                                          languages, negotiate, submitted_file_extension, submitted_media_type)


@pytest.mark.parametrize("api,accept,expected", [
    ("v1", None, STRUCTURE_ML_21),
    ("v2", None, STRUCTURE_ML_30),
    ("v1", "*/*", STRUCTURE_ML_21),
    ("v2", "application/xml", STRUCTURE_ML_30),
    ("v2", "application/json", STRUCTURE_JSON_20),
    ("v1", "application/json", STRUCTURE_JSON_10),
    ("v2", "application/vnd.sdmx.structure+xml;version=2.1", STRUCTURE_ML_21),
    ("v1", "application/vnd.sdmx.structure+json;version=2.0.0", STRUCTURE_JSON_20),
    ("v2", "application/vnd.sdmx.structure+xml;version=3.0.0+", STRUCTURE_ML_30),
    ("v2", "text/html, application/vnd.sdmx.structure+json;version=1.0.0;q=0.5", STRUCTURE_JSON_10),
    ("v2", "application/vnd.sdmx.structure+json;version=1.0.0;q=0.2, application/xml;q=0.9", STRUCTURE_ML_30),
])
def test_accept_header(api, accept, expected):
    assert negotiate(api, "structure", accept) is expected


def test_format_parameter_wins_over_accept():
    assert negotiate("v2", "structure", "application/xml", "jsonstructure", "1.0.0") is STRUCTURE_JSON_10
    assert negotiate("v2", "structure", "application/xml", "jsonstructure") is STRUCTURE_JSON_20
    assert negotiate("v1", "structure", None, "structure", "2.1") is STRUCTURE_ML_21


@pytest.mark.parametrize("accept", ["text/html", "application/vnd.sdmx.structure+xml;version=3.1.0",
                                    "application/vnd.sdmx.data+csv;version=2.0.0"])
def test_not_offered_is_406_listing_offers(accept):
    with pytest.raises(NotAcceptable) as e:
        negotiate("v2", "structure", accept)
    assert e.value.status == 406 and "version=3.0.0" in str(e.value)


def test_languages_in_preference_order():
    assert languages("ru, en-gb;q=0.8, en;q=0.7") == ["ru", "en-gb", "en"]
    assert languages("en-GB;q=0.5, ru") == ["ru", "en-gb", "en"]
    assert languages(None) == []
    assert languages("ru", "en") == ["en"]


# -- what a stored submission is served as (issue 22: never the type its sender declared) -----------------

@pytest.mark.parametrize("reader, declared, head, expected", [
    ("sdmx_csv_data_reader", "text/html; charset=utf-8", b"STRUCTURE,STRUCTURE_ID,ACTION\n",
     "application/vnd.sdmx.data+csv;version=2.0.0"),
    ("sdmx_csv_data_reader", "application/vnd.sdmx.data+csv;version=2.0.0", b"\xef\xbb\xbfDATAFLOW,FREQ\n",
     "application/vnd.sdmx.data+csv;version=1.0.0"),  # the message's own first column wins
    ("sdmx_json_data_reader", 'application/vnd.sdmx.data+json; version="1.0.0"', b"{",
     "application/vnd.sdmx.data+json;version=1.0.0"),
    ("sdmx_json_data_reader", "text/html", b"{", "application/vnd.sdmx.data+json;version=2.0.0"),
    ("excel_data_reader", "text/html", b"PK\x03\x04", XLSX),
    ("sdmx_ml_3_0_data_reader", "image/svg+xml", b"<message:StructureSpecificData", DATA_ML_30.mime),
    ("some_future_reader", "text/html", b"<html>", "application/octet-stream"),
])
def test_submitted_media_type(reader, declared, head, expected):
    assert submitted_media_type(reader, declared, head) == expected


@pytest.mark.parametrize("specimen, expected", [
    ("ECB_EXR/ng-ts.xml", DATA_GENERIC_TS_21), ("ECB_EXR/ng-flat.xml", DATA_GENERIC_21),
    ("ECB_EXR/ng-ts-ss.xml", DATA_SS_TS_21), ("ECB_EXR/ng-flat-ss.xml", DATA_SS_21)])
def test_submitted_sdmx_ml_2_1_is_typed_by_its_root_element(specimens, specimen, expected):
    head = (specimens / specimen).read_bytes()[:4096]
    assert submitted_media_type("sdmx_ml_2_1_data_reader", "text/html", head) == expected.mime
    assert submitted_file_extension("sdmx_ml_2_1_data_reader") == "xml"
