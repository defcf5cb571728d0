"""Structured logs: one JSON object a line, each carrying the request id of the request it was written in.

The request id comes from the client's (or the reverse proxy's) X-Request-ID when it is a plain token, else a
new random one; the answer carries it back in X-Request-ID, so a complaint quoting it finds its log lines.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# what may be echoed back: letters, digits and a few separators, bounded (no header injection, no log forging)
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}")
ACCESS_LOGGER = "sdmx_server.requests"


def request_id() -> str:
    """The current request's id (made once, on first use)."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time (UTC), level, logger, message, request id, and any ``http`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if has_request_context():
            out["request_id"] = request_id()
        fields = getattr(record, "http", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (a test runner replaces it per test)."""

    @property
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001 - StreamHandler.__init__ sets it
        pass


def configure_logging(log_format: str) -> None:
    """``json``: the server's loggers write JSON lines to stderr, at INFO (one line per request), through one
    handler on the root logger (so gunicorn's and pytest's handling stays as it is). ``text``: left as Python
    and gunicorn set it up."""
    if log_format not in ("json", "text"):
        raise ValueError(f"setting log_format: {log_format!r} is neither json nor text")
    if log_format != "json":
        return
    root = logging.getLogger()
    if not any(getattr(h, "sdmx_json", False) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        handler.sdmx_json = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    logging.getLogger("sdmx_server").setLevel(logging.INFO)


def log_request(route: str, status: int, seconds: float, size: int | None) -> None:
    """The access log line of a request (its path without the query: queries may be long, and say nothing a
    route and status do not; tokens never travel in them)."""
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s", request.method, request.path, status,
        extra={"http": {"request_id": request_id(), "method": request.method, "path": request.path[:512], "route": route, "status": status,
                        "duration_ms": round(seconds * 1000, 2), "bytes": size,
                        "remote": request.remote_addr}})
