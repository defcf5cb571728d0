"""The server as a user meets it: `sdmx-server init`, gunicorn with two workers, sdmx1's Client."""

from __future__ import annotations

import concurrent.futures
import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import requests
import sdmx

from .live_server import cli, gunicorn

CODELIST = """<?xml version="1.0" encoding="UTF-8"?>
<mes:Structure xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
  xmlns:str="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure"
  xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
 <mes:Header><mes:ID>T1</mes:ID><mes:Test>true</mes:Test><mes:Prepared>2026-01-01T00:00:00Z</mes:Prepared>
  <mes:Sender id="TEST"/></mes:Header>
 <mes:Structures><str:Codelists>
  <str:Codelist agencyID="DSM" id="CL_LIVE_TEST" version="1.0.0-draft">
   <com:Name xml:lang="en">Live test</com:Name><com:Name xml:lang="ru">Живой тест</com:Name>
   <str:Code id="A"><com:Name xml:lang="en">A</com:Name></str:Code>
  </str:Codelist>
 </str:Codelists></mes:Structures>
</mes:Structure>""".encode()


@pytest.fixture
def initialised(database_url):
    first = cli(database_url, "init")
    assert first.returncode == 0, first.stderr + first.stdout
    return database_url, first.stdout


def test_init_twice_changes_nothing(initialised):
    database_url, first = initialised
    assert "created" in first and "demo accounts: 19 created" in first
    second = cli(database_url, "init")
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout.split("demo accounts")[0] and "replaced" not in second.stdout
    assert "demo accounts: 0 created" in second.stdout
    users = cli(database_url, "user", "list").stdout
    assert "kz_data_submitter\tKZ\tactive\tdata_submitter" in users


def test_sdmx1_client_reads_everything(initialised):
    database_url, _ = initialised
    with gunicorn(database_url) as base:
        sdmx.add_source({"id": "DSM_TEST", "url": f"{base}/rest", "name": "DSM test server"}, override=True)
        client = sdmx.Client("DSM_TEST")
        flows = client.dataflow(agency_id="DSM")
        assert len(flows.dataflow) == 6
        names = sdmx.to_pandas(flows.dataflow)
        assert len(names) == 6
        for flow in flows.dataflow.values():
            assert flow.name.localizations.get("ru"), f"{flow.id} has no Russian name"
        dsds = client.datastructure(agency_id="DSM", params={"references": "children"})
        assert dsds.structure, "no data structures"
        for dsd in dsds.structure.values():
            for dim in dsd.dimensions.components:
                if dim.id == "TIME_PERIOD":
                    continue
                cl = dim.local_representation.enumerated
                assert cl is not None and len(cl) > 0, f"{dsd.id}/{dim.id} has no codes"
        assert any(len(sdmx.to_pandas(cl)) > 200 for cl in dsds.codelist.values())  # CL_AREA
        assert dsds.concept_scheme
        cats = client.categoryscheme(agency_id="DSM", params={"references": "parentsandsiblings"})
        assert len(cats.category_scheme) == 1 and len(cats.categorisation) == 6


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_gunicorn_workers_share_one_postgresql(initialised):
    database_url, _ = initialised
    token = cli(database_url, "token", "create", "admin").stdout.strip()
    with gunicorn(database_url, workers=2) as base:
        req = Request(f"{base}/rest/v2/structure/codelist", data=CODELIST, method="POST",
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        with urlopen(req, timeout=30) as r:
            assert r.status == 201

        def fetch(_i: int) -> tuple[int, dict]:
            with urlopen(Request(f"{base}/rest/v2/structure/codelist/DSM/CL_LIVE_TEST/~",
                                 headers={"Accept": "application/vnd.sdmx.structure+json;version=2.0.0",
                                          "Accept-Language": "ru"}), timeout=30) as r:
                return r.status, json.loads(r.read())

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(fetch, range(40)))
        assert all(status == 200 for status, _ in answers)
        assert {a["data"]["codelists"][0]["name"] for _, a in answers} == {"Живой тест"}


