"""The data-submission OpenAPI document: served, valid, complete for its blueprint, and true to real responses."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import Unresolvable

from sdmx_server.sdmx.artefacts import urn_for

from .test_data_submission import load, provision

DOC = "/api/openapi/data-submission"
SUBMIT = "/rest/v2/data/dataflow/{agencyID}/{resourceID}/{version}"
DELETE = SUBMIT + "/{key}"


@pytest.fixture
def doc(client) -> dict:
    r = client.get(DOC + ".json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


@pytest.fixture
def exr(app, engine, specimens) -> str:
    load(engine, specimens / "ECB_EXR/1/structure-full.xml")
    return provision(engine, "ECB", "EXR_DOC", urn_for("datastructure", "ECB", "ECB_EXR1", "1.0")) + "?provider=ECB"


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        node_path = node["$ref"].removeprefix("#/").split("/")
        node = doc
        for part in node_path:
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def documented_response(doc: dict, path: str, method: str, status: int) -> dict:
    return _resolve(doc, doc["paths"][path][method]["responses"][str(status)])


def check(doc: dict, path: str, method: str, response) -> None:
    """The real response's status and media type are documented for the operation, and its body fits the schema."""
    documented = documented_response(doc, path, method, response.status_code)
    media = response.headers["Content-Type"].split("; charset=")[0]
    assert media in documented["content"], (media, list(documented["content"]))
    schema = documented["content"][media]["schema"]
    body = response.get_json() if "json" in media else response.data.decode()
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


def _openapi_path(rule: str) -> str:
    """A Flask rule with its converters as OpenAPI templates, names aside: /a/<x>/<y> -> /a/{}/{}."""
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "{}", rule)


def test_served_yaml_and_json_are_the_same_valid_openapi_document(client, doc):
    r = client.get(DOC + ".yaml")
    assert r.status_code == 200 and r.mimetype == "application/yaml"
    assert yaml.safe_load(r.data) == doc
    validate_openapi(doc)
    assert doc["openapi"].startswith("3.1")
    assert client.get("/api/openapi/nothing.yaml").status_code == 404
    # the validator does say no: an undeclared path parameter, a dangling reference
    broken = json.loads(json.dumps(doc))
    broken["paths"][SUBMIT]["parameters"].append({"name": "x", "in": "path", "schema": {"type": "string"}})
    with pytest.raises(OpenAPIValidationError, match="required"):
        validate_openapi(broken)
    broken = json.loads(json.dumps(doc))
    broken["paths"][SUBMIT]["post"]["responses"]["200"] = {"$ref": "#/components/responses/Nope"}
    with pytest.raises(Unresolvable):
        validate_openapi(broken)


def test_every_data_submission_route_is_documented_with_its_methods(app, doc):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("data_submission."):
            routes.setdefault(_openapi_path(rule.rule), set()).update(rule.methods - {"HEAD", "OPTIONS"})
    assert len(routes) == 4 and routes[_openapi_path("/rest/v2/data/dataflow/<a>/<b>/<c>")] == {"POST", "PUT"}
    documented = {re.sub(r"\{[^}]+\}", "{}", path): {m.upper() for m in item if m in
                                                    ("get", "put", "post", "delete", "patch")}
                  for path, item in doc["paths"].items()}
    assert documented == routes
    for path, item in doc["paths"].items():  # every path parameter is declared
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method in ("get", "put", "post", "delete"):
            if method in item:
                declared = {_resolve(doc, p)["name"] for p in item.get("parameters", []) + item[method].get("parameters", [])
                            if _resolve(doc, p)["in"] == "path"}
                assert declared == names, (path, method)


def test_request_media_types_cover_every_reader(doc):
    body = _resolve(doc, doc["paths"][SUBMIT]["post"]["requestBody"])
    media = set(body["content"])
    for wanted in ("application/vnd.sdmx.genericdata+xml;version=2.1", "application/vnd.sdmx.data+xml;version=3.0.0",
                   "application/vnd.sdmx.data+csv;version=1.0.0", "application/vnd.sdmx.data+csv;version=2.0.0",
                   "application/vnd.sdmx.data+json;version=1.0.0", "application/vnd.sdmx.data+json;version=2.0.0",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
        assert wanted in media
    params = {_resolve(doc, p)["name"] for p in doc["paths"][SUBMIT]["parameters"]}
    assert {"provider", "Content-Encoding"} <= params
    readers = set(_resolve(doc, {"$ref": "#/components/schemas/Receipt"})["properties"]["format"]["enum"])
    from sdmx_server.sdmx.formats import data_format_detection
    assert set(data_format_detection._READERS.values()) | {"excel_data_reader", "sdmx_json_data_reader",
                                                           "sdmx_csv_data_reader"} <= readers


def test_real_receipts_fit_the_documented_schema(admin, doc, exr, specimens):
    xml = (specimens / "ECB_EXR/1/M.USD.EUR.SP00.A.xml").read_bytes()
    posted = admin("POST", exr, xml)
    assert posted.status_code == 200
    check(doc, SUBMIT, "post", posted)
    put = admin("PUT", exr, xml)
    check(doc, SUBMIT, "put", put)
    deleted = admin("DELETE", exr.replace("?", "/M.USD?"))
    assert deleted.status_code == 200 and deleted.get_json()["format"] == "rest-key"
    check(doc, DELETE, "delete", deleted)
    # the schema is strict: a receipt of another shape would not fit
    schema = documented_response(doc, SUBMIT, "post", 200)["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    receipt = posted.get_json()
    assert validator.is_valid(receipt)
    assert not validator.is_valid({**receipt, "extra": 1})
    assert not validator.is_valid({**receipt, "observations": {"read": 4}})


def test_real_error_bodies_fit_the_documented_schemas(client, admin, doc, exr, specimens):
    msg = json.loads((specimens / "ECB_EXR/ts.json").read_text())
    msg["structure"]["dimensions"]["series"][0]["values"][1]["id"] = "QQQ"
    bad = json.dumps(msg).encode()
    problem = admin("POST", exr, bad, Accept="application/problem+json")
    assert problem.status_code == 422 and problem.get_json()["errors"][0]["rule"] == "unknown-code"
    check(doc, SUBMIT, "post", problem)
    check(doc, SUBMIT, "post", admin("POST", exr, bad))  # an SDMX-ML error message by default
    check(doc, SUBMIT, "post", admin("POST", exr, bad, Accept="application/vnd.sdmx.structure+json"))
    schema = documented_response(doc, SUBMIT, "post", 422)["content"]["application/problem+json"]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    assert not validator.is_valid({**problem.get_json(), "status": "422"})

    syntax = admin("POST", exr, b'{"structure": {', Accept="application/vnd.sdmx.structure+json")
    assert syntax.status_code == 400
    check(doc, SUBMIT, "post", syntax)
    check(doc, SUBMIT, "put", client.put(exr, data=bad))  # 401, with its WWW-Authenticate
    missing = admin("POST", exr.replace("EXR_DOC", "NOPE"), bad, Accept="application/problem+json")
    assert missing.status_code == 404
    check(doc, SUBMIT, "post", missing)
    no_provider = admin("DELETE", exr.split("?")[0] + "/D", Accept="application/vnd.sdmx.structure+json")
    assert no_provider.status_code == 422
    check(doc, DELETE, "delete", no_provider)
    template = "/api/dataflows/{agencyID}/{resourceID}/{version}/template.xlsx"
    check(doc, template, "get", client.get("/api/dataflows/ECB/NOPE/1.0/template.xlsx"))
