"""The workflow under /api: submissions, their states and transitions, verify/return/release, revision notices.

Thin views over submission/workflow.py; documented in sdmx_server/openapi/management.yaml. A
submission the caller may not see answers 404 whatever its id, so ids reveal nothing. Revision
notices and the Atom feed follow the visibility rule of the released data they describe.
"""

from __future__ import annotations

import gzip
import re
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from lxml import etree

from ..request_context import db, visibility, write_transaction
from ..sdmx.artefacts import urn_for
from ..sdmx.errors import BadInput, NotFound
from ..sdmx.media_types import submitted_file_extension, submitted_media_type
from ..storage.submission_store import SubmissionRow, SubmissionStore, transition_json
from ..submission import changes, workflow
from .json_api import caller, int_arg, json_body, json_field, optional_json_body

bp = Blueprint("submissions", __name__)
ATOM = "http://www.w3.org/2005/Atom"


def options() -> workflow.IngestOptions:
    return workflow.IngestOptions.from_config(current_app.extensions["sdmx_config"])


def four_eyes() -> workflow.FourEyes:
    return workflow.FourEyes.from_config(current_app.extensions["sdmx_config"])


def submission_json(row: SubmissionRow, *, transitions: bool = False) -> dict[str, Any]:
    out = {"id": row.id, "dataflow": row.dataflow_urn, "provider": row.provider_id, "state": row.state,
           "action": row.action, "replace": row.replace, "format": row.format, "submittedBy": row.submitted_by,
           "submittedAt": row.submitted_at.isoformat(), "observations": row.observations_read,
           "releaseAt": _iso(row.release_at), "releasedAt": _iso(row.released_at),
           "changes": {"inserted": row.inserted, "updated": row.updated, "deleted": row.deleted}}
    if transitions:
        out["transitions"] = [transition_json(t) for t in SubmissionStore(db()).transitions(row.id)]
    return out


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _when(text: Any) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        raise BadInput(f"releaseAt {text!r} is not an ISO 8601 date and time (2026-12-31T09:00:00+00:00)") from None
    if when.tzinfo is None:
        raise BadInput("releaseAt needs a time zone (2026-12-31T09:00:00+00:00 or ...Z)")
    return when.astimezone(timezone.utc)


@bp.get("/api/submissions")
def list_submissions() -> Response:
    who = caller()
    state = request.args.get("state")
    if state and state not in ("pending", "validated", "released", "returned"):
        raise BadInput("state must be one of pending, validated, released, returned")
    rows = SubmissionStore(db()).list(workflow.scope(who), state=state, dataflow_urn=request.args.get("dataflow"),
                                      limit=int_arg("limit", 100, 1, 1000), before=int_arg("before", None, 1, 2**62))
    return jsonify([submission_json(r) for r in rows])


@bp.get("/api/submissions/<int:submission_id>")
def get_submission(submission_id: int) -> Response:
    """The submission, its steps and, while it waits, what it changes against the released figures
    (``diff``: the summary and the first ``diff`` figures that change or jump; 0 for the summary only).
    ``changes`` stays what the release changed."""
    row = workflow.get(db(), caller(), submission_id)
    body = submission_json(row, transitions=True)
    limit = int_arg("diff", 100, 0, 10_000)
    diff = changes.for_submission(db(), row)
    body["diff"] = None if diff is None else diff.as_json(limit)
    return jsonify(body)


@bp.get("/api/submissions/<int:submission_id>/message")
def submission_message(submission_id: int) -> Response:
    """The message as submitted, while it waits for release: what a verifier inspects. Always a download, typed
    by the reader that took it (never the sender's declared type, nor one stored before types were checked), so
    no browser renders what a submitter wrote (docs/security.md)."""
    row = workflow.get(db(), caller(), submission_id)
    payload = SubmissionStore(db()).payload(row.id)
    if payload is None:
        raise NotFound(f"submission {row.id} is {row.state}: its message is no longer kept "
                       f"(released figures are in the data API)")
    body = gzip.decompress(payload)
    name = f"submission-{row.id}.{submitted_file_extension(row.format)}"
    return Response(body, content_type=submitted_media_type(row.format, row.content_type, body[:4096]),
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})


@bp.post("/api/submissions/<int:submission_id>/verify")
def verify(submission_id: int) -> Response:
    who = caller()
    comment = json_field(optional_json_body(), "comment", str, "")
    with write_transaction():
        row = workflow.verify(db(), who, submission_id, comment, four_eyes=four_eyes())
    return jsonify(submission_json(row, transitions=True))


