"""Content negotiation follows doc/content_negotiation.md and doc/extend.md."""

from __future__ import annotations

import pytest

from sdmx_server.sdmx.errors import NotAcceptable
from sdmx_server.sdmx.media_types import (STRUCTURE_JSON_10, STRUCTURE_JSON_20, STRUCTURE_ML_21, STRUCTURE_ML_30,
                                          languages, negotiate)


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
