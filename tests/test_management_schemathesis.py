"""Property-based tests of the management API against its OpenAPI document, with schemathesis.

Every operation of /api/openapi/management.json gets generated requests (valid and invalid ones),
sent through the WSGI app (no network) as a system administrator and as a country administrator,
on SQLite and PostgreSQL. No request may get a server error, and every answer must be one of the
documented statuses, with the documented content.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from .test_management_api import api  # noqa: F401  (the fixture)
from .test_workflow import CSV, SUBMIT, csv

pytestmark = pytest.mark.storage

DOC = "/api/openapi/management.json"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ACCEPT = "application/json, application/problem+json"
EXAMPLES = 25


def _submissions(api) -> None:  # noqa: F811
    """A few submissions of KZ, so the workflow operations find some: pending ones, one validated, one released."""
    ids = []
    for n in range(4):
        r = api.client.post(SUBMIT, data=csv({f"RU.F.202{n}-S1": str(10 + n)}),
                            headers={**CSV, "Authorization": f"Bearer {api.tokens['kz_admin']}"})
        assert r.status_code in (201, 202), r.data
        ids.append(r.get_json()["submission"])
    for sid in ids[:2]:
        assert api("root", "POST", f"/api/submissions/{sid}/verify", {}).status_code == 200
    assert api("root", "POST", f"/api/submissions/{ids[0]}/release", {}).status_code == 200


@pytest.mark.parametrize("user", ["root", "kz_admin"])
def test_no_operation_errors_or_strays_from_the_document(app, api, user):  # noqa: F811
    _submissions(api)
    schema = schemathesis.openapi.from_wsgi(DOC, app)
    token = api.tokens[user]
    own_tokens = {t["id"] for t in api(user, "GET", "/api/tokens").get_json()}
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # revoking the caller's own token would turn every later request into a 401
        strategy = operation.as_strategy().filter(lambda c: c.path_parameters is None or
                                                  c.path_parameters.get("tokenID") not in own_tokens)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (a FailureGroup is a BaseExceptionGroup)
            failures[operation.label] = str(exc)
    assert operations == 29
    assert not failures, sorted(failures) + ["\n\n".join(f"{label}:\n{text}" for label, text in failures.items())]
