"""Structure queries (REST v1 and v2) and structure maintenance (v2): thin views over plain functions."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import NamedTuple

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import Forbidden, Unauthorized

from ..maintenance import structure_maintenance
from ..maintenance.structure_intake import read_structures
from ..request_context import actor, db, write_transaction
from ..retrieval.structure_retrieval import retrieve_structures
from ..sdmx.errors import BadInput, NotAcceptable
from ..sdmx.formats.sdmx_ml_messages import write_submit_structure_response
from ..sdmx.formats.structure_formats import not_acceptable_message
from ..sdmx.media_types import Api, MediaType, languages, negotiate
from ..sdmx.rest_query import parse_structure_query
from ..storage.artefact_store import ArtefactStore
from . import http_cache
from .request_body import read_body

bp = Blueprint("structures", __name__)

_PARTS = ("agency_id", "resource_id", "version", "item_id")


def _register_get(prefix: str, api: Api) -> None:
    rule = prefix + "/<structure_type>"

    def view(structure_type: str, **parts: str) -> Response:
        return structure_query(api, structure_type, parts)

    view.__name__ = f"structure_query_{api}"
    for i in range(len(_PARTS) + 1):
        path = rule + "".join(f"/<{p}>" for p in _PARTS[:i])
        bp.add_url_rule(path, view_func=view, methods=["GET", "HEAD"])


_register_get("/rest", "v1")
_register_get("/rest/v2/structure", "v2")


class StructureAnswer(NamedTuple):
    """What an answer read from the structures starts with: its format, languages and cache validators."""

    media: MediaType
    store: ArtefactStore
    langs: list[str]
    etag: str
    last_modified: datetime | None

    def finish(self, body: bytes) -> Response:
        return http_cache.finish(body, self.media.mime + "; charset=utf-8", self.etag, self.last_modified)


def structure_answer(api: Api, resource: str) -> StructureAnswer | Response:
    """Negotiate the format, then answer 304 (a Response) when the client's copy is still current."""
    media = negotiate(api, resource, request.headers.get("Accept"), request.args.get("format"),
                      request.args.get("formatVersion"))
    store = ArtefactStore(db())
    last_modified = store.last_modified()
    langs = languages(request.headers.get("Accept-Language"), request.args.get("lang"))
    etag = http_cache.etag_for(last_modified, request.full_path, media.mime, langs, http_cache.wants_gzip())
    cached = http_cache.not_modified(etag, last_modified)
    return cached if cached is not None else StructureAnswer(media, store, langs, etag, last_modified)


def structure_query(api: Api, structure_type: str, parts: dict[str, str]) -> Response:
    path_parts = {"structure_type": structure_type, **{p: parts.get(p) for p in _PARTS}}
    query = parse_structure_query(api, path_parts, request.args)
    answer = structure_answer(api, "structure")
    if isinstance(answer, Response):
        return answer
    result = retrieve_structures(query, answer.store, base_url=request.url_root)
    if not result.artefacts:
        return http_cache.no_content(api, answer.media.mime + "; charset=utf-8")
    return answer.finish(write_structures(answer.media, result.artefacts, answer.langs))


def write_structures(media: MediaType, artefacts: list[dict], langs: list[str]) -> bytes:
    """Write with the media type's writer; 406 when the format cannot carry any of the artefacts."""
    module = media.writer_module()
    unsupported = set(module.unsupported(artefacts)) if hasattr(module, "unsupported") else set()
    writable = [a for a in artefacts if _urn(a) not in unsupported]
    if not writable:
        raise NotAcceptable(not_acceptable_message(media, artefacts))
    kwargs = {}
    if "languages" in inspect.signature(module.write_structure_message).parameters:
        kwargs["languages"] = langs or [current_app.extensions["sdmx_config"].default_language]
    return module.write_structure_message(writable, **kwargs)


def _urn(a: dict) -> str:
    from ..sdmx.artefacts import urn_of

    return urn_of(a)


# -- maintenance -----------------------------------------------------------------------------

def _require_structure_maintainer() -> None:
    who = actor()
    if who.is_anonymous:
        raise Unauthorized("structure maintenance needs a system administrator's token (Authorization: Bearer ...)")
    if not who.can("maintain_structures"):
        raise Forbidden(f"user {who.username} may not maintain structures")


def _submit_response(results: list, status: int) -> Response:
    version = "3.0"
    accept = request.headers.get("Accept", "")
    if "version=2.1" in accept:
        version = "2.1"
    body = write_submit_structure_response(version, results)
    mime = "application/vnd.sdmx.registry+xml;version=" + ("2.1" if version == "2.1" else "3.0.0")
    return Response(body, status=status, content_type=mime + "; charset=utf-8")


@bp.route("/rest/v2/structure", methods=["POST"])
@bp.route("/rest/v2/structure/", methods=["POST"])
@bp.route("/rest/v2/structure/<structure_type>", methods=["POST"])
@bp.route("/rest/v2/structure/<structure_type>/", methods=["POST"])
def structure_post(structure_type: str | None = None) -> Response:
    return _submit("POST", structure_type, None)


@bp.route("/rest/v2/structure/<structure_type>/<agency_id>/<resource_id>/<version>", methods=["PUT"])
def structure_put(structure_type: str, agency_id: str, resource_id: str, version: str) -> Response:
    return _submit("PUT", structure_type, (agency_id, resource_id, version))


def _submit(method: str, structure_type: str | None, ref: tuple[str, str, str] | None) -> Response:
    _require_structure_maintainer()
    path_type = _canonical_type(structure_type)
    artefacts = read_structures(read_body(current_app.extensions["sdmx_config"].max_body_bytes), request.content_type)
    with write_transaction():
        results = structure_maintenance.submit(ArtefactStore(db()), artefacts, method=method,
                                               path_type=path_type, path_ref=ref, by=actor().username)
        status = structure_maintenance.overall_status(results, method)
    return _submit_response(results, status)


@bp.route("/rest/v2/structure/<structure_type>/<agency_id>/<resource_id>/<version>", methods=["DELETE"])
@bp.route("/rest/v2/structure/<structure_type>/<agency_id>/<resource_id>/<version>/<item_id>", methods=["DELETE"])
def structure_delete(structure_type: str, agency_id: str, resource_id: str, version: str,
                     item_id: str | None = None) -> Response:
    _require_structure_maintainer()
    type_ = _canonical_type(structure_type)
    if type_ is None:
        raise BadInput("DELETE needs one artefact type, not a wildcard")
    with write_transaction():
        result = structure_maintenance.delete(ArtefactStore(db()), type_, agency_id, resource_id, version, item_id,
                                              by=actor().username)
    return _submit_response([result], 200)


def _canonical_type(structure_type: str | None) -> str | None:
    from ..sdmx.artefacts import TYPES

    if structure_type in (None, "", "*", "structure"):
        return None
    if structure_type not in TYPES:
        raise BadInput(f"unknown structure type {structure_type!r}")
    return structure_type

