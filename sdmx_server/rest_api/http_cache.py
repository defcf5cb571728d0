"""Conditional GET (ETag, Last-Modified, 304), Vary and gzip for SDMX responses."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Callable, Iterator

from flask import Response, request
from werkzeug.http import http_date, parse_date

from ..sdmx.errors import NotAcceptable, NotFound

VARY = "Accept, Accept-Language, Accept-Encoding"


def etag_for(*parts: object) -> str:
    """A strong validator for a representation: whatever determines its bytes, hashed.

    Messages carry a fresh ID and timestamp in their header, so hashing the body would give
    every response a new ETag; the data version, the query and the negotiated format do not.
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'


def validators(etag: str, last_modified: datetime | None) -> dict[str, str]:
    """The headers every answer with a representation carries: ETag, Last-Modified when known, Vary."""
    headers = {"ETag": etag, "Vary": VARY}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


def not_modified(etag: str, last_modified: datetime | None) -> Response | None:
    """A 304 when the client's copy is current (If-None-Match first, then If-Modified-Since)."""
    headers = validators(etag, last_modified)
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        if inm.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
            return Response(status=304, headers=headers)
        return None
    since = parse_date(request.headers.get("If-Modified-Since"))
    if last_modified is not None and since is not None and last_modified.replace(microsecond=0) <= since:
        return Response(status=304, headers=headers)
    return None


def wants_gzip() -> bool:
    param = request.args.get("compression")
    if param:
        if param.lower() != "gzip":
            raise NotAcceptable(f"compression={param} is not offered; offered: gzip")
        return True
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, q = part.strip().partition(";q=")
        if name.strip().lower() in ("gzip", "*") and (not q or float(q or 1) > 0):
            return True
    return False


def finish(body: bytes, content_type: str, etag: str, last_modified: datetime | None, *,
           status: int = 200) -> Response:
    """The response with its validators, gzip-compressed when the client asks."""
    headers = validators(etag, last_modified)
    if wants_gzip():
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(body, status=status, headers=headers, content_type=content_type)


class ResponseCache:
    """Recent small answers by ETag and host, least recently used dropped first (one per worker process).

    A strong ETag names exactly the bytes of a representation (``etag_for``): the data version, which moves
    with every release and every change of what the caller may see, the query and the negotiation. An
    answer found here is therefore the one the query would write again, less the work; large answers are
    streamed as before and never held.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 32
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.on_lookup: Callable[[bool], None] | None = None  # told each lookup's result (monitoring/metrics.py)

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
        if self.on_lookup is not None:
            self.on_lookup(body is not None)
        return body

    def filling(self, key: tuple[str, str], chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Pass the body through, keeping it when it ends whole and small enough."""
        kept: list[bytes] | None = [] if self.max_entry else None
        size = 0
        for chunk in chunks:
            if kept is not None:
                size += len(chunk)
                if size > self.max_entry:
                    kept = None
                else:
                    kept.append(chunk)
            yield chunk
        if kept is not None:
            self._put(key, b"".join(kept))

    def _put(self, key: tuple[str, str], body: bytes) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            self._size += len(body) - (len(old) if old is not None else 0)
            self._entries[key] = body
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)


def no_content(api: str, content_type: str, validators: dict[str, str] | None = None) -> Response:
    """An empty result as each API version's specification says: REST v2 (doc/status.md) answers 204, without
    a body but with the negotiated Content-Type (clients such as sdmx1 choose their reader by it); the SDMX 2.1
    RESTful API (Section 7, 5.8: error 100 "No results found") answers 404 with an error message."""
    if api == "v1":
        raise NotFound("No results found: nothing that you may see matches the query")
    # with its ETag, so that a harvester asking the same question again (updatedAfter its cursor) gets 304
    resp = Response(status=204, headers={"Vary": VARY, **{k: v for k, v in (validators or {}).items()
                                                           if k in ("ETag", "Last-Modified")}})
    resp.headers["Content-Type"] = content_type
    return resp
