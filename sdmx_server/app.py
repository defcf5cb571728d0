"""The application factory. Nothing imports an app object; tests call create_app(overrides)."""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .access.access_cache import AccessCache
from .identity.policy import load_policy
from .rest_api.http_cache import ResponseCache
from .sdmx.errors import BadInput, Forbidden, UriTooLong
from .security_headers import add_security_headers
from .settings import Config, load_config, secret_key_problem
from .storage.database import make_engine


# gunicorn reads request lines up to 8190 bytes (cli.serve), so a longer URL reaches the app and gets 414
MAX_URL_LENGTH = 4096
# characters no identifier, key, period or parameter may hold: PostgreSQL refuses NUL and XML every one of them
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def create_app(overrides: Mapping[str, Any] | None = None, *, config: Config | None = None,
               config_file: str | None = None) -> Flask:
    cfg = config or load_config(config_file, overrides)
    problem = secret_key_problem(cfg)
    if problem:
        raise RuntimeError(problem)
    app = Flask(__name__)
    if cfg.proxy_count:  # the client's address and scheme as the trusted proxies saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=cfg.proxy_count, x_proto=cfg.proxy_count)  # type: ignore[method-assign]
    app.url_map.strict_slashes = False  # a trailing slash is as if absent, on every route (pysdmx sends one)
    app.config.update(SECRET_KEY=cfg.secret_key or "debug-only", MAX_CONTENT_LENGTH=cfg.max_body_bytes,
                      DEBUG=cfg.debug, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.extensions["sdmx_config"] = cfg
    app.extensions["sdmx_policy"] = load_policy(cfg.path(cfg.auth_policy))  # fails at start, not per request
    app.extensions["sdmx_engine"] = make_engine(cfg.resolved_database_url)
    app.extensions["sdmx_access_cache"] = AccessCache()
    app.extensions["sdmx_response_cache"] = ResponseCache(cfg.response_cache_bytes)
    from .monitoring import metrics, views as monitoring
    app.extensions["sdmx_response_cache"].on_lookup = metrics.count_cache_lookup
    monitoring.install(app)  # first: request ids, logs, metrics and /health, /metrics (docs/operations.md)

    @app.before_request
    def _check_url_length() -> None:
        if len(request.full_path) > MAX_URL_LENGTH:  # doc/status.md: 414, with advice
            raise UriTooLong(f"the URL is {len(request.full_path)} characters long; this server reads up to "
                             f"{MAX_URL_LENGTH}: split the query, or use wildcards and c[...] filters instead of long "
                             "lists of codes")

    @app.before_request
    def _refuse_control_characters() -> None:
        for where, text in (("path", request.path), *(("query parameter " + repr(k), f"{k}={v}")
                                                       for k, v in request.args.items(multi=True))):
            found = CONTROL_CHARACTERS.search(text)
            if found:  # doc/status.md: 400, the query does not comply with the API
                raise BadInput(f"the URL's {where} holds the control character U+{ord(found.group()):04X} at "
                               f"position {found.start() + 1}: identifiers, keys and parameters never do")

    @app.before_request
    def _refuse_cross_site_writes() -> None:
        """Browsers replay cached HTTP Basic credentials on any request, so a page elsewhere could make one
        post a form here: a write whose Origin is another site is refused (clients that are not browsers send
        no Origin; the portal's own forms carry CSRF tokens too)."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.host:
            raise Forbidden(f"a {request.method} from {origin} (another site) is refused: cross-site writes "
                            f"are not allowed")

    app.after_request(add_security_headers)  # every answer: nosniff, a Content-Security-Policy, no framing

    @app.teardown_request
    def _close_connection(exc: BaseException | None) -> None:
        conn = g.pop("conn", None)
        if conn is None:
            return
        try:
            if conn.in_transaction():  # writes commit inside write_transaction(); nothing else may
                conn.rollback()
        finally:
            conn.close()

    from .rest_api import (availability_views, data_submission_views, data_views, errors, management_views,
                           openapi_views, schema_views, structure_views, submission_views, unimplemented_views)

    errors.register(app)
    from .rest_api import lost_connections
    lost_connections.register(app)  # a dead database connection: reads run again, writes 503 (issue 21)
    app.register_blueprint(structure_views.bp)
    app.register_blueprint(data_submission_views.bp)
    app.register_blueprint(data_views.bp)
    app.register_blueprint(availability_views.bp)
    app.register_blueprint(openapi_views.bp)
    app.register_blueprint(schema_views.bp)
    app.register_blueprint(management_views.bp)
    app.register_blueprint(submission_views.bp)
    from .rest_api import subscription_views  # subscriptions and their webhooks (issue 20)
    app.register_blueprint(subscription_views.bp)
    from .rest_api import metadata_views  # reference metadata (issue 17)
    app.register_blueprint(metadata_views.bp)
    from .rest_api import documentation_views  # the documentation workflow and its Excel template
    app.register_blueprint(documentation_views.bp)
    from .rest_api import link_views  # links from national databases (issue 20)
    app.register_blueprint(link_views.bp)
    app.register_blueprint(unimplemented_views.bp)

    if cfg.release_check_seconds > 0:  # each its own thread: a long link run never delays a release
        from .interlink import schedule as link_schedule
        from .interlink.sources import limits_from
        from .periodic import Group
        from .submission import release_scheduler
        from .submission.workflow import IngestOptions

        engine, options = app.extensions["sdmx_engine"], IngestOptions.from_config(cfg)
        threads = [release_scheduler.start(engine, options, cfg.release_check_seconds),
                   link_schedule.start(engine, options, limits_from(cfg), cfg.release_check_seconds)]
        if cfg.webhook_check_seconds > 0:  # subscribers' webhooks (issue 20)
            from .notification import webhook_sender

            threads.append(webhook_sender.start(engine, app.extensions["sdmx_policy"], cfg, cfg.webhook_check_seconds))
        app.extensions["sdmx_release_checks"] = Group(threads)

    from .web_portal import init_portal
    init_portal(app)  # the web portal at /, /en/..., /ru/... (web_portal/)

    return app
