"""Schema queries (data validity, doc/schema.md), REST v1 and v2: thin views over schema_retrieval."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..request_context import db
from ..retrieval.schema_retrieval import communication_artefacts, parse_schema_query, retrieve_schema
from ..sdmx.errors import BadInput
from ..sdmx.media_types import Api, languages, negotiate
from ..storage.artefact_store import ArtefactStore
from . import http_cache
from .structure_views import write_structures

bp = Blueprint("schemas", __name__)


def _register(prefix: str, api: Api) -> None:
    def view(context: str, agency_id: str, resource_id: str, version: str | None = None) -> Response:
        return schema_query(api, context, agency_id, resource_id, version)

    def incomplete(**_parts: str) -> Response:
        raise BadInput("a schema query names a context, an agencyID and a resourceID: "
                       f"{prefix}/{{context}}/{{agencyID}}/{{resourceID}}/{{version}}")

    view.__name__ = f"schema_query_{api}"
    incomplete.__name__ = f"schema_query_incomplete_{api}"
    rule = prefix + "/<context>/<agency_id>/<resource_id>"
    for path in (rule, rule + "/<version>"):
        bp.add_url_rule(path, view_func=view, methods=["GET", "HEAD"], strict_slashes=False)
    for path in (prefix, prefix + "/<context>", prefix + "/<context>/<agency_id>"):
        bp.add_url_rule(path, view_func=incomplete, methods=["GET", "HEAD"], strict_slashes=False)


_register("/rest/schema", "v1")
_register("/rest/v2/schema", "v2")


def schema_query(api: Api, context: str, agency_id: str, resource_id: str, version: str | None) -> Response:
    query = parse_schema_query(api, context, agency_id, resource_id, version, request.args)
    media = negotiate(api, "schema", request.headers.get("Accept"), request.args.get("format"),
                      request.args.get("formatVersion"))
    store = ArtefactStore(db())
    last_modified = store.last_modified()
    langs = languages(request.headers.get("Accept-Language"), request.args.get("lang"))
    etag = http_cache.etag_for(last_modified, request.full_path, media.mime, langs, http_cache.wants_gzip())
    cached = http_cache.not_modified(etag, last_modified)
    if cached is not None:
        return cached
    result = retrieve_schema(query, store)
    if media.variant == "communication":
        body = write_structures(media, communication_artefacts(result, store), langs)
    else:
        body = media.writer_module().write_schema(result.validity, result.observation_dimension,
                                                  deletion=query.deletion)
    return http_cache.finish(body, media.mime + "; charset=utf-8", etag, last_modified)
