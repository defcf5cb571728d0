"""The statistics catalogue: indicators (dataflows) grouped by area (category scheme + categorisations).

Plain functions over an ``ArtefactSource`` (the database's ArtefactStore, or a MemorySource in tests), so
the same structures the REST API serves drive the portal, and new indicators or areas need no code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import quote

from ..retrieval.artefact_source import ArtefactSource
from ..sdmx.artefacts import concepts_of
from ..sdmx.artefacts import Artefact, parse_urn, urn_for, urn_of
from .texts import LocalText, pick, sort_key

# Annotation types on a dataflow that carry the agreed periodicity and timeliness (DESIGN.md section 2)
PERIODICITY = "PERIODICITY"
TIMELINESS = "TIMELINESS"


@dataclass(frozen=True)
class Indicator:
    agency: str
    id: str
    version: str
    urn: str
    name: LocalText
    description: LocalText | None
    periodicity: LocalText | None
    timeliness: LocalText | None


@dataclass
class Area:
    """A category of the scheme; ``depth`` > 0 for sub-areas, which follow their parent."""

    id: str
    name: LocalText
    depth: int
    indicators: list[Indicator] = field(default_factory=list)


@dataclass(frozen=True)
class Catalogue:
    areas: list[Area]
    uncategorised: list[Indicator]  # dataflows no categorisation places in an area

    @property
    def indicator_count(self) -> int:
        return len({i.urn for a in self.areas for i in a.indicators} | {i.urn for i in self.uncategorised})


@dataclass(frozen=True)
class IndicatorDetail:
    indicator: Indicator
    areas: list[LocalText]
    breakdowns: list[LocalText]  # the dimensions, by their concepts' names
    countries: list[LocalText]  # data providers with a provision agreement for the dataflow


def annotation_text(artefact: Artefact, kind: str, lang: str) -> LocalText | None:
    for a in artefact.get("annotations", []):
        if kind in (str(a.get("type", "")).upper(), str(a.get("id", "")).upper()):
            texts = a.get("texts") or ({"en": a["title"]} if a.get("title") else None)
            return pick(texts, lang) if texts else None
    return None


def indicator_of(flow: Artefact, lang: str) -> Indicator:
    return Indicator(
        flow["agencyID"], flow["id"], flow["version"], urn_of(flow), pick(flow.get("names"), lang, flow["id"]),
        pick(flow["descriptions"], lang) if flow.get("descriptions") else None,
        annotation_text(flow, PERIODICITY, lang), annotation_text(flow, TIMELINESS, lang))


def _categorised(source: ArtefactSource) -> dict[str, list[str]]:
    """Category URN -> the URNs of the dataflows placed in it."""
    out: dict[str, list[str]] = {}
    for c in source.candidates({"categorisation"}, None, None):
        if c.get("source", "").startswith("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=") and c.get("target"):
            out.setdefault(c["target"], []).append(c["source"])
    return out


def _walk(scheme: Artefact, items: Iterable[dict], prefix: str, depth: int) -> Iterable[tuple[str, dict, int]]:
    """(category URN, category, depth) depth first; nested category URNs carry the path (PARENT.CHILD)."""
    for item in items:
        path = prefix + item["id"]
        yield urn_for("categoryscheme", scheme["agencyID"], scheme["id"], scheme["version"], path), item, depth
        yield from _walk(scheme, item.get("categories", []), path + ".", depth + 1)


def statistics_catalogue(source: ArtefactSource, lang: str) -> Catalogue:
    flows = {urn_of(f): f for f in source.candidates({"dataflow"}, None, None)}
    placed = _categorised(source)
    areas: list[Area] = []
    used: set[str] = set()
    for scheme in source.candidates({"categoryscheme"}, None, None):
        for urn, item, depth in _walk(scheme, scheme.get("categories", []), "", 0):
            indicators = [indicator_of(flows[u], lang) for u in dict.fromkeys(placed.get(urn, [])) if u in flows]
            used.update(i.urn for i in indicators)
            areas.append(Area(item["id"], pick(item.get("names"), lang, item["id"]), depth,
                              sorted(indicators, key=lambda i: sort_key(i.name))))
    rest = sorted((indicator_of(f, lang) for u, f in flows.items() if u not in used), key=lambda i: sort_key(i.name))
    return Catalogue(_without_empty(areas), rest)


def _without_empty(areas: list[Area]) -> list[Area]:
    """Drop areas with no indicator in them or in their sub-areas (a heading over nothing helps nobody)."""
    keep: list[Area] = []
    for i, area in enumerate(areas):
        subtree = [area]
        for later in areas[i + 1:]:
            if later.depth <= area.depth:
                break
            subtree.append(later)
        if any(a.indicators for a in subtree):
            keep.append(area)
    return keep


def indicator_detail(source: ArtefactSource, agency: str, id_: str, version: str, lang: str) -> IndicatorDetail | None:
    """One dataflow with its areas, breakdowns and reporting countries; None when there is no such dataflow."""
    urn = urn_for("dataflow", agency, id_, version)
    found = source.by_urns([urn])
    if not found:
        return None
    flow = found[0]
    areas = [a.name for a in statistics_catalogue(source, lang).areas if any(i.urn == urn for i in a.indicators)]
    return IndicatorDetail(indicator_of(flow, lang), areas, _breakdowns(source, flow, lang),
                           _reporting_countries(source, urn, lang))


def _breakdowns(source: ArtefactSource, flow: Artefact, lang: str) -> list[LocalText]:
    dsds = source.by_urns([flow["structure"]]) if flow.get("structure") else []
    if not dsds:
        return []
    dims = dsds[0].get("dataStructureComponents", {}).get("dimensionList", {}).get("dimensions", [])
    concept_urns = concepts_of(dsds[0])
    schemes = {urn_of(s): s for s in source.by_urns(parse_urn(concept_urns[d["id"]]).maintainable
                                                     for d in dims if d["id"] in concept_urns)}
    out = []
    for d in dims:
        urn = concept_urns.get(d["id"])
        scheme = schemes.get(parse_urn(urn).maintainable, {}) if urn else {}
        concept = next((c for c in scheme.get("concepts", []) if urn and c["id"] == parse_urn(urn).item_id), None)
        out.append(pick(concept.get("names") if concept else None, lang, d["id"]))
    return out


def _reporting_countries(source: ArtefactSource, flow_urn: str, lang: str) -> list[LocalText]:
    providers = [pa["dataProvider"] for pa in source.referencing([flow_urn])
                 if pa["type"] == "provisionagreement" and pa.get("dataflow") == flow_urn and pa.get("dataProvider")]
    return sorted(provider_names(source, providers, lang).values(), key=sort_key)


def provider_names(source: ArtefactSource, provider_urns: Iterable[str], lang: str) -> dict[str, LocalText]:
    """Data provider URN -> its name (the country's name) in the page's language."""
    wanted = set(provider_urns)
    schemes = source.by_urns({parse_urn(u).maintainable for u in wanted})
    names = {}
    for scheme in schemes:
        for p in scheme.get("dataProviders", []):
            urn = urn_for("dataproviderscheme", scheme["agencyID"], scheme["id"], scheme["version"], p["id"])
            if urn in wanted:
                names[urn] = pick(p.get("names"), lang, p["id"])
    return names


def countries(source: ArtefactSource, lang: str) -> list[tuple[str, LocalText]]:
    """Every participating country (data provider id, name), alphabetically in the page's language."""
    out = {}
    for scheme in source.candidates({"dataproviderscheme"}, None, None):
        for p in scheme.get("dataProviders", []):
            out.setdefault(p["id"], pick(p.get("names"), lang, p["id"]))
    return sorted(out.items(), key=lambda kv: sort_key(kv[1]))


@dataclass(frozen=True)
class RestLink:
    kind: str  # what the link answers (views give each kind a translated label)
    path: str


def rest_links(agency: str, id_: str, version: str) -> list[RestLink]:
    """The SDMX REST queries (reference/sdmx-rest) a machine client uses for this indicator."""
    a, i, v = (quote(x, safe="") for x in (agency, id_, version))
    return [
        RestLink("structure", f"/rest/v2/structure/dataflow/{a}/{i}/{v}?references=descendants"),
        RestLink("data_csv", f"/rest/v2/data/dataflow/{a}/{i}/{v}/*?format=csvdata"),
        RestLink("data_xml", f"/rest/v2/data/dataflow/{a}/{i}/{v}/*"),
        RestLink("data_v1", f"/rest/data/{a},{i},{v}/all"),
        RestLink("availability", f"/rest/v2/availability/dataflow/{a}/{i}/{v}/*"),
    ]
