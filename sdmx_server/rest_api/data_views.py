"""Data queries (REST v1 and v2): parse, check who may see what, prepare, answer 304/204, stream the writer."""

from __future__ import annotations

import gc
import zlib
from typing import Iterator

from flask import Blueprint, Response, current_app, request
from sqlalchemy import Connection
from werkzeug.exceptions import HTTPException

from ..request_context import actor, confirm_access, db, hand_over_connection, presume_access, visibility
from ..retrieval.data_retrieval import PreparedQuery, prepare_data_query, read_data
from ..sdmx.data_query import DataQuery, parse_data_query_v1, parse_data_query_v2
from ..sdmx.errors import NotAcceptable, SdmxError
from ..sdmx.media_types import Api, MediaType, accept_parameters, languages, negotiate
from ..storage.artefact_store import ArtefactStore
from . import http_cache

bp = Blueprint("data", __name__)

_CSV_OPTIONS = {"labels": ("id", "name", "both"), "timeformat": ("original", "normalized"),
                "keys": ("none", "obs", "series", "both")}


@bp.get("/rest/data/<flow_ref>")
@bp.get("/rest/data/<flow_ref>/<key>")
@bp.get("/rest/data/<flow_ref>/<key>/<provider_ref>")
def data_v1(flow_ref: str, key: str | None = None, provider_ref: str | None = None) -> Response:
    return answer("v1", parse_data_query_v1(flow_ref, key, provider_ref, request.args))


@bp.get("/rest/v2/data")
@bp.get("/rest/v2/data/")
@bp.get("/rest/v2/data/<context>")
@bp.get("/rest/v2/data/<context>/<agency>")
@bp.get("/rest/v2/data/<context>/<agency>/<resource>")
@bp.get("/rest/v2/data/<context>/<agency>/<resource>/<version>")
@bp.get("/rest/v2/data/<context>/<agency>/<resource>/<version>/<key>")
def data_v2(context: str | None = None, agency: str | None = None, resource: str | None = None,
            version: str | None = None, key: str | None = None) -> Response:
    return answer("v2", parse_data_query_v2(context, agency, resource, version, key, request.args))


def answer(api: Api, query: DataQuery) -> Response:
    media = negotiate(api, "data", request.headers.get("Accept"), request.args.get("format"),
                      request.args.get("formatVersion"))
    options = _media_options(media)
    cfg = current_app.extensions["sdmx_config"]
    langs = languages(request.headers.get("Accept-Language"), request.args.get("lang")) or [cfg.default_language]
    conn = db()
    store = ArtefactStore(conn)
    prepared = _prepared(conn, store, query)
    _check_packaging(media, prepared)
    gzip = http_cache.wants_gzip()
    # the version names the data sets this caller may see: callers who see different data never share an ETag
    etag = http_cache.etag_for(prepared.version, request.full_path, media.mime, options, langs, gzip)
    cached = http_cache.not_modified(etag, prepared.last_modified)
    if cached is not None:
        return cached
    headers = http_cache.validators(etag, prepared.last_modified)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    content_type = media.mime + "; charset=utf-8"
    answers: http_cache.ResponseCache = current_app.extensions["sdmx_response_cache"]
    # links in some formats name the host (request.host_url, without its IRI decoding: a key needs none)
    key = (etag, f"{request.scheme}://{request.host}{request.root_path}/")
    kept = answers.get(key)
    if kept is not None:
        return Response(kept, headers=headers, content_type=content_type)
    message = read_data(conn, store, prepared, languages=langs, max_observations=cfg.max_observations,
                        need_labels="json" in media.mime or options.get("csv_labels", "id") != "id",
                        message_options=options)
    if message is None:
        return http_cache.no_content(api, content_type, headers)
    chunks = media.writer_module().write_data_message(message, media.variant) if media.variant else \
        media.writer_module().write_data_message(message)
    body = answers.filling(key, _encoded(chunks, gzip, hand_over_connection()))
    return Response(body, headers=headers, content_type=content_type)


def _prepared(conn: Connection, store: ArtefactStore, query: DataQuery) -> PreparedQuery:
    """The query prepared for this caller, first with the process's access reads unconfirmed (the statement
    that finds the data sets reads the access version too); when they turn out stale, or anything drawn from
    them failed, prepared again with reads synced first, as every other request does. The caller is found
    before: a password check, and a token the cache does not hold, read the database."""
    if presume_access():
        actor()
        try:
            prepared = prepare_data_query(conn, store, query, visible=visibility().providers)
        except (SdmxError, HTTPException):
            prepared = None
        if confirm_access(None if prepared is None else prepared.access_version):
            return prepared
    return prepare_data_query(conn, store, query, visible=visibility().providers)


def _media_options(media: MediaType) -> dict:
    """SDMX-CSV's labels, timeFormat and keys, from the Accept parameters (data.md, "Response types")."""
    if "csv" not in media.mime:
        return {}
    params = accept_parameters(request.headers.get("Accept"), media)
    out = {}
    for name, allowed in _CSV_OPTIONS.items():
        value = params.get(name)
        if value is None:
            continue
        if value not in allowed or (name == "labels" and value == "name" and media.format_version == "1.0.0"):
            raise NotAcceptable(f"{media.base}: {name}={value} is not one of {', '.join(allowed)}")
        out[{"labels": "csv_labels", "timeformat": "csv_time_format", "keys": "csv_keys"}[name]] = value
    return out


def _check_packaging(media: MediaType, prepared: PreparedQuery) -> None:
    if media.variant == "timeseries" and prepared.plan.dimension_at_observation != prepared.structure.time_dimension:
        raise NotAcceptable(f"{media.base} carries time series only; with dimensionAtObservation="
                            f"{prepared.plan.dimension_at_observation} ask for "
                            "application/vnd.sdmx.genericdata+xml;version=2.1 or a structure-specific format")


def _encoded(chunks: Iterator[str], gzip: bool, conn: Connection) -> Iterator[bytes]:
    """The body: UTF-8, gzip-compressed when asked; the connection closes when the body ends or is dropped."""
    try:
        if not gzip:
            for chunk in _collector_paused(chunks):
                yield chunk.encode()
            return
        z = zlib.compressobj(6, zlib.DEFLATED, 31)
        for chunk in _collector_paused(chunks):
            out = z.compress(chunk.encode())
            if out:
                yield out
        yield z.flush()
    finally:
        try:
            conn.rollback()  # a read: nothing to keep
        finally:
            conn.close()


def _collector_paused(chunks: Iterator[str]) -> Iterator[str]:
    """The chunks, each made with the cyclic garbage collector paused (never across a ``yield``).

    Each observation makes a few short-lived tuples and no cycle; with the collector running, the rows
    a batch holds are scanned and promoted generation by generation, about a tenth of the time of a
    large answer. Between chunks it runs as usual (unless something else had paused it)."""
    it = iter(chunks)
    while True:
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            chunk = next(it, None)
        finally:
            if paused:
                gc.enable()
        if chunk is None:
            return
        yield chunk
