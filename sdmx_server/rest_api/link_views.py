"""/api/links: the links from national databases and their runs, read-only (interlink/, docs/interlinking.md).

Links are defined with `sdmx-server link add` by whoever runs the server (a link reads files and databases the
server reaches); here administrators and the country's workflow users follow them. Passwords never show: the
settings hold ``${ENV_VAR}`` references, and URLs are shown with the password masked anyway.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..interlink.definitions import link_json, run_json, visible_link, visible_links
from ..request_context import db
from ..storage.link_store import LinkStore
from .json_api import caller, int_arg

bp = Blueprint("links", __name__, url_prefix="/api")


@bp.get("/links")
def list_links() -> Response:
    who = caller()
    store = LinkStore(db())
    return jsonify([link_json(link, next(iter(store.runs(link.id, 1)), None)) for link in visible_links(db(), who)])


@bp.get("/links/<name>")
def get_link(name: str) -> Response:
    link = visible_link(db(), caller(), name)
    return jsonify(link_json(link, next(iter(LinkStore(db()).runs(link.id, 1)), None)))


@bp.get("/links/<name>/runs")
def link_runs(name: str) -> Response:
    link = visible_link(db(), caller(), name)
    limit = int_arg("limit", 50, 1, 1000)
    return jsonify({"link": link.name, "runs": [run_json(r) for r in LinkStore(db()).runs(link.id, limit)]})
