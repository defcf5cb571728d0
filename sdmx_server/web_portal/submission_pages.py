"""Submitting data and the workflow screens: upload, number-by-number entry, my submissions, queues, revision notices.

Thin views: they parse the form, call submission/workflow.py with the signed-in user as the actor (the same
functions the REST and /api endpoints call, with the same access rule) and render. Domain errors become the
portal's own pages: a submission the user may not see is a 404, as in the API.
"""

from __future__ import annotations

import gzip
import io
from decimal import Decimal, InvalidOperation
from contextlib import contextmanager
from typing import Any, Iterator

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from ..identity.actor import Actor
from ..request_context import actor, db, visibility, write_transaction
from ..sdmx.media_types import XLSX, submitted_file_extension, submitted_media_type
from ..sdmx.artefacts import parse_urn, urn_of
from ..sdmx.errors import Conflict, Forbidden, InvalidData, NotFound, SdmxError
from ..sdmx.formats.excel_template import LANGUAGES as TEMPLATE_LANGUAGES
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.submission_store import STATES, SubmissionRow, SubmissionStore
from ..content import release_calendar
from ..submission import changes, workflow
from ..submission.intake import DataflowContext, dataflow_context
from ..submission.templates import excel_template
from . import page_context
from .report_chart import chart_svg
from .statistics_catalogue import countries, indicator_of
from .submission_entry import FREE_LINES, build_message, entry_form, entry_layout
from .submission_figures import MAX_FIGURES, Names, context_of, may_submit, pending_figures, reporting_providers, series_label, \
    submittable_indicators
from .submission_forms import ReleaseForm, ReturnForm, UploadAsForm, UploadForm, VerifyForm
from .submission_report import Report, refused, report_of
from .time_zone_pages import user_zone
from .views import bp
from .workflow_screens import RELEASE, SUBMIT, VERIFY, Labels, actions, embargo_time, has_submissions, may_queue, \
    my_submissions, queue, revision_notices

page_context.NOTICES.update({
    "submission_received": _l("Thank you: the figures passed the checks and wait for your country's verifier."),
    "submission_verified": _l("The submission is confirmed; it now waits for release."),
    "submission_returned": _l("The submission is returned to its submitter with your comment."),
    "submission_released": _l("The figures are released: they are now in the statistics, for those who may see "
                              "them."),
    "submission_scheduled": _l("The release is scheduled: the figures will be released at the time you chose."),
    "submission_conflict": _l("Nothing was done: someone else acted on this submission meanwhile. Here is its "
                              "state now."),
    "submission_release_failed": _l("The release failed: the figures no longer pass the checks (the indicator's "
                                    "structure may have changed). Return the submission so it is sent again."),
})

MAX_DIFF_FIGURES = 500  # changed or suspicious figures listed on a submission's page (the API pages on)

STATE_LABELS = {
    "pending": _l("waiting for verification"),
    "validated": _l("confirmed, waiting for release"),
    "released": _l("released"),
    "returned": _l("returned to the submitter"),
}


def options() -> workflow.IngestOptions:
    return workflow.IngestOptions.from_config(current_app.extensions["sdmx_config"])


def four_eyes() -> workflow.FourEyes:
    return workflow.FourEyes.from_config(current_app.extensions["sdmx_config"])


@contextmanager
def domain_errors() -> Iterator[None]:
    """The workflow's refusals as the portal's own error pages (the app would answer in SDMX otherwise)."""
    try:
        yield
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def _menu() -> list[dict[str, Any]]:
    """The submission entries of the main menu, only those the signed-in user may use."""
    from .documentation_entry import may_document_any  # it imports this module

    who = actor()
    items: list[tuple[bool, str, Any, tuple[str, ...]]] = [
        (not who.is_anonymous and who.can(SUBMIT), "portal.submit_index", _l("Submit data"),
         ("portal.submit_index", "portal.submit_indicator", "portal.submit_entry")),
        (not who.is_anonymous and has_submissions(who), "portal.submission_list", _l("Submissions"),
         ("portal.submission_list", "portal.submission_detail")),
        (may_document_any(who), "portal.documentation_index", _l("Documentation"),
         ("portal.documentation_index", "portal.documentation_edit", "portal.documentation_detail",
          "portal.documentation_upload")),
        (may_queue(who, VERIFY), "portal.verify_queue", _l("To verify"), ("portal.verify_queue",)),
        (may_queue(who, RELEASE), "portal.release_queue", _l("To release"), ("portal.release_queue",)),
        (True, "portal.revision_notices", _l("Revisions"), ("portal.revision_notices",)),
    ]
    return [{"url": url_for(endpoint), "label": label, "endpoints": endpoints}
            for shown, endpoint, label, endpoints in items if shown]


