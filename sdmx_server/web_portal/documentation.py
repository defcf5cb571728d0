"""The countries' data documentation of an indicator as readers see it (issue 17, point 6): each answer with
its question's name and its codes' names in the page's language (English, marked, when a translation is
missing), and the side-by-side comparison with the regional definition.

Plain functions, no Flask: the views pass the connection, the artefact store and the caller's visibility,
and only what metadata/queries.of_dataflow lets the caller see is read (the one visibility rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..metadata import queries
from ..metadata.regional import answer_key, regional_answers
from ..sdmx.artefacts import Artefact, parse_urn, urn_for
from ..sdmx.metadata_set import AttributeValue, MetadataSet
from ..storage.artefact_store import ArtefactStore
from .statistics_catalogue import provider_names
from .texts import LocalText, pick, sort_key

# the metadataflow of the data documentation (dataflows/MDF_DATA_DOCUMENTATION.xml)
DOCUMENTATION_FLOW = urn_for("metadataflow", "DSM", "MDF_DATA_DOCUMENTATION", "1.0")
PROVIDERS = ("DSM", "DATA_PROVIDERS", "1.0")  # the data provider scheme naming the countries


@dataclass(frozen=True)
class Question:
    """A metadata attribute of the MSD: its id, its concept's name and the codelist of a coded answer."""

    id: str
    name: LocalText
    codes: dict[str, LocalText]  # code -> its name; empty for text and date answers


@dataclass(frozen=True)
class Answer:
    question: Question
    values: tuple[LocalText, ...]  # code names, texts, or days
    key: tuple  # regional.answer_key: equal keys agree
    differs: bool = False  # differs from the regional definition


@dataclass(frozen=True)
class CountryDocumentation:
    provider_id: str
    country: LocalText
    version: int | None
    released_at: datetime | None
    released_on: str  # the day it was released (ISO 8601)
    answers: tuple[Answer, ...]  # in the MSD's order; only the questions answered

    def answer(self, question_id: str) -> Answer | None:
        return next((a for a in self.answers if a.question.id == question_id), None)

    @property
    def differences(self) -> int:
        return sum(1 for a in self.answers if a.differs)


@dataclass(frozen=True)
class ComparisonRow:
    question: Question
    regional: Answer | None  # None: no agreed answer, nothing is marked
    cells: tuple[Answer | None, ...]  # one per country, None when the country did not answer

    @property
    def differs(self) -> bool:
        return any(c is not None and c.differs for c in self.cells)


@dataclass(frozen=True)
class Comparison:
    countries: tuple[CountryDocumentation, ...]
    rows: tuple[ComparisonRow, ...]


def questions(store: ArtefactStore, lang: str, metadataflow_urn: str = DOCUMENTATION_FLOW) -> dict[str, Question]:
    """The MSD's attributes in its order, named by their concepts, with their codes' names (from the stored
    structures, so a reader sees the same words as the structure API serves)."""
    flow = store.get(metadataflow_urn)
    msd = store.get(flow["structure"]) if flow and flow.get("structure") else None
    if msd is None:
        return {}
    attrs = (msd.get("metadataStructureComponents", {}).get("metadataAttributeList", {})
             .get("metadataAttributes", []))
    flat: list[dict] = []

    def walk(items: Iterable[dict], prefix: str) -> None:
        for a in items:
            flat.append({**a, "id": prefix + a["id"]})
            walk(a.get("metadataAttributes", []), prefix + a["id"] + ".")
    walk(attrs, "")
    wanted = {parse_urn(a["conceptIdentity"]).maintainable for a in flat if a.get("conceptIdentity")}
    wanted |= {a["localRepresentation"]["enumeration"] for a in flat
               if a.get("localRepresentation", {}).get("enumeration")}
    found = {urn: art for art in store.by_urns(wanted) for urn in [_urn_of(art)]}
    out = {}
    for a in flat:
        name = None
        if a.get("conceptIdentity"):
            c = parse_urn(a["conceptIdentity"])
            scheme = found.get(c.maintainable, {})
            concept = next((x for x in scheme.get("concepts", []) if x["id"] == c.item_id), None)
            name = concept.get("names") if concept else None
        codelist = found.get(a.get("localRepresentation", {}).get("enumeration", ""), {})
        out[a["id"]] = Question(a["id"], pick(name, lang, a["id"]),
                                {code["id"]: pick(code.get("names"), lang, code["id"])
                                 for code in codelist.get("codes", [])})
    return out


