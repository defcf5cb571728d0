"""The Atom feed's links come from the ``public_url`` setting (or are paths), never from the client's Host
header: a forged Host must not put another site's address into a feed that readers and caches pass on."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from .test_workflow import FLOW, _release, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.storage
ATOM = "{http://www.w3.org/2005/Atom}"
FORGED = {"Host": "evil.example"}


@pytest.fixture(params=["https://dsm.example.org/", ""])
def config(request, config):
    """KZ's administrator releases with release=now in test_workflow's world (four eyes waived there too)."""
    return replace(config, four_eyes_waived=["KZ", "KG"], public_url=request.param)


def test_feed_links_use_the_public_url_not_the_host_header(world, config):
    _release(world, {"RU.F.2023-S1": "100"})
    sid = _release(world, {"RU.F.2023-S1": "110"})
    r = world("kz_viewer")("GET", f"/feeds/{FLOW}/revisions.atom?x=1", **FORGED)
    assert r.status_code == 200 and b"evil.example" not in r.data
    feed = etree.fromstring(r.data)
    base = config.public_url.rstrip("/")
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{base}/feeds/{FLOW}/revisions.atom?x=1"
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == f"{base}/api/submissions/{sid}/revisions"
