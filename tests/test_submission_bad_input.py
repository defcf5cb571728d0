"""Bad submissions over HTTP: each answer names the rule, the place and the offending value, in the
format the client negotiated, and the database is exactly as it was before.

Complements tests/test_data_submission.py (codes, periods, duplicates, broken XML, 401, the plain
413) and tests/test_dsm_ingest.py (a CSV 1.0 without a dimension column, CSV attribute and number
errors); the data here is the seeded DSM dataflow DF_STOCK_FOREIGNERS, reported by Kazakhstan.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
import zlib

import pytest
from lxml import etree

from sdmx_server.app import create_app
from sdmx_server.seeding import load_structures, read_files, seed_files
from sdmx_server.settings import load_config
from sdmx_server.storage.database import make_engine, upgrade_schema
from sdmx_server.storage.user_store import UserStore

from .db_dump import dump
from .xsd import validate_sdmx_ml

FLOW = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0"
URL = FLOW + "?provider=KZ&release=now"
CSV = {"Content-Type": "text/csv"}
PROBLEM = {"Accept": "application/problem+json"}
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,OBS_COMMENT"
ROWS = ["dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2023-S1,1234,PS,A,",
        "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,M,2023-S1,1500,PS,A,",
        "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,UZ,F,2023-S1,800,PS,P,first estimate"]


def csv_body(rows: list[str], head: str = HEAD) -> bytes:
    return "\n".join([head, *rows]).encode()


def errors(r) -> list[tuple]:
    return [(e["rule"], e["where"], e.get("component"), e.get("value")) for e in r.get_json()["errors"]]


@pytest.fixture
def kz(engine, admin, config):
    """The seeds, and some data of Kazakhstan already stored: a rejected message must leave both."""
    load_structures(engine, read_files(seed_files(config)))
    r = admin("POST", URL, csv_body(ROWS), **CSV)
    assert r.status_code == 200 and r.get_json()["observations"]["inserted"] == 3
    return dump(engine)


# -- text where a number is required ------------------------------------------------------------------

def test_text_for_a_number_in_sdmx_csv(engine, admin, kz):
    rows = [*ROWS[:1], ROWS[1].replace(",1500,", ",1 500,"), ROWS[2].replace(",800,", ",n/a,")]
    r = admin("POST", URL, csv_body(rows), **CSV, **PROBLEM)
    assert r.status_code == 422
    assert errors(r) == [("not-a-number", "row 3, column OBS_VALUE", "OBS_VALUE", "1 500"),
                         ("not-a-number", "row 4, column OBS_VALUE", "OBS_VALUE", "n/a")]
    first = r.get_json()["errors"][0]
    assert (first["series_key"], first["period"]) == ("S.KZ.RU.M", "2023-S1")
    assert "OBS_VALUE must be a number (Double), not '1 500'" in first["message"]
    assert dump(engine) == kz


GENERIC_21 = """<?xml version="1.0" encoding="UTF-8"?>
<message:GenericData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
    xmlns:generic="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
    xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">
 <message:Header><message:ID>KZ_STOCK</message:ID><message:Test>false</message:Test>
  <message:Prepared>2024-03-01T00:00:00</message:Prepared><message:Sender id="KZ"/>
  <message:Structure structureID="S1" dimensionAtObservation="TIME_PERIOD">
   <common:StructureUsage><Ref agencyID="DSM" id="DF_STOCK_FOREIGNERS" version="1.0"/></common:StructureUsage>
  </message:Structure></message:Header>
 <message:DataSet structureRef="S1">
  <generic:Series>
   <generic:SeriesKey><generic:Value id="FREQ" value="S"/><generic:Value id="REF_AREA" value="KZ"/>
    <generic:Value id="CITIZENSHIP" value="TJ"/><generic:Value id="SEX" value="F"/></generic:SeriesKey>
   <generic:Attributes><generic:Value id="UNIT_MEASURE" value="PS"/></generic:Attributes>
   <generic:Obs><generic:ObsDimension value="2023-S1"/><generic:ObsValue value="310"/>
    <generic:Attributes><generic:Value id="OBS_STATUS" value="A"/></generic:Attributes></generic:Obs>
   <generic:Obs><generic:ObsDimension value="2023-S2"/><generic:ObsValue value="{value}"/>
    <generic:Attributes><generic:Value id="OBS_STATUS" value="A"/></generic:Attributes></generic:Obs>
  </generic:Series>
 </message:DataSet>
