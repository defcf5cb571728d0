"""The web portal: bilingual public pages and sign-in, on the same logic layer as the API.

``init_portal(app)`` is all the app factory calls. Languages come from the catalogues in
``translations/`` (compiled here at start); CSRF is checked on every portal form, and only there, so
REST clients with Bearer tokens are untouched, while session cookies authenticate portal views only
(request_context.SESSION_BLUEPRINTS).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel

from .languages import TRANSLATIONS, available_languages, language_converter
from .template_names import guard_template_context

SESSION_HOURS = 12  # a session cookie not re-issued (by signing in, or any change) for this long is refused
API_PATHS = ("/rest/", "/api/")  # the REST and management APIs: they never authenticate by cookie


class PortalSessions(SecureCookieSessionInterface):
    """The signed session cookie, read for the portal's requests only. The APIs never authenticate by cookie
    (request_context.SESSION_BLUEPRINTS); reading it, with a serializer built afresh each time, cost a small
    data query about a tenth of its time. An API request gets an empty session, which sets no cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PATHS):
            return self.session_class()
        return super().open_session(app, request)


def init_portal(app: Flask) -> None:
    from . import admin_pages, documentation_entry, documentation_pages, page_context, report_pages, submission_pages, views  # noqa: F401 (routes)
    from . import time_zone_pages  # noqa: F401 (the time-zone page and the zoned filter, issue 19)
    from . import content_nav, country_pages, document_pages, news_pages, sitemap_pages  # noqa: F401 (routes of the content part, issue 18)
    from . import link_pages  # noqa: F401 (links from national databases, issue 20)
    from . import search_pages  # noqa: F401 (search across everything, issue 18)
    from . import calendar_pages  # noqa: F401 (routes of the release calendar, issue 18 item 5)
    from .message_catalogues import compiled_translations  # imported here: `python -m` runs it as a script too

    cfg = app.extensions["sdmx_config"]
    translations = compiled_translations(TRANSLATIONS)
    languages = available_languages(translations, cfg.default_language)
    app.extensions["portal_languages"] = languages
    app.url_map.converters["portal_lang"] = language_converter(languages)
    app.session_interface = PortalSessions()
    app.config.update(
        SESSION_COOKIE_SECURE=cfg.session_cookie_secure, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked on the portal's views only (page_context.register)
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
    )
    Babel(app, locale_selector=page_context.page_language, default_locale=languages[0],
          default_translation_directories=str(translations))
    page_context.csrf.init_app(app)
    guard_template_context(app)  # a page's variable never hides one every page has
    app.register_blueprint(views.bp)
