"""No portal page ever shows a Python representation (issue 19, item 1: the revisions page showed
`(RevisionNotice(submission=SubmissionRow(id=10, … submitted_by='kz_data_submitter' …` to visitors). Every page
of the portal, in both languages, as a visitor and as several demo users, in Debian's Chromium (JavaScript off),
on the README demo with one revision released so that the revisions page has notices to show."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser

from sdmx_server.content import release_calendar
from sdmx_server.identity.actor import Actor
from sdmx_server.storage.database import make_engine

from .conftest import DEMO_PASSWORD, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# what a repr looks like: Name(field=..., an object's default repr, a datetime's or Decimal's, a dict's
REPR = re.compile(r"\b\w+\(\w+=|<[\w.]+ object at 0x|\bRow\(|\bdatetime\.\w+\(|\bDecimal\('|\{'\w+': |"
                  r"\bLocalText\(|\bNamespace\(")
FLOWS = ["DSM/DF_STOCK_FOREIGNERS/1.0", "DSM/DF_ASYLUM_APPLICATIONS/1.0"]
SUBMISSIONS = [1, 4, 5, 6]  # released KZ, pending KZ, MD's public asylum figures, the revision made below
# every GET page of the portal (a test below checks that none is missing), with its parameters filled in
PAGES = {
    "portal.home": ["/{lang}/"],
    "portal.catalogue": ["/{lang}/indicators/"],
    "portal.indicator": [f"/{{lang}}/indicators/{f}" for f in FLOWS],
    "portal.sign_in": ["/{lang}/sign-in"],
    "portal.reports": ["/{lang}/reports/"],
    "portal.report": [f"/{{lang}}/reports/{f}" for f in FLOWS],
    "portal.submit_index": ["/{lang}/submit/"],
    "portal.submit_indicator": [f"/{{lang}}/submit/{f}" for f in FLOWS],
    "portal.submit_entry": [f"/{{lang}}/submit/{f}/entry" for f in FLOWS],
    "portal.submission_list": ["/{lang}/submissions/", "/{lang}/submissions/?state=released"],
    "portal.submission_detail": [f"/{{lang}}/submissions/{n}" for n in SUBMISSIONS],
    "portal.verify_queue": ["/{lang}/queue/verify"],
    "portal.release_queue": ["/{lang}/queue/release"],
    "portal.revision_notices": ["/{lang}/revisions/"],
    "portal.admin_users": ["/{lang}/admin/users/"],
    "portal.admin_new_user": ["/{lang}/admin/users/new"],
    "portal.admin_user": ["/{lang}/admin/users/kz_data_submitter"],
    "portal.admin_sharing": ["/{lang}/admin/sharing"],
    "portal.my_tokens": ["/{lang}/account/tokens"],
    "portal.time_zone": ["/{lang}/account/time-zone"],
    "portal.system_countries": ["/{lang}/system/countries"],
    "portal.system_structures": ["/{lang}/system/structures"],
    "portal.system_audit": ["/{lang}/system/audit"],
    "portal.system_links": ["/{lang}/system/links"],
    "portal.documentation_index": ["/{lang}/documentation/"],
    "portal.documentation_edit": [f"/{{lang}}/documentation/{FLOWS[0]}"],
    "portal.documentation_detail": ["/{lang}/documentation/sets/1"],
    "portal.documentation_comparison": [f"/{{lang}}/indicators/{FLOWS[0]}/documentation"],
    "portal.documents": ["/{lang}/documents/"],
    "portal.document": ["/{lang}/documents/1"],
    "portal.content_documents": ["/{lang}/content/documents/"],
    "portal.content_document_new": ["/{lang}/content/documents/new"],
    "portal.content_document_edit": ["/{lang}/content/documents/1/edit"],
    "portal.country_list": ["/{lang}/countries/"],
    "portal.country_page": ["/{lang}/countries/KZ", "/{lang}/countries/KG"],
    "portal.content_country": ["/{lang}/content/countries/KZ"],
    "portal.content_countries": ["/{lang}/content/countries/"],
    "portal.news": ["/{lang}/news/"],
    "portal.news_item": ["/{lang}/news/1"],
    "portal.links": ["/{lang}/links/"],
    "portal.content_news": ["/{lang}/content/news/"],
    "portal.content_news_edit": ["/{lang}/content/news/new", "/{lang}/content/news/1/edit"],
    "portal.content_links": ["/{lang}/content/links/", "/{lang}/content/links/1/edit"],
    "portal.saved_reports": ["/{lang}/reports/saved/"],
    "portal.calendar": ["/{lang}/calendar", "/{lang}/calendar?country=KZ"],
    "portal.content_calendar": ["/{lang}/content/calendar/"],
    "portal.content_calendar_edit": ["/{lang}/content/calendar/1/edit"],
    "portal.sitemap_page": ["/{lang}/sitemap"],
    "portal.search_page": ["/{lang}/search", "/{lang}/search?q=foreigners", "/{lang}/search?q=%D0%B8%D0%BD%D0%BE"
                           "%D1%81%D1%82%D1%80%D0%B0%D0%BD%D1%86%D1%8B&type=indicator", "/{lang}/search?q=x&year=abc"],
    "portal.not_found": ["/{lang}/no-such-page"],
}
# a redirect, files to download (exports, the Excel template), a form's target
NOT_PAGES = {"portal.root", "portal.static", "portal.report_export", "portal.submit_template", "portal.sign_out",
             "portal.submission_message", "portal.documentation_template", "portal.document_file", "portal.news_feed",
             "portal.open_saved_report", "portal.sitemap_xml", "portal.robots_txt",
             "portal.calendar_feed"}
# open_saved_report: a redirect to the report; sitemap_xml and robots_txt: for crawlers, not pages;
# calendar_feed: iCalendar for calendar programs
USERS = [None, "kz_data_submitter", "kz_data_verifier", "kz_country_administrator", "kz_content_manager", "md_viewer",
         "admin"]


def _call(base: str, method: str, path: str, user: str, body: bytes | None = None,
          content_type: str = "application/json") -> dict:
    auth = base64.b64encode(f"{user}:{DEMO_PASSWORD}".encode()).decode()
    req = urllib.request.Request(base + path, data=body, method=method,
                                 headers={"Authorization": f"Basic {auth}", "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


def _release_a_revision(base: str) -> None:
    """Kazakhstan revises two released figures of 2025-S2: a revision notice for the revisions page."""
    csv = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
           "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,2025-S2,1999,PS,A\n"
           "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,UZ,M,2025-S2,2999,PS,A\n").encode()
    receipt = _call(base, "POST", "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0", "kz_data_submitter", csv,
                    "text/csv")
    sid = receipt["submission"]
    assert sid == SUBMISSIONS[-1]
    _call(base, "POST", f"/api/submissions/{sid}/verify", "kz_data_verifier", b"{}")
    _call(base, "POST", f"/api/submissions/{sid}/release", "kz_data_approver", b"{}")
    revisions = _call(base, "GET", f"/api/submissions/{sid}/revisions", "kz_viewer")
    assert revisions, "the release revised released figures: a notice is expected"


def test_every_portal_page_is_listed_here(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()
                 if r.endpoint.startswith("portal.") and "GET" in (r.methods or ())}
    assert endpoints - NOT_PAGES <= set(PAGES), f"pages this test does not visit: {endpoints - NOT_PAGES - set(PAGES)}"


def _announce_a_release(database_url: str) -> None:
    """Release calendar entry 1, for its page (as Kazakhstan's content manager would announce it)."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            entry = release_calendar.announce(
                conn, Actor(1, "kz_content_manager", "KZ", frozenset({"manage_content"})), provider="KZ",
                dataflow_urn="urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)",
                periods="2026-S1", at=datetime.now(timezone.utc) + timedelta(days=30))
        assert entry == 1
    finally:
        engine.dispose()