</message:GenericData>
"""

STRUCTURE_SPECIFIC_30 = """<?xml version="1.0" encoding="UTF-8"?>
<message:StructureSpecificData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"
    xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/data/structurespecific"
    xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common">
 <message:Header><message:ID>KZ_STOCK</message:ID><message:Test>false</message:Test>
  <message:Prepared>2024-03-01T00:00:00Z</message:Prepared><message:Sender id="KZ"/>
  <message:Structure structureID="S1" dimensionAtObservation="TIME_PERIOD">
   <common:StructureUsage>urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)</common:StructureUsage>
  </message:Structure></message:Header>
 <message:DataSet ss:structureRef="S1">
  <Series FREQ="S" REF_AREA="KZ" CITIZENSHIP="TJ" SEX="F" UNIT_MEASURE="PS">
   <Obs TIME_PERIOD="2023-S1" OBS_VALUE="310" OBS_STATUS="A"/>
   <Obs TIME_PERIOD="2023-S2" OBS_VALUE="{value}" OBS_STATUS="A"/>
  </Series>
 </message:DataSet>
</message:StructureSpecificData>
"""


@pytest.mark.parametrize("template", [GENERIC_21, STRUCTURE_SPECIFIC_30], ids=["generic 2.1", "structure-specific 3.0"])
def test_text_for_a_number_in_sdmx_ml(engine, admin, kz, template):
    """OBS_VALUE is a Double in DSD_MIGRATION: text there is named with its line, series and period."""
    message = template.replace("{value}", "about 320")
    line = next(i for i, text in enumerate(message.splitlines(), start=1) if "about 320" in text)
    r = admin("POST", URL, message.encode(), **PROBLEM)
    assert r.status_code == 422, r.data[:2000]
    [(rule, where, component, value)] = errors(r)
    assert (rule, component, value) == ("not-a-number", "OBS_VALUE", "about 320")
    assert re.fullmatch(rf"line {line}(, column \d+)?", where), where
    first = r.get_json()["errors"][0]
    assert (first["series_key"], first["period"]) == ("S.KZ.TJ.F", "2023-S2")
    assert dump(engine) == kz
    # the same message with a figure there is stored: nothing else was wrong with it
    r = admin("POST", URL, template.replace("{value}", "320").encode(), **PROBLEM)
    assert r.status_code == 200 and r.get_json()["observations"]["inserted"] == 2, r.data[:2000]


# -- CSV columns and codes ------------------------------------------------------------------------------

def test_sdmx_csv_without_the_time_period_column(engine, admin, kz):
    head = HEAD.replace(",TIME_PERIOD", "")
    rows = [re.sub(r",2023-S1,", ",", row) for row in ROWS]
    r = admin("POST", URL, csv_body(rows, head), **CSV, **PROBLEM)
    assert r.status_code == 422  # a dimension missing is a semantic error in every format (validation's too)
    detail = r.get_json()["detail"]
    # with an ACTION column the key may be partial in Delete rows: the first row adding data is the culprit
    assert detail.startswith("row 2: the column(s) TIME_PERIOD are missing from header row 1"), detail
    assert detail.endswith("needs the full key (line 2)"), detail
    assert dump(engine) == kz


def test_sdmx_csv_row_with_a_cell_missing(engine, admin, kz):
    rows = [*ROWS[:2], ROWS[2].replace(",first estimate", "")]
    r = admin("POST", URL, csv_body(rows), **CSV, **PROBLEM)
    assert r.status_code == 400
    assert r.get_json()["detail"] == "row 4 has 11 fields; the header row 1 has 12 (line 4)"
    assert dump(engine) == kz


def test_sdmx_csv_unknown_code_names_row_and_column(engine, admin, kz):
    rows = [*ROWS[:2], ROWS[2].replace(",UZ,", ",XX,")]
    r = admin("POST", URL, csv_body(rows), **CSV, **PROBLEM)
    assert r.status_code == 422
    # once, at its own cell: the row's series attribute UNIT_MEASURE must not report it a second time
    assert errors(r) == [("unknown-code", "row 4, column CITIZENSHIP", "CITIZENSHIP", "XX")]
    assert dump(engine) == kz


def test_sdmx_csv_unknown_code_in_a_labelled_message(engine, admin, kz):
    """labels=both: "CODE: Name" cells; the code, not the label, is named."""
    head = HEAD.replace("CITIZENSHIP", "CITIZENSHIP: Citizenship").replace("OBS_STATUS", "OBS_STATUS: Status")
    rows = [ROWS[0].replace(",A,", ",A: Normal value,"), ROWS[1].replace(",A,", ",Z: Zany value,")]
    r = admin("POST", URL, csv_body(rows, head), **CSV, **PROBLEM)
    assert r.status_code == 422
    assert errors(r) == [("unknown-code", "row 3, column OBS_STATUS", "OBS_STATUS", "Z")]
    assert dump(engine) == kz


# -- unknown dataflow ---------------------------------------------------------------------------------

UNKNOWN = {"/rest/v2/data/dataflow/DSM/DF_NOPE/1.0": "DSM:DF_NOPE(1.0)",
           "/rest/v2/data/dataflow/XYZ/DF_STOCK_FOREIGNERS/1.0": "XYZ:DF_STOCK_FOREIGNERS(1.0)",
           "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/9.9": "DSM:DF_STOCK_FOREIGNERS(9.9)"}


def test_unknown_dataflow_is_404(engine, admin, kz):
    for path, named in UNKNOWN.items():
        for method in ("POST", "PUT", "DELETE"):
            target = path + ("/S.KZ.RU.F" if method == "DELETE" else "") + "?provider=KZ"
            r = admin(method, target, csv_body(ROWS) if method != "DELETE" else None, **CSV, **PROBLEM)
            assert r.status_code == 404, (method, path)
            assert r.get_json() == {"type": "about:blank", "title": "Not Found", "status": 404,
                                    "detail": f"dataflow {named} does not exist"}
    assert dump(engine) == kz


# -- bodies that are no data message --------------------------------------------------------------------

NOT_DATA = {
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "application/pdf",
            "the body is neither SDMX-ML, SDMX-CSV, SDMX-JSON nor an Excel workbook (starts '%PDF-1.7\\n%\ufffd\ufffd\ufffd"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "image/png",
            "the body is neither SDMX-ML, SDMX-CSV, SDMX-JSON nor an Excel workbook (starts '\ufffdPNG"),
    "empty": (b"", "application/octet-stream",
              ("the body is neither SDMX-ML, SDMX-CSV, SDMX-JSON nor an Excel workbook (starts '', Content-Type "
               "application/octet-stream)")),
    "zip that is no workbook": (None, "application/zip", "the upload is not an Excel workbook (.xlsx)"),
    "structure message": (None, "application/xml",
                          ("the XML body is not an SDMX-ML data message (root element <Structure>); send GenericData "
                           "or StructureSpecificData (line 1)")),
}


@pytest.mark.parametrize("case", list(NOT_DATA))
def test_a_body_that_is_no_data_message_is_400(engine, admin, kz, specimens, case):
    body, ctype, start = NOT_DATA[case]
    if case == "zip that is no workbook":
        body = (specimens / "ESTAT/footer2.zip").read_bytes()  # a real zip, holding an SDMX-ML file
    elif case == "structure message":
        body = (specimens / "ECB_EXR/1/structure.xml").read_bytes()
    r = admin("POST", URL, body, **{"Content-Type": ctype}, **PROBLEM)
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.get_json()["detail"].startswith(start), r.get_json()
    assert dump(engine) == kz


# -- sizes ---------------------------------------------------------------------------------------------

LIMIT = 100_000


def seeded_server(database_url: str, **overrides):
    """(app, engine, test client, a system administrator's Basic header) of a server with the seeds loaded."""
    cfg = load_config(overrides={"database_url": database_url, "secret_key": "t", "release_check_seconds": 0,
                                 **overrides})
    eng = make_engine(cfg.resolved_database_url)
    upgrade_schema(eng)
    app = create_app(config=cfg)
    load_structures(eng, read_files(seed_files(cfg)))
    with eng.begin() as conn:
        UserStore(conn, app.extensions["sdmx_policy"]).add("root", "pw-root-123", roles=["system_administrator"],
                                                            country=None)
    return app, eng, app.test_client(), {"Authorization": "Basic " + base64.b64encode(b"root:pw-root-123").decode()}


@pytest.fixture
def small_limit(database_url):
    """A server accepting data bodies of 100 kB at most, with the seeds and some data of Kazakhstan."""
    app, eng, client, auth = seeded_server(database_url, max_data_body_bytes=LIMIT)

    def call(body: bytes, **headers: str):
        return client.post(URL, data=body, headers={**auth, **CSV, **headers})

    assert call(csv_body(ROWS)).status_code == 200
    yield call, eng
    app.extensions["sdmx_engine"].dispose()
    eng.dispose()


def many_rows(n: int) -> list[str]:
    periods = [f"{y}-S{h}" for y in range(1990, 2040) for h in (1, 2)]
    return [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,{c},{s},{p},{i},PS,A,"
            for i, (c, s, p) in enumerate((c, s, p) for c in ("RU", "UZ", "KG", "TJ", "CN", "TR", "DE", "US")
                                          for s in ("F", "M", "_T", "_U") for p in periods) if i < n]


def test_gzip_body_larger_than_the_limit_once_decompressed_is_413(small_limit):
    call, eng = small_limit
    before = dump(eng)
    body = csv_body(many_rows(3200))  # about 220 kB, compressed far below the limit
    packed = gzip.compress(body)
    assert len(body) > 2 * LIMIT and len(packed) < LIMIT / 4
    started = time.perf_counter()
    r = call(packed, **{"Content-Encoding": "gzip"}, **PROBLEM)
    assert r.status_code == 413
    assert r.get_json()["detail"] == f"the request body is larger than this server accepts ({LIMIT} bytes) once decompressed"
    assert dump(eng) == before
    # a bomb is stopped at the limit, not inflated whole: 1 GB of spaces compressed to about 1 MB
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = bomb.compress(csv_body(ROWS) + b"\n")
    chunk = bomb.compress(b" " * (1 << 20))
    packed = head + chunk * 1024 + bomb.flush()
    assert len(packed) < 2 * 1024 * 1024
    r = call(packed, **{"Content-Encoding": "gzip"})
    assert r.status_code == 413 and b"once decompressed" in r.data
    assert time.perf_counter() - started < 20
    assert dump(eng) == before


def test_plain_body_larger_than_the_limit_is_413_naming_the_data_limit(small_limit):
    call, eng = small_limit
    before = dump(eng)
    r = call(csv_body(many_rows(3200)), **PROBLEM)
    assert r.status_code == 413
    assert r.get_json()["detail"] == f"the request body is larger than this server accepts ({LIMIT} bytes)"
    assert dump(eng) == before


def test_corrupt_gzip_body_is_400(small_limit):
    call, eng = small_limit
    before = dump(eng)
    packed = bytearray(gzip.compress(csv_body(ROWS)))
    packed[len(packed) // 2] ^= 0xFF
    r = call(bytes(packed), **{"Content-Encoding": "gzip"}, **PROBLEM)
    assert r.status_code == 400
    assert r.get_json()["detail"].startswith("the gzip-compressed body is corrupt")
    assert dump(eng) == before


def test_data_bodies_may_exceed_the_general_body_limit(engine, admin, config, kz):
    """max_body_bytes (1 MB in the tests) bounds structure uploads, not data messages."""
    body = csv_body([row.replace(",PS,A,", ",PS,A," + "c" * 300) for row in many_rows(3200)])
    assert len(body) > config.max_body_bytes
    r = admin("POST", URL, body, **CSV)
    assert r.status_code == 200, r.data[:1000]
    assert r.get_json()["observations"]["read"] == 3200


# -- the error's format, negotiated by Accept -----------------------------------------------------------

ERRORS = {  # status, a request making that error, a fragment of its message
    400: (lambda call, h: call("POST", URL, b"%PDF-1.7\n", **{"Content-Type": "application/pdf"}, **h),
          "neither SDMX-ML, SDMX-CSV, SDMX-JSON nor an Excel workbook"),
    404: (lambda call, h: call("POST", "/rest/v2/data/dataflow/DSM/DF_NOPE/1.0", csv_body(ROWS), **CSV, **h),
          "dataflow DSM:DF_NOPE(1.0) does not exist"),
    422: (lambda call, h: call("POST", URL, csv_body([ROWS[0].replace(",1234,", ",12x4,")]), **CSV, **h),
          "row 2, column OBS_VALUE: OBS_VALUE must be a number (Double), not '12x4'"),
}


ACCEPTS = ["", "application/xml", "application/vnd.sdmx.error+xml;version=3.0.0", "application/problem+json",
           "application/vnd.sdmx.data+json;version=2.0.0"]


@pytest.mark.parametrize("status", list(ERRORS))
def test_errors_come_in_the_negotiated_format(engine, admin, kz, status):
    for accept in ACCEPTS:
        check_negotiated(admin, status, accept)
    assert dump(engine) == kz


def check_negotiated(admin, status: int, accept: str) -> None:
    make, fragment = ERRORS[status]
    r = make(admin, {"Accept": accept} if accept else {})
    assert r.status_code == status
    ctype = r.headers["Content-Type"]
    if accept == "application/problem+json":
        assert ctype == "application/problem+json; charset=utf-8"
        problem = r.get_json()
        assert problem["status"] == status and problem["title"]
        text = problem["detail"] + "".join(e["message"] for e in problem.get("errors", []))
        if status == 422:
            assert problem["errors"][0]["where"] == "row 2, column OBS_VALUE"
            text = "".join(f"{e['where']}: {e['message']}" for e in problem["errors"])
    elif "json" in accept:  # an SDMX-JSON error message
        assert ctype.startswith("application/vnd.sdmx.") and "+json;version=2.0.0" in ctype, ctype
        body = json.loads(r.data)
        assert {e["code"] for e in body["errors"]} == {status}
        text = " | ".join(e["title"] for e in body["errors"])
    else:  # an SDMX-ML 3.0 error message, valid against the schema
        assert ctype.startswith("application/vnd.sdmx.error+xml;version=3.0.0")
        validate_sdmx_ml(r.data, "3.0")
        root = etree.fromstring(r.data)
        messages = root.findall("{*}ErrorMessage")
        assert {m.get("code") for m in messages} == {str(status)}
        text = " | ".join(m.findtext("{*}Text") for m in messages)
    assert fragment in text, (accept, text)


def test_unauthenticated_problem_keeps_the_challenge(client, kz):
    r = client.post(URL, data=csv_body(ROWS), headers={**CSV, **PROBLEM})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.get_json()["status"] == 401 and r.get_json()["title"] == "Unauthorized"


# -- mandatory series attributes ------------------------------------------------------------------------

def test_a_new_series_without_its_mandatory_unit_is_refused(engine, admin, kz):
    """UNIT_MEASURE is mandatory for every series: a new series must bring it; a stored one has it."""
    head = HEAD.replace(",UNIT_MEASURE", "")
    known = ROWS[0].replace(",PS,", ",").replace(",1234,", ",1240,")  # KZ.RU.F: UNIT_MEASURE already stored
    new = "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,TJ,M,2023-S1,75,A,"
    r = admin("POST", URL, csv_body([known, new], head), **CSV, **PROBLEM)
    assert r.status_code == 422
    assert errors(r) == [("missing-attribute", "row 3", "UNIT_MEASURE", None)]
    assert r.get_json()["errors"][0]["series_key"] == "S.KZ.TJ.M"
    assert dump(engine) == kz
    r = admin("POST", URL, csv_body([known], head), **CSV, **PROBLEM)
    assert r.status_code == 200 and r.get_json()["observations"]["updated"] == 1


def test_ecb_json_sample_without_collection_is_refused_by_default(engine, admin, specimens):
    """ECB's ts.json omits COLLECTION, which ECB_EXR1 makes mandatory for every series."""
    from .test_data_submission import load, provision
    from sdmx_server.sdmx.artefacts import urn_for

    load(engine, specimens / "ECB_EXR/1/structure-full.xml")
    url = provision(engine, "ECB", "EXR_JSON", urn_for("datastructure", "ECB", "ECB_EXR1", "1.0")) + "?provider=ECB"
    before = dump(engine)
    r = admin("POST", url, (specimens / "ECB_EXR/ts.json").read_bytes(), **PROBLEM,
              **{"Content-Type": "application/vnd.sdmx.data+json;version=1.0.0"})
    assert r.status_code == 422
    missing = {(e["component"], e["series_key"]) for e in r.get_json()["errors"] if e["rule"] == "missing-attribute"}
    assert ("COLLECTION", "D.RUB.EUR.SP00.A") in missing
    assert dump(engine) == before


def test_a_missing_dimension_is_a_422_in_every_format(engine, admin, kz):
    """One status per condition whatever the reader: a data message without a dimension the structure has is
    well-formed but not a valid key, a semantic error (doc/status.md: 422)."""
    no_sex = {
        "SDMX-CSV": (csv_body([re.sub(r",[FM],2023", ",2023", row) for row in ROWS], HEAD.replace(",SEX", "")),
                     CSV),
        "SDMX-ML 2.1 generic": (GENERIC_21.replace('<generic:Value id="SEX" value="F"/>', "")
                                .replace("{value}", "320").encode(), {}),
        "SDMX-ML 3.0 structure-specific": (STRUCTURE_SPECIFIC_30.replace(' SEX="F"', "").replace("{value}", "320")
                                           .encode(), {}),
    }
    statuses = {name: admin("POST", URL, body, **headers, **PROBLEM) for name, (body, headers) in no_sex.items()}
    assert {name: r.status_code for name, r in statuses.items()} == {name: 422 for name in no_sex}, \
        {name: r.get_data(as_text=True)[:300] for name, r in statuses.items()}
    assert all("SEX" in r.get_data(as_text=True) for r in statuses.values())
    assert dump(engine) == kz