def _urn_of(artefact: Artefact) -> str:
    return urn_for(artefact["type"], artefact["agencyID"], artefact["id"], artefact["version"])


def _answer(question: Question, values: list[AttributeValue], lang: str) -> Answer:
    shown = []
    for v in values:
        if v.texts:
            shown.append(pick(v.texts, lang))
        elif v.value is not None:
            shown.append(question.codes.get(v.value) or LocalText(v.value, lang))
    return Answer(question, tuple(shown), answer_key(values))


def country_documentation(conn, store: ArtefactStore, visible: queries.Visible, dataflow_urn: str, lang: str,
                          providers: list[str] | None = None) -> list[CountryDocumentation]:
    """The documentation of the indicator the caller may see, one per country (``providers``: only those),
    alphabetically by the country's name in the page's language; answers differing from the regional
    definition are marked."""
    sets = queries.of_dataflow(conn, visible, DOCUMENTATION_FLOW, dataflow_urn, providers)
    if not sets:
        return []
    qs = questions(store, lang)
    regional = regional_answers(dataflow_urn)
    names = provider_names(store, [urn_for("dataproviderscheme", *PROVIDERS, s.provider_id) for s in sets], lang)
    out = [_documentation(s, qs, regional, names, lang) for s in sets]
    return sorted(out, key=lambda d: sort_key(d.country))


def _documentation(s: MetadataSet, qs: dict[str, Question], regional: dict, names: dict, lang: str
                   ) -> CountryDocumentation:
    answers = []
    for qid, q in qs.items():
        values = s.values_of(qid)
        if not values:
            continue
        a = _answer(q, values, lang)
        agreed = regional.get(qid)
        if agreed is not None and a.key != answer_key(agreed.values()):
            a = Answer(a.question, a.values, a.key, differs=True)
        answers.append(a)
    country = names.get(urn_for("dataproviderscheme", *PROVIDERS, s.provider_id),
                        LocalText(s.provider_id, lang))
    released_on = s.released_at.date().isoformat() if s.released_at else ""
    return CountryDocumentation(s.provider_id, country, s.version, s.released_at, released_on, tuple(answers))


def undocumented(store: ArtefactStore, documentation: list[CountryDocumentation], countries: list[str],
                 lang: str) -> list[LocalText]:
    """The names of the ``countries`` (data provider ids) with no documentation among ``documentation``: a
    report says so rather than leave a reader to think it was forgotten."""
    have = {d.provider_id for d in documentation}
    missing = [urn_for("dataproviderscheme", *PROVIDERS, c) for c in countries if c not in have]
    names = provider_names(store, missing, lang)
    return sorted((names.get(u, LocalText(u.rsplit(".", 1)[-1], lang)) for u in missing), key=sort_key)


def comparison(store: ArtefactStore, documentation: list[CountryDocumentation], dataflow_urn: str,
               lang: str) -> Comparison:
    """Questions as rows, the regional definition then each country as columns: every question that the
    regional definition or a country answers."""
    qs = questions(store, lang)
    regional = regional_answers(dataflow_urn)
    rows = []
    for qid, q in qs.items():
        cells = tuple(d.answer(qid) for d in documentation)
        agreed = regional.get(qid)
        if agreed is None and not any(cells):
            continue
        rows.append(ComparisonRow(q, _answer(q, agreed.values(), lang) if agreed else None, cells))
    return Comparison(tuple(documentation), tuple(rows))
