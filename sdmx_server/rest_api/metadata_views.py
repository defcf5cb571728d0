"""REST v2 reference metadata: submit documentation (POST) and query it (GET), in SDMX-ML 3.0, SDMX-JSON 2.0
and SDMX-CSV 2.0 (reference/sdmx-rest/doc/metadata.md)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from ..metadata import queries, submission
from ..metadata.structure import definitions
from ..request_context import actor, db, visibility, write_transaction
from ..sdmx.errors import BadInput, NotAcceptable
from ..sdmx.formats.sdmx_csv_2_0_metadata_writer import MEDIA_TYPE as CSV_MEDIA_TYPE
from ..sdmx.formats.sdmx_csv_2_0_metadata_writer import write_metadata_csv
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
CSV_TYPES = ("application/vnd.sdmx.metadata+csv;version=2.0.0", "application/vnd.sdmx.metadata+csv", "text/csv")
# (offered types, the answer's media type, the version an Accept ``version=`` parameter must name)
OFFERS = ((XML_TYPES, MEDIA_TYPE, "3.0.0"), (JSON_TYPES, JSON_MEDIA_TYPE, "2.0.0"),
          (CSV_TYPES, CSV_MEDIA_TYPE, "2.0.0"))


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
    """The format to answer in: SDMX-ML 3.0, SDMX-JSON 2.0 or SDMX-CSV 2.0, in the order the client prefers (q
    first); a ``version=`` other than the one offered does not match (406 if nothing else does)."""
    accept = request.headers.get("Accept", "*/*")
    wanted = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip().lower() for p in part.split(";")]
        options = dict(p.partition("=")[::2] for p in params)
        try:
            weight = float(options.get("q", "1"))
        except ValueError:
            weight = 0.0
        wanted.append((-weight, i, media, options.get("version")))
    for weight, _, media, version in sorted(wanted):
        if weight == 0:
            continue
        if not media:
            return MEDIA_TYPE
        for types, answer, offered in OFFERS:
            if media in (t.split(";")[0] for t in types) and version in (None, offered):
                return answer
    raise NotAcceptable(f"reference metadata is offered as {XML_TYPES[0]}, {JSON_TYPES[0]} and {CSV_TYPES[0]}; "
                        f"the request accepts {accept}")


def _as_of() -> datetime | None:
    """asOf (xs:dateTime; without an offset, UTC): the documentation as it was released at that time."""
    text = request.args.get("asOf")
    if text is None:
        return None
    text = text.strip().replace(" ", "+")  # an unencoded '+' in a query string arrives as a space
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"asOf={request.args['asOf']!r} is not an xs:dateTime such as 2026-05-15T14:15:00+01:00") \
            from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _check_args() -> str:
    """The detail asked for; BadInput for an unknown parameter or value."""
    for name in request.args:
        if name not in ("detail", "asOf", "lang", "format", "formatVersion", "compression"):
            raise BadInput(f"unknown query parameter {name!r} for a metadata query (detail, asOf)")
    detail = request.args.get("detail", "full").lower()
    if detail not in ("full", "allstubs"):
        raise BadInput(f"detail={detail} is not one of full, allstubs")
    return detail


def _msd_attributes(sets: list[MetadataSet]) -> dict[str, int | None]:
    """The attributes of the sets' MSDs in MSD order, with their maxOccurs (the CSV columns follow them)."""
    flows = definitions(db())
    out: dict[str, int | None] = {}
    for urn in dict.fromkeys(s.metadataflow_urn for s in sets):
        if urn in flows:
            out.update({a: spec.max_occurs for a, spec in flows[urn].attributes.items()})
    return out


def _answer(sets: list[MetadataSet]) -> Response:
    media_type = _accepted()
    detail = _check_args()
    if not sets:
        return no_content("v2", media_type)
    if detail == "allstubs":
        sets = [replace(s, values=()) for s in sets]
    etag = etag_for("metadata", media_type, detail, request.path, request.query_string.decode("latin-1"),
                    request.headers.get("Accept-Language"),
                    *[(s.id, s.version, s.state, s.released_at) for s in sets])
    last = max((s.released_at for s in sets if s.released_at), default=None)
    if (nm := not_modified(etag, last)) is not None:
        return nm
    message_id = f"MD{uuid.uuid4().hex[:16].upper()}"
    if media_type == JSON_MEDIA_TYPE:
        body = write_metadata_json(sets, languages(request.headers.get("Accept-Language"), request.args.get("lang")),
                                   message_id=message_id)
    elif media_type == CSV_MEDIA_TYPE:
        body = write_metadata_csv(sets, attributes=_msd_attributes(sets))
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
    return _answer(queries.by_metadataflow(db(), visibility().providers, agency, flow_id, version, provider,
                                           _as_of()))


@bp.get(f"{PREFIX}/metadataset", defaults={"parts": ""})
@bp.get(f"{PREFIX}/metadataset/<path:parts>")
def metadataset_query(parts: str) -> Response:
    provider, set_id, version = _parts(parts, ("*", "*", "~"))
    return _answer(queries.by_metadataset(db(), visibility().providers, provider, set_id, version, _as_of()))


@bp.get(f"{PREFIX}/structure", defaults={"parts": ""})
@bp.get(f"{PREFIX}/structure/<path:parts>")
def structure_query(parts: str) -> Response:
    """Sets reported against the structures named (e.g. a dataflow): the structure query's path syntax."""
    artefact_type, agency, resource_id, version = _parts(parts, ("*", "*", "*", "~"))
    return _answer(queries.by_structure(db(), visibility().providers, artefact_type, agency, resource_id, version,
                                        _as_of()))


@bp.put("/api/documentation/<provider>/<agency_id>/<resource_id>/<version>/public")
def publish_documentation(provider: str, agency_id: str, resource_id: str, version: str) -> Response:
    """{"public": true|false}: whether everyone may see the provider's released documentation of the dataflow."""
    who = caller()
    public = json_field(json_body(), "public", bool, required=True)
    flow = urn_for("dataflow", agency_id, resource_id, version)
    with write_transaction():
        changed = queries.set_public(db(), who, provider, flow, public)
    return jsonify({"provider": provider, "dataflow": flow, "public": public, "changed": changed})