@bp.post("/api/submissions/<int:submission_id>/return")
def return_submission(submission_id: int) -> Response:
    who = caller()
    comment = json_field(json_body(), "comment", str, required=True)
    with write_transaction():
        row = workflow.return_(db(), who, submission_id, comment)
    return jsonify(submission_json(row, transitions=True))


@bp.post("/api/submissions/<int:submission_id>/release")
def release(submission_id: int) -> Response:
    who = caller()
    body = optional_json_body()
    at = _when(body.get("releaseAt"))
    with write_transaction():
        row = workflow.release(db(), who, submission_id, at=at, options=options(),
                               comment=json_field(body, "comment", str, ""), four_eyes=four_eyes())
    return jsonify(submission_json(row, transitions=True))


# -- revision notices -------------------------------------------------------------------------------

def revision_json(r) -> dict[str, Any]:
    return {"series": r.series_key, "period": r.time_period, "old": r.old, "new": r.new}


@bp.get("/api/submissions/<int:submission_id>/revisions")
def submission_revisions(submission_id: int) -> Response:
    row = _released_visible(submission_id)
    return jsonify({**submission_json(row), "revisions": [revision_json(r) for r in SubmissionStore(db()).revisions(row)]})


def _released_visible(submission_id: int) -> SubmissionRow:
    """A released submission whose data the caller may see (anyone, for public data); else 404."""
    row = SubmissionStore(db()).get(submission_id)
    if row is None or row.state != "released" or not _sees(row):
        raise NotFound(f"no released submission {submission_id} you may see")
    return row


def _sees(row: SubmissionRow) -> bool:
    providers = visibility().providers(row.dataflow_urn)
    return providers is None or row.provider_id in providers


def _revised(agency_id: str, resource_id: str, version: str) -> list[tuple[SubmissionRow, list]]:
    return workflow.revision_notices(db(), visibility().providers,
                                     dataflow_urn=urn_for("dataflow", agency_id, resource_id, version))


@bp.get("/api/dataflows/<agency_id>/<resource_id>/<version>/revisions")
def dataflow_revisions(agency_id: str, resource_id: str, version: str) -> Response:
    return jsonify([{**submission_json(row), "revisions": [revision_json(r) for r in revisions]}
                    for row, revisions in _revised(agency_id, resource_id, version)])


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Text lxml accepts: characters XML 1.0 cannot hold (as an unknown dataflow's ids may) become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _public(path: str) -> str:
    """A link for a feed: under the configured public_url, or the path alone; never from the client's Host."""
    return current_app.extensions["sdmx_config"].public_url.rstrip("/") + path


@bp.get("/feeds/<agency_id>/<resource_id>/<version>/revisions.atom")
def revisions_feed(agency_id: str, resource_id: str, version: str) -> Response:
    """Revision notices of one dataflow as an Atom feed (RFC 4287), for feed readers and mail gateways."""
    flow = _xml_text(urn_for("dataflow", agency_id, resource_id, version))
    notices = _revised(agency_id, resource_id, version)
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    etree.SubElement(feed, f"{{{ATOM}}}id").text = f"{flow}:revisions"
    etree.SubElement(feed, f"{{{ATOM}}}title").text = _xml_text(f"Revisions of {agency_id}:{resource_id}({version})")
    newest = max((row.released_at for row, _ in notices), default=datetime(2000, 1, 1, tzinfo=timezone.utc))
    etree.SubElement(feed, f"{{{ATOM}}}updated").text = newest.isoformat()
    self_link = _public(request.script_root + request.full_path.rstrip("?"))
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_link)
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    etree.SubElement(author, f"{{{ATOM}}}name").text = "Data Sharing Mechanism"
    for row, revisions in notices:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        etree.SubElement(entry, f"{{{ATOM}}}id").text = f"{flow}:submission:{row.id}"
        etree.SubElement(entry, f"{{{ATOM}}}title").text = (
            f"{row.provider_id} revised {len(revisions)} figure(s) of {resource_id}")
        etree.SubElement(entry, f"{{{ATOM}}}updated").text = row.released_at.isoformat()
        etree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="application/json",
                         href=_public(url_for("submissions.submission_revisions", submission_id=row.id)))
        lines = [f"{r.series_key} {r.time_period}: {r.old if r.old is not None else '–'} → "
                 f"{r.new if r.new is not None else 'deleted'}" for r in revisions[:50]]
        etree.SubElement(entry, f"{{{ATOM}}}content", type="text").text = "\n".join(lines)
    body = etree.tostring(feed, xml_declaration=True, encoding="UTF-8")
    return Response(body, content_type="application/atom+xml; charset=utf-8", headers={"Vary": "Authorization"})
