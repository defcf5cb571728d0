"""Issue 22, finding 2 in a real browser: Debian's Chromium, JavaScript ON (the attacker's script would need it),
against the README's demo under a live gunicorn. A submitter's message carrying a script is downloaded by the
verifier who opens it, never run; the portal's pages break no rule of their own Content-Security-Policy."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Browser, Error

from ..live_server import cli
from .conftest import DEMO_PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCRIPT = "<script>document.title='pwned';alert(document.domain)</script>"
MESSAGE = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,"
           "OBS_STATUS,OBS_COMMENT\n"
           f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2023-S1,100,PS,A,\"{SCRIPT}\"\n").encode()


def submit_as_html(base: str, database_url: str) -> int:
    token = cli(database_url, "token", "create", "kz_data_submitter").stdout.strip().split()[-1]
    req = urllib.request.Request(base + "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", data=MESSAGE,
                                 method="POST", headers={"Authorization": f"Bearer {token}",
                                                         "Content-Type": "text/html", "Accept": "application/json"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 202
        return json.loads(resp.read())["submission"]


def test_a_verifier_opening_a_hostile_message_downloads_it(live_portal: str, browser: Browser, database_url, tmp_path):
    sid = submit_as_html(live_portal, database_url)
    url = f"{live_portal}/api/submissions/{sid}/message"
    # a browser that holds the verifier's credentials (sent up front: on /api/ it is never asked for them)
    basic = base64.b64encode(f"kz_data_verifier:{DEMO_PASSWORD}".encode()).decode()
    context = browser.new_context(accept_downloads=True, extra_http_headers={"Authorization": f"Basic {basic}"})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_portal + "/en/")
    with page.expect_download() as download:
        try:
            page.goto(url)
        except Error as e:  # Chromium reports a navigation that became a download as an aborted navigation
            assert "Download is starting" in str(e) or "net::ERR_ABORTED" in str(e), e
    saved = tmp_path / "message.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"submission-{sid}.csv"
    assert saved.read_bytes() == MESSAGE
    assert dialogs == [] and page.title() != "pwned"
    context.close()


def test_without_credentials_a_browser_gets_no_password_prompt(live_portal: str, database_url):
    sid = submit_as_html(live_portal, database_url)
    req = urllib.request.Request(f"{live_portal}/api/submissions/{sid}/message",
                                 headers={"Sec-Fetch-Mode": "navigate", "Accept": "text/html"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req)
    assert refused.value.code == 401 and refused.value.headers["WWW-Authenticate"] == 'Bearer realm="sdmx"'


def test_portal_pages_break_no_rule_of_their_policy(live_portal: str, browser: Browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_portal + "/en/sign-in")
    page.get_by_label("Username").fill("kz_viewer")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in ("/en/", "/en/indicators/", "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0", "/ru/reports/"):
        resp = page.goto(live_portal + path)
        assert resp.status == 200, path
        assert "default-src 'none'" in resp.headers["content-security-policy"], path
    assert violations == []
    context.close()