@bp.context_processor
def _submission_context() -> dict[str, Any]:
    return {"submission_menu": _menu, "state_label": lambda s: str(STATE_LABELS.get(s, s)), "figure": _figure,
            "max_figures": MAX_FIGURES}


def _figure(value: str | None) -> str:
    """A figure as written in the page's language (1 234,5 in Russian); what is not a number, as it is."""
    if value in (None, ""):
        return ""
    try:
        return format_decimal(Decimal(value))
    except (InvalidOperation, ValueError):
        return value


# -- submitting ----------------------------------------------------------------------------------------

def _flow(agency: str, resource: str, version: str) -> DataflowContext:
    with domain_errors():
        return dataflow_context(ArtefactStore(db()), agency, resource, version)


def _submitter(ctx: DataflowContext) -> Actor:
    """The signed-in user, if they may submit to this indicator (the API's rule); else 403."""
    who = page_context.signed_in()
    if not may_submit(who, urn_of(ctx.dataflow)):
        abort(403)
    return who


def _provider_choices(store: ArtefactStore, ctx: DataflowContext) -> list[tuple[str, str]]:
    names = {code: str(name) for code, name in countries(store, g.lang_code)}
    return sorted(((p, names.get(p, p)) for p in reporting_providers(store, urn_of(ctx.dataflow))),
                  key=lambda kv: kv[1].casefold())


@bp.get("/<portal_lang:lang_code>/submit/")
def submit_index() -> str:
    who = page_context.signed_in()
    if not who.can(SUBMIT):
        abort(403)
    return render_template("portal/submit_index.html",
                           indicators=submittable_indicators(ArtefactStore(db()), who, g.lang_code))


@bp.route("/<portal_lang:lang_code>/submit/<agency>/<resource>/<version>", methods=["GET", "POST"])
def submit_indicator(agency: str, resource: str, version: str) -> Response | tuple[str, int]:
    ctx = _flow(agency, resource, version)
    who = _submitter(ctx)
    store = ArtefactStore(db())
    form: UploadForm = UploadAsForm() if who.country is None else UploadForm()
    if isinstance(form, UploadAsForm):
        form.provider.choices = [SelectChoice(v, label) for v, label in _provider_choices(store, ctx)]
    report, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        content_type = upload.mimetype if upload.mimetype not in ("", "application/octet-stream") else None
        report = _submit(who, ctx, Names(store, ctx, g.lang_code), upload.stream, content_type,
                         form.provider.data if isinstance(form, UploadAsForm) else None)
        if not isinstance(report, Report):
            return report
        status = 422
    elif form.is_submitted():
        status = 400
    return render_template("portal/submit_indicator.html", indicator=indicator_of(ctx.dataflow, g.lang_code),
                           form=form, report=report, flow=(agency, resource, version)), status


def _submit(who: Actor, ctx: DataflowContext, names: Names, body, content_type: str | None,
            provider: str | None, places: dict[int, str] | None = None) -> Response | Report:
    """workflow.submit as the REST API calls it; a redirect to the new submission, or the report of what to fix."""
    with domain_errors():
        provider = workflow.submitting_as(who, ctx, provider)
    try:
        with write_transaction():
            receipt = workflow.submit(db(), body, ctx, who, provider=provider, replace=False,
                                      content_type=content_type, options=options())
    except InvalidData as e:
        dims = ctx.structure.dimension_ids
        return report_of(e, names.component, places, lambda key: series_label(names, dims, key))
    except SdmxError as e:
        return refused(e, places)
    flash("submission_received")
    return redirect(url_for("portal.submission_detail", submission_id=receipt.submission_id))


