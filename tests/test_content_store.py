"""The content stores on SQLite and PostgreSQL: documents with their linked indicators and bilingual texts, news
items in publication order, links in their groups; and the migration creates exactly the declared tables."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import inspect

from sdmx_server.storage.content_tables import document, document_indicator, news_item, portal_link
from sdmx_server.storage.document_store import DocumentStore
from sdmx_server.storage.news_store import LinkStore, NewsStore

from .access_world import F, G


def test_documents_keep_texts_indicators_and_filter_by_owner_and_state(engine):
    with engine.begin() as conn:
        store = DocumentStore(conn)
        common = dict(doc_type="legislation", summaries={"en": "S", "ru": ""}, access="restricted",
                      participants=False, file_name="a.pdf", media_type="application/pdf", file_size=10, by="u")
        kz = store.add(country="KZ", published_on=date(2026, 1, 2), titles={"en": "Law", "ru": "Закон"},
                       indicators=[G, F, F], file_key="a" * 32, **common)
        regional = store.add(country=None, published_on=date(2026, 3, 1), titles={"ru": "Обзор"}, indicators=[],
                             file_key="b" * 32, **common)
        store.update(kz, state="published", titles={"en": "Law 2", "ru": "Закон 2"}, indicators=[F])
    with engine.connect() as conn:
        store = DocumentStore(conn)
        got = store.get(kz)
        assert (got.titles, got.summaries, got.indicators, got.state) == (
            {"en": "Law 2", "ru": "Закон 2"}, {"en": "S"}, (F,), "published")
        assert got.published_on == date(2026, 1, 2) and got.created_at.tzinfo is not None
        assert [d.id for d in store.list()] == [regional, kz]  # newest publication first
        assert [d.id for d in store.list(states=["published"])] == [kz]
        assert [d.id for d in store.list(countries=[None])] == [regional]
        assert [d.id for d in store.list(countries=["KZ", None])] == [regional, kz]
        assert store.get(9999) is None


def test_news_in_publication_order_and_links_in_groups(engine):
    with engine.begin() as conn:
        news = NewsStore(conn)
        a = news.add(kind="news", titles={"en": "A"}, bodies={}, places={}, starts_on=None, ends_on=None, by="u")
        b = news.add(kind="event", titles={"ru": "Б"}, bodies={"ru": "т"}, places={"ru": "Бишкек"},
                     starts_on=date(2026, 5, 1), ends_on=date(2026, 5, 2), by="u")
        news.update(a, state="published", published_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        news.update(b, state="published", published_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
        links = LinkStore(conn)
        links.add(category="statistics", titles={"en": "Z"}, url="https://z.example", position=2, by="u")
        links.add(category="international", titles={"en": "I"}, url="https://i.example", position=0, by="u")
        links.add(category="statistics", titles={"en": "Y"}, url="https://y.example", position=1, by="u")
    with engine.connect() as conn:
        assert [n.id for n in NewsStore(conn).list(states=["published"])] == [b, a]
        event = NewsStore(conn).get(b)
        assert (event.places, event.starts_on, event.ends_on) == ({"ru": "Бишкек"}, date(2026, 5, 1), date(2026, 5, 2))
        assert [n.id for n in NewsStore(conn).list(kind="news")] == [a]
        assert [(r.category, r.titles["en"]) for r in LinkStore(conn).list()] == [
            ("international", "I"), ("statistics", "Y"), ("statistics", "Z")]


def test_the_migration_makes_the_declared_tables(engine):
    found = inspect(engine)
    for table in (document, document_indicator, news_item, portal_link):
        assert {c["name"] for c in found.get_columns(table.name)} == {c.name for c in table.columns}, table.name


def test_document_pages_follow_one_another_without_gaps_or_repeats(engine):
    with engine.begin() as conn:
        store = DocumentStore(conn)
        for i in range(7):  # two per day, so pages split days
            store.add(country="KZ", doc_type="policy", published_on=date(2026, 1, 1 + i // 2), titles={"en": f"D{i}"},
                      summaries={}, access="public" if i % 3 == 0 else "restricted", participants=False,
                      file_name="a.pdf", media_type="application/pdf", file_size=1, file_key=f"{i:032x}",
                      indicators=[], by="u")
    with engine.connect() as conn:
        store = DocumentStore(conn)
        seen, after = [], None
        while page := store.list(after=after, limit=3):
            seen += [d.id for d in page]
            after = (page[-1].published_on, page[-1].id)
        assert seen == [d.id for d in store.list()] and len(set(seen)) == 7
        assert [d.titles["en"] for d in store.list(access="public")] == ["D6", "D3", "D0"]
        assert store.list(doc_type="legislation") == []
