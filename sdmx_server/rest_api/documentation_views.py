"""The documentation workflow under /api, as /api/submissions is for data: list, read (with what changed
against the released version), verify, return, release; and the Excel documentation template.

Thin views over metadata/workflow.py and metadata/questionnaire.py. Documentation the caller may not see
answers 404 whatever its id. Submitting is the REST POST of metadata_views.py (SDMX-ML 3.0 or the
filled-in workbook).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ..metadata import questionnaire, workflow
from ..request_context import db, write_transaction
from ..sdmx.artefacts import urn_for
from ..sdmx.errors import BadInput
from ..sdmx.formats.excel_documentation_template import LANGUAGES
from ..sdmx.media_types import XLSX, languages
from ..sdmx.metadata_set import STATES
from ..storage.artefact_store import ArtefactStore
from ..submission.workflow import FourEyes
from .json_api import caller, int_arg, json_body, json_field, optional_json_body

bp = Blueprint("documentation", __name__)
BASE = "/api/documentation/sets"


def four_eyes() -> FourEyes:
    return FourEyes.from_config(current_app.extensions["sdmx_config"])


@bp.get(BASE)
def list_sets() -> Response:
    who = caller()
    state = request.args.get("state")
    if state and state not in STATES:
        raise BadInput(f"state must be one of {', '.join(STATES)}")
    sets = workflow.listing(db(), who, state=state, dataflow_urn=request.args.get("dataflow"),
                            limit=int_arg("limit", 100, 1, 1000) or 100, before=int_arg("before", None, 1, 2**62))
    return jsonify([workflow.set_json(db(), s) for s in sets])


@bp.get(f"{BASE}/<int:set_id>")
def get_set(set_id: int) -> Response:
    return jsonify(workflow.set_json(db(), workflow.get(db(), caller(), set_id), detail=True))


@bp.post(f"{BASE}/<int:set_id>/verify")
def verify(set_id: int) -> Response:
    who = caller()
    comment = json_field(optional_json_body(), "comment", str, "")
    with write_transaction():
        s = workflow.verify(db(), who, set_id, comment, four_eyes=four_eyes())
        return jsonify(workflow.set_json(db(), s, detail=True))


@bp.post(f"{BASE}/<int:set_id>/return")
def return_set(set_id: int) -> Response:
    who = caller()
    comment = json_field(json_body(), "comment", str, required=True)
    with write_transaction():
        s = workflow.return_(db(), who, set_id, comment)
        return jsonify(workflow.set_json(db(), s, detail=True))


@bp.post(f"{BASE}/<int:set_id>/release")
def release(set_id: int) -> Response:
    who = caller()
    comment = json_field(optional_json_body(), "comment", str, "")
    with write_transaction():
        s = workflow.release(db(), who, set_id, comment, four_eyes=four_eyes())
        return jsonify(workflow.set_json(db(), s, detail=True))


@bp.get("/api/documentation/<provider>/<agency_id>/<resource_id>/<version>/template.xlsx")
def template(provider: str, agency_id: str, resource_id: str, version: str) -> Response:
    """The Excel documentation template of one indicator and country, prefilled with the current version;
    labels in ?lang= or Accept-Language (English or Russian), texts in both."""
    who = caller()
    store = ArtefactStore(db())
    flow = questionnaire.dataflow(store, agency_id, resource_id, version)
    chosen = questionnaire.documenting_as(store, who, urn_for("dataflow", agency_id, resource_id, version), provider)
    preferred = languages(request.headers.get("Accept-Language"), request.args.get("lang"))
    lang = next((base for tag in preferred if (base := tag.split("-")[0]) in LANGUAGES), LANGUAGES[0])
    body = questionnaire.documentation_template(db(), flow, chosen, lang)
    name = f"documentation-{chosen}-{flow['id']}-{lang}.xlsx"
    return Response(body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Content-Language": lang, "Vary": "Accept-Language",
                                                      "Cache-Control": "private, no-store"})
