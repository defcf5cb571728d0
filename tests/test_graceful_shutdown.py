"""Stopping a node (SIGTERM to gunicorn's master, as systemd and Kubernetes do) finishes the requests in flight:
a submission whose body is still arriving when the stop comes is stored and answered."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from urllib.request import urlopen

import pytest

from sdmx_server.serving import gunicorn_args
from sdmx_server.settings import load_config

from .live_server import ROOT, cli, free_port

CSV = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
       + "".join(f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,KZ,RU,F,{y}-S1,{y},PS,A\n" for y in range(2000, 2020))
       ).encode()


@pytest.fixture
def node(tmp_path):
    url = f"sqlite:///{tmp_path / 'node.sqlite'}"
    done = cli(url, "init")
    assert done.returncode == 0, done.stderr
    token = cli(url, "token", "create", "admin").stdout.strip().splitlines()[-1]
    port = free_port()
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=url, SDMX_SERVER_SECRET_KEY="test",
               SDMX_SERVER_RELEASE_CHECK_SECONDS="0")
    env.pop("SDMX_SERVER_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *gunicorn_args(load_config(environ=env), "127.0.0.1",
                                                                             port, 1),
                             "--graceful-timeout", "20", "sdmx_server.app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2).read()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
    yield port, token, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)


def test_a_request_in_flight_finishes_after_sigterm(node):
    port, token, proc = node
    head = (f"POST /rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?provider=KZ&release=now HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
            f"Accept: application/json\r\nContent-Length: {len(CSV)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head + CSV[:100])
        time.sleep(0.5)  # the request is on a thread, reading its body
        proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the stop is under way: the worker no longer accepts, but finishes this one
        s.sendall(CSV[100:])
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert status in (b"HTTP/1.1 200 OK", b"HTTP/1.1 201 CREATED"), answer[:500]
    assert b'"released"' in answer and b'"inserted": 20' in answer.replace(b'"inserted":20', b'"inserted": 20')
    assert proc.wait(30) == 0  # and then it stops, cleanly
