"""Search across everything on SQLite (FTS5, Snowball stems) and PostgreSQL (tsvector): what each reader finds
follows the pages' own rules, counts and facets included; Russian and English words are found by another
inflection, in a PDF's text too; the index follows every change in its transaction and can be rebuilt; and no
query, however odd, is an error."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from sdmx_server.access.visibility import visibility_for
from sdmx_server.content import news as news_content
from sdmx_server.content import search
from sdmx_server.content.country_pages import save_page
from sdmx_server.content.document_text import MAX_TEXT, extract_text
from sdmx_server.content.documents import DocumentFields, create_document, edit_document, move_document
from sdmx_server.content.search_entries import rebuild
from sdmx_server.content.uploads import DOCX, ODT, PDF, XLSX, check_upload
from sdmx_server.identity.actor import ANONYMOUS, actor_from_roles
from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.country_page_store import CountryPageRow, CountryPageStore
from sdmx_server.storage.document_files import DocumentFiles
from sdmx_server.storage.document_store import DocumentStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.news_store import NewsStore
from sdmx_server.storage.search_index import SearchIndex
from sdmx_server.seeding import load_structures

from .access_world import F, G, _seed_artefacts
from .content_files import zip_bomb_docx
from .search_files import docx_with, odt_with, pdf_with, xlsx_with

PDF_LINES = ["Численность мигрантов в Казахстане за 2025 год", "Атырауская область", "Labour migrants and seasonal "
             "workers of Aktau"]


@pytest.fixture
def config(database_url):
    """Reciprocity off: a grant alone lets the grantee see (the rule itself is tested in test_visibility_matrix)."""
    from sdmx_server.settings import load_config
    return load_config(overrides={"database_url": database_url, "secret_key": "test", "release_check_seconds": 0,
                                  "reciprocity": False})


@pytest.fixture
def people(app):
    policy = app.extensions["sdmx_policy"]
    return {"anonymous": ANONYMOUS,
            "kz_manager": actor_from_roles(policy, 1, "kz_manager", "KZ", [("content_manager", "")]),
            "kz_viewer": actor_from_roles(policy, 2, "kz_viewer", "KZ", [("viewer", "")]),
            "kg_viewer": actor_from_roles(policy, 3, "kg_viewer", "KG", [("viewer", "")]),
            "md_viewer": actor_from_roles(policy, 4, "md_viewer", "MD", [("viewer", "")]),
            "root": actor_from_roles(policy, 5, "root", None, [("system_administrator", "")])}


@pytest.fixture
def library(engine, people, tmp_path):
    """The seeded structures; KZ shares F (not G) with KG. Its manager adds: a restricted PDF linked to F, a public
    DOCX, a draft, a restricted document shared with every participant; news, a draft news item, a public page."""
    load_structures(engine, list(_seed_artefacts()))
    files = DocumentFiles(tmp_path / "documents")
    manager = people["kz_manager"]
    made = {}
    with engine.begin() as conn:
        GrantStore(conn).grant("KZ", F, "KG", by="test")
        store, audit = DocumentStore(conn), AuditStore(conn)

        def add(name, data, media, *, access="restricted", participants=False, indicators=(F,), publish=True,
                year=2025, title_ru="Доклад"):
            fields = DocumentFields("KZ", "analysis", date(year, 3, 1), {"en": f"Report {name}", "ru": title_ru},
                                    {"en": f"Summary of {name}", "ru": ""}, access, participants, indicators)
            checked = check_upload(data, f"{name}.bin", max_bytes=10 << 20, max_inflate_ratio=100)
            assert checked.media_type == media
            doc_id, _ = create_document(store, audit, files, manager, fields, checked, data, [F, G])
            if publish:
                move_document(store, audit, manager, doc_id, "published")
            made[name] = doc_id

        add("restricted", pdf_with(PDF_LINES), PDF)
        add("public", docx_with([["Seasonal ", "labo", "ur"], ["Трудовая ", "миграция"]]), DOCX, access="public",
            indicators=(G,), year=2024, title_ru="Трудовая миграция")
        add("draft", odt_with(["мигрантов черновик zebra"]), ODT, access="public", publish=False)
        add("participants", xlsx_with(["Quokka counts"]), XLSX, participants=True, indicators=())
        news = NewsStore(conn)
        fields = news_content.NewsFields("news", {"en": "Migrants' day", "ru": "День мигрантов"},
                                         {"en": "A meeting on labour migrants.", "ru": "Встреча о мигрантах."},
                                         {}, None, None)
        made["news"] = news_content.create_news(news, audit, manager, fields)
        news_content.move_news(news, audit, manager, made["news"], "published")
        made["news_draft"] = news_content.create_news(news, audit, manager, replace(
            fields, titles={"en": "Zebra draft", "ru": "Зебра"}))
        save_page(CountryPageStore(conn), audit, manager, CountryPageRow(
            "KZ", {"en": "The Bureau of National Statistics publishes migrants figures.", "ru": "Бюро статистики."},
            {}, {}, True))
    return made


def find(engine, config, who, query, lang="en", **filters):
    with engine.connect() as conn:
        vis = visibility_for(who, GrantStore(conn), config)
        return search.search(conn, who, vis, query, lang, search.Filters(**filters))


def refs(results, kind="document"):
    return {h.ref for g in results.groups for h in g.hits if h.kind == kind}


def facet(results, name):
    return dict(results.facets.get(name, []))


def test_a_restricted_document_is_found_only_by_whom_the_owner_shares_with(engine, config, people, library):
    restricted = str(library["restricted"])
    expected = {"anonymous": False, "md_viewer": False, "kg_viewer": True, "kz_viewer": True, "kz_manager": True,
                "root": True}
    for who, sees in expected.items():
        # words only the restricted PDF holds, in another inflection than the PDF's, on either portal language
        for query, lang in (("Атырауской области", "ru"), ("атырауская", "en"), ("aktau", "en"), ("Aktau", "ru")):
            got = find(engine, config, people[who], query, lang)
            assert refs(got) == ({restricted} if sees else set()), (who, query)
            if sees:
                assert (got.total, got.facets) == (1, {"kind": [("document", 1)], "country": [("KZ", 1)],
                                                       "year": [(2025, 1)], "indicator": [(F, 1)]}), (who, query)
            else:  # not even a count or a facet: nothing tells the document exists
                assert (got.total, got.groups, got.facets) == (0, [], {"kind": [], "country": [], "year": [],
                                                                       "indicator": []}), (who, query)
        # a word it shares with public things: they are found, it is not
        mixed = find(engine, config, people[who], "мигранты", "ru")
        assert (restricted in refs(mixed)) == sees and str(library["news"]) in refs(mixed, "news"), who
        assert facet(mixed, "kind").get("document", 0) == len(refs(mixed)) and \
            mixed.total == sum(facet(mixed, "kind").values()), (who, mixed.facets)


def test_counts_and_facets_never_reveal_what_the_reader_may_not_see(engine, config, people, library):
    # "quokka" is only in the participants' XLSX; "zebra" only in drafts (a document and a news item)
    for who in people:
        got = find(engine, config, people[who], "quokka")
        shown = who != "anonymous"
        assert got.total == (1 if shown else 0), who
        assert (got.facets["kind"] == [("document", 1)]) == shown and (got.facets["country"] != []) == shown, who
        hidden = find(engine, config, people[who], "zebra")
        assert (hidden.total, hidden.groups, hidden.facets["kind"], hidden.facets["year"]) == (0, [], [], []), who


def test_drafts_never_appear_and_publishing_is_in_the_same_transaction(engine, config, people, library):
    assert find(engine, config, people["kz_manager"], "черновик", "ru").total == 0  # not even to its manager
    with engine.connect() as conn:
        with pytest.raises(RuntimeError):
            with conn.begin():
                move_document(DocumentStore(conn), AuditStore(conn), people["kz_manager"], library["draft"],
                              "published")
                assert search.search(conn, ANONYMOUS, visibility_for(ANONYMOUS, GrantStore(conn), config),
                                     "черновик", "ru").total == 1  # seen inside its own transaction
                raise RuntimeError("rolled back")
    assert find(engine, config, people["anonymous"], "черновик", "ru").total == 0  # the rollback took it back
    with engine.begin() as conn:
        move_document(DocumentStore(conn), AuditStore(conn), people["kz_manager"], library["draft"], "published")
    assert refs(find(engine, config, people["anonymous"], "черновики", "ru")) == {str(library["draft"])}


def test_making_a_document_public_lets_everyone_find_it_by_an_inflection(engine, config, people, library):
    doc_id = library["restricted"]
    assert str(doc_id) not in refs(find(engine, config, people["anonymous"], "мигранты", "ru"))
    with engine.begin() as conn:
        store = DocumentStore(conn)
        row = store.get(doc_id)
        fields = DocumentFields(row.country, row.doc_type, row.published_on, row.titles, row.summaries, "public",
                                False, row.indicators)
        edit_document(store, AuditStore(conn), people["kz_manager"], doc_id, fields, [F, G])
    for query, lang in (("мигранты", "ru"), ("мигрантами", "ru"), ("МИГРАНТ", "en"), ("migrant", "en"),
                        ("worker", "en"), ("численности", "ru")):
        assert str(doc_id) in refs(find(engine, config, people["anonymous"], query, lang)), query


def test_english_and_russian_stemming_and_ranking(engine, config, people, library):
    got = find(engine, config, people["anonymous"], "labour", "en")
    assert refs(got) == {str(library["public"])}  # "labo" + "ur": runs of one word joined
    assert refs(find(engine, config, people["anonymous"], "миграции", "ru")) == {str(library["public"])}
    stock = find(engine, config, people["anonymous"], "foreigner stocks", "en")
    assert refs(stock, "indicator") >= {"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"}
    ru = find(engine, config, people["anonymous"], "иностранцев", "ru")
    assert len(refs(ru, "indicator")) >= 3 and all(h.title for g in ru.groups for h in g.hits)
    assert any("иностранц" in h.title for g in ru.groups for h in g.hits)  # titles in the page's language
    # the title weighs more than the text: the document titled "Трудовая миграция" comes before anything else
    first = find(engine, config, people["anonymous"], "трудовая миграция", "ru").groups[0].hits[0]
    assert (first.kind, first.ref) == ("document", str(library["public"]))


def test_codes_of_breakdowns_and_country_pages_are_found(engine, config, people, library):
    got = find(engine, config, people["anonymous"], "bureau statistics", "en")
    assert refs(got, "country") == {"KZ"}  # a public page
    hidden = find(engine, config, people["anonymous"], "Moldova", "en")
    assert "MD" not in refs(hidden, "country")  # no page: for participants only
    assert "MD" in refs(find(engine, config, people["kg_viewer"], "Moldova", "en"), "country")
    assert refs(find(engine, config, people["anonymous"], "REF_AREA", "en"), "indicator")  # a breakdown's id


def test_facets_filter_and_count(engine, config, people, library):
    everything = find(engine, config, people["root"], "migrants")
    kinds = facet(everything, "kind")
    assert kinds.get("document") == 1 and kinds.get("news") == 1
    only_news = find(engine, config, people["root"], "migrants", kind="news")
    assert only_news.total == 1 and [g.kind for g in only_news.groups] == ["news"]
    assert facet(only_news, "kind") == kinds  # a facet counts as if it were not chosen: the others stay offered
    by_year = find(engine, config, people["root"], "migrants", year=2025)
    assert all(h.year == 2025 for g in by_year.groups for h in g.hits)
    by_indicator = find(engine, config, people["root"], "migrants", indicator=F)
    assert refs(by_indicator) == {str(library["restricted"])} and not refs(by_indicator, "news")
    assert refs(find(engine, config, people["root"], "migrants", country="KG")) == set()


ODD_QUERIES = [
    '"', '""', "'", "*", "**", "NEAR", "NEAR(a b)", "a NEAR b", "migr*", "^migrants", "title:migrants", "a OR",
    "OR AND NOT", "-", "--migrants", "(", ")", "{}", "\\", "%", "_", "a:b:c", "\x00", "\u202e", "😀", "<script>",
    "' OR 1=1 --", "мигранты\"", "«мигранты»", "x" * 200, "migrants " * 25, " ", "\t\n",
]


def test_odd_queries_are_searched_or_find_nothing_never_an_error(engine, config, people, library):
    for query in ODD_QUERIES:
        for who in ("anonymous", "kg_viewer"):
            got = find(engine, config, people[who], query, "ru" if who == "kg_viewer" else "en")
            assert got.total == sum(facet(got, "kind").values()), query
    # quotes and FTS operators are words here: the news item is still found through them
    for query in ('"migrants"', "migrants*", "^migrants", '"migrants day"', "migrants:"):
        assert refs(find(engine, config, people["anonymous"], query), "news") == {str(library["news"])}, query


def test_a_query_string_that_cannot_be_a_search_is_named(engine):
    with pytest.raises(search.BadSearch) as e:
        search.parse_request("x" * 201, None, None, None, None, None)
    assert e.value.param == "q"
    for args, param in (((None, "bogus", None, None, None, None), "type"),
                        ((None, None, "K'Z", None, None, None), "country"),
                        ((None, None, None, "javascript:x", None, None), "indicator"),
                        ((None, None, None, None, "20x5", None), "year"),
                        ((None, None, None, None, None, "-1"), "page")):
        with pytest.raises(search.BadSearch) as e:
            search.parse_request(*args)
        assert e.value.param == param
    assert search.parse_request(" a\x00b ", "document", "KZ", F, "2025", "2") == (
        "a b", search.Filters("document", "KZ", F, 2025), 2)


def test_rebuild_makes_the_same_index_again(engine, config, people, library):
    before = find(engine, config, people["root"], "migrants")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM search_entry_indicator"))
        SearchIndex(conn).clear()
    assert find(engine, config, people["root"], "migrants").total == 0
    with engine.begin() as conn:
        counts = rebuild(conn)
    assert counts["documents"] == 4 and counts["news and events"] == 2 and counts["indicators"] >= 6
    after = find(engine, config, people["root"], "migrants")
    assert (after.total, after.facets) == (before.total, before.facets)
    assert refs(after) == refs(before)


def test_text_extraction_is_bounded_and_never_refuses():
    assert extract_text(b"%PDF-1.4 broken", PDF) == ""  # damaged: no text, the document is still kept
    assert extract_text(zip_bomb_docx(), DOCX) == ""  # 64 MiB of spaces: read up to the bound, nothing kept
    long = docx_with([["слово " * 50_000]] * 5)
    got = extract_text(long, DOCX)
    assert len(got) <= MAX_TEXT and got.startswith("слово слово")
    assert extract_text(docx_with([["a &lt;b&gt; &amp;amp; <!ENTITY x>"]]), DOCX) == "a <b> &amp;"
