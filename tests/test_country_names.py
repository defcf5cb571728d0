"""Country names: the official short name in both languages (issue 19, item 6: the Russian pages said
"Киргизия", the English ones "Kyrgyzstan"). The seed artefacts are generated (tools/make_seed_artefacts.py),
so the rule lives there; here, what the server serves and what the portal says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .access_world import build_world
from .live_server import ROOT

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)



@pytest.fixture
def world(app, engine):
    return build_world(engine, app.extensions["sdmx_policy"])


SEEDS = [ROOT / d for d in ("codelists", "structures", "dataflows")]


def _official_names() -> dict[str, tuple[str, str]]:
    code = "import json, tools.make_seed_artefacts as m; print(json.dumps(m.OFFICIAL_NAMES))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return {k: tuple(v) for k, v in json.loads(done.stdout).items()}


def test_no_seed_file_or_module_says_kirgiziya():
    files = [p for d in SEEDS for p in d.glob("*.xml")] + list((ROOT / "sdmx_server").rglob("*.py"))
    assert files
    # the one exception: a national register's old label, mapped to KG only while it was in use (validTo)
    old_label = re.compile(r'<str:RepresentationMapping validTo="1993-[^"]+">\s*<str:SourceValue>Киргизия<')
    for p in files:
        assert "Киргизия" not in old_label.sub("", p.read_text(encoding="utf-8")), p


@SQLITE
def test_the_area_codelist_gives_the_official_short_names_in_both_languages(client, world):
    names = _official_names()
    assert names["KG"] == ("Kyrgyzstan", "Кыргызстан")
    for lang, i in (("en", 0), ("ru", 1)):
        r = client.get("/rest/v2/structure/codelist/DSM/CL_AREA/1.0", headers={
            "Accept": "application/vnd.sdmx.structure+json;version=2.0.0", "Accept-Language": lang})
        assert r.status_code == 200
        codes = {c["id"]: c["name"] for c in r.get_json()["data"]["codelists"][0]["codes"]}
        for code, pair in names.items():
            assert codes[code] == pair[i], (code, lang)
    r = client.get("/rest/v2/structure/dataproviderscheme/DSM/DATA_PROVIDERS/1.0", headers={
        "Accept": "application/vnd.sdmx.structure+json;version=2.0.0", "Accept-Language": "ru"})
    providers = {p["id"]: p["name"] for p in r.get_json()["data"]["dataProviderSchemes"][0]["dataProviders"]}
    assert providers["KG"] == "Кыргызстан"


@SQLITE
def test_the_portal_says_kyrgyzstan_in_both_languages(client, world):
    ru = client.get("/ru/").get_data(as_text=True)
    en = client.get("/en/").get_data(as_text=True)
    assert "Кыргызстан" in ru and "Киргизия" not in ru
    assert "Kyrgyzstan" in en
