"""The portal's page of links from national databases (issue 20): each link the person may see, with its last
runs. Read-only: links are defined with `sdmx-server link add` (docs/interlinking.md). Who sees which link is
interlink.definitions.visible_links, as in the API; passwords never reach the page (masked settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, render_template
from flask_babel import lazy_gettext as _l

from ..interlink.definitions import link_json, visible_links
from ..request_context import db
from ..storage.link_store import LinkStore, RunRow
from .page_context import signed_in
from .views import bp

RUNS_SHOWN = 5
ERRORS_SHOWN = 5
STATES = {"succeeded": _l("succeeded"), "failed": _l("failed"), "running": _l("running")}


@dataclass(frozen=True)
class LinkLine:
    name: str
    provider: str
    dataflow: str
    source: str  # kind and where, password masked
    interval: int | None
    auto_release: bool
    runs: list[RunRow]
    states: dict[int, Any]


def may_see_links(who) -> bool:
    """Whether the page has anything for this person (system administrators, a country's administrators)."""
    return who.can("administer_system") or (bool(who.country) and who.can("manage_country_users"))


def link_lines(conn, who) -> list[LinkLine]:
    store = LinkStore(conn)
    out = []
    for link in visible_links(conn, who):
        shown = link_json(link)["source"]
        runs = store.runs(link.id, RUNS_SHOWN)
        out.append(LinkLine(link.name, link.provider_id, link.dataflow_urn.rsplit("=", 1)[-1],
                            f"{link.source_kind}: {shown.get('url') or shown.get('path') or ''}",
                            link.interval_seconds, link.auto_release, runs,
                            {r.id: STATES.get(r.state, r.state) for r in runs}))
    return out


@bp.get("/<portal_lang:lang_code>/system/links")
def system_links() -> str:
    who = signed_in()
    if not may_see_links(who):
        abort(403)
    return render_template("portal/system_links.html", links=link_lines(db(), who), errors_shown=ERRORS_SHOWN)
