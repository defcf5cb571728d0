"""Request helpers the JSON API views under /api share: the signed-in caller, the JSON body and its fields,
integer query parameters. Errors are SDMX domain errors, mapped to HTTP in rest_api/errors.py."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import Unauthorized

from ..identity.actor import Actor
from ..request_context import actor
from ..sdmx.errors import BadInput


def caller() -> Actor:
    """Resolved before any write transaction begins (a failed login records itself on its own connection)."""
    who = actor()
    if who.is_anonymous:
        raise Unauthorized("the management API needs a token (Authorization: Bearer ...) or HTTP Basic credentials")
    return who


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object (Content-Type: application/json)")
    return body


def json_field(body: dict[str, Any], name: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
    if name not in body or body[name] is None:
        if required:
            raise BadInput(f"the body needs {name!r}")
        return default
    value = body[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadInput(f"{name!r} must be a JSON {JSON_TYPES[kind]}")
    return value


JSON_TYPES = {str: "string", bool: "boolean", int: "integer", list: "array"}


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadInput(f"query parameter {name} must be an integer from {low} to {high}")
    return int(raw)
