"""What every portal page shares: its language from the URL, the header's context, CSRF, errors, headers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, current_app, g, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from ..identity.actor import Actor
from ..request_context import actor
from ..sdmx.errors import Forbidden, SdmxError
from . import account
from .forms import SignOutForm
from .languages import best_language, language_name

# What flash() may announce, by key: translated when shown, so a notice speaks the language of the page it
# lands on (signing in on an English form may lead to a Russian page)
NOTICES = {"signed_in": _l("You are signed in."), "signed_out": _l("You are signed out.")}

csrf = CSRFProtect()  # initialised by init_portal; checks only where register() asks it to


def page_language() -> str:
    """Flask-Babel's locale: the URL's language on portal pages, else the browser's best match."""
    languages = current_app.extensions["portal_languages"]
    return g.get("lang_code") or best_language(request.accept_languages, languages)


def _take_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.portal_languages = current_app.extensions["portal_languages"]
    if values and "lang_code" in values:
        g.lang_code = values.pop("lang_code")


def _add_language(endpoint: str, values: dict[str, Any]) -> None:
    """url_for() of a portal page stays in the current page's language unless told otherwise."""
    if "lang_code" not in values and g.get("lang_code") and current_app.url_map.is_endpoint_expecting(
            endpoint, "lang_code"):
        values["lang_code"] = g.lang_code


def switch_url(lang: str) -> str:
    """This page in another language, with the same query string (the same selection)."""
    if request.endpoint and request.url_rule and "lang_code" in request.url_rule.arguments:
        url = url_for(request.endpoint, **{**(request.view_args or {}), "lang_code": lang})
    else:
        url = url_for("portal.home", lang_code=lang)
    query = request.query_string.decode("latin-1")
    return url + ("?" + query if query else "")


def signed_in() -> Actor:
    """The caller of a page for signed-in people; anyone else is sent to sign in and brought back here."""
    who = actor()
    if who.is_anonymous:
        abort(redirect(url_for("portal.sign_in", next=request.full_path.rstrip("?"))))
    return who


def _page_context() -> dict[str, Any]:
    """What every page has. The frame's own parts (language links, notices, sign-out form) sit in one namespace,
    ``site``, so a page's variables never meet them; template_names refuses a view's variable named like any
    of these."""
    lang = g.get("lang_code") or page_language()
    site = SimpleNamespace(
        languages=[{"code": code, "name": language_name(code), "url": switch_url(code), "current": code == lang}
                   for code in g.get("portal_languages", ())],
        here=request.full_path.rstrip("?") if request.endpoint != "portal.not_found" else None,
        sign_out_form=SignOutForm(formdata=None),  # rendered only: never reads a body (it may be too large)
        notices=[str(NOTICES[key]) for key in get_flashed_messages() if key in NOTICES],
    )
    return {"site": site, "page_lang": lang, "current_user": account.signed_in_user(lang),
            "role_label": account.role_label}


def _page_headers(resp: Response) -> Response:
    """No caching of personal pages; the Content-Security-Policy (no script, nothing fetched from elsewhere, no
    framing) and the other headers every answer carries come from security_headers, for the whole app."""
    if resp.mimetype == "text/html":
        resp.vary.add("Cookie")
        resp.headers.setdefault("Cache-Control", "private, no-cache")
    return resp


def error_page(e: HTTPException) -> tuple[str, int, dict[str, str]]:
    code = e.code or 500
    g.setdefault("lang_code", page_language())  # a page outside the language paths (a static file) has none
    messages = {
        400: _("The request could not be understood."),
        403: _("You may not use this page. If you need it, ask your country's administrator."),
        404: _("There is no page at this address."),
        413: _("The file is larger than this site accepts. Split it into smaller files, or ask your administrator "
               "how to send it through the API."),
        405: _("This page cannot be used that way."),
        414: _("This address is too long. Choose fewer items, or start again from the page's form."),
        429: _("Too many attempts. Please wait a little and try again."),
    }
    if isinstance(e, CSRFError):
        message = _("The form had expired or did not come from this site. Please go back, reload the page "
                    "and try again.")
    else:
        message = messages.get(code, _("Something went wrong on our side. Please try again later."))
    headers = {k: v for k, v in e.get_headers() if k == "Retry-After"}
    return render_template("portal/error.html", code=code, message=message), code, headers


def refused_request(e: SdmxError) -> tuple[str, int, dict[str, str]]:
    """A request the app refused before any page ran (URL too long, control characters, a cross-site write):
    the portal's error page with the status the API would answer."""
    if e.status >= 500:
        return unexpected_error(e)
    error = CSRFError(str(e)) if isinstance(e, Forbidden) else HTTPException(str(e))  # a cross-site form
    error.code = e.status
    return error_page(error)


def unexpected_error(e: Exception) -> tuple[str, int, dict[str, str]]:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_page(InternalServerError())


def register(bp: Blueprint) -> None:
    """Called once, when views.py defines the blueprint."""
    bp.url_value_preprocessor(_take_language)
    bp.url_defaults(_add_language)
    bp.before_request(lambda: csrf.protect())  # every state-changing portal request carries the form's token
    bp.context_processor(_page_context)
    bp.after_request(_page_headers)
    bp.register_error_handler(HTTPException, error_page)
    bp.register_error_handler(SdmxError, refused_request)
    bp.register_error_handler(Exception, unexpected_error)
