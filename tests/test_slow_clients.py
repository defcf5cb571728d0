"""Slow and idle clients cannot occupy the server (issue 22, finding 1): a live gunicorn as `serve` runs it.

With gunicorn's sync workers four clients sending a header every 5 s held both workers; here 50 do, and a
normal client is still answered. bench/bench_serving.py runs the same for 60 s.
"""

from __future__ import annotations

import socket
import time

import pytest

from . import slow_clients
from .live_server import cli, gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('slow') / 'db.sqlite'}"
    done = cli(url, "init")
    assert done.returncode == 0, done.stderr + done.stdout
    with gunicorn(url, request_head_seconds=4) as base:
        yield base


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def test_fifty_slow_clients_leave_a_normal_client_answered(server):
    """The issue's test, in a 20 s window: 50 slow sockets; >= 95 % of normal requests answered under 1 s."""
    out = slow_clients.run(server, slow=50, seconds=20, interval=1.0, limit=1.0)
    assert out.asked >= 100, f"only {out.asked} normal requests were made"
    assert out.share >= 0.95, f"{out.answered_in_time} of {out.asked} answered within 1 s"
    # each slow client was cut off when its head ran past request_head_seconds, and came back
    assert out.closed_by_server >= 50 and out.slow_connections >= 100


def test_unfinished_head_gets_408_in_time(server):
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=15) as s:
        started = time.monotonic()
        s.sendall(b"GET /rest/dataflow/DSM HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = s.recv(4096)
        took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert 3.0 <= took <= 7.0, took


def test_silent_connection_is_closed(server):
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=15) as s:
        started = time.monotonic()
        answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ") and time.monotonic() - started <= 7.0


def test_oversized_head_gets_431(server):
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=15) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 1000)
                                                                      for i in range(70)))
        assert s.recv(4096).startswith(b"HTTP/1.1 431 ")


def test_kept_alive_and_pipelined_requests_are_answered(server):
    """A head split over several packets, then two requests in one packet on the same connection."""
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=15) as s:
        for part in (b"GET /rest/dataflow/DSM/DF_ENTRIES", b" HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"\r\n"):
            s.sendall(part)
            time.sleep(0.2)
        first = _read_answer(s)
        assert first.startswith(b"HTTP/1.1 200 ") and b"DF_ENTRIES" in first
        s.sendall(b"GET /rest/dataflow/DSM/DF_EXITS HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  b"GET /rest/dataflow/DSM/DF_ENTRIES HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        rest = b""
        while chunk := s.recv(65536):
            rest += chunk
    assert rest.count(b"HTTP/1.1 200 ") == 2 and b"DF_EXITS" in rest and b"DF_ENTRIES" in rest


def _read_answer(s: socket.socket) -> bytes:
    """One answer with a Content-Length, read whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body
