"""Every bad request answers the 4xx (or 501) the SDMX REST specification names, never a 500, on SQLite and
PostgreSQL; each error and empty answer carries a Content-Type; errors under /api are problem documents.

The conditions are the ones found by hardening (issue 22, point 7) and conformance (issue 16, points 13-15);
docs/conformance.md, section "Status codes", lists the same rows.
"""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import text

from sdmx_server.storage.user_store import UserStore

from .access_world import PASSWORD, build_world
from .portal.conftest import csrf_token

pytestmark = pytest.mark.storage

FLOW = "DSM/DF_ENTRIES/1.0"
V1_FLOW = "DSM,DF_ENTRIES,1.0"
PROBLEM = "application/problem+json"
ML21 = "application/vnd.sdmx.error+xml"
HTML = "text/html"


def _basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def world_client(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    with engine.begin() as conn:
        token, _ = UserStore(conn, app.extensions["sdmx_policy"]).create_token("root", days=1)
    client = app.test_client()
    client.root = {"Authorization": f"Bearer {token}"}
    return client


# (name, method, path, body, JSON body?, as root?, extra headers, status, media type)
CASES = [
    # usernames no account can have: over the column's length, or with NUL (PostgreSQL cannot compare it)
    ("basic_username_too_long", "GET", "/api/me", None, False, False,
     {"Authorization": _basic("x" * 10_000)}, 401, PROBLEM),
    ("basic_username_nul", "GET", "/api/me", None, False, False, {"Authorization": _basic("ab\x00c")}, 401, PROBLEM),
    ("new_username_too_long", "POST", "/api/users", {"username": "u" * 101, "password": "change-me-soon",
                                                     "roles": []}, True, True, {}, 400, PROBLEM),
    ("new_username_nul", "POST", "/api/users", {"username": "u\x00b", "password": "change-me-soon", "roles": []},
     True, True, {}, 400, PROBLEM),
    ("display_name_1mb", "POST", "/api/users", {"username": "okname", "password": "change-me-soon", "roles": [],
                                                "displayName": "n" * 1_000_000}, True, True, {}, 400, PROBLEM),
    ("display_name_1mb_patch", "PATCH", "/api/users/kz_viewer", {"displayName": "n" * 1_000_000}, True, True, {},
     400, PROBLEM),
    ("role_nul", "PUT", "/api/users/kz_viewer/roles", {"roles": [{"role": "view\x00er"}]}, True, True, {}, 400,
     PROBLEM),
    ("json_nested_100k", "POST", "/api/users", "[" * 100_000 + "]" * 100_000, True, True, {}, 400, PROBLEM),
    ("json_number_100k_digits", "POST", "/api/tokens", '{"days": ' + "9" * 100_000 + "}", True, True, {}, 400,
     PROBLEM),
    ("json_optional_body_nested", "POST", "/api/users/kz_viewer/password", "{" * 50_000, True, True, {}, 400,
     PROBLEM),
    # structure ids, keys and parameters that cannot be
    ("quote_in_structure_id_v1", "GET", "/rest/dataflow/DSM/DF'X", None, False, False, {}, 400, ML21),
    ("quote_in_structure_id_v2", "GET", "/rest/v2/structure/dataflow/DSM/DF\"X", None, False, False, {}, 400, ML21),
    ("nul_in_data_key_v1", "GET", f"/rest/data/{V1_FLOW}/A%00", None, False, False, {}, 400, ML21),
    ("nul_in_data_key_v2", "GET", f"/rest/v2/data/dataflow/{FLOW}/%00", None, False, False, {}, 400, ML21),
    ("nul_in_component_filter", "GET", f"/rest/v2/data/dataflow/{FLOW}/*?c[SEX]=%00", None, False, False, {}, 400,
     ML21),
    ("empty_component_filter_name", "GET", f"/rest/v2/data/dataflow/{FLOW}/*?c[]=x", None, False, False, {}, 400,
     ML21),
    ("nul_in_availability_key", "GET", f"/rest/v2/availability/dataflow/{FLOW}/%00", None, False, False, {}, 400,
     ML21),
    ("nul_in_availability_v1", "GET", f"/rest/availableconstraint/{V1_FLOW}/%00", None, False, False, {}, 400,
     ML21),
    ("nul_in_feed_path", "GET", "/feeds/DSM/DF_X%00/1.0/revisions.atom", None, False, False, {}, 400, ML21),
    ("nul_in_template_path", "GET", "/api/dataflows/DSM/DF%00/1.0/template.xlsx", None, False, False, {}, 400,
     PROBLEM),
    ("unknown_template", "GET", "/api/dataflows/DSM/NOPE/1.0/template.xlsx", None, False, False, {}, 404, PROBLEM),
    ("api_error_asked_as_xml", "GET", "/api/users", None, False, False, {"Accept": "application/xml"}, 401, PROBLEM),
    ("api_unknown_path", "GET", "/api/nothing", None, False, False, {}, 404, PROBLEM),
    # portal: a missing static file, a URL over 4096 characters, a cross-site form
    ("portal_static_missing", "GET", "/portal/static/nothing.css", None, False, False, {}, 404, HTML),
    ("portal_url_too_long", "GET", "/en/reports/?x=" + "a" * 5000, None, False, False, {}, 414, HTML),
    ("portal_nul_in_path", "GET", "/en/indicators/DSM/DF%00/1.0", None, False, False, {}, 400, HTML),
    ("portal_cross_site_form", "POST", "/en/sign-in", "username=x&password=y", False, False,
     {"Origin": "http://elsewhere.example", "Content-Type": "application/x-www-form-urlencoded"}, 403, HTML),
    # standard resources this server does not implement: 501 (doc/status.md)
    ("v2_registration", "GET", "/rest/v2/registration/id/X", None, False, False, {}, 501, ML21),
    ("v2_registration_by_provider", "GET", "/rest/v2/registration/provider/DSM/KZ/", None, False, False, {}, 501,
     ML21),
    ("v2_metadata_unknown_structure_type", "GET", "/rest/v2/metadata/structure/nonsense/DSM/X/1.0", None, False, False,
     {}, 400, ML21),
    ("v2_metadata_as_of_not_a_time", "GET", "/rest/v2/metadata/structure/dataflow?asOf=soon", None, False, False, {},
     400, ML21),
    ("v1_metadata", "GET", f"/rest/metadata/{V1_FLOW}", None, False, False, {}, 501, ML21),
    ("v2_unknown_resource", "GET", "/rest/v2/nothing/x", None, False, False, {}, 404, ML21),
    ("v2_schema_context_not_implemented", "GET", "/rest/v2/schema/metadataprovisionagreement/DSM/X/1.0", None,
     False, False, {}, 501, ML21),
    ("v1_schema_context_not_implemented", "GET", "/rest/schema/metadatastructure/DSM/X/1.0", None, False, False,
     {}, 501, ML21),
    ("v1_structure_as_of", "GET", "/rest/dataflow/DSM?asOf=2024-01-01T00:00:00Z", None, False, False, {}, 501, ML21),
    ("v2_structure_as_of", "GET", "/rest/v2/structure/dataflow/DSM?asOf=2024-01-01T00:00:00Z", None, False, False,
     {}, 501, ML21),
    ("v2_reporting_year_start_day", "GET", f"/rest/v2/data/dataflow/{FLOW}/*?reportingYearStartDay=--07-01", None,
     False, False, {}, 501, ML21),
    # not a parameter of the SDMX 2.1 API: the query does not comply with it
    ("v1_reporting_year_start_day", "GET", f"/rest/data/{V1_FLOW}/all?reportingYearStartDay=--07-01", None, False,
     False, {}, 400, ML21),
    # no results: 404 in SDMX 2.1 REST, 204 with the query's Content-Type in REST v2
    ("v1_no_structure", "GET", "/rest/dataflow/DSM/NOPE", None, False, False, {}, 404, ML21),
    ("v2_no_structure", "GET", "/rest/v2/structure/dataflow/DSM/NOPE", None, False, False, {}, 204,
     "application/vnd.sdmx.structure+xml"),
    ("v1_no_data", "GET", f"/rest/data/{V1_FLOW}", None, False, False, {}, 404, ML21),
    ("v2_no_data", "GET", f"/rest/v2/data/dataflow/{FLOW}/*", None, False, False,
     {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}, 204, "application/vnd.sdmx.data+csv"),
    # a trailing slash is as if absent, on every route
    ("trailing_slash_v2_structure", "GET", "/rest/v2/structure/dataflow/DSM/", None, False, False, {}, 200,
     "application/vnd.sdmx.structure+xml"),
    ("trailing_slash_v2_type", "GET", "/rest/v2/structure/codelist/", None, False, False, {}, 200,
     "application/vnd.sdmx.structure+xml"),
    ("trailing_slash_v1_structure", "GET", "/rest/dataflow/DSM/DF_ENTRIES/", None, False, False, {}, 200,
     "application/vnd.sdmx.structure+xml"),
    ("trailing_slash_v2_data", "GET", f"/rest/v2/data/dataflow/{FLOW}/*/", None, True, True, {}, 204,
     "application/vnd.sdmx.data+json"),
    ("trailing_slash_schema", "GET", f"/rest/v2/schema/dataflow/{FLOW}/", None, False, False, {}, 200,
     "application/vnd.sdmx.schema+xml"),
    ("trailing_slash_api", "GET", "/api/me/", None, False, True, {}, 200, "application/json"),
]


def test_bad_requests_get_the_specified_status(world_client):
    """All the cases on one database (seeding it is the slow part); every mismatch is reported at once."""
    wrong = {}
    for name, method, path, body, is_json, as_root, headers, status, media in CASES:
        headers = {**(world_client.root if as_root else {}), **headers}
        if is_json and body is not None:
            headers.setdefault("Content-Type", "application/json")
            body = body if isinstance(body, str) else json.dumps(body)
        r = world_client.open(path, method=method, data=body, headers=headers)
        if (r.status_code, r.mimetype) != (status, media):
            wrong[name] = (r.status_code, r.mimetype, r.get_data(as_text=True)[:300])
        elif status >= 400 and media == PROBLEM:
            problem = r.get_json()
            if problem["status"] != status or not problem["detail"]:
                wrong[name] = problem
    assert not wrong, wrong
    # and the messages say what is wrong, and where
    r = world_client.post("/api/users", data=json.dumps({"username": "u" * 101, "password": "change-me-soon",
                                                         "roles": []}),
                          headers={**world_client.root, "Content-Type": "application/json"})
    assert "'username' is 101 characters long; it may have at most 100" in r.get_json()["detail"]
    r = world_client.post("/api/users", data="[" * 100_000, headers={**world_client.root,
                                                                      "Content-Type": "application/json"})
    assert "nests 33 levels deep" in r.get_json()["detail"]
    r = world_client.get(f"/rest/v2/data/dataflow/{FLOW}/A%00")
    assert b"control character U+0000 at position" in r.data
    r = world_client.get("/rest/v2/registration/id/X")
    assert b"registration queries (REST v2 /registration) are not implemented" in r.data


def test_refused_usernames_leave_no_trace_and_portal_refusals_are_its_pages(world_client, engine):
    """A login with an impossible name touches nothing: no failed-login row (PostgreSQL could not store it).
    The portal answers the app's refusals with its own error page, in the page's language."""
    assert world_client.get("/api/me", headers={"Authorization": _basic("a\x00b")}).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_failure")).scalar() == 0
    r = world_client.get("/ru/reports/?x=" + "a" * 5000)
    assert r.status_code == 414 and "слишком длинный" in r.get_data(as_text=True)
    page = world_client.get("/en/sign-in")
    r = world_client.post("/en/sign-in", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                "username": "root", "password": PASSWORD},
                          headers={"Origin": "http://elsewhere.example"})
    assert r.status_code == 403 and "did not come from this site" in r.get_data(as_text=True)
