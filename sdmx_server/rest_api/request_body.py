"""Request bodies, gunzipped when sent compressed, never beyond a size limit (413 past it).

Structure messages are small and read whole; data messages are streamed to the reader so
that memory does not grow with them.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import BinaryIO

from flask import request

from ..sdmx.errors import BadInput, TooLarge

_GZIP_MAGIC = b"\x1f\x8b"
# the body is read from the WSGI server a MiB at a time: gunicorn's reader receives up to a MiB ahead and
# copies what it holds beyond each read into a new buffer, so 64 KB reads copied each MiB some 16 times
# over (0.12-0.14 s of CPU per 60 MB, against 0.04-0.05 s now)
_BODY_READ = 1 << 20


class _Limited(io.RawIOBase):
    """Reads through ``inner`` and fails with 413 once more than ``limit`` bytes came out."""

    def __init__(self, inner: BinaryIO, limit: int, decompressed: bool = False):
        self.inner = inner
        self.limit = limit
        self.seen = 0
        self.decompressed = decompressed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        try:
            data = self.inner.read(len(buffer))
        except (OSError, EOFError, zlib.error) as e:
            raise BadInput(f"the gzip-compressed body is corrupt: {e}") from None
        n = len(data)
        self.seen += n
        if self.seen > self.limit:
            raise TooLarge(f"the request body is larger than this server accepts ({self.limit} bytes)"
                           + (" once decompressed" if self.decompressed else ""))
        buffer[:n] = data
        return n


def stream_body(limit: int) -> io.BufferedReader:
    """The body as a buffered stream (``peek`` works, for format detection)."""
    request.max_content_length = limit
    raw = io.BufferedReader(_Limited(request.stream, limit), _BODY_READ)
    if request.headers.get("Content-Encoding", "").lower() == "gzip" or raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.BufferedReader(_Limited(gzip.GzipFile(fileobj=raw, mode="rb"), limit, decompressed=True), 1 << 16)
    return raw


def read_body(limit: int) -> bytes:
    """The whole body, for small messages."""
    return stream_body(limit).read()
