"""Data submission over REST v2: POST adds or updates, PUT replaces, as the receipt shows."""

from __future__ import annotations

from flask import Blueprint, Response, after_this_request, current_app, jsonify, request

from ..request_context import actor, db, write_transaction
from ..storage.artefact_store import ArtefactStore
from ..storage.database import checkpoint_later
from ..sdmx.errors import BadInput
from ..submission import workflow
from ..submission.intake import dataflow_context, delete_keys
from .request_body import stream_body

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
    body = stream_body(cfg.max_data_body_bytes)
    with checkpoint_later(db(), after_response), write_transaction():
        receipt = workflow.submit(db(), body, ctx, actor(), provider=provider, replace=request.method == "PUT",
                                  content_type=request.content_type,
                                  options=workflow.IngestOptions.from_config(cfg), release_now=bool(release),
                                  four_eyes=workflow.FourEyes.from_config(cfg))
    return jsonify(receipt.as_json()), 200 if release else 202


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
    body = excel_template(store, ctx, lang, actor().country)
    name = f"{ctx.dataflow['id']}-{lang}.xlsx"
    return Response(body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Content-Language": lang, "Vary": "Accept-Language"})
