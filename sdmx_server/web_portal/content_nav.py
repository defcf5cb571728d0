"""The header's entries of the content part (documents, news and events, links, release calendar) and of its
management screens."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from ..content.documents import may_manage_any
from ..request_context import actor
from .views import bp

PUBLIC = [("portal.documents", _l("Documents"), ("portal.documents", "portal.document")),
          ("portal.news", _l("News and events"), ("portal.news", "portal.news_item")),
          ("portal.country_list", _l("Countries"), ("portal.country_list", "portal.country_page")),
          ("portal.links", _l("Links"), ("portal.links",)),
          ("portal.calendar", _l("Release calendar"), ("portal.calendar",))]
MANAGED = ["portal.content_documents", "portal.content_news", "portal.content_links", "portal.content_countries",
           "portal.content_calendar"]


@bp.context_processor
def _content_context() -> dict[str, Any]:
    current = request.endpoint or ""
    nav = [{"url": url_for(e), "label": str(label), "current": current in endpoints} for e, label, endpoints in PUBLIC]
    try:
        who = actor()
    except Exception:  # an error page for a request whose credentials failed
        who = None
    managed = MANAGED if who is not None and not who.is_anonymous and may_manage_any(who) else []
    if managed:
        nav.append({"url": url_for(managed[0]), "label": str(_l("Content")), "current": current.startswith("portal.content_")})
    return {"content_nav": nav, "content_endpoints": managed}
