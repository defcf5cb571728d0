"""/{lang}/search: one box on every page (base.html), results grouped by type with facets as plain links.

Thin view: read the query string, ask content/search.py with the signed-in user as actor (what may be found is
decided there, before counting), and word the results in the page's language. A query string that cannot be a
search (too long, an unknown type, not a year, not a page number) answers 400 with the reason on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..content import search
from ..request_context import actor, db, visibility
from ..sdmx.artefacts import parse_urn
from ..storage.artefact_store import ArtefactStore
from ..storage.search_index import Hit
from .statistics_catalogue import countries, indicator_of
from .views import bp

KIND_LABELS = {"indicator": _l("Indicators"), "document": _l("Documents"), "news": _l("News"), "event": _l("Events"),
               "country": _l("Countries")}
FACET_LABELS = {"kind": _l("Type"), "country": _l("Country"), "indicator": _l("Indicator"), "year": _l("Year")}
PARAMS = {"kind": "type", "country": "country", "indicator": "indicator", "year": "year"}  # facet -> query name
SUMMARY = 240  # characters of a result's summary shown


@dataclass(frozen=True)
class ShownHit:
    url: str
    title: str
    summary: str


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int | None
    url: str
    current: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    links: list[FacetLink]


def _url_of(hit: Hit) -> str:
    if hit.kind == "indicator":
        u = parse_urn(hit.ref)
        return url_for("portal.indicator", agency=u.agency_id, resource=u.id, version=u.version)
    if hit.kind == "document":
        return url_for("portal.document", doc_id=int(hit.ref))
    if hit.kind in ("news", "event"):
        return url_for("portal.news_item", item_id=int(hit.ref))
    return url_for("portal.country_page", code=hit.ref)


def _shown(hit: Hit) -> ShownHit:
    text = " ".join(hit.summary.split())
    return ShownHit(_url_of(hit), hit.title, text if len(text) <= SUMMARY else text[:SUMMARY].rsplit(" ", 1)[0] + " …")


def _search_url(query: str, chosen: dict[str, str | None]) -> str:
    args = {PARAMS[k]: v for k, v in chosen.items() if v}
    return url_for("portal.search_page", q=query, **args)


def _facets(results: search.Results, labels: dict[str, dict[str, str]]) -> list[Facet]:
    f = results.filters
    chosen = {"kind": f.kind, "country": f.country, "indicator": f.indicator, "year": str(f.year) if f.year else None}
    out = []
    for name, values in results.facets.items():
        if not values and not chosen[name]:
            continue
        links = [FacetLink(_("All"), None, _search_url(results.query, {**chosen, name: None}), chosen[name] is None)]
        for value, count in values:
            v = str(value)
            links.append(FacetLink(labels[name].get(v, v), count, _search_url(results.query, {**chosen, name: v}),
                                   chosen[name] == v))
        out.append(Facet(name, str(FACET_LABELS[name]), links))
    return out


def _labels(lang: str) -> dict[str, dict[str, str]]:
    store = ArtefactStore(db())
    flows = {i.urn: i.name.text for i in (indicator_of(a, lang) for a in store.candidates({"dataflow"}, None, None))}
    names = {code: name.text for code, name in countries(store, lang)}
    return {"kind": {k: str(v) for k, v in KIND_LABELS.items()}, "country": names, "indicator": flows, "year": {}}


def _problem(e: search.BadSearch) -> str:
    if e.param == "q":
        return _("The search text is longer than %(limit)s characters: shorten it.", limit=search.MAX_QUERY_CHARS)
    return _("The %(param)s “%(value)s” in the address is not one a search knows; remove it or pick one of the "
             "links.", param=e.param, value=e.value[:40])


@bp.get("/<portal_lang:lang_code>/search")
def search_page() -> tuple[str, int, dict[str, str]]:
    args = request.args
    raw = args.get("q", "")
    headers = {"X-Robots-Tag": "noindex"}
    if not actor().is_anonymous:
        headers["Cache-Control"] = "private, no-store"
    try:
        query, filters, page = search.parse_request(raw, args.get("type"), args.get("country"), args.get("indicator"),
                                                    args.get("year"), args.get("page"))
    except search.BadSearch as e:
        return render_template("portal/search.html", results=None, problem=_problem(e),
                               search_text=raw[:search.MAX_QUERY_CHARS], groups=[], facets=[],
                               result_pages=[]), 400, headers
    results = search.search(db(), actor(), visibility(), query, g.lang_code, filters, page)
    labels = _labels(g.lang_code)
    groups = [(KIND_LABELS[grp.kind], [_shown(h) for h in grp.hits]) for grp in results.groups]
    chosen = {"kind": filters.kind, "country": filters.country, "indicator": filters.indicator,
              "year": str(filters.year) if filters.year else None}
    pages = [(n, _search_url(results.query, chosen) + f"&page={n}", n == results.page)
             for n in range(1, results.pages + 1)] if results.pages > 1 else []
    return render_template("portal/search.html", results=results, problem=None, search_text=results.query,
                           groups=groups, facets=_facets(results, labels), result_pages=pages), 200, headers
