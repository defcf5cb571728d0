"""/health/live, /health/ready and /metrics: thin views over health.py and metrics.py."""

from __future__ import annotations

import hmac
import ipaddress
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from . import health, metrics
from .request_log import REQUEST_ID_HEADER, configure_logging, log_request, request_id

bp = Blueprint("monitoring", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/health/live")
def live() -> Response:
    """The process answers requests: nothing else is checked (a database outage must not restart it)."""
    return Response('{"status":"live"}\n', headers=NO_STORE, content_type="application/json")


@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    """Ready for traffic: the database answers and its schema is the one this server's code needs."""
    report = health.readiness(current_app.extensions["sdmx_engine"])
    body = jsonify(report)
    body.headers.update(NO_STORE)
    if report["status"] != "ready":
        body.headers["Retry-After"] = "5"
        return body, 503
    return body, 200


@bp.get("/metrics")
def prometheus() -> tuple[Response, int] | Response:
    cfg = current_app.extensions["sdmx_config"]
    if not may_scrape(request.remote_addr, request.headers.get("Authorization", ""), cfg.metrics_networks,
                      cfg.metrics_token):
        return Response("metrics are served to the networks of the setting metrics_networks, or with the bearer "
                        "token of the setting metrics_token\n", status=403, content_type="text/plain",
                        headers=NO_STORE)
    return Response(metrics.exposition(current_app), content_type=metrics.CONTENT_TYPE, headers=NO_STORE)


def may_scrape(address: str | None, authorization: str, networks: list, token: str) -> bool:
    """Whether the caller is in one of ``networks`` (CIDR) or sends ``Bearer <token>`` (when a token is set)."""
    if token:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
            return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def install(app: Flask) -> None:
    """Logs, request ids and metrics around every request of ``app``; the views. Call first in create_app, so
    that the start time is taken before any other check may refuse the request."""
    cfg = app.extensions["sdmx_config"]
    configure_logging(cfg.log_format)
    for n in cfg.metrics_networks:  # a typo fails at start, not at the first scrape
        try:
            ipaddress.ip_network(n, strict=False)
        except ValueError:
            raise ValueError(f"setting metrics_networks: {n!r} is not a network (write e.g. 10.0.0.0/8)") from None
    metrics.instrument_engine(app.extensions["sdmx_engine"])

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        request_id()

    @app.after_request
    def _finish(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
        metrics.record_request(route, request.method, response.status_code, seconds)
        response.headers[REQUEST_ID_HEADER] = request_id()
        log_request(route, response.status_code, seconds, response.calculate_content_length())
        return response

    app.register_blueprint(bp)
