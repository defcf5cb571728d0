"""HTTP to services we do not control (national SDMX services, webhook receivers), with every bound explicit.

A remote party may be slow, huge, malformed or hostile. Each request therefore has a connect timeout, a
per-read timeout and a deadline for the whole answer; at most ``max_bytes`` are read off the wire and, for a
gzip answer, at most ``max_inflated`` are inflated, at most ``max_inflate_ratio`` times the compressed size
(past 16 MiB, as for submitted messages). Redirects are never followed: a 3xx to the same host is reported with
its Location so the operator fixes the URL, and one to another host is refused as such.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Mapping
from urllib.parse import urljoin, urlsplit

import urllib3

from ..sdmx.formats.input_limits import inflates_too_much

CHUNK = 1 << 16


@dataclass(frozen=True)
class HttpLimits:
    """The bounds of one request; the defaults suit a national service answering a day's changes."""

    connect_seconds: float = 5.0
    read_seconds: float = 30.0  # longest silence while reading
    total_seconds: float = 600.0  # the whole answer
    max_bytes: int = 512 << 20  # read off the wire
    max_inflated: int = 4 << 30  # after gzip
    max_inflate_ratio: int = 100


class RemoteError(Exception):
    """The remote service failed, was unreachable, or answered what we refuse; the message says which and where."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    size: int  # bytes written to the sink (inflated)
    wire_bytes: int


def check_url(url: str, what: str = "URL") -> str:
    """Only http and https, with a host and no credentials in it (they would end up in logs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError(f"{what} {url!r} is not an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise RemoteError(f"{what} must not carry credentials (user:password@); pass them another way")
    if len(url) > 4000:
        raise RemoteError(f"{what} is longer than 4000 characters")
    return url


def _pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, num_pools=4, maxsize=2)


POOL = _pool()


def request(method: str, url: str, *, headers: Mapping[str, str], body: bytes | None = None,
            limits: HttpLimits = HttpLimits(), sink: BinaryIO | None = None) -> Answer:
    """Send one request and read its answer into ``sink`` (inflating gzip), within ``limits``. RemoteError for
    an unreachable service, a timeout, a redirect, or an answer over a bound; the status is the caller's to judge."""
    check_url(url)
    started = time.monotonic()
    try:
        r = POOL.request(method, url, headers=dict(headers), body=body, redirect=False, preload_content=False,
                         decode_content=False,
                         timeout=urllib3.Timeout(connect=limits.connect_seconds, read=limits.read_seconds))
    except urllib3.exceptions.HTTPError as e:
        raise RemoteError(f"{method} {url}: {_reason(e)}") from None
    try:
        if 300 <= r.status < 400 and r.status != 304:
            target = urljoin(url, r.headers.get("Location", ""))
            if urlsplit(target).netloc != urlsplit(url).netloc:
                raise RemoteError(f"{url} redirects ({r.status}) to another host, {urlsplit(target).netloc or '?'}: "
                                  "refused; configure the service's own address")
            raise RemoteError(f"{url} redirects ({r.status}) to {target}: redirects are not followed; "
                              "configure that address instead")
        encoding = (r.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip"):
            raise RemoteError(f"{url} answered with Content-Encoding {encoding!r}; only gzip is accepted")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding != "identity" else None
        wire = size = 0
        declared = r.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limits.max_bytes:
            raise RemoteError(f"{url} announces {declared} bytes, more than the {limits.max_bytes} accepted")
        try:
            while chunk := r.read1(CHUNK, decode_content=False):  # what has come: a slow drip meets the deadline
                wire += len(chunk)
                if wire > limits.max_bytes:
                    raise RemoteError(f"{url} sent more than {limits.max_bytes} bytes: refused")
                if time.monotonic() - started > limits.total_seconds:
                    raise RemoteError(f"{url} took longer than {limits.total_seconds:g} s to answer: refused")
                if inflater is not None:
                    chunk = inflater.decompress(chunk, CHUNK * 16)
                    while True:
                        size += len(chunk)
                        _bound_inflation(url, size, wire, limits)
                        if sink is not None:
                            sink.write(chunk)
                        if not inflater.unconsumed_tail:
                            break
                        chunk = inflater.decompress(inflater.unconsumed_tail, CHUNK * 16)
                else:
                    size += len(chunk)
                    if sink is not None:
                        sink.write(chunk)
            if inflater is not None:
                rest = inflater.flush()
                size += len(rest)
                _bound_inflation(url, size, wire, limits)
                if sink is not None:
                    sink.write(rest)
                if not inflater.eof and wire:
                    raise RemoteError(f"{url} sent a truncated gzip body")
        except zlib.error as e:
            raise RemoteError(f"{url} sent a gzip body that does not inflate: {e}") from None
        except urllib3.exceptions.HTTPError as e:
            raise RemoteError(f"{method} {url}: {_reason(e)} while reading the answer") from None
        return Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, size, wire)
    finally:
        r.release_conn()


def _bound_inflation(url: str, size: int, wire: int, limits: HttpLimits) -> None:
    if size > limits.max_inflated:
        raise RemoteError(f"{url}: the answer inflates past {limits.max_inflated} bytes: refused")
    if inflates_too_much(size, wire, limits.max_inflate_ratio):
        raise RemoteError(f"{url}: the gzip answer inflates more than {limits.max_inflate_ratio} times its size, "
                          "as no real data message does (a compression bomb): refused")


def _reason(e: Exception) -> str:
    if isinstance(e, urllib3.exceptions.NewConnectionError):  # before its base class, ConnectTimeoutError
        return "the service is unreachable (connection refused or no route)"
    if isinstance(e, urllib3.exceptions.ConnectTimeoutError):
        return "connecting timed out"
    if isinstance(e, urllib3.exceptions.ReadTimeoutError):
        return "no answer within the read timeout"
    if isinstance(e, urllib3.exceptions.MaxRetryError) and e.reason is not None:
        return _reason(e.reason)
    if isinstance(e, urllib3.exceptions.ProtocolError):
        return "the connection broke (" + str(e.args[0] if e.args else e) + ")"
    return str(e) or type(e).__name__
