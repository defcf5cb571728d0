"""Availability queries: v1 ``/rest/availableconstraint/...`` and v2 ``/rest/v2/availability/...``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..request_context import db, visibility
from ..retrieval.availability import availability, prepare_availability
from ..sdmx.data_query import parse_availability_query
from ..sdmx.media_types import Api, languages, negotiate
from ..storage.artefact_store import ArtefactStore
from . import http_cache
from .structure_views import write_structures

bp = Blueprint("availability", __name__)

_V1 = ("flow_ref", "key", "provider_ref", "component")
_V2 = ("context", "agency", "resource", "version", "key", "component")


def _routes(prefix: str, parts: tuple[str, ...], api: Api, first: int) -> None:
    def view(**path: str) -> Response:
        return answer(api, path)

    view.__name__ = f"availability_{api}"
    for i in range(first, len(parts) + 1):
        bp.add_url_rule(prefix + "".join(f"/<{p}>" for p in parts[:i]), view_func=view, methods=["GET", "HEAD"])


_routes("/rest/availableconstraint", _V1, "v1", 1)
_routes("/rest/v2/availability", _V2, "v2", 0)


def answer(api: Api, path: dict[str, str]) -> Response:
    query = parse_availability_query(api, path, request.args)
    media = negotiate(api, "structure", request.headers.get("Accept"), request.args.get("format"),
                      request.args.get("formatVersion"))
    langs = languages(request.headers.get("Accept-Language"), request.args.get("lang"))
    conn = db()
    store = ArtefactStore(conn)
    prepared = prepare_availability(conn, store, query, visible=visibility().providers)
    last_modified = max(filter(None, (prepared.last_modified, store.last_modified())), default=None)
    etag = http_cache.etag_for(prepared.version, store.last_modified(), request.full_path, media.mime, langs,
                               http_cache.wants_gzip())
    cached = http_cache.not_modified(etag, last_modified)
    if cached is not None:
        return cached
    result = availability(conn, store, query, prepared)
    body = write_structures(media, result.artefacts, langs or [current_app.extensions["sdmx_config"].default_language])
    return http_cache.finish(body, media.mime + "; charset=utf-8", etag, last_modified)
