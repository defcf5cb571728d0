"""REST v2 reference metadata: submit documentation (POST) and query it (GET), in SDMX-ML 3.0."""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, request

from ..metadata import queries, submission
from ..metadata.structure import definitions
from ..request_context import actor, db, visibility, write_transaction
from ..sdmx.errors import BadInput, NotAcceptable, NotImplementedQuery
from ..sdmx.formats.sdmx_json_2_0_metadata_writer import MEDIA_TYPE as JSON_MEDIA_TYPE
from ..sdmx.formats.sdmx_json_2_0_metadata_writer import write_metadata_json
from ..sdmx.formats.sdmx_ml_3_0_metadata import MEDIA_TYPE, write_metadata_message
from ..sdmx.media_types import languages
from ..sdmx.metadata_set import MetadataSet
from ..storage.artefact_store import utcnow
from ..submission.workflow import FourEyes
from ..sdmx.artefacts import urn_for
from .json_api import caller, json_body, json_field
from .http_cache import etag_for, finish, no_content, not_modified
from .request_body import read_body

bp = Blueprint("metadata", __name__)
PREFIX = "/rest/v2/metadata"
XML_TYPES = ("application/vnd.sdmx.metadata+xml;version=3.0.0", "application/vnd.sdmx.metadata+xml",
             "application/xml", "text/xml", "*/*", "application/*")
JSON_TYPES = ("application/vnd.sdmx.metadata+json;version=2.0.0", "application/vnd.sdmx.metadata+json",
              "application/json")


def _flow_urn(agency: str, flow_id: str, version: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.metadatastructure.Metadataflow={agency}:{flow_id}({version})"


@bp.post(f"{PREFIX}/metadataflow/<agency>/<flow_id>/<version>")
def submit_metadata(agency: str, flow_id: str, version: str) -> tuple[Response, int]:
    cfg = current_app.extensions["sdmx_config"]
    release = request.args.get("release")
    if release not in (None, "now"):
        raise BadInput("release takes one value, now: release=now releases the documentation at once (for callers "
                       "holding submit, verify and release privileges); without it it waits as pending")
    body = read_body(cfg.max_body_bytes)
    with write_transaction():
        receipt = submission.submit(db(), body, actor(), definitions(db()),
                                    metadataflow_urn=_flow_urn(agency, flow_id, version),
                                    release_now=bool(release), max_errors=cfg.max_errors,
                                    four_eyes=FourEyes.from_config(cfg), content_type=request.content_type,
                                    limits=(cfg.max_token_bytes, cfg.max_inflate_ratio))
    return jsonify(receipt.as_json()), 200 if release else 202


def _accepted() -> str:
    """The format to answer in: SDMX-ML 3.0 or SDMX-JSON 2.0, in the order the client prefers (q first)."""
    accept = request.headers.get("Accept", "*/*")
    wanted = []
    for i, part in enumerate(accept.split(",")):
        media, _, q = part.replace(" ", "").lower().partition(";q=")
        try:
            weight = float(q.split(";")[0]) if q else 1.0
        except ValueError:
            weight = 0.0
        wanted.append((-weight, i, media))
    for weight, _, media in sorted(wanted):
        if weight == 0:
            continue
        if not media or media in XML_TYPES or media.split(";")[0] in XML_TYPES[1:]:
            return MEDIA_TYPE
        if media in JSON_TYPES or media.split(";")[0] in JSON_TYPES[1:]:
            return JSON_MEDIA_TYPE
    raise NotAcceptable(f"reference metadata is offered as {XML_TYPES[0]} and {JSON_TYPES[0]}; the request "
                        f"accepts {accept}")


def _answer(sets: list[MetadataSet]) -> Response:
    media_type = _accepted()
    if request.args.get("asOf"):
        raise NotImplementedQuery("asOf is not supported for reference metadata yet")
    detail = request.args.get("detail", "full").lower()
    if detail not in ("full", "allstubs"):
        raise BadInput(f"detail={detail} is not one of full, allstubs")
    if not sets:
        return no_content("v2", media_type)
    if detail == "allstubs":
        sets = [replace(s, values=()) for s in sets]
    etag = etag_for("metadata", media_type, detail, request.path, request.headers.get("Accept-Language"),
                    *[(s.id, s.version, s.state, s.released_at) for s in sets])
    last = max((s.released_at for s in sets if s.released_at), default=None)
    if (nm := not_modified(etag, last)) is not None:
        return nm
    message_id = f"MD{uuid.uuid4().hex[:16].upper()}"
    if media_type == JSON_MEDIA_TYPE:
        body = write_metadata_json(sets, languages(request.headers.get("Accept-Language"), request.args.get("lang")),
                                   message_id=message_id)
    else:
        body = write_metadata_message(sets, message_id=message_id, prepared=utcnow())
    return finish(body, media_type, etag, last)


def _parts(parts: str, defaults: tuple[str, ...]) -> list[str]:
    """The path parameters, defaults filling those left out (one rule: Werkzeug would redirect a URL that
    spells out a default to the shorter rule)."""
    given = [p for p in parts.split("/")] if parts else []
    if given and given[-1] == "":
        given.pop()
    if len(given) > len(defaults):
        raise BadInput(f"too many path parameters: {'/'.join(given)}; expected at most {len(defaults)}")
    return [g or d for g, d in zip(given, defaults)] + list(defaults[len(given):])


@bp.get(f"{PREFIX}/metadataflow", defaults={"parts": ""})
@bp.get(f"{PREFIX}/metadataflow/<path:parts>")
def metadataflow_query(parts: str) -> Response:
    agency, flow_id, version, provider = _parts(parts, ("*", "*", "~", "*"))
    return _answer(queries.by_metadataflow(db(), visibility().providers, agency, flow_id, version, provider))


@bp.get(f"{PREFIX}/metadataset", defaults={"parts": ""})
@bp.get(f"{PREFIX}/metadataset/<path:parts>")
def metadataset_query(parts: str) -> Response:
    provider, set_id, version = _parts(parts, ("*", "*", "~"))
    return _answer(queries.by_metadataset(db(), visibility().providers, provider, set_id, version))


@bp.put("/api/documentation/<provider>/<agency_id>/<resource_id>/<version>/public")
def publish_documentation(provider: str, agency_id: str, resource_id: str, version: str) -> Response:
    """{"public": true|false}: whether everyone may see the provider's released documentation of the dataflow."""
    who = caller()
    public = json_field(json_body(), "public", bool, required=True)
    flow = urn_for("dataflow", agency_id, resource_id, version)
    with write_transaction():
        changed = queries.set_public(db(), who, provider, flow, public)
    return jsonify({"provider": provider, "dataflow": flow, "public": public, "changed": changed})
