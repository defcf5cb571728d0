"""Country pages: who may see one, who may change it, and what of the country's releases it shows.

A country decides whether its page is public; signed-in users of participating countries (and system
administrators) always see it. What it lists of the country's releases (indicators, periods, latest releases)
follows the data's own rule: only the indicators whose released data of that country the caller may see
(access/visibility.py), so a page never reveals that confidential figures exist. Documents shown are those the
caller may see (content/documents.py). The page's texts are changed by the country's content managers.
"""

from __future__ import annotations

from ..access.visibility import Visibility
from ..identity.actor import Actor
from ..sdmx.errors import Forbidden, SemanticError
from ..storage.audit_store import AuditStore
from ..storage.country_page_store import CountryPageRow, CountryPageStore, ReleasedIndicator, Release
from .documents import can_manage
from .search_entries import index_country

MAX_TEXT = 10_000


def may_see(actor: Actor, page: CountryPageRow | None, country: str) -> bool:
    if page is not None and page.is_public:
        return True
    return not actor.is_anonymous and (actor.country is not None or actor.can("administer_system"))


def _data_visible(vis: Visibility, country: str, urn: str) -> bool:
    providers = vis.providers(urn)
    return providers is None or country in providers


def released_indicators(store: CountryPageStore, vis: Visibility, country: str) -> list[ReleasedIndicator]:
    return [r for r in store.released_indicators(country) if _data_visible(vis, country, r.dataflow_urn)]


def latest_releases(store: CountryPageStore, vis: Visibility, country: str, limit: int = 10) -> list[Release]:
    return [r for r in store.latest_releases(country, limit * 3) if _data_visible(vis, country, r.dataflow_urn)][:limit]


def save_page(store: CountryPageStore, audit: AuditStore, actor: Actor, page: CountryPageRow) -> None:
    """Change a country's page (audited); its content managers and system administrators only."""
    if not can_manage(actor, page.country):
        raise Forbidden("another country's page is not yours to change")
    texts = [*page.about.values(), *page.institutions.values(), *page.contacts.values()]
    if any(len(t) > MAX_TEXT for t in texts):
        raise SemanticError(f"a text of the page is longer than {MAX_TEXT} characters")
    before = store.get(page.country)
    store.save(page, by=actor.username or "?")
    audit.record(actor.username or "?", "country_page.update", f"country:{page.country}", country=page.country,
                 details={"public": page.is_public, "was_public": before.is_public if before else None})
    index_country(store.conn, page.country)
