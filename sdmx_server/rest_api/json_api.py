"""Request helpers the JSON API views under /api share: the signed-in caller, the JSON body and its fields,
integer query parameters. Errors are SDMX domain errors, mapped to HTTP in rest_api/errors.py."""

from __future__ import annotations

import json
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


# the longest text each field may hold (the columns' sizes; the portal's forms say the same)
MAX_LENGTHS = {"username": 100, "displayName": 200, "password": 1000, "label": 200, "country": 20, "role": 60,
               "dataflow": 600, "comment": 10_000}
MAX_DEPTH = 32  # no body of this API nests deeper; a deeper one is refused before it is read


def json_body() -> dict[str, Any]:
    """The body as a JSON object; anything else (not JSON, nested too deep, a number too long) is a 400."""
    if not request.is_json:
        raise BadInput("the request body must be a JSON object (Content-Type: application/json)")
    text = request.get_data(as_text=True)
    depth = _nesting(text)
    if depth > MAX_DEPTH:
        raise BadInput(f"the JSON body nests {depth} levels deep; this API reads up to {MAX_DEPTH}")
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError as e:  # also a number over Python's 4300 digits
        raise BadInput(f"the request body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object (Content-Type: application/json)")
    return body


def optional_json_body() -> dict[str, Any]:
    """The JSON object of a request whose body may be left out (then: {})."""
    return json_body() if request.get_data() else {}


def _nesting(text: str) -> int:
    """How deep arrays and objects nest, counted outside strings (the parser recurses once per level)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # too few to nest too deep: no need to walk the text
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def json_field(body: dict[str, Any], name: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
    if name not in body or body[name] is None:
        if required:
            raise BadInput(f"the body needs {name!r}")
        return default
    value = body[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadInput(f"{name!r} must be a JSON {JSON_TYPES[kind]}")
    if kind is str:
        check_text(name, value)
    return value


def check_text(name: str, value: str) -> str:
    """A text field within its length, without NUL (which PostgreSQL refuses to store)."""
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise BadInput(f"{name!r} is {len(value)} characters long; it may have at most {limit}")
    if "\x00" in value:
        raise BadInput(f"{name!r} holds a NUL character (U+0000) at position {value.index(chr(0)) + 1}")
    return value


JSON_TYPES = {str: "string", bool: "boolean", int: "integer", list: "array"}


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadInput(f"query parameter {name} must be an integer from {low} to {high}")
    return int(raw)