def test_sdmx1_client_fetches_data(initialised, tmp_path):
    """A consumer's view: sdmx1's Client asks for data with a key, a period and lastNObservations."""
    database_url, _ = initialised
    token = cli(database_url, "token", "create", "admin").stdout.strip()
    rows = ["DATAFLOW,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"]
    rows += [f"DSM:DF_ENTRIES(1.0),Q,KZ,{c},{s},{y}-Q1,{100 * i + y - 2000},PS,A"  # quarterly, as the dataflow
             for i, (c, s) in enumerate([("RU", "F"), ("RU", "M"), ("UZ", "F")]) for y in range(2015, 2024)]
    data = tmp_path / "entries.csv"
    data.write_text("\n".join(rows) + "\n")
    submitted = cli(database_url, "submit", str(data), "--dataflow", "DSM:DF_ENTRIES(1.0)", "--provider", "KZ")
    assert submitted.returncode == 0, submitted.stderr + submitted.stdout
    with gunicorn(database_url) as base:
        # sdmx1 looks the dataflow up under the source's id as agency
        sdmx.add_source({"id": "DSM", "url": f"{base}/rest", "name": "DSM test server"}, override=True)
        client = sdmx.Client("DSM")
        client.session.headers["Authorization"] = f"Bearer {token}"
        msg = client.data("DF_ENTRIES", key={"REF_AREA": "KZ", "CITIZENSHIP": "RU"},
                          params={"startPeriod": "2018-Q1", "lastNObservations": 3})
        frame = sdmx.to_pandas(msg)
        assert len(frame) == 6  # two series, three last years each
        males = frame.xs("M", level="SEX")
        assert sorted(males.tolist()) == [121.0, 122.0, 123.0]
        assert sorted(males.index.get_level_values("TIME_PERIOD")) == ["2021-Q1", "2022-Q1", "2023-Q1"]
        # KZ published nothing: no results, not 403; SDMX 2.1 says 404 (error 100), REST v2 says 204
        with pytest.raises(HTTPError) as nothing:
            urlopen(f"{base}/rest/data/DF_ENTRIES/Q.KZ", timeout=30)
        assert nothing.value.code == 404
        assert nothing.value.headers.get_content_type() == "application/vnd.sdmx.error+xml"
        anonymous = sdmx.Client("DSM")
        with pytest.raises(requests.HTTPError) as raised:  # sdmx1 says plainly what happened
            anonymous.data("DF_ENTRIES", key={"REF_AREA": "KZ"})
        assert raised.value.response.status_code == 404
        with urlopen(f"{base}/rest/v2/data/dataflow/DSM/DF_ENTRIES/1.0/Q.KZ", timeout=30) as r:
            assert r.status == 204 and r.read() == b"" and r.headers["Content-Type"].startswith("application/vnd.sdmx")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pysdmx_registry_client_reads_the_structures(initialised):
    """pysdmx's registry client ends each structure query with a slash (.../dataflow/DSM/): every call works."""
    from pysdmx.api.fmr import RegistryClient

    database_url, _ = initialised
    with gunicorn(database_url, workers=1) as base:
        client = RegistryClient(base + "/rest/v2", timeout=30)
        assert {a.id for a in client.get_agencies("SDMX")} >= {"DSM", "SDMX"}
        assert {p.id for p in client.get_providers("DSM")} >= {"KZ", "KG", "MD"}
        assert len(client.get_categories("DSM", "CAT_MIGRATION").items) == 5
        assert {c.id for c in client.get_codes("DSM", "CL_SEX")} >= {"F", "M"}
        assert len(client.get_concepts("DSM", "CS_MIGRATION").items) > 5
        assert len(client.get_dataflows("DSM")) == 6
        details = client.get_dataflow_details("DSM", "DF_STOCK_FOREIGNERS", "1.0")
        assert "REF_AREA" in {c.id for c in details.components}
        assert len(client.get_data_structures("DSM")) == 3
        assert client.get_provision_agreement("DSM", "PA_KZ_DF_ENTRIES").id == "PA_KZ_DF_ENTRIES"
        assert "SEX" in {c.id for c in client.get_schema("dataflow", "DSM", "DF_STOCK_FOREIGNERS", "1.0").components}
        assert client.get_categorisation("DSM", "CAT_DF_ENTRIES").id == "CAT_DF_ENTRIES"
