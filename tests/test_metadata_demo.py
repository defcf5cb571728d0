"""`init` seeds released demo documentation of KZ, KG and MD on the stock of foreigners (issue 17, point 7);
Moldova's is public."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from lxml import etree

from sdmx_server.cli import main
from sdmx_server.storage.metadata_store import MetadataStore
from sdmx_server.storage.user_store import UserStore

STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
NS = {"mes": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message",
      "md": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/metadata/generic",
      "com": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"}


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("SDMX_SERVER_DATABASE_URL", database_url)
    monkeypatch.delenv("SDMX_SERVER_CONFIG", raising=False)
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_init_seeds_bilingual_released_documentation_once(cli, engine, app):
    r = cli("init")
    assert r.exit_code == 0, r.output
    assert "demo documentation: 3 metadata sets" in r.output
    with engine.connect() as conn:
        sets = {s.provider_id: s for s in MetadataStore(conn).latest(dataflow_urn=STOCK)}
    assert sorted(sets) == ["KG", "KZ", "MD"] and {s.state for s in sets.values()} == {"released"}
    foreigner = {p: s.values_of("DEF_FOREIGNER")[0].texts for p, s in sets.items()}
    assert foreigner["KZ"] == foreigner["KG"] != foreigner["MD"]
    assert all(set(t) == {"en", "ru"} for t in foreigner.values())
    assert cli("init").exit_code == 0
    with engine.begin() as conn:
        assert MetadataStore(conn).count() == 3  # a second init adds nothing
        token, _ = UserStore(conn, app.extensions["sdmx_policy"]).create_token("kz_viewer", days=1)
    # KZ and KG share the stock with each other and both have released figures: KZ sees KG's; MD's is public
    r = app.test_client().get("/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0",
                              headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    providers = [m.get("agencyID") for m in etree.fromstring(r.data).findall("mes:MetadataSet", NS)]
    assert sorted(providers) == ["KG", "KZ", "MD"]
    r = app.test_client().get("/rest/v2/metadata/metadataflow/DSM/MDF_DATA_DOCUMENTATION/1.0")
    assert [m.get("agencyID") for m in etree.fromstring(r.data).findall("mes:MetadataSet", NS)] == ["MD"]
    counting = {p: s.values_of("COUNTING_UNIT")[0].value for p, s in sets.items()}
    assert counting == {"KZ": "PERSONS", "KG": "CASES", "MD": "PERSONS"}  # the comparison's second difference


def test_written_documentation_reads_back_and_with_pysdmx():
    """The SDMX-ML 3.0 writer's output: XSD-valid, read back equal by our reader, and read by pysdmx."""
    from datetime import datetime, timezone

    from pysdmx.io import read_sdmx

    from sdmx_server.metadata.demo import demo_sets
    from sdmx_server.sdmx.formats.sdmx_ml_3_0_metadata import read_metadata_message, write_metadata_message
    from tests.xsd import validate_sdmx_ml

    sets = demo_sets()
    body = write_metadata_message(sets, message_id="DEMO", prepared=datetime.now(timezone.utc))
    validate_sdmx_ml(body, "3.0")
    back = read_metadata_message(body)
    assert [(s.provider_id, s.dataflow_urn, s.names, [(v.attribute, v.value, v.texts) for v in s.values])
            for s in back] == [(s.provider_id, s.dataflow_urn, s.names,
                                [(v.attribute, v.value, v.texts) for v in s.values]) for s in sets]
    assert body.count(b'<md:Attribute id="DATA_SOURCE">') == 3  # one element per set, its codes inside
    reports = read_sdmx(body.decode(), validate=True).get_reports()
    assert [r.targets[1].rsplit(".", 1)[-1] for r in reports] == ["KZ", "KG", "MD"]
    md = {a.id: a.value for a in reports[2].attributes}
    assert tuple(md["DATA_SOURCE"]) == ("POP_REGISTER", "CENSUS") and md["REFERENCE_DATE"] == "FIRST_DAY"
