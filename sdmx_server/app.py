"""The application factory. Nothing imports an app object; tests call create_app(overrides)."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, g

from .access.policy import load_policy
from .settings import Config, load_config
from .storage.database import make_engine


def create_app(overrides: Mapping[str, Any] | None = None, *, config: Config | None = None,
               config_file: str | None = None) -> Flask:
    cfg = config or load_config(config_file, overrides)
    if not cfg.secret_key and not cfg.debug:
        raise RuntimeError("secret_key is not set: set SDMX_SERVER_SECRET_KEY or secret_key in the config file")
    app = Flask(__name__)
    app.config.update(SECRET_KEY=cfg.secret_key or "debug-only", MAX_CONTENT_LENGTH=cfg.max_body_bytes,
                      DEBUG=cfg.debug, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.extensions["sdmx_config"] = cfg
    app.extensions["sdmx_policy"] = load_policy(cfg.path(cfg.auth_policy))  # fails at start, not per request
    app.extensions["sdmx_engine"] = make_engine(cfg.resolved_database_url)

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

    from .rest_api import data_submission_views, errors, openapi_views, structure_views

    errors.register(app)
    app.register_blueprint(structure_views.bp)
    app.register_blueprint(data_submission_views.bp)
    app.register_blueprint(openapi_views.bp)

    @app.get("/")
    def index():  # the portal replaces this; until then point people at the API
        return {"name": "DSM SDMX server", "rest_v1": "/rest/dataflow", "rest_v2": "/rest/v2/structure/dataflow"}

    return app
