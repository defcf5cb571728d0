"""Country pages: one per participating country, with its texts, what it has released (as far as the caller may
see its data), its latest releases and its documents; and the screen where its content managers edit it.

Thin views over content/country_pages.py. A page that is not public sends visitors to sign in.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..content import country_pages as pages
from ..content import documents as docs
from ..request_context import actor, db, visibility, write_transaction
from ..sdmx.artefacts import parse_urn
from ..sdmx.errors import SdmxError
from ..storage.artefact_store import ArtefactStore
from ..storage.audit_store import AuditStore
from ..storage.country_page_store import CountryPageRow, CountryPageStore
from ..storage.document_store import DocumentStore
from . import admin_system, page_context
from .content_actions import refused
from .content_forms import CountryPageForm
from .document_pages import _indicator_names, _shown as shown_documents
from .page_context import signed_in
from .statistics_catalogue import countries
from .texts import LocalText, pick
from .views import bp

page_context.NOTICES.update({"country_page_saved": _l("The country page is saved.")})
admin_system.ACTIONS.update({"country_page.update": _l("Country page changed")})
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class IndicatorLine:
    name: LocalText
    url: str | None
    first: str
    last: str
    figures: int


def _country(code: str) -> LocalText:
    found = dict(countries(ArtefactStore(db()), g.lang_code)).get(code)
    if found is None:
        abort(404)
    return found


def _indicator_url(urn: str) -> str | None:
    try:
        u = parse_urn(urn)
    except ValueError:
        return None
    return url_for("portal.indicator", agency=u.agency_id, resource=u.id, version=u.version)


@bp.get("/<portal_lang:lang_code>/countries/")
def country_list() -> str:
    who = actor()
    public = CountryPageStore(db()).public_countries()
    rows = [(code, name, pages.may_see(who, CountryPageRow(code, {}, {}, {}, code in public), code))
            for code, name in countries(ArtefactStore(db()), g.lang_code)]
    return render_template("portal/countries.html", rows=rows)


@bp.get("/<portal_lang:lang_code>/countries/<code>")
def country_page(code: str) -> tuple[str, int, dict[str, str]]:
    name = _country(code)
    who, vis = actor(), visibility()
    store = CountryPageStore(db())
    page = store.get(code)
    if not pages.may_see(who, page, code):
        if who.is_anonymous:
            signed_in()  # sends the visitor to sign in, and back here
        abort(404)
    flows = _indicator_names(ArtefactStore(db()), g.lang_code)
    released = [IndicatorLine(flows.get(r.dataflow_urn, LocalText(r.dataflow_urn, "en")), _indicator_url(r.dataflow_urn),
                              r.first_period, r.last_period, r.figures)
                for r in pages.released_indicators(store, vis, code)]
    releases = [(flows.get(r.dataflow_urn, LocalText(r.dataflow_urn, "en")), r)
                for r in pages.latest_releases(store, vis, code)]
    documents = shown_documents(docs.visible_documents(DocumentStore(db()), who, vis, country=code)[:20], g.lang_code)
    lang = g.lang_code
    texts = {k: (pick(getattr(page, k), lang) if page and getattr(page, k) else None)
             for k in ("about", "institutions", "contacts")}
    headers = {} if page and page.is_public else NO_STORE
    return render_template("portal/country.html", code=code, name=name, page=page, texts=texts, released=released,
                           releases=releases, documents=documents, manage=docs.can_manage(who, code)), 200, headers


@bp.route("/<portal_lang:lang_code>/content/countries/<code>", methods=["GET", "POST"])
def content_country(code: str) -> Response | tuple[str, int, dict[str, str]]:
    who = signed_in()
    name = _country(code)
    if not docs.can_manage(who, code):
        abort(403)
    store = CountryPageStore(db())
    page = store.get(code)
    form = CountryPageForm()
    if page is not None and not form.is_submitted():
        form.process(data={f"{k}_{lang}": getattr(page, k).get(lang, "") for k in ("about", "institutions", "contacts")
                           for lang in ("en", "ru")} | {"is_public": page.is_public})
    if form.validate_on_submit():
        def pair(k: str) -> dict[str, str]:
            return {lang: (form[f"{k}_{lang}"].data or "").strip() for lang in ("en", "ru")}

        try:
            with write_transaction():
                conn = db()
                pages.save_page(CountryPageStore(conn), AuditStore(conn), who, CountryPageRow(
                    code, pair("about"), pair("institutions"), pair("contacts"), bool(form.is_public.data)))
        except SdmxError as e:
            refused(e)
        flash("country_page_saved")
        return redirect(url_for("portal.country_page", code=code))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/content_country.html", form=form, code=code, name=name), status, NO_STORE


@bp.get("/<portal_lang:lang_code>/content/countries/")
def content_countries() -> Response:
    """The content manager's own country page (system administrators: the list of countries)."""
    who = signed_in()
    if not docs.may_manage_any(who):
        abort(403)
    if who.country:
        return redirect(url_for("portal.content_country", code=who.country))
    return redirect(url_for("portal.country_list"))
