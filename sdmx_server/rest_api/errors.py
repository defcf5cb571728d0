"""Domain errors to HTTP, in one place: an SDMX error message in the negotiated format."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..sdmx.errors import InvalidData, SdmxError
from ..sdmx.formats import sdmx_json_messages, sdmx_ml_messages
from ..submission.validation import describe

PROBLEM = "application/problem+json"
API_PREFIX = "/api/"  # the management and submission-workflow JSON API: its errors are problem documents
# what XML 1.0 cannot carry: a message quoting the caller's input (a %00 in a path) must still be written
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_PHRASES = {s.value for s in HTTPStatus}

DEFAULT_TEXT = {
    400: "Syntax error: the query does not comply with the SDMX REST API",
    401: "Authentication is needed",
    403: "Not authorised",
    404: "Not found",
    405: "Method not allowed on this resource",
    406: "Not acceptable",
    413: "Request entity too large",
    414: "URI too long",
    422: "Unprocessable content",
    500: "Internal server error",
    501: "Not implemented",
    503: "Service unavailable",
}


def error_response(code: int, message: str, headers: dict[str, str] | None = None,
                   more: list[str] | None = None) -> Response:
    """Answer in SDMX-JSON when the client prefers JSON, else SDMX-ML of the path's API version; a client
    that asks for application/problem+json (as data submitters may) gets an RFC 9457 problem document."""
    message, more = _printable(message), [_printable(m) for m in more or []]
    accept = request.headers.get("Accept", "")
    fmt = request.args.get("format", "")
    if PROBLEM in accept or request.path.startswith(API_PREFIX):
        detail = "\n".join([message, *more])
        return _problem({"type": "about:blank", "title": HTTPStatus(code).phrase if code in _PHRASES else "Error",
                         "status": code, "detail": detail}, code, headers)
    json_first = "json" in fmt or ("json" in accept and ("xml" not in accept or accept.find("json") < accept.find("xml")))
    v2 = request.path.startswith("/rest/v2/")
    if json_first:
        body = sdmx_json_messages.write_error(code, [message, *(more or [])], schema_version="2.0.0" if v2 else "1.0.0")
        mime = "application/vnd.sdmx.structure+json;version=" + ("2.0.0" if v2 else "1.0.0")
    else:
        body = sdmx_ml_messages.write_error("3.0" if v2 else "2.1", code, [message, *(more or [])])
        mime = "application/vnd.sdmx.error+xml;version=" + ("3.0.0" if v2 else "2.1")
    resp = Response(body, status=code, mimetype=None, content_type=mime + "; charset=utf-8")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _printable(text: str) -> str:
    """The text with each character XML cannot hold shown as its code point (U+0000)."""
    return _NOT_XML.sub(lambda m: f"U+{ord(m.group()):04X}", text)


def _problem(body: dict, code: int, headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body, ensure_ascii=False), status=code, content_type=PROBLEM + "; charset=utf-8")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def invalid_data_response(e: InvalidData) -> Response:
    """A rejected data message: an RFC 9457 problem document if asked for, else an SDMX error message."""
    accept = request.headers.get("Accept", "")
    if PROBLEM in accept or "application/json" in accept:
        return _problem({"type": "https://sdmx.org/problems/invalid-data", "title": "The data message was rejected",
                         "status": e.status, "detail": str(e), "errorCount": e.count, "errors": e.details}, e.status)
    return error_response(e.status, str(e), more=[describe(d) for d in e.details])


def challenge() -> str:
    """The 401's WWW-Authenticate. A browser prompts for a password on a Basic challenge, so a link to /api/...
    could make a person sign in to whatever it leads to: browsers (they send Sec-Fetch-Mode, or ask for HTML) are
    offered Bearer only there; people use the portal. Programs keep Basic, and /rest/ keeps it for everyone."""
    browser = "Sec-Fetch-Mode" in request.headers or "text/html" in request.headers.get("Accept", "")
    if browser and request.path.startswith("/api/"):
        return 'Bearer realm="sdmx"'
    return 'Bearer realm="sdmx", Basic realm="sdmx"'


def register(app: Flask) -> None:
    app.register_error_handler(InvalidData, invalid_data_response)

    @app.errorhandler(SdmxError)
    def _sdmx_error(e: SdmxError) -> Response:
        return error_response(e.status, str(e))

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Response:
        code = e.code or 500
        text = e.description if code in (401, 403, 405, 413, 429) and e.description else DEFAULT_TEXT.get(code, e.name)
        if code == 413:  # the request's own limit: data submissions accept more than other requests
            limit = request.max_content_length or app.config["MAX_CONTENT_LENGTH"]
            text = f"the request body is larger than this server accepts ({limit} bytes)"
        headers = {k: v for k, v in e.get_headers() if k == "Retry-After"}  # 429 and 503 say when to retry
        if code == 401:
            headers["WWW-Authenticate"] = challenge()
        if code == 404 and not request.path.startswith(("/rest/", API_PREFIX)):
            return Response(DEFAULT_TEXT[404], status=404, mimetype="text/plain")
        return error_response(code, text, headers)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, DEFAULT_TEXT[500])
