"""Data submission over REST v2: POST adds or updates, PUT replaces, as the receipt shows. A large message is
taken in the background (submission.jobs): 202 with the Location of its job, whose poll ends with the receipt."""

from __future__ import annotations

import shutil
import tempfile

from flask import Blueprint, Response, after_this_request, current_app, jsonify, request, url_for

from ..request_context import actor, db, write_transaction
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.database import checkpoint_later
from ..sdmx.errors import BadInput
from ..submission import jobs, workflow
from ..submission.intake import dataflow_context, delete_keys
from .request_body import inflating, stream_body

bp = Blueprint("data_submission", __name__)


@bp.route("/rest/v2/data/dataflow/<agency_id>/<resource_id>/<version>", methods=["POST", "PUT"])
def submit_data(agency_id: str, resource_id: str, version: str) -> tuple[Response, int]:
    cfg = current_app.extensions["sdmx_config"]
    ctx = dataflow_context(ArtefactStore(db()), agency_id, resource_id, version)
    provider = workflow.submitting_as(actor(), ctx, request.args.get("provider"))
    release = request.args.get("release")
    if release not in (None, "now"):
        raise BadInput("release takes one value, now: release=now applies the submission at once (for callers "
                       "holding submit, verify and release privileges); without it the submission waits as pending")
    body = stream_body(cfg.max_data_body_bytes, cfg.max_inflate_ratio)
    if jobs.wanted(request.headers.get("Prefer"), request.content_length,
                   "chunked" in request.headers.get("Transfer-Encoding", "").lower(), inflating(body),
                   cfg.async_submission_bytes):
        return _in_background(body, ctx, provider, bool(release))
    with checkpoint_later(db(), after_response), write_transaction():
        receipt = workflow.submit(db(), body, ctx, actor(), provider=provider, replace=request.method == "PUT",
                                  content_type=request.content_type,
                                  options=workflow.IngestOptions.from_config(cfg), release_now=bool(release),
                                  four_eyes=workflow.FourEyes.from_config(cfg))
    return jsonify(receipt.as_json()), 200 if release else 202


def _in_background(body, ctx, provider: str | None, release_now: bool) -> tuple[Response, int, dict]:
    """Spool the body (its limits apply as it is read), start the job, answer where to poll it."""
    cfg = current_app.extensions["sdmx_config"]
    if release_now:
        workflow.require_all_steps(actor(), ctx)
    spool = tempfile.TemporaryFile()
    try:
        shutil.copyfileobj(body, spool, 1 << 20)
        spool.seek(0)
        job_id = jobs.start(current_app.extensions["sdmx_engine"], spool, ctx, actor(), provider=provider,
                            replace=request.method == "PUT", content_type=request.content_type,
                            options=workflow.IngestOptions.from_config(cfg), release_now=release_now)
    except BaseException:
        spool.close()
        raise
    flow = ctx.dataflow
    url = url_for("data_submission.submission_job", agency_id=flow["agencyID"], resource_id=flow["id"],
                  version=flow["version"], job_id=job_id)
    headers = {"Location": url, "Retry-After": "1"}
    if "respond-async" in request.headers.get("Prefer", "").lower():
        headers["Preference-Applied"] = "respond-async"
    return jsonify({"job": job_id, "state": "running", "location": url}), 202, headers


@bp.get("/rest/v2/data/dataflow/<agency_id>/<resource_id>/<version>/jobs/<int:job_id>")
def submission_job(agency_id: str, resource_id: str, version: str, job_id: int) -> tuple[Response, int, dict]:
    """A background submission: 202 while it runs; then the receipt (as the request would have answered it),
    or the error, with its status."""
    row = jobs.poll(db(), actor(), job_id)
    if row.state == "running":
        return jsonify({"job": row.id, "state": "running"}), 202, {"Retry-After": "1"}
    if row.state == "done":
        return jsonify(row.result), row.status or 200, {}
    raise jobs.failure(row)


def after_response(work) -> None:
    """Run ``work`` once the answer is sent (the WSGI server closes the response then)."""
    @after_this_request
    def _on_close(response: Response) -> Response:
        response.call_on_close(work)
        return response


@bp.route("/rest/v2/data/dataflow/<agency_id>/<resource_id>/<version>/<key>", methods=["DELETE"])
def delete_data(agency_id: str, resource_id: str, version: str, key: str) -> Response:
    ctx = dataflow_context(ArtefactStore(db()), agency_id, resource_id, version)
    provider = workflow.submitting_as(actor(), ctx, request.args.get("provider"))
    workflow.require_all_steps(actor(), ctx)  # a deletion takes effect at once: only who may release may delete
    four_eyes = workflow.FourEyes.from_config(current_app.extensions["sdmx_config"])
    four_eyes.alone(actor(), provider, "deleting figures at once")
    with write_transaction():
        receipt = delete_keys(db(), ctx, key, provider=provider, submitted_by=actor().username)
        four_eyes.record(db(), actor(), step="delete", provider=receipt.provider, submission_id=receipt.submission_id)
    return jsonify(receipt.as_json())


@bp.get("/api/dataflows/<agency_id>/<resource_id>/<version>/template.xlsx")
def excel_template_view(agency_id: str, resource_id: str, version: str) -> Response:
    """The Excel template to fill in and upload back (labels in ?lang= or Accept-Language)."""
    from ..sdmx.formats.excel_template import LANGUAGES
    from ..sdmx.media_types import XLSX, languages
    from ..submission.templates import excel_template

    store = ArtefactStore(db())
    ctx = dataflow_context(store, agency_id, resource_id, version)
    # the first preferred language the template is written in: "ru-RU, ru;q=0.9" asks for Russian
    preferred = languages(request.headers.get("Accept-Language"), request.args.get("lang"))
    lang = next((base for tag in preferred if (base := tag.split("-")[0]) in LANGUAGES), LANGUAGES[0])
    cfg = current_app.extensions["sdmx_config"]
    body = excel_template(store, ctx, lang, actor().country,
                          workflow.IngestOptions.from_config(cfg).provisional_rule(utcnow()))
    name = f"{ctx.dataflow['id']}-{lang}.xlsx"
    return Response(body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Content-Language": lang, "Vary": "Accept-Language"})
