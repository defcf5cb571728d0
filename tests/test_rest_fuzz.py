"""Fuzzing the public paths for server errors, bounded for CI (2 cores): no request may get a 500.

* schemathesis sends requests generated from the SDMX REST specification's own OpenAPI document
  (reference/sdmx-rest/api/sdmx-rest.yaml, REST v2) to /rest/v2, valid ones and invalid ones, anonymously;
* hypothesis builds paths of every family the server answers (REST v1 and v2, the JSON API, feeds, templates,
  the portal) from valid identifiers and hostile text (quotes, NUL and other control characters, long runs,
  non-Latin letters), with query parameters the spec names and some it does not, as anonymous and as
  a system administrator.

Seeds are fixed (derandomize) and example counts small, so a run is the same on every machine and takes
about 30 s over both databases; ``test_the_fuzzers_fail_on_a_500`` shows both do fail when a 500 appears.
The management API has its own schemathesis test (test_management_schemathesis.py).
"""

from __future__ import annotations

import copy
import string
from functools import cache
from urllib.parse import quote

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from sdmx_server.storage.user_store import UserStore

from .access_world import build_world
from .conftest import SPECIMENS

pytestmark = pytest.mark.storage

REST_OPENAPI = SPECIMENS.parent / "reference" / "sdmx-rest" / "api" / "sdmx-rest.yaml"
# examples per operation: generating them from the document's patterns is the slow part (about 0.3 s each)
REST_POSITIVE, REST_NEGATIVE = 4, 3
PATH_EXAMPLES = 300
PHASES = (Phase.explicit, Phase.generate)  # no shrinking: a failure is reported as found, in bounded time


@cache
def rest_document() -> dict:
    """The specification's document, served from /rest/v2 (its own servers entry is a mock's address)."""
    doc = yaml.safe_load(REST_OPENAPI.read_text(encoding="utf-8"))
    doc["servers"] = [{"url": "/rest/v2"}]
    return doc


@pytest.fixture
def fuzzed_app(app, engine):
    build_world(engine, app.extensions["sdmx_policy"])
    with engine.begin() as conn:
        token, _ = UserStore(conn, app.extensions["sdmx_policy"]).create_token("root", days=1)
    app.root_headers = {"Authorization": f"Bearer {token}"}
    return app


def _no_server_error(ctx, response, case) -> bool | None:
    """No 5xx but 501, which the specification asks for on a standard feature not implemented (doc/status.md)."""
    assert response.status_code < 500 or response.status_code == 501, f"server error {response.status_code}"
    return None


def _has_content_type(ctx, response, case) -> bool | None:
    """Every error and every empty answer says what it is (sdmx1 chooses its reader by the Content-Type)."""
    if response.status_code >= 400 or response.status_code == 204:
        types = [v for k, v in response.headers.items() if k.lower() == "content-type"]
        assert types and types[0], f"{response.status_code} without a Content-Type"
    return None


def fuzz_rest_openapi(app, positive: int = REST_POSITIVE, negative: int = REST_NEGATIVE, only: str | None = None,
                      phases: tuple[Phase, ...] = PHASES) -> dict[str, str]:
    """Each GET operation of the REST document with valid requests, and those the server implements with
    invalid ones too (the rest answer 501 whatever they get); returns the failures by operation."""
    schema = schemathesis.openapi.from_dict(copy.deepcopy(rest_document()))
    schema.app = app
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if only and only not in operation.path:
            continue
        implemented = not operation.path.startswith(("/metadata/", "/registration/"))
        for mode, examples in ((GenerationMode.POSITIVE, positive), (GenerationMode.NEGATIVE, negative)):
            if not examples or (mode == GenerationMode.NEGATIVE and not implemented):
                continue

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True, phases=phases,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                case.call_and_validate(checks=[_no_server_error, status_code_conformance, _has_content_type])

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (schemathesis raises a FailureGroup)
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
    return failures


