"""Thin views of the portal's public pages and of signing in and out: parse, call a plain function, render."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..request_context import db, visibility
from ..storage.artefact_store import ArtefactStore
from . import account, page_context
from .documentation import country_documentation
from .forms import SignInForm
from .languages import best_language
from .statistics_catalogue import countries, indicator_detail, rest_links, statistics_catalogue

bp = Blueprint("portal", __name__, template_folder="templates", static_folder="static",
               static_url_path="/portal/static")
page_context.register(bp)

REST_LINK_LABELS = {
    "structure": _l("The indicator's structure with its codelists and concepts (SDMX-ML 3.0)"),
    "data_csv": _l("The figures you may see, as SDMX-CSV"),
    "data_xml": _l("The figures you may see, as SDMX-ML 3.0"),
    "data_v1": _l("The figures, SDMX 2.1 REST (SDMX-ML 2.1)"),
    "availability": _l("Which countries, breakdowns and periods have figures (availability)"),
}


@bp.get("/")
def root() -> Response:
    """The bare address: the best language the browser asks for."""
    resp = redirect(url_for("portal.home", lang_code=best_language(request.accept_languages, g.portal_languages)))
    resp.vary.add("Accept-Language")
    return resp


@bp.get("/<portal_lang:lang_code>/")
def home() -> str:
    store = ArtefactStore(db())
    catalogue = statistics_catalogue(store, g.lang_code)
    return render_template("portal/home.html", catalogue=catalogue, countries=countries(store, g.lang_code),
                           updated=store.last_modified())


@bp.get("/<portal_lang:lang_code>/indicators/")
def catalogue() -> str:
    return render_template("portal/catalogue.html", catalogue=statistics_catalogue(ArtefactStore(db()), g.lang_code))


@bp.get("/<portal_lang:lang_code>/indicators/<agency>/<resource>/<version>")
def indicator(agency: str, resource: str, version: str) -> str:
    detail = indicator_detail(ArtefactStore(db()), agency, resource, version, g.lang_code)
    if detail is None:
        abort(404)
    links = [(REST_LINK_LABELS[link.kind], request.host_url.rstrip("/") + link.path)
             for link in rest_links(agency, resource, version)]
    documentation = country_documentation(db(), ArtefactStore(db()), visibility().providers, detail.indicator.urn,
                                          g.lang_code)
    return render_template("portal/indicator.html", detail=detail, links=links, documentation=documentation)


@bp.route("/<portal_lang:lang_code>/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int, dict[str, str]]:
    form = SignInForm(next=request.args.get("next", ""))
    status, headers = 200, {"Cache-Control": "no-store"}
    if form.validate_on_submit():
        outcome = account.sign_in(form.username.data.strip(), form.password.data)
        if outcome.ok:
            flash("signed_in")
            return redirect(_safe_next(form.next.data) or url_for("portal.home"))
        if outcome.retry_after:
            status, headers["Retry-After"] = 429, str(outcome.retry_after)
            form.form_errors.append(_("Too many failed attempts to sign in with this name or from this address. "
                                      "Try again in %(seconds)s seconds.", seconds=outcome.retry_after))
        else:
            form.form_errors.append(_("The username or the password is wrong, or the account is not active."))
    elif form.is_submitted():
        status = 400
    return render_template("portal/sign_in.html", form=form), status, headers


@bp.post("/<portal_lang:lang_code>/sign-out")
def sign_out() -> Response:
    account.sign_out()
    flash("signed_out")
    return redirect(url_for("portal.home"))


@bp.route("/<portal_lang:lang_code>/<path:anything>")
def not_found(anything: str) -> None:
    """Any other address under a language: the portal's own 404 page, in that language."""
    abort(404)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would let a link send people elsewhere after signing in."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return None if any(c in target for c in "\r\n\t") else target
