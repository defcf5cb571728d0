"""Documenting an indicator on the portal, and the documentation workflow screens.

Thin views over metadata/questionnaire.py, metadata/submission.py and metadata/workflow.py, with the signed-in
user as the actor: the form and the Excel upload go through the same checks as the REST POST (a pending
version, or the errors next to their fields / cells, nothing stored); confirming, returning and releasing
follow the same roles and four-eyes rule as the /api/documentation endpoints.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import Length

from ..identity.actor import Actor
from ..metadata import questionnaire, workflow
from ..metadata.structure import definitions
from ..metadata.submission import provision_providers, submit
from ..request_context import db, write_transaction
from ..sdmx.artefacts import urn_for
from ..sdmx.errors import Conflict, InvalidData, SdmxError
from ..sdmx.formats.excel_documentation_template import LANGUAGES as TEMPLATE_LANGUAGES
from ..sdmx.formats.excel_documentation_template import TEXT_LANGUAGES
from ..sdmx.media_types import XLSX
from ..sdmx.metadata_set import MetadataSet
from ..storage.artefact_store import ArtefactStore
from ..storage.metadata_store import MetadataStore
from ..submission.workflow import FourEyes
from . import page_context
from .documentation_form import as_set, errors_by_field, read_form, shown
from .languages import language_name
from .statistics_catalogue import countries, indicator_of
from .submission_forms import ReturnForm, UploadForm, VerifyForm
from .submission_pages import domain_errors
from .submission_report import Problem, Report, place_in_words
from .views import bp
from .workflow_screens import Labels

page_context.NOTICES.update({
    "documentation_received": _l("Thank you: the documentation passed the checks and waits for your country's "
                                 "verifier."),
    "documentation_verified": _l("The documentation is confirmed; it now waits for release."),
    "documentation_returned": _l("The documentation is returned to its submitter with your comment."),
    "documentation_released": _l("The documentation is released: it is now shown with the indicator."),
    "documentation_conflict": _l("Nothing was done: someone else acted on this documentation meanwhile. Here is its "
                                 "state now."),
})

SENTENCES: dict[str, Any] = {
    "missing-attribute": _l("%(question)s: this question must be answered."),
    "unknown-code": _l("%(question)s: choose one of the answers of the list."),
    "value-format": _l("%(question)s: write the date as YYYY-MM-DD (for example 2026-06-30)."),
    "missing-text": _l("%(question)s: write the answer in at least one language."),
    "missing-value": _l("%(question)s: the answer is missing or is not of the kind asked for."),
    "coded-attribute-text": _l("%(question)s: choose the answer from the list; a text is not read here."),
    "value-and-text": _l("%(question)s: give either a choice or a text, as the question asks, not both."),
    "too-many-values": _l("%(question)s: too many answers."),
    "unknown-attribute": _l("%(question)s is not a question of this documentation."),
    "too-long": _l("%(question)s: the answer is too long."),
}


class DocumentationForm(FlaskForm):
    """Only the CSRF token: the questions' fields come from the stored MSD (documentation_form.py)."""


class ReleaseDocumentationForm(FlaskForm):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)])


def four_eyes() -> FourEyes:
    return FourEyes.from_config(current_app.extensions["sdmx_config"])


def sentence(rule: str, question: str, message: str = "") -> str:
    template = SENTENCES.get(rule)
    return str(template) % {"question": question} if template is not None else f"{question}: {message}"


# -- the index: what to document, and the documentation sent --------------------------------------------

def may_document_any(who: Actor) -> bool:
    return not who.is_anonymous and (who.can(workflow.SUBMIT) or who.can(workflow.CONTENT))


@bp.get("/<portal_lang:lang_code>/documentation/")
def documentation_index() -> str:
    who = page_context.signed_in()
    if not may_document_any(who):
        abort(403)
    store = ArtefactStore(db())
    indicators = []
    for flow in store.candidates({"dataflow"}, None, None):
        urn = urn_for("dataflow", flow["agencyID"], flow["id"], flow["version"])
        if workflow.may_document(who, urn) and (who.country is None or who.country in provision_providers(store, urn)):
            indicators.append(indicator_of(flow, g.lang_code))
    indicators.sort(key=lambda i: str(i.name.text).casefold())
    return render_template("portal/documentation_index.html", indicators=indicators,
                           sets=workflow.listing(db(), who, limit=50), labels=Labels(store, g.lang_code))


# -- documenting -----------------------------------------------------------------------------------------

def _context(agency: str, resource: str, version: str) -> tuple[Actor, ArtefactStore, dict, str | None]:
    who = page_context.signed_in()
    store = ArtefactStore(db())
    with domain_errors():
        flow = questionnaire.dataflow(store, agency, resource, version)
    flow_urn = urn_for("dataflow", agency, resource, version)
    if not workflow.may_document(who, flow_urn):
        abort(403)
    provider = who.country or request.args.get("provider") or None
    if provider is not None:
        with domain_errors():
            provider = questionnaire.documenting_as(store, who, flow_urn, provider)
    return who, store, flow, provider


