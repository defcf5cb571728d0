"""A submitter's message must never run as a page of this site (issue 22, finding 2): a CSV declared text/html with
a <script> in OBS_COMMENT is stored with its canonical SDMX type and served back as a download that no browser
renders; every answer carries nosniff and a Content-Security-Policy; a browser following a link to /api/ is not
asked for a password. Through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from sdmx_server.security_headers import API_POLICY, PAGE_POLICY
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.storage.tables import submission

from .test_workflow import SUBMIT, step, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.storage

SCRIPT = "<script>fetch('/api/tokens',{method:'POST'}).then(r=>r.text()).then(alert)</script>"
MESSAGE = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,"
           "OBS_STATUS,OBS_COMMENT\n"
           f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2023-S1,100,PS,A,\"{SCRIPT}\"\n").encode()
CSV_20 = "application/vnd.sdmx.data+csv;version=2.0.0"
BROWSER = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document",
           "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def html_submission(world) -> int:  # noqa: F811
    r = world("kz_submitter")("POST", SUBMIT, MESSAGE, **{"Content-Type": "text/html; charset=utf-8",
                                                         "Accept": "application/json"})
    assert r.status_code == 202, r.data[:1000]
    return r.get_json()["submission"]


def assert_download(r, sid: int, mime: str, ext: str) -> None:
    assert r.status_code == 200
    assert r.headers["Content-Type"] == mime
    assert r.headers["Content-Disposition"] == f'attachment; filename="submission-{sid}.{ext}"'
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert "no-store" in r.headers["Cache-Control"]


def test_a_message_declared_html_is_stored_and_served_as_an_sdmx_csv_download(world, engine):  # noqa: F811
    sid = html_submission(world)
    with engine.connect() as conn:
        assert SubmissionStore(conn).get(sid).content_type == CSV_20  # the declared text/html is not kept
    r = world("kz_verifier")("GET", f"/api/submissions/{sid}/message", **BROWSER)
    assert_download(r, sid, CSV_20, "csv")
    assert r.data == MESSAGE  # the message itself as sent, byte for byte
    # the canonical type still finds the reader when the message is applied at release
    assert step(world, "kz_verifier", sid, "verify").status_code == 200
    r = step(world, "kz_approver", sid, "release")
    assert r.status_code == 200 and r.get_json()["state"] == "released", r.data


def test_a_type_stored_before_types_were_checked_is_never_served(world, engine):  # noqa: F811
    sid = html_submission(world)
    with engine.begin() as conn:  # as an older version of the server stored it
        conn.execute(update(submission).where(submission.c.id == sid).values(content_type="text/html"))
    assert_download(world("kz_verifier")("GET", f"/api/submissions/{sid}/message"), sid, CSV_20, "csv")


def test_a_browser_is_not_asked_for_a_password_on_the_api(world):  # noqa: F811
    sid = html_submission(world)
    r = world(None)("GET", f"/api/submissions/{sid}/message", **BROWSER)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="sdmx"'  # no Basic: no prompt
    assert SCRIPT.encode() not in r.data
    # programs (no Sec-Fetch-*, no HTML asked for) keep the Basic challenge; /rest/ keeps it for browsers too
    r = world(None)("GET", f"/api/submissions/{sid}/message")
    assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"]
    r = world(None)("POST", "/rest/v2/structure", b"<x/>", **{**BROWSER, "Content-Type": "application/xml"})
    assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/rest/dataflow/DSM", "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0",
                                  "/api/submissions", "/api/openapi/management.yaml", "/nowhere",
                                  "/rest/dataflow/NONE"])
def test_every_api_answer_forbids_sniffing_framing_and_scripts(world, path):  # noqa: F811
    r = world(None)("GET", path)
    assert r.headers["X-Content-Type-Options"] == "nosniff", path
    assert r.headers["Content-Security-Policy"] == API_POLICY, path
    assert r.headers["X-Frame-Options"] == "DENY", path


def test_portal_pages_carry_a_strict_policy(world):  # noqa: F811
    for path in ("/en/", "/ru/reports/", "/en/no-such-page", "/portal/static/portal.css"):
        r = world(None)("GET", path)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        policy = r.headers["Content-Security-Policy"]
        assert policy == (PAGE_POLICY if r.mimetype == "text/html" else API_POLICY), path
    directives = dict(d.strip().split(" ", 1) for d in PAGE_POLICY.split(";"))
    assert directives["default-src"] == "'none'" and "script-src" not in directives  # no script whatsoever
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
