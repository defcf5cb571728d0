"""The deployment recipe works as shipped: conf/production.example.toml loads and serves (started as
`sdmx-server --config ... serve` starts it, on PostgreSQL), deploy/sdmx-server.service passes
`systemd-analyze verify` and agrees with the settings, and deploy/nginx.conf, run by a real nginx in front of
that server, forwards the client's address, scheme and request id as proxy_count = 1 expects, keeps /metrics
to its networks and lets through exactly the bodies the server accepts.

Only ports, loopback addresses and the certificate (self-signed, made here) are replaced in the shipped files;
everything else runs as written.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from sqlalchemy import text

from sdmx_server.settings import SETTINGS, load_config, secret_key_problem
from sdmx_server.storage.database import make_engine

from .conftest import POSTGRES_URL, _pg_schema_url
from .live_server import ROOT, free_port

pytestmark = pytest.mark.storage
EXAMPLE = ROOT / "conf" / "production.example.toml"
UNIT = ROOT / "deploy" / "sdmx-server.service"
NGINX = ROOT / "deploy" / "nginx.conf"
HOST = "dsm.example.org"
ASYLUM = "/rest/v2/data/dataflow/DSM/DF_ASYLUM_APPLICATIONS/1.0/Q.MD.."


def test_the_example_config_names_known_settings_only_and_is_a_production_one():
    with open(EXAMPLE, "rb") as f:
        written = tomllib.load(f)
    assert set(written) <= {s.name for s in SETTINGS}, set(written) - {s.name for s in SETTINGS}
    cfg = load_config(EXAMPLE, environ={})
    assert cfg.database_url.startswith("postgresql+psycopg://")
    assert (cfg.debug, cfg.demo_accounts, cfg.session_cookie_secure, cfg.log_format) == (False, False, True, "json")
    assert (cfg.host, cfg.proxy_count) == ("127.0.0.1", 1)  # behind the one nginx of deploy/nginx.conf
    assert cfg.public_url.startswith("https://")
    # copied unchanged, it must not serve: its secret key is public
    assert "placeholder" in (secret_key_problem(cfg) or "")
    from sdmx_server.app import create_app

    with pytest.raises(RuntimeError, match="placeholder"):
        create_app(config=cfg)


def test_serve_refuses_the_example_secret_key_in_one_line(tmp_path):
    env = _env(f"sqlite:///{tmp_path / 'x.sqlite'}")
    env.pop("SDMX_SERVER_SECRET_KEY")
    done = subprocess.run([sys.executable, "-m", "sdmx_server.cli", "--config", str(EXAMPLE), "serve"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "secret_key is still the example's placeholder" in done.stderr, done.stderr
    assert not (tmp_path / "x.sqlite").exists()  # refused before anything was opened


# --- the unit --------------------------------------------------------------------------------------------------

def _unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) in order; systemd allows a key more than once, so no dict."""
    entries, section = [], ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def test_the_unit_runs_serve_as_its_own_user_hardened_and_stops_gracefully():
    entries = _unit_entries(UNIT)
    service = {k: v for s, k, v in entries if s == "Service"}
    workdir = Path(service["WorkingDirectory"])
    assert service["ExecStart"] == f"{workdir}/.venv/bin/sdmx-server serve"  # scripts/setup's venv
    assert service["Environment"].startswith("SDMX_SERVER_CONFIG=/etc/")
    assert service["User"] not in ("", "root") and service["Group"] == service["User"]
    assert service["Type"] == "notify"  # gunicorn's master sends READY=1 (checked live below)
    assert (service["NoNewPrivileges"], service["ProtectSystem"], service["PrivateTmp"]) == ("yes", "strict", "yes")
    assert service["ReadWritePaths"] == f"{workdir}/var"
    example = load_config(EXAMPLE, environ={})
    assert load_config(EXAMPLE, environ={}).document_dir.startswith("var/")  # writable under ProtectSystem=strict
    assert example.path(example.document_dir).is_relative_to(example.path("var"))
    assert service["Restart"] == "on-failure"
    # gunicorn stops gracefully on SIGTERM to its master; systemd waits longer than gunicorn lets workers finish
    assert (service["KillSignal"], service["KillMode"]) == ("SIGTERM", "mixed")
    defaults = load_config(environ={})
    assert int(service["TimeoutStopSec"]) >= max(example.graceful_seconds, defaults.graceful_seconds) + 10
    assert service["CapabilityBoundingSet"] == ""


