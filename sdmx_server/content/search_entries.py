"""What search finds of each thing, and keeping the index in step with the content (storage/search_index.py).

Each content change calls one of the ``index_*`` functions on its own connection, so the index changes in the
same transaction as the row it describes: a rolled back change leaves the index as it was. ``rebuild`` makes the
whole index again (``sdmx-server search-reindex``, ``init``, an import).

An entry per portal language: the title and summary in that language (the other language's when missing, as the
pages show them), and the words that are not in a language (codes, a file's text) in both. Indicators: the
dataflow's names and descriptions, its breakdowns (dimensions) and the ids and names of their codes. Documents:
titles, summaries and the text of the file. News and events: titles, texts, places. Countries: the country's
names and its page's texts; a country without a page is found by its names, for participants only (as its page).
"""

from __future__ import annotations

from typing import Mapping

from sqlalchemy import Connection

from ..sdmx.artefacts import Artefact, concepts_of, parse_urn, urn_of
from ..storage.artefact_store import ArtefactStore
from ..storage.country_page_store import CountryPageRow, CountryPageStore
from ..storage.document_store import DocumentRow, DocumentStore
from ..storage.document_text_store import DocumentTextStore
from ..storage.news_store import NewsRow, NewsStore
from ..storage.search_index import Entry, SearchIndex

LANGUAGES = ("en", "ru")  # the languages of the content's texts (their JSON keys)
MAX_CODES = 5_000  # codes of one dataflow's breakdowns indexed


def _pick(texts: Mapping[str, str] | None, lang: str) -> str:
    texts = texts or {}
    for candidate in (lang, "en", *sorted(texts)):
        if texts.get(candidate):
            return texts[candidate]
    return ""


def _all(texts: Mapping[str, str] | None) -> str:
    return "\n".join(t for _, t in sorted((texts or {}).items()) if t)


# -- documents ------------------------------------------------------------------------------------------

def document_entries(doc: DocumentRow, file_text: str) -> list[Entry]:
    access = "public" if doc.access == "public" else "participants" if doc.participants else "restricted"
    return [Entry("document", str(doc.id), lang, doc.state, access, doc.country, doc.published_on.year,
                  _pick(doc.titles, lang) or f"#{doc.id}", _pick(doc.summaries, lang), file_text, doc.indicators)
            for lang in LANGUAGES]


def index_document(conn: Connection, doc_id: int, file_text: str | None = None) -> None:
    """Index a document as it now is; ``file_text``: its file's new text, kept with it (else the kept one)."""
    texts = DocumentTextStore(conn)
    if file_text is not None:
        texts.put(doc_id, file_text)
    doc = DocumentStore(conn).get(doc_id)
    index = SearchIndex(conn)
    if doc is None:
        index.delete("document", str(doc_id))
        return
    index.replace("document", str(doc_id), document_entries(doc, texts.get(doc_id) if file_text is None else file_text))


# -- news and events --------------------------------------------------------------------------------------

def news_entries(item: NewsRow) -> list[Entry]:
    when = item.starts_on if item.kind == "event" and item.starts_on else item.published_at or item.created_at
    return [Entry(item.kind, str(item.id), lang, item.state, "public", None, when.year if when else None,
                  _pick(item.titles, lang) or f"#{item.id}", _pick(item.bodies, lang),
                  _pick(item.places, lang)) for lang in LANGUAGES]


def index_news(conn: Connection, item_id: int) -> None:
    item = NewsStore(conn).get(item_id)
    index = SearchIndex(conn)
    for kind in ("news", "event"):  # an item may have changed its kind
        index.delete(kind, str(item_id))
    if item is not None:
        index.replace(item.kind, str(item_id), news_entries(item))


# -- country pages ----------------------------------------------------------------------------------------

def provider_names(artefacts: ArtefactStore) -> dict[str, dict[str, str]]:
    """Data provider id -> its names {lang: name}, over every data provider scheme."""
    out: dict[str, dict[str, str]] = {}
    for scheme in artefacts.candidates({"dataproviderscheme"}, None, None):
        for p in scheme.get("dataProviders", []):
            out.setdefault(p["id"], dict(p.get("names") or {}))
    return out


