"""A real gunicorn serving the app on a free loopback port, for client-level tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.error import URLError
from urllib.request import urlopen

from sdmx_server.serving import gunicorn_args
from sdmx_server.settings import load_config

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=database_url, SDMX_SERVER_SECRET_KEY="test")
    env.pop("SDMX_SERVER_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "sdmx_server.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _settings_env(database_url: str, settings: dict) -> dict[str, str]:
    # text logs: the JSON request log writes a line a request into the pipe below, read only if the start fails
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=database_url, SDMX_SERVER_SECRET_KEY="test",
               SDMX_SERVER_LOG_FORMAT="text", **{"SDMX_SERVER_" + k.upper(): str(v) for k, v in settings.items()})
    env.pop("SDMX_SERVER_CONFIG", None)
    return env


@contextmanager
def gunicorn(database_url: str, workers: int = 2, **settings: object) -> Iterator[str]:
    """Yield the base URL of a server run as `sdmx-server serve` runs it (``settings``: SDMX_SERVER_* values);
    stop it afterwards."""
    with gunicorns(database_url, 1, workers, **settings) as bases:
        yield bases[0]


@contextmanager
def gunicorns(database_url: str, nodes: int, workers: int = 2, **settings: object) -> Iterator[list[str]]:
    """Yield the base URLs of ``nodes`` separate servers (own ports, own worker pools) on one database, started
    side by side; stop them all afterwards."""
    env = _settings_env(database_url, settings)
    cfg = load_config(environ=env)
    started: list[tuple[subprocess.Popen, str]] = []
    try:
        for _ in range(nodes):
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", *gunicorn_args(cfg, "127.0.0.1", port, workers),
                 "sdmx_server.app:create_app()"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            started.append((proc, f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 60
        for proc, base in started:
            while True:
                try:
                    urlopen(base + "/", timeout=2).read()
                    break
                except (URLError, ConnectionError, OSError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        out = proc.stdout.read().decode() if proc.stdout else ""
                        raise RuntimeError(f"gunicorn did not start: {out}")
                    time.sleep(0.2)
        yield [base for _, base in started]
    finally:
        for proc, _ in started:
            proc.terminate()
        for proc, _ in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