def test_systemd_analyze_verifies_the_unit(tmp_path):
    """With ExecStart pointed at this checkout's sdmx-server (verify checks that it exists and runs)."""
    assert shutil.which("systemd-analyze"), "systemd-analyze is installed by scripts/setup test (package systemd)"
    executable = Path(sys.executable).parent / "sdmx-server"
    assert executable.exists(), executable
    unit = UNIT.read_text()
    assert unit.count("/opt/sdmx-server/.venv/bin/sdmx-server serve") == 1
    copy = tmp_path / "sdmx-server.service"
    copy.write_text(unit.replace("/opt/sdmx-server/.venv/bin/sdmx-server", str(executable)))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    # and it does find faults: an unknown key and a missing program
    copy.write_text(unit.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert "Unknown key 'NoNewPrivilege'" in done.stderr, done.stderr


# --- a live node with the example config -----------------------------------------------------------------------

def _env(database_url: str, **settings: str) -> dict[str, str]:
    env = dict(os.environ, SDMX_SERVER_DATABASE_URL=database_url, SDMX_SERVER_SECRET_KEY=secrets.token_hex(16),
               **{"SDMX_SERVER_" + k.upper(): v for k, v in settings.items()})
    env.pop("SDMX_SERVER_CONFIG", None)
    return env


class Node:
    def __init__(self, proc: subprocess.Popen, port: int, log: Path, notified: list[bytes], token: str):
        self.proc, self.port, self.log, self.notified, self.token = proc, port, log, notified, token

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


@pytest.fixture(scope="module")
def node():
    """`sdmx-server --config conf/production.example.toml init`, then `... serve`, on a fresh PostgreSQL schema:
    only the database URL, the secret key, the port and public_url (empty, so that links show the scheme and
    host the server was told) come from elsewhere; init runs once more with demo_accounts on, for figures."""
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_schema_url(schema)
    folder = Path(tempfile.mkdtemp(prefix="sdmx-deploy-"))
    proc = None
    try:
        for extra in ({}, {"demo_accounts": "true"}):
            done = subprocess.run([sys.executable, "-m", "sdmx_server.cli", "--config", str(EXAMPLE), "init"],
                                  cwd=ROOT, env=_env(url, **extra), capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr + done.stdout
            assert ("demo accounts" in done.stdout) == bool(extra), done.stdout  # the example's demo_accounts = false
        done = subprocess.run([sys.executable, "-m", "sdmx_server.cli", "--config", str(EXAMPLE), "token", "create",
                               "kz_data_submitter"], cwd=ROOT, env=_env(url), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        token = done.stdout.strip().splitlines()[-1]
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # systemd's side of Type=notify
        notify.bind(str(folder / "notify"))
        notify.settimeout(0.1)
        port = free_port()
        log = folder / "server.log"
        env = _env(url, public_url="", document_dir=str(folder / "documents"))
        env["NOTIFY_SOCKET"] = str(folder / "notify")
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "sdmx_server.cli", "--config", str(EXAMPLE), "serve",
                                     "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        notified: list[bytes] = []
        deadline = time.monotonic() + 60
        while True:
            try:
                notified.append(notify.recv(4096))
            except TimeoutError:
                pass
            try:
                urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2).read()
                break
            except (URLError, OSError):
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        for _ in range(10):  # whatever the master sent meanwhile
            try:
                notified.append(notify.recv(4096))
            except TimeoutError:
                break
        notify.close()
        yield Node(proc, port, log, notified, token)
        # stopped as systemd stops it (KillSignal=SIGTERM to the main process, KillMode=mixed): gunicorn lets its
        # workers finish and exits 0, well within TimeoutStopSec
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(45) == 0, log.read_text()[-2000:]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(30)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _get(port: int, path: str, headers: dict[str, str] | None = None, *, tls: bool = False,
         source: str = "127.0.0.1", method: str = "GET", body: bytes | None = None) -> tuple[int, dict, bytes]:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # our self-signed certificate
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=context, source_address=(source, 0))
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_the_example_config_serves_with_its_settings_in_force(node):
    status, headers, body = _get(node.port, "/health/ready")
    assert status == 200, body
    assert any(b"READY=1" in m for m in node.notified), node.notified  # Type=notify: gunicorn tells systemd
    with open(f"/proc/{node.proc.pid}/cmdline", "rb") as f:  # `serve` execs gunicorn: the unit's main process
        argv = f.read().split(b"\0")
    assert b"gunicorn" in b" ".join(argv) and argv[argv.index(b"--graceful-timeout") + 1] == b"30"
    status, headers, body = _get(node.port, "/en/sign-in", {"X-Request-ID": "deploy-check-1"})
    assert status == 200 and headers["x-request-id"] == "deploy-check-1"
    assert "secure" in headers["set-cookie"].lower()  # session_cookie_secure = true
    status, _, body = _get(node.port, ASYLUM, {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"})
    assert status == 200 and len(body.decode().strip().splitlines()) == 1 + 3 * 2 * 8
    time.sleep(0.3)
    lines = [line for line in node.log_lines() if line.get("request_id") == "deploy-check-1"]
    assert lines and lines[0]["path"] == "/en/sign-in" and lines[0]["status"] == 200, lines  # log_format = json


# --- nginx in front --------------------------------------------------------------------------------------------

def test_the_site_agrees_with_the_example_settings():
    """What deploy/nginx.conf's header says it matches: each a setting of conf/production.example.toml."""
    import ipaddress

    cfg = load_config(EXAMPLE, environ={})
    site = NGINX.read_text()
    metrics = re.search(r"location = /metrics \{(.*?)\}", site, re.S).group(1)
    allowed = {ipaddress.ip_network(a) for a in re.findall(r"allow ([^;]+);", metrics)}
    assert allowed == {ipaddress.ip_network(n) for n in cfg.metrics_networks} and "deny all;" in metrics
    assert re.search(r"client_header_timeout (\d+)s;", site).group(1) == f"{cfg.request_head_seconds:.0f}"
    assert f"server 127.0.0.1:{cfg.port};" in site and cfg.host == "127.0.0.1"
    # one hop (proxy_count = 1): the address nginx saw replaces the client's claim
    assert cfg.proxy_count == 1 and "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    # every proxy_set_header at the server level: one inside a location would drop the others there
    for block in re.findall(r"location [^{]*\{(.*?)\}", site, re.S):
        assert "proxy_set_header" not in block


def _render_nginx(folder: Path, upstream_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx.conf with loopback ports and a self-signed certificate, in a main config of its own."""
    site = NGINX.read_text()
    replacements = {
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(folder / "cert.pem"),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(folder / "key.pem"),
    }
    for old, new in replacements.items():
        assert site.count(old) == 1, f"deploy/nginx.conf no longer has {old!r} once"
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    temp = folder / "temp"
    temp.mkdir()
    temp.chmod(0o777)  # nginx's workers run as an unprivileged user
    main = folder / "nginx.conf"
    main.write_text(f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/site.conf;
}}
""")
    return main


@pytest.fixture(scope="module")
def proxy(node):
    """A real nginx running deploy/nginx.conf in front of the node; yields (http port, https port)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(nginx), "nginx is installed by scripts/setup test (package nginx-light)"
    folder = Path(tempfile.mkdtemp(prefix="sdmx-nginx-"))
    http_port, https_port = free_port(), free_port()
    main = _render_nginx(folder, node.port, http_port, https_port)
    checked = subprocess.run([nginx, "-t", "-c", str(main)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([nginx, "-c", str(main)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (folder / "error.log").read_text()
                time.sleep(0.1)
        yield http_port, https_port
    finally:
        proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


def test_plain_http_is_sent_to_https(proxy):
    http_port, _ = proxy
    status, headers, _ = _get(http_port, "/en/?a=1")
    assert status == 301 and headers["location"] == f"https://{HOST}/en/?a=1"


def test_the_client_address_scheme_and_request_id_reach_the_server_as_nginx_saw_them(proxy, node):
    _, https_port = proxy
    # from 127.0.0.2, claiming another address: the server logs the address nginx saw, not the claim
    status, headers, _ = _get(https_port, "/en/sign-in", {"X-Request-ID": "via-nginx-1",
                                                          "X-Forwarded-For": "203.0.113.9"},
                              tls=True, source="127.0.0.2")
    assert status == 200 and headers["x-request-id"] == "via-nginx-1"
    assert "strict-transport-security" in headers
    # without an id of the client's, nginx's own ($request_id: 32 hex digits) reaches the server
    status, headers, _ = _get(https_port, "/health/live", tls=True)
    assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"]), headers
    generated = headers["x-request-id"]
    # X-Forwarded-Proto: the site map's links (public_url is empty here) are https at the name the client used
    status, _, body = _get(https_port, "/sitemap.xml", tls=True)
    locs = re.findall(rb"<loc>([^<]+)</loc>", body)
    assert status == 200 and locs and all(loc.startswith(f"https://{HOST}/".encode()) for loc in locs), locs[:3]
    # straight to the server, the same page names plain http: the scheme above came from nginx
    status, _, body = _get(node.port, "/sitemap.xml")
    assert status == 200 and b"<loc>http://" + HOST.encode() + b"/" in body
    time.sleep(0.3)
    by_id = {line.get("request_id"): line for line in node.log_lines() if "remote" in line}
    assert by_id["via-nginx-1"]["remote"] == "127.0.0.2", by_id.get("via-nginx-1")
    assert by_id[generated]["remote"] == "127.0.0.1"


def test_metrics_are_refused_outside_the_allowed_networks(proxy, node):
    _, https_port = proxy
    status, _, body = _get(https_port, "/metrics", tls=True, source="127.0.0.2")
    assert status == 403 and b"nginx" in body  # refused by nginx: never reached the server
    status, _, body = _get(https_port, "/metrics", {"X-Forwarded-For": "127.0.0.1"}, tls=True, source="127.0.0.2")
    assert status == 403  # a claimed address does not open it
    # from an allowed address (loopback), a claimed outside address is replaced by nginx: the server serves it
    status, _, body = _get(https_port, "/metrics", {"X-Forwarded-For": "203.0.113.9"}, tls=True)
    assert status == 200 and b"sdmx_http_requests_total" in body
    # the server's own rule (metrics_networks, the address proxy_count trusts) holds without nginx as well
    status, _, _ = _get(node.port, "/metrics", {"X-Forwarded-For": "203.0.113.9"})
    assert status == 403


def test_the_body_limit_is_the_servers(proxy, node):
    """client_max_body_size = max_data_body_bytes: one byte more is refused by nginx and by the server alike (a
    submitter's, refused from its Content-Length before any byte of the body), exactly the limit passes nginx
    (it reaches the server, which answers it: here 401, as nobody signed in)."""
    _, https_port = proxy
    limit = load_config(EXAMPLE, environ={}).max_data_body_bytes
    assert re.search(r"client_max_body_size (\d+)g;", NGINX.read_text()).group(1) == str(limit >> 30)
    submit = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?provider=KZ"
    for port, tls in ((https_port, True), (node.port, False)):
        status, _, body = _get(port, submit, {"Content-Type": "text/csv", "Content-Length": str(limit + 1),
                                              "Authorization": f"Bearer {node.token}"},
                               tls=tls, method="POST", body=b"")
        assert status == 413 and (b"nginx" in body) == tls, (port, status, body[:300])  # each refuses it itself
    status, headers, body = _get(https_port, submit, {"Content-Type": "text/csv", "Content-Length": str(limit)},
                                 tls=True, method="POST", body=b"")
    assert status == 401 and "x-request-id" in headers, (status, body[:300])


def test_answers_are_compressed_once(proxy):
    """gzip is off in nginx: the server's own gzip of a data answer arrives as it left, compressed once."""
    _, https_port = proxy
    status, headers, body = _get(https_port, ASYLUM, {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0",
                                                      "Accept-Encoding": "gzip"}, tls=True)
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert len(gzip.decompress(body).decode().strip().splitlines()) == 1 + 3 * 2 * 8
