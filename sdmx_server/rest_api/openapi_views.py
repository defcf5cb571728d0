"""The OpenAPI documents of the server's own APIs, as YAML (as written) or JSON (the same document)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import yaml
from flask import Blueprint, Response, abort

bp = Blueprint("openapi", __name__)

DOCUMENTS = ("data-submission", "management")


@cache
def document_text(name: str) -> str:
    """The YAML text, read from the installed package (the wheel carries it as package data)."""
    return resources.files("sdmx_server.openapi").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


@cache
def document(name: str) -> dict:
    return yaml.safe_load(document_text(name))


@bp.get("/api/openapi/<name>.yaml")
def openapi_yaml(name: str) -> Response:
    if name not in DOCUMENTS:
        abort(404)
    return Response(document_text(name), content_type="application/yaml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/api/openapi/<name>.json")
def openapi_json(name: str) -> Response:
    if name not in DOCUMENTS:
        abort(404)
    return Response(json.dumps(document(name), ensure_ascii=False, indent=1), content_type="application/json",
                    headers={"Cache-Control": "public, max-age=3600"})