def _choose_country(store: ArtefactStore, flow: dict, agency: str, resource: str, version: str) -> str:
    """For users of no country (system administrators): whose documentation to write."""
    names = dict(countries(store, g.lang_code))
    flow_urn = urn_for("dataflow", agency, resource, version)
    choices = sorted(((p, names.get(p)) for p in provision_providers(store, flow_urn)),
                     key=lambda kv: str(kv[1] or kv[0]))
    return render_template("portal/documentation_country.html", indicator=indicator_of(flow, g.lang_code),
                           choices=choices, flow=(agency, resource, version))


@bp.route("/<portal_lang:lang_code>/documentation/<agency>/<resource>/<version>", methods=["GET", "POST"])
def documentation_edit(agency: str, resource: str, version: str) -> Response | str | tuple[str, int]:
    who, store, flow, provider = _context(agency, resource, version)
    if provider is None:
        return _choose_country(store, flow, agency, resource, version)
    with domain_errors():
        info = questionnaire.documentation_flow(store)
    target = questionnaire.target_of(store, flow, provider, g.lang_code, info.urn)
    current = questionnaire.current(db(), target.dataflow, provider)
    questions = questionnaire.questions(store, info, g.lang_code, current)
    form = DocumentationForm()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    if form.validate_on_submit():
        outcome = read_form(request.form, questions)
        questions = shown(questions, outcome.values)
        labels = {q.attribute: q.label for q in questions}
        if outcome.problems:
            errors = {a: [sentence(r, labels.get(a, a)) for r in rules] for a, rules in outcome.problems.items()}
            status = 422
        else:
            s = as_set(outcome.values, metadataflow=info.urn, dataflow=target.dataflow, provider=provider,
                       set_id=target.set_id, names=target.names)
            try:
                with write_transaction(), domain_errors():
                    receipt = submit(db(), [s], who, definitions(db()), max_errors=200)
            except InvalidData as e:
                by_field, general = errors_by_field(e.details)
                messages = {d.get("attribute"): d.get("message", "") for d in e.details}
                errors = {a: [sentence(r, labels.get(a, a), messages.get(a, "")) for r in rules]
                          for a, rules in by_field.items()}
                status = 422
            except SdmxError as e:
                general, status = [e.message], e.status
            else:
                flash("documentation_received")
                return redirect(url_for("portal.documentation_detail", set_id=receipt.sets[0].id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "portal/documentation_edit.html", indicator=indicator_of(flow, g.lang_code), target=target,
        questions=questions, form=form, upload_form=UploadForm(formdata=None), errors=errors, general=general,
        current=current, flow=(agency, resource, version), text_languages=TEXT_LANGUAGES,
        language_name=language_name, report=None, here_args=_here(agency, resource, version, who, provider)), status


@bp.post("/<portal_lang:lang_code>/documentation/<agency>/<resource>/<version>/upload")
def documentation_upload(agency: str, resource: str, version: str) -> Response | tuple[str, int]:
    who, store, flow, provider = _context(agency, resource, version)
    if provider is None:
        abort(404)
    upload = UploadForm()
    report, status = None, 400
    if upload.validate_on_submit():
        cfg = current_app.extensions["sdmx_config"]
        body = upload.file.data.stream.read(cfg.max_body_bytes + 1)
        if len(body) > cfg.max_body_bytes:
            abort(413)
        try:
            with write_transaction(), domain_errors():
                receipt = submit(db(), body, who, definitions(db()), content_type=XLSX, max_errors=cfg.max_errors,
                                 limits=(cfg.max_token_bytes, cfg.max_inflate_ratio))
        except InvalidData as e:
            report, status = _report(store, e), 422
        except SdmxError as e:
            report = Report([Problem("", _("The file could not be read: check that it is the documentation template "
                                           "of this indicator. What went wrong: %(detail)s", detail=e.message), "")], 1)
            status = e.status
        else:
            flash("documentation_received")
            return redirect(url_for("portal.documentation_detail", set_id=receipt.sets[0].id))
    info = questionnaire.documentation_flow(store)
    target = questionnaire.target_of(store, flow, provider, g.lang_code, info.urn)
    current = questionnaire.current(db(), target.dataflow, provider)
    return render_template(
        "portal/documentation_edit.html", indicator=indicator_of(flow, g.lang_code), target=target,
        questions=questionnaire.questions(store, info, g.lang_code, current), form=DocumentationForm(formdata=None),
        upload_form=upload, errors={}, general=[], current=current, flow=(agency, resource, version),
        text_languages=TEXT_LANGUAGES, language_name=language_name, report=report,
        here_args=_here(agency, resource, version, who, provider)), status


def _here(agency: str, resource: str, version: str, who: Actor, provider: str) -> dict[str, str]:
    """The arguments of this page's addresses (the country too, for users of none)."""
    args = {"agency": agency, "resource": resource, "version": version}
    return args if who.country else {**args, "provider": provider}


def _report(store: ArtefactStore, e: InvalidData) -> Report:
    labels = {q.attribute: q.label for q in questionnaire.questions(store, questionnaire.documentation_flow(store),
                                                                    g.lang_code)}
    return Report([Problem(place_in_words(d.get("where", "")),
                           sentence(d.get("rule", ""), labels.get(d.get("attribute", ""), d.get("attribute", "")),
                                    d.get("message", "")), "") for d in e.details], e.count)


@bp.get("/<portal_lang:lang_code>/documentation/<agency>/<resource>/<version>/template.xlsx")
def documentation_template(agency: str, resource: str, version: str) -> Response:
    who, store, flow, provider = _context(agency, resource, version)
    if provider is None:
        abort(404)
    lang = g.lang_code if g.lang_code in TEMPLATE_LANGUAGES else TEMPLATE_LANGUAGES[0]
    with domain_errors():
        body = questionnaire.documentation_template(db(), flow, provider, lang)
    name = f"documentation-{provider}-{flow['id']}-{lang}.xlsx"
    return Response(body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Content-Language": lang})


# -- the workflow ------------------------------------------------------------------------------------------

def _set(who: Actor, set_id: int) -> MetadataSet:
    with domain_errors():
        return workflow.get(db(), who, set_id)


def answers(store: ArtefactStore, s: MetadataSet | None, lang: str) -> dict[str, list[str]]:
    """Each attribute's answers as lines to show: "Name (CODE)" for codes, "English: text" for texts."""
    if s is None:
        return {}
    names: dict[str, dict[str, str]] = {}
    with domain_errors():
        for q in questionnaire.questions(store, questionnaire.documentation_flow(store), lang):
            names[q.attribute] = dict(q.codes or [])
    out: dict[str, list[str]] = {}
    for v in s.values:
        if v.value is not None:
            name = names.get(v.attribute, {}).get(v.value)
            out.setdefault(v.attribute, []).append(f"{name} ({v.value})" if name else v.value)
        for k, text in (v.texts or {}).items():
            out.setdefault(v.attribute, []).append(f"{language_name(k)}: {text}")
    return out


def _detail(who: Actor, s: MetadataSet, status: int = 200, **forms: Any) -> tuple[str, int]:
    store = ArtefactStore(db())
    with domain_errors():
        info = questionnaire.documentation_flow(store)
    labels = {q.attribute: q.label for q in questionnaire.questions(store, info, g.lang_code)}
    base = workflow.released_before(db(), s)

    return render_template(
        "portal/documentation_detail.html", s=s, labels=Labels(store, g.lang_code), questions=labels,
        changes=workflow.changes(base, s), base=base, now=answers(store, s, g.lang_code),
        before=answers(store, base, g.lang_code), transitions=MetadataStore(db()).transitions(s.id or 0),
        actions=workflow.actions(who, s, four_eyes()),
        verify_form=forms.get("verify_form") or VerifyForm(prefix="verify"),
        return_form=forms.get("return_form") or ReturnForm(prefix="return"),
        release_form=forms.get("release_form") or ReleaseDocumentationForm(prefix="release")), status


@bp.get("/<portal_lang:lang_code>/documentation/sets/<int:set_id>")
def documentation_detail(set_id: int) -> tuple[str, int]:
    who = page_context.signed_in()
    return _detail(who, _set(who, set_id))


def _act(set_id: int, step, notice: str) -> Response:
    try:
        with write_transaction(), domain_errors():
            step()
    except Conflict:
        notice = "documentation_conflict"
    flash(notice)
    return redirect(url_for("portal.documentation_detail", set_id=set_id))


@bp.post("/<portal_lang:lang_code>/documentation/sets/<int:set_id>/verify")
def documentation_verify(set_id: int) -> Response | tuple[str, int]:
    who = page_context.signed_in()
    s = _set(who, set_id)
    form = VerifyForm(prefix="verify")
    if not form.validate_on_submit():
        return _detail(who, s, 400, verify_form=form)
    return _act(set_id, lambda: workflow.verify(db(), who, set_id, form.comment.data or "", four_eyes=four_eyes()),
                "documentation_verified")


@bp.post("/<portal_lang:lang_code>/documentation/sets/<int:set_id>/return")
def documentation_return(set_id: int) -> Response | tuple[str, int]:
    who = page_context.signed_in()
    s = _set(who, set_id)
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit() or not form.comment.data.strip():
        if not form.comment.errors:
            form.comment.errors = [str(ReturnForm.comment.kwargs["validators"][0].message)]
        return _detail(who, s, 400, return_form=form)
    return _act(set_id, lambda: workflow.return_(db(), who, set_id, form.comment.data.strip()),
                "documentation_returned")


@bp.post("/<portal_lang:lang_code>/documentation/sets/<int:set_id>/release")
def documentation_release(set_id: int) -> Response | tuple[str, int]:
    who = page_context.signed_in()
    s = _set(who, set_id)
    form = ReleaseDocumentationForm(prefix="release")
    if not form.validate_on_submit():
        return _detail(who, s, 400, release_form=form)
    return _act(set_id, lambda: workflow.release(db(), who, set_id, form.comment.data or "", four_eyes=four_eyes()),
                "documentation_released")


def documentation_queue(who: Actor, privilege: str) -> list[MetadataSet]:
    """For the verifier's and the approver's queues (submission_pages._queue)."""
    return workflow.queue(db(), who, privilege)
