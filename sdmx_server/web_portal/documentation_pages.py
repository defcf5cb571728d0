"""Portal pages of the data documentation (issue 17, point 6): the countries' documentation on the indicator
page, the side-by-side comparison, and the panel beside a report. Thin: the caller's visibility goes to
documentation.py, which reads only what the one visibility rule lets the caller see."""

from __future__ import annotations

from flask import abort, g, render_template, request
from flask_babel import gettext as _

from ..request_context import db, visibility
from ..sdmx.artefacts import urn_for
from ..storage.artefact_store import ArtefactStore
from .documentation import CountryDocumentation, comparison, country_documentation, undocumented
from .statistics_catalogue import indicator_of
from .views import bp


def documentation_of(dataflow_urn: str, providers: list[str] | None = None) -> list[CountryDocumentation]:
    """The documentation of the indicator the caller may see (``providers``: only these countries)."""
    return country_documentation(db(), ArtefactStore(db()), visibility().providers, dataflow_urn, g.lang_code,
                                 providers)


def report_documentation(dataflow_urn: str, countries: list[str]) -> dict:
    """What a report and its exports show of the documentation: the documented report countries the caller
    may see, and the names of the report's countries without any (the template context's two names)."""
    docs = documentation_of(dataflow_urn, countries) if countries else []
    return {"documentation": docs,
            "undocumented": undocumented(ArtefactStore(db()), docs, countries, g.lang_code)}


def report_countries(prepared) -> list[str]:
    """The countries of a report: those whose figures the caller may see, narrowed to the ones the
    query string chose (a choice of a country without visible figures adds nothing)."""
    shown = list(dict.fromkeys(provider for _id, _urn, provider in prepared.data_sets))
    chosen = request.args.getlist("country")
    return [p for p in shown if p in chosen] if chosen else shown


@bp.get("/<portal_lang:lang_code>/indicators/<agency>/<resource>/<version>/documentation")
def documentation_comparison(agency: str, resource: str, version: str) -> str:
    store = ArtefactStore(db())
    found = store.by_urns([urn_for("dataflow", agency, resource, version)])
    if not found:
        abort(404)
    flow = found[0]
    urn = urn_for("dataflow", agency, resource, version)
    docs = documentation_of(urn)
    return render_template("portal/documentation_comparison.html", indicator=indicator_of(flow, g.lang_code),
                           comparison=comparison(store, docs, urn, g.lang_code),
                           title=_("Data documentation compared"))