def test_no_page_shows_a_python_repr_to_anyone_in_either_language(live_portal: str, browser: Browser,
                                                                  database_url: str):
    _release_a_revision(live_portal)
    _announce_a_release(database_url)
    seen = 0
    for user in USERS:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        if user:
            page.goto(f"{live_portal}/en/sign-in")
            page.get_by_label("Username").fill(user)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            with page.expect_navigation():  # the answer to the form, not the sign-in page still showing
                page.get_by_role("button", name="Sign in").click()
            assert page.locator(".account .name").count() == 1, f"{user} did not sign in"
        for lang in ("en", "ru"):
            for paths in PAGES.values():
                for path in paths:
                    url = live_portal + path.format(lang=lang)
                    answer = page.goto(url)
                    assert answer is not None and answer.status < 500, (user, url, answer and answer.status)
                    text = page.locator("body").inner_text()
                    found = REPR.search(text)
                    assert found is None, f"{url} as {user or 'a visitor'} shows {text[max(0, found.start() - 80):found.end() + 80]!r}"
                    assert page.locator("html").get_attribute("lang") == lang, url
                    seen += 1
            if lang == "en" and user in (None, "kz_data_submitter"):
                page.goto(f"{live_portal}/{lang}/revisions/")
                shot(page, f"revisions-{lang}-{user or 'visitor'}")
        context.close()
    assert seen == len(USERS) * 2 * sum(len(p) for p in PAGES.values())


def test_the_repr_pattern_catches_what_the_revisions_page_once_showed(database_url):
    shown = ("(RevisionNotice(submission=SubmissionRow(id=10, dataflow_urn='urn:…', submitted_by='kz_data_submitter'), "
             "revisions=[…]),)")
    assert REPR.search(shown)
    assert REPR.search("<sdmx_server.web_portal.report_data.Selection object at 0x7f>")
    assert not REPR.search("Stock of foreigners (persons), 2025-S2: 1,999 (r) · Kazakhstan")