def country_entries(country: str, names: Mapping[str, str], page: CountryPageRow | None) -> list[Entry]:
    access = "public" if page is not None and page.is_public else "participants"
    out = []
    for lang in LANGUAGES:
        texts = [_pick(page.about, lang), _pick(page.institutions, lang), _pick(page.contacts, lang)] if page else []
        out.append(Entry("country", country, lang, "published", access, country, None,
                         _pick(names, lang) or country, texts[0] if texts else "", "\n".join([country, *texts[1:]])))
    return out


def index_country(conn: Connection, country: str, names: Mapping[str, str] | None = None) -> None:
    if names is None:
        names = provider_names(ArtefactStore(conn)).get(country, {})
    SearchIndex(conn).replace("country", country, country_entries(country, names, CountryPageStore(conn).get(country)))


# -- indicators (dataflows) --------------------------------------------------------------------------------

def indicator_entries(flow: Artefact, artefacts: Mapping[str, Artefact]) -> list[Entry]:
    """``artefacts``: URN -> artefact, holding at least the flow's DSD, concept schemes and codelists."""
    urn = urn_of(flow)
    breakdowns: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    codes: list[str] = []
    dsd = artefacts.get(flow.get("structure") or "")
    if dsd is not None:
        concept_urns = concepts_of(dsd)
        for d in dsd.get("dataStructureComponents", {}).get("dimensionList", {}).get("dimensions", []):
            concept = _concept(artefacts, concept_urns.get(d["id"]))
            codes.append(d["id"])
            for lang in LANGUAGES:
                breakdowns[lang].append(_pick(concept.get("names") if concept else None, lang) or d["id"])
            codelist = artefacts.get((d.get("localRepresentation") or {}).get("enumeration") or "")
            for code in (codelist or {}).get("codes", [])[:MAX_CODES]:
                codes.append(" ".join([code["id"], *(n for _, n in sorted((code.get("names") or {}).items()))]))
    other = "\n".join([flow["id"], *codes])
    return [Entry("indicator", urn, lang, "published", "public", None, None,
                  _pick(flow.get("names"), lang) or flow["id"],
                  _pick(flow.get("descriptions"), lang), "\n".join([*breakdowns[lang], other]), (urn,))
            for lang in LANGUAGES]


def _concept(artefacts: Mapping[str, Artefact], urn: str | None) -> dict | None:
    if not urn:
        return None
    parsed = parse_urn(urn)
    scheme = artefacts.get(parsed.maintainable) or {}
    return next((c for c in scheme.get("concepts", []) if c["id"] == parsed.item_id), None)


def index_structures(conn: Connection) -> None:
    """Index every dataflow and every country again: after structures change (names, codes, providers)."""
    store = ArtefactStore(conn)
    wanted = {"dataflow", "datastructure", "conceptscheme", "codelist"}
    artefacts = {urn_of(a): a for a in store.candidates(wanted, None, None)}
    index = SearchIndex(conn)
    index.clear(("indicator",))
    for urn, flow in artefacts.items():
        if flow["type"] == "dataflow":
            index.replace("indicator", urn, indicator_entries(flow, artefacts))
    _index_countries(conn, index)


def _index_countries(conn: Connection, index: SearchIndex) -> None:
    names = provider_names(ArtefactStore(conn))
    pages = CountryPageStore(conn)
    index.clear(("country",))
    for country in sorted(set(names) | pages.countries()):
        index.replace("country", country, country_entries(country, names.get(country, {}), pages.get(country)))


# -- everything -------------------------------------------------------------------------------------------

def rebuild(conn: Connection) -> dict[str, int]:
    """Make the whole index again from the content; how many things of each kind it now holds."""
    index = SearchIndex(conn)
    index.clear()
    index_structures(conn)
    texts = DocumentTextStore(conn).all()
    docs = DocumentStore(conn).list(limit=10**9)
    for doc in docs:
        index.replace("document", str(doc.id), document_entries(doc, texts.get(doc.id, "")))
    items = NewsStore(conn).list(limit=10**9)
    for item in items:
        index.replace(item.kind, str(item.id), news_entries(item))
    return {"indicators": len(index.refs("indicator")), "countries": len(index.refs("country")),
            "documents": len(docs), "news and events": len(items)}
