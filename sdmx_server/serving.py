"""How `sdmx-server serve` runs gunicorn: its command line, and the worker class that keeps slow clients off
the application's threads.

gunicorn's sync worker gives each connection a process until the request is read and answered: four clients
sending one header every few seconds held both workers, and everyone else waited. gunicorn's threaded worker
(gthread) waits for a connection's first byte in its event loop, but a thread then reads the rest of the head
as it trickles in. :class:`HeadBufferingWorker` reads the whole request head in the event loop instead, within
``request_head_seconds`` of the connection's start (or of its next request on a kept-alive connection), and
hands a thread only a connection whose head is complete. Slow and idle clients cost a socket, never a thread;
``worker_connections`` bounds the sockets. On a thread, every read of a body and every write of an answer
waits at most ``socket_seconds`` for the client.
"""

from __future__ import annotations

import selectors
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

from .settings import Config, load_config

WORKER_CLASS = "sdmx_server.serving.HeadBufferingWorker"
MAX_HEAD_BYTES = 64 * 1024  # a request line (8190) and headers far beyond any client's; larger: 431
READ_SIZE = 16 * 1024

# Answers the event loop sends by itself, without the application: short enough for any socket buffer.
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain\r\n"
              b"Content-Length: 48\r\n\r\nthe request's head did not arrive in time: retry")
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Type: text/plain\r\n"
              b"Content-Length: 40\r\n\r\nthe request's head is larger than 64 KiB")


def gunicorn_args(cfg: Config, host: str, port: int, workers: int) -> list[str]:
    """gunicorn's arguments for serving the app (what `serve` and the live-server tests run)."""
    return ["--workers", str(workers), "--worker-class", WORKER_CLASS, "--threads", str(cfg.threads),
            "--keep-alive", str(cfg.keepalive_seconds), "--graceful-timeout", str(cfg.graceful_seconds),
            "--bind", f"{host}:{port}", "--limit-request-line", "8190",
            "--config", "python:sdmx_server.monitoring.gunicorn_hooks"]  # Prometheus multiprocess mode


class HeadBufferingWorker(ThreadWorker):
    """gthread, except that a connection reaches a thread only once its request head is complete."""

    def init_process(self) -> None:
        cfg = load_config()  # as the app reads it: the file `serve` names, then SDMX_SERVER_* variables
        self.head_seconds, self.socket_seconds = cfg.request_head_seconds, cfg.socket_seconds
        self.heads: dict = {}  # connection -> [deadline, bytes read so far]
        super().init_process()

    def enqueue_req(self, conn) -> None:
        """Every way gthread hands a connection to a thread (new, kept alive and readable, pipelined) comes
        here: only a complete head goes on; anything else is read in the event loop first."""
        if getattr(conn, "head_complete", False) or self.cfg.is_ssl:  # TLS (ends in front of serve): as gthread
            conn.head_complete = False
            super().enqueue_req(conn)
            return
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.sock.setblocking(False)
        self.heads[conn] = [time.monotonic() + self.head_seconds, bytearray(held)]
        if _complete(held):
            self._dispatch(conn)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._head_readable, conn))

    def _head_readable(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._close(conn)
            return
        head = self.heads[conn][1]
        head += data
        if _complete(head):
            self.poller.unregister(conn.sock)
            self._dispatch(conn)
        elif len(head) > MAX_HEAD_BYTES:
            self._close(conn, _TOO_LARGE)

    def _dispatch(self, conn) -> None:
        _, head = self.heads.pop(conn)
        conn.init()  # the parser, on a blocking socket (no TLS here: it ends in front of the server)
        conn.parser.unreader.unread(bytes(head))
        conn.data_ready = conn.head_complete = True
        self.enqueue_req(conn)

    def _close(self, conn, answer: bytes = b"") -> None:
        self.heads.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        if answer:
            try:
                conn.sock.send(answer)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also end heads past their time (each turn of the event loop, at least once a second); a stopping
        worker ends those that have not started."""
        super().murder_pending()
        now = time.monotonic()
        for conn, (deadline, head) in list(self.heads.items()):
            if now >= deadline:
                self._close(conn, _TIMED_OUT)
            elif not self.alive and not head:
                self._close(conn)

    def handle_request(self, req, conn):
        """On a thread, with the head read: the body's reads and the answer's writes wait a bounded time."""
        conn.sock.settimeout(self.socket_seconds)
        return super().handle_request(req, conn)


def _complete(head: bytes | bytearray) -> bool:
    return b"\r\n\r\n" in head or b"\n\n" in head