# -- paths and query parameters ------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=12),
    st.sampled_from(["'", '"', "%00", "\x00", "\x01", "..", "*", "+", ",", "~", "all", "latest", "a" * 300, "b" * 1500,
                     "1.0", "1.0+", "1.*", "Россия", "<x>", "';--", "%", "%2F", "\\", " ", "~1", "-1", "99999999999"]),
)
IDS = st.sampled_from(["DSM", "DF_ENTRIES", "DF_STOCK_FOREIGNERS", "1.0", "KZ", "CL_SEX", "A.KZ..", "*", "all",
                       "dataflow", "codelist", "datastructure", "DSM,DF_ENTRIES,1.0", "latest", "~", "A", "F"])
SEGMENT = st.one_of(IDS, IDS, HOSTILE)
# where a path starts, and how many segments may follow
FAMILIES = [
    ("/rest", 5), ("/rest/data", 3), ("/rest/availableconstraint", 4), ("/rest/schema", 4), ("/rest/metadata", 3),
    ("/rest/v2/structure", 5), ("/rest/v2/data", 5), ("/rest/v2/availability", 6), ("/rest/v2/schema", 4),
    ("/rest/v2/metadata", 5), ("/rest/v2/registration", 4), ("/rest/v2", 3),
    ("/api/users", 2), ("/api/submissions", 2), ("/api/providers", 7), ("/api/dataflows", 4), ("/api/tokens", 1),
    ("/api/openapi", 1), ("/feeds", 4), ("/en", 4), ("/ru/reports", 4), ("/en/indicators", 3), ("/portal/static", 2),
    ("/static", 1),
]
PARAMS = st.sampled_from([
    "detail", "references", "asOf", "format", "formatVersion", "lang", "startPeriod", "endPeriod", "updatedAfter",
    "firstNObservations", "lastNObservations", "dimensionAtObservation", "attributes", "measures",
    "includeHistory", "offset", "limit", "sort", "reportingYearStartDay", "mode", "c[]", "c[SEX]", "c[TIME_PERIOD]",
    "c[\x00]", "providerRef", "state", "dataflow", "country", "page", "x", "", "next", "flow",
])


@st.composite
def requests_(draw) -> tuple[str, dict[str, str], bool]:
    prefix, most = draw(st.sampled_from(FAMILIES))
    segments = draw(st.lists(SEGMENT, max_size=most))
    path = prefix + "".join("/" + quote(s, safe=",*+~") for s in segments)
    if draw(st.booleans()):
        path += "/"
    query = draw(st.dictionaries(PARAMS, HOSTILE | IDS, max_size=3))
    return path, query, draw(st.booleans())


def fuzz_paths(app, examples: int = PATH_EXAMPLES, phases: tuple[Phase, ...] = PHASES) -> None:
    client = app.test_client()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, phases=phases,
              suppress_health_check=list(HealthCheck))
    @given(request=requests_())
    def run(request):
        path, query, as_root = request
        r = client.get(path, query_string=query, headers=app.root_headers if as_root else {})
        assert r.status_code < 500 or r.status_code == 501, (path, query, as_root, r.status_code,
                                                             r.get_data(as_text=True)[:500])
        if r.status_code >= 400 or r.status_code == 204:
            assert r.headers.get("Content-Type"), (path, query, r.status_code)

    run()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the paths' fuzzing covers PostgreSQL
def test_rest_openapi_operations_never_get_a_server_error(fuzzed_app):
    failures = fuzz_rest_openapi(fuzzed_app)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_paths_and_query_parameters_never_get_a_server_error(fuzzed_app):
    fuzz_paths(fuzzed_app)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_fuzzers_fail_on_a_500(fuzzed_app):
    """A 500 injected on availability queries: both fuzzers report it."""
    @fuzzed_app.before_request
    def _broken() -> None:
        from flask import request

        if "/availability" in request.path:
            raise RuntimeError("injected")

    failures = fuzz_rest_openapi(fuzzed_app, positive=3, negative=0, only="/availability/")
    assert failures and all("server error 500" in text for text in failures.values()), failures
    with pytest.raises(AssertionError, match="500"):
        fuzz_paths(fuzzed_app)