@bp.get("/<portal_lang:lang_code>/submit/<agency>/<resource>/<version>/template.xlsx")
def submit_template(agency: str, resource: str, version: str) -> Response:
    """The Excel template with its labels in the page's language (English when it has no template text)."""
    ctx = _flow(agency, resource, version)
    lang = g.lang_code if g.lang_code in TEMPLATE_LANGUAGES else TEMPLATE_LANGUAGES[0]
    body = excel_template(ArtefactStore(db()), ctx, lang, actor().country, options().provisional_rule(utcnow()))
    name = f"{ctx.dataflow['id']}-{lang}.xlsx"
    return Response(body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Content-Language": lang})


@bp.route("/<portal_lang:lang_code>/submit/<agency>/<resource>/<version>/entry", methods=["GET", "POST"])
def submit_entry(agency: str, resource: str, version: str) -> Response | tuple[str, int]:
    ctx = _flow(agency, resource, version)
    who = _submitter(ctx)
    store = ArtefactStore(db())
    names = Names(store, ctx, g.lang_code)
    lines = request.args.get("lines", FREE_LINES, type=int)
    layout = entry_layout(ctx, names, lines)
    providers = _provider_choices(store, ctx) if who.country is None else None
    form = entry_form(layout, providers)
    problems: list[str] = []
    report, status = None, 200
    if request.method == "POST" and request.form.get("more"):
        pass  # "more lines": the same form, longer, with what was typed (the CSRF token was checked already)
    elif form.validate_on_submit():
        country = who.country or form.provider.data
        built, problems = build_message(form, layout, country, g.lang_code)
        if built is not None:
            outcome = _submit(who, ctx, names, io.BytesIO(built.body), "text/csv",
                              country if who.country is None else None, built.places)
            if not isinstance(outcome, Report):
                return outcome
            report = outcome
        status = 422 if report or problems or form.errors else 200
    elif form.is_submitted():
        status = 400
    return render_template("portal/submit_entry.html", indicator=indicator_of(ctx.dataflow, g.lang_code),
                           form=form, layout=layout, problems=problems, report=report,
                           flow=(agency, resource, version), more_lines=min(layout.lines + FREE_LINES, 50)), status


# -- submissions and their workflow ---------------------------------------------------------------------

@bp.get("/<portal_lang:lang_code>/submissions/")
def submission_list() -> str:
    who = page_context.signed_in()
    state = request.args.get("state") or None
    if state not in (None, *STATES):
        state = None
    rows = my_submissions(db(), who, state)
    return render_template("portal/submission_list.html", rows=rows, state=state, states=STATES,
                           labels=Labels(ArtefactStore(db()), g.lang_code), may_submit=who.can(SUBMIT))


def _row(who: Actor, submission_id: int) -> SubmissionRow:
    with domain_errors():
        return workflow.get(db(), who, submission_id)


def _periods(figures: Any) -> str:
    """The periods a submission covers, as the release calendar's default text ("2025-S1 – 2025-S2")."""
    periods = list(getattr(figures, "periods", None) or [])
    return "" if not periods else periods[0] if len(periods) == 1 else f"{periods[0]} – {periods[-1]}"


def _detail(who: Actor, row: SubmissionRow, status: int = 200, **forms: Any) -> tuple[str, int]:
    store = ArtefactStore(db())
    figures = chart = diff = None
    names = None
    try:
        ctx = context_of(store, row)
    except SdmxError:  # its indicator was removed since: the record is still shown
        ctx = None
    if ctx is not None:
        names = Names(store, ctx, g.lang_code)
        figures = pending_figures(db(), row, ctx, names)
        diff = changes.for_submission(db(), row)
    labels = Labels(store, g.lang_code)
    if figures is not None and figures.rows and figures.periods:
        chart = chart_svg(figures.periods, figures.numeric_series(), title=str(labels.indicator(row.dataflow_urn)),
                          lang=g.lang_code)
    flow = parse_urn(row.dataflow_urn)
    diff_json = diff.as_json(MAX_DIFF_FIGURES) if diff else {"figures": [], "figuresTotal": 0}
    # each listed series in words (code names in the page's language); the key stays beside it, smaller
    diff_labels = {f["seriesKey"]: series_label(names, ctx.structure.dimension_ids, f["seriesKey"])
                   for f in diff_json["figures"]} if names is not None and ctx is not None else {}
    return render_template(
        "portal/submission_detail.html", row=row, labels=labels, figures=figures, chart=chart,
        diff=diff, diff_figures=diff_json["figures"], diff_total=diff_json["figuresTotal"], diff_labels=diff_labels,
        transitions=SubmissionStore(db()).transitions(row.id), actions=actions(who, row, four_eyes()),
        verify_form=forms.get("verify_form") or VerifyForm(prefix="verify"),
        return_form=forms.get("return_form") or ReturnForm(prefix="return"),
        release_form=forms.get("release_form") or ReleaseForm(prefix="release", data={"periods": _periods(figures)}),
        indicator_url=url_for("portal.indicator", agency=flow.agency_id, resource=flow.id, version=flow.version),
        submit_url=url_for("portal.submit_indicator", agency=flow.agency_id, resource=flow.id, version=flow.version),
    ), status


@bp.get("/<portal_lang:lang_code>/submissions/<int:submission_id>/message")
def submission_message(submission_id: int) -> Response:
    """The message as sent, to whoever may see the submission (as /api/submissions/{id}/message): a returned
    one's submitter corrects it from here. Always a download, typed by the reader that took it, so no browser
    renders what a submitter wrote (docs/security.md)."""
    who = page_context.signed_in()
    row = _row(who, submission_id)
    payload = SubmissionStore(db()).payload(row.id)
    if payload is None:
        abort(404)
    body = gzip.decompress(payload)
    name = f"submission-{row.id}.{submitted_file_extension(row.format)}"
    return Response(body, content_type=submitted_media_type(row.format, row.content_type, body[:4096]),
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@bp.get("/<portal_lang:lang_code>/submissions/<int:submission_id>")
def submission_detail(submission_id: int) -> tuple[str, int]:
    who = page_context.signed_in()
    return _detail(who, _row(who, submission_id))


def _act(submission_id: int, step, notice: str) -> Response:
    """Run one workflow step in a write transaction and go back to the submission with a notice."""
    try:
        with write_transaction(), domain_errors():
            notice = step() or notice
    except Conflict:
        notice = "submission_conflict"
    except InvalidData:
        notice = "submission_release_failed"
    flash(notice)
    return redirect(url_for("portal.submission_detail", submission_id=submission_id))


@bp.post("/<portal_lang:lang_code>/submissions/<int:submission_id>/verify")
def submission_verify(submission_id: int) -> Response | tuple[str, int]:
    who = page_context.signed_in()
    row = _row(who, submission_id)
    form = VerifyForm(prefix="verify")
    if not form.validate_on_submit():
        return _detail(who, row, 400, verify_form=form)
    return _act(row.id,
                lambda: workflow.verify(db(), who, row.id, form.comment.data or "", four_eyes=four_eyes()) and None,
                "submission_verified")


@bp.post("/<portal_lang:lang_code>/submissions/<int:submission_id>/return")
def submission_return(submission_id: int) -> Response | tuple[str, int]:
    who = page_context.signed_in()
    row = _row(who, submission_id)
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit() or not form.comment.data.strip():
        if not form.comment.errors:
            form.comment.errors = [str(ReturnForm.comment.kwargs["validators"][0].message)]
        return _detail(who, row, 400, return_form=form)
    return _act(row.id, lambda: workflow.return_(db(), who, row.id, form.comment.data.strip()) and None,
                "submission_returned")


@bp.post("/<portal_lang:lang_code>/submissions/<int:submission_id>/release")
def submission_release(submission_id: int) -> Response | tuple[str, int]:
    who = page_context.signed_in()
    row = _row(who, submission_id)
    form = ReleaseForm(prefix="release")
    if not form.validate_on_submit():
        return _detail(who, row, 400, release_form=form)
    at = embargo_time(form.day.data, form.time.data, user_zone())
    if at is not None and form.announce.data:  # the calendar's own rule, said beside the field before anything moves
        try:
            release_calendar.clean_periods(form.periods.data or "")
        except release_calendar.Refused:
            form.periods.errors = [str(_l("Say which periods the release covers, on one line of at most 100 "
                                          "characters."))]
            return _detail(who, row, 400, release_form=form)

    def step() -> str:
        done = workflow.release(db(), who, row.id, at=at, options=options(), comment=form.comment.data or "",
                                four_eyes=four_eyes(),
                                announce_periods=(form.periods.data or "") if form.announce.data else None)
        return "submission_released" if done.state == "released" else "submission_scheduled"

    return _act(row.id, step, "submission_released")


def _queue(privilege: str, template: str) -> str:
    who = page_context.signed_in()
    if not may_queue(who, privilege):
        abort(403)
    from .documentation_entry import documentation_queue  # it imports this module

    return render_template(template, rows=queue(db(), who, privilege), labels=Labels(ArtefactStore(db()), g.lang_code),
                           documentation=documentation_queue(who, privilege))


@bp.get("/<portal_lang:lang_code>/queue/verify")
def verify_queue() -> str:
    return _queue(VERIFY, "portal/queue_verify.html")


@bp.get("/<portal_lang:lang_code>/queue/release")
def release_queue() -> str:
    return _queue(RELEASE, "portal/queue_release.html")


@bp.get("/<portal_lang:lang_code>/revisions/", endpoint="revision_notices")
def revision_notices_page() -> str:
    store = ArtefactStore(db())
    labels = Labels(store, g.lang_code)
    notices = revision_notices(db(), visibility())
    described = []
    names: dict[str, tuple[Names, tuple[str, ...]] | None] = {}
    for notice in notices:
        urn = notice.submission.dataflow_urn
        if urn not in names:
            try:
                ctx = context_of(store, notice.submission)
                names[urn] = (Names(store, ctx, g.lang_code), ctx.structure.dimension_ids)
            except SdmxError:
                names[urn] = None
        found = names[urn]
        described.append((notice, [(series_label(found[0], found[1], r.series_key) if found else r.series_key, r)
                                   for r in notice.revisions]))
    return render_template("portal/revision_notices.html", notices=described, labels=labels)

