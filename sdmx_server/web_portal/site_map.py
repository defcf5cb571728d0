"""The public pages a visitor (signed out) may open, by section: one list for /sitemap.xml and the HTML site map.

Each kind of page is judged by the rule its own view applies, called with the anonymous actor and the public's
visibility, so the site map can never list what the page would refuse (a draft, a restricted document, a country
page its country keeps for participants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection

from ..access.visibility import Visibility
from ..content import country_pages as pages
from ..content import documents as docs
from ..content import news
from ..identity.actor import ANONYMOUS
from ..storage.artefact_store import ArtefactStore
from ..storage.country_page_store import CountryPageStore
from ..storage.document_store import DocumentStore
from ..storage.news_store import NewsStore
from .report_data import indicators_with_figures
from .statistics_catalogue import countries, statistics_catalogue
from .texts import LocalText, pick

MAX_ITEMS = 5000  # documents, and news items, listed at most (newest first): sitemaps.org allows 50,000 URLs a file


@dataclass(frozen=True)
class Entry:
    endpoint: str
    args: dict[str, Any]
    title: LocalText
    lastmod: datetime | None = None


@dataclass
class Section:
    key: str
    title: str
    entries: list[Entry] = field(default_factory=list)


def _here(text: str, lang: str) -> LocalText:
    return LocalText(text, lang)


def public_pages(conn: Connection, vis: Visibility, lang: str) -> list[Section]:
    """Every page the public may see, titled in ``lang``; ``vis`` must be the anonymous caller's visibility."""
    store = ArtefactStore(conn)
    structures = store.last_modified()
    catalogue = statistics_catalogue(store, lang)
    indicators = {i.urn: i for a in catalogue.areas for i in a.indicators} | {i.urn: i for i in catalogue.uncategorised}
    main = Section("main", _("The portal"), [
        Entry("portal.home", {}, _here(_("Home"), lang), structures),
        Entry("portal.catalogue", {}, _here(_("Statistics"), lang), structures),
        Entry("portal.reports", {}, _here(_("Reports"), lang)),
        Entry("portal.revision_notices", {}, _here(_("Revisions"), lang)),
        Entry("portal.documents", {}, _here(_("Documents"), lang)),
        Entry("portal.news", {}, _here(_("News and events"), lang)),
        Entry("portal.country_list", {}, _here(_("Countries"), lang)),
        Entry("portal.links", {}, _here(_("Links"), lang)),
        Entry("portal.calendar", {}, _here(_("Release calendar"), lang)),
        Entry("portal.sitemap_page", {}, _here(_("Site map"), lang)),
    ])
    ind = Section("indicators", _("Indicators"), [
        Entry("portal.indicator", {"agency": i.agency, "resource": i.id, "version": i.version}, i.name,
              structures) for i in sorted(indicators.values(), key=lambda i: i.name.text.casefold())])
    reports = Section("reports", _("Reports"), [
        Entry("portal.report", {"agency": i.agency, "resource": i.id, "version": i.version}, i.name)
        for i in indicators_with_figures(conn, store, vis.providers, lang)])
    documents = Section("documents", _("Documents"), [
        Entry("portal.document", {"doc_id": d.id}, pick(d.titles, lang, f"#{d.id}"), d.updated_at)
        for d in docs.visible_documents(DocumentStore(conn), ANONYMOUS, vis, limit=MAX_ITEMS)])
    items = Section("news", _("News and events"), [
        Entry("portal.news_item", {"item_id": n.id}, pick(n.titles, lang, f"#{n.id}"), n.updated_at)
        for n in news.published_news(NewsStore(conn), limit=MAX_ITEMS)])
    page_store = CountryPageStore(conn)
    shown = []
    for code, name in countries(store, lang):
        page = page_store.get(code)
        if pages.may_see(ANONYMOUS, page, code):
            shown.append(Entry("portal.country_page", {"code": code}, name, page.updated_at if page else None))
    return [s for s in (main, ind, reports, documents, items, Section("countries", _("Countries"), shown))
            if s.entries]
