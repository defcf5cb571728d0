"""Slow clients against a live server while a normal client keeps asking (tests and bench/bench_serving.py).

Each slow client connects to 127.0.0.1 only, sends a request line and then one header every ``interval``
seconds, never finishing its head; when the server closes the connection it connects again. Everything
stops by itself after ``seconds``.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from urllib.parse import urlsplit


@dataclass
class Outcome:
    answered_in_time: int = 0  # normal requests answered (any status below 500) within the limit
    asked: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, of every normal request (timeouts: the limit)
    slow_connections: int = 0  # connections the slow clients opened, reconnections included
    closed_by_server: int = 0

    @property
    def share(self) -> float:
        return self.answered_in_time / self.asked if self.asked else 0.0


def _slow_clients(host: str, port: int, n: int, interval: float, until: float, out: Outcome) -> None:
    sel = selectors.DefaultSelector()

    def connect() -> None:
        s = socket.create_connection((host, port), timeout=5)
        s.setblocking(False)
        s.send(b"GET /rest/dataflow/DSM HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sel.register(s, selectors.EVENT_READ, None)
        out.slow_connections += 1

    try:
        for _ in range(n):
            connect()
        next_header = time.monotonic() + interval
        while time.monotonic() < until:
            for key, _ in sel.select(timeout=min(0.2, max(0.0, until - time.monotonic()))):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # closed by the server: come back, as an attacker would
                    sel.unregister(s)
                    s.close()
                    out.closed_by_server += 1
                    if time.monotonic() < until:
                        connect()
            if time.monotonic() >= next_header:
                next_header += interval
                for key in list(sel.get_map().values()):
                    try:
                        key.fileobj.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


def run(base: str, *, slow: int = 50, seconds: float = 60.0, interval: float = 5.0, limit: float = 1.0,
        path: str = "/rest/dataflow/DSM/DF_STOCK_FOREIGNERS", settle: float = 1.0) -> Outcome:
    """``slow`` slow clients for ``seconds``; meanwhile, after ``settle`` seconds, a normal client asks
    ``path`` again and again on fresh connections, each answer awaited at most ``limit`` seconds."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    _warm(host, port, path)
    out = Outcome()
    until = time.monotonic() + seconds
    attack = threading.Thread(target=_slow_clients, args=(host, port, slow, interval, until, out), daemon=True)
    attack.start()
    time.sleep(settle)  # let the slow clients take their places first
    while time.monotonic() < until - limit:
        started = time.monotonic()
        out.asked += 1
        ok = _ask(host, port, path, limit)
        took = time.monotonic() - started
        out.latencies.append(min(took, limit))
        if ok and took <= limit:
            out.answered_in_time += 1
        time.sleep(max(0.0, 0.05 - took))  # about 20 requests a second at most
    attack.join(timeout=seconds + 10)
    return out


def _ask(host: str, port: int, path: str, limit: float) -> bool:
    """One request on a fresh connection: whether it was answered (below 500) within ``limit`` seconds."""
    try:
        conn = HTTPConnection(host, port, timeout=limit)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            return resp.status < 500
        finally:
            conn.close()
    except OSError:
        return False


def _warm(host: str, port: int, path: str) -> None:
    """Before the slow clients come: each worker's first answer of ``path`` loads what later ones reuse (over
    a second on a fresh worker, slow clients or not). Asks until three answers in a row come fast."""
    fast = 0
    for _ in range(30):
        started = time.monotonic()
        _ask(host, port, path, 30.0)
        fast = fast + 1 if time.monotonic() - started < 0.2 else 0
        if fast == 3:
            return
