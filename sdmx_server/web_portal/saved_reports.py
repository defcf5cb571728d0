"""Saved reports: a signed-in user names a report (its indicator, selection and layout: the query string) to
find it again; lists, reopens and deletes them.

Only the question is saved. Opening one redirects to the report's own URL, which reads the figures with the
visibility of that moment: a grant withdrawn since, or a country no longer shared, is not seen.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from ..request_context import db, write_transaction
from ..sdmx.artefacts import urn_for
from ..storage.artefact_store import ArtefactStore
from ..storage.saved_report_store import (MAX_NAME_CHARS, MAX_QUERY_CHARS, MAX_SAVED_REPORTS, SavedReportStore,
                                          TooManySavedReports)
from .page_context import signed_in
from .report_data import flow_artefact
from .statistics_catalogue import indicator_of
from .views import bp

#: where report_pages puts the form in a kept report page (the form carries the session's CSRF token, so it is
#: never kept with the page)
FORM_PLACE = "<!-- saved-report-form -->"


class SaveReportForm(FlaskForm):
    name = StringField(_l("Name of the report"), filters=[lambda v: " ".join(v.split()) if v else v], validators=[
        DataRequired(_l("Give the report a name.")),
        Length(max=MAX_NAME_CHARS, message=_l("A name has at most %(max)d characters."))])
    query = HiddenField(validators=[Length(max=MAX_QUERY_CHARS, message=_l("This report's selection is too long "
                                                                         "to save. Choose fewer items."))])


class DeleteSavedReportForm(FlaskForm):
    """Only a CSRF token: deleting is a POST another site cannot forge."""


def clean_query(query: str) -> str:
    """The query string as the report reads it, re-encoded: nothing but its parameters survives."""
    return urlencode(parse_qsl(query, keep_blank_values=False))


def save_form_html(agency: str, resource: str, version: str, query: str) -> Markup:
    """The "save this report" form for the report page of a signed-in user."""
    form = SaveReportForm(formdata=None, query=query)
    return Markup(render_template("portal/saved_report_form.html", form=form,
                                  action=url_for("portal.save_report", agency=agency, resource=resource,
                                                 version=version)))


@bp.post("/<portal_lang:lang_code>/reports/<agency>/<resource>/<version>/save")
def save_report(agency: str, resource: str, version: str) -> Response | tuple[str, int]:
    who = signed_in()
    flow = flow_artefact(ArtefactStore(db()), agency, resource, version)
    if flow is None:
        abort(404)
    form = SaveReportForm()
    error = None
    if not form.validate():
        error = next(iter(e for errors in form.errors.values() for e in errors))
    else:
        name = form.name.data  # spaces collapsed (the field's filter)
        try:
            with write_transaction():
                saved_id, replaced = SavedReportStore(db()).save(
                    who.user_id, name, urn_for("dataflow", agency, resource, version), clean_query(form.query.data))
        except TooManySavedReports:
            error = _("You have %(most)d saved reports, as many as one may keep. Delete some first.",
                      most=MAX_SAVED_REPORTS)
        else:
            return redirect(url_for("portal.saved_reports", saved=saved_id, replaced=int(replaced)), 303)
    return _list_page(who.user_id, error=error, failed=form), 400


@bp.get("/<portal_lang:lang_code>/reports/saved/")
def saved_reports() -> str:
    who = signed_in()
    return _list_page(who.user_id)


def _list_page(user_id: int, error: str | None = None, failed: SaveReportForm | None = None) -> str:
    store = ArtefactStore(db())
    items = []
    for s in SavedReportStore(db()).list(user_id):
        flow = store.by_urns([s.dataflow_urn])
        items.append({"id": s.id, "name": s.name, "updated": _("%(date)s UTC", date=format_datetime(s.updated_at, "medium", rebase=False)),
                      "indicator": indicator_of(flow[0], g.lang_code) if flow else None,
                      "open": url_for("portal.open_saved_report", report_id=s.id)})
    saved = request.args.get("saved", type=int)
    return render_template("portal/saved_reports.html", items=items, error=error, failed=failed, saved=saved,
                           replaced=request.args.get("replaced") == "1", delete_form=DeleteSavedReportForm(formdata=None))


@bp.get("/<portal_lang:lang_code>/reports/saved/<int:report_id>")
def open_saved_report(report_id: int) -> Response:
    who = signed_in()
    found = SavedReportStore(db()).get(who.user_id, report_id)
    if found is None:
        abort(404)
    _type, _sep, ref = found.dataflow_urn.partition("=")
    agency, _sep, rest = ref.partition(":")
    resource, _sep, version = rest.partition("(")
    url = url_for("portal.report", agency=agency, resource=resource, version=version.rstrip(")"))
    return redirect(url + ("?" + found.query if found.query else ""), 303)


@bp.post("/<portal_lang:lang_code>/reports/saved/<int:report_id>/delete")
def delete_saved_report(report_id: int) -> Response:
    who = signed_in()
    with write_transaction():
        if not SavedReportStore(db()).delete(who.user_id, report_id):
            abort(404)
    return redirect(url_for("portal.saved_reports"), 303)
