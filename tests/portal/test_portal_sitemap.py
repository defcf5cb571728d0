"""/sitemap.xml, /robots.txt and the HTML site map through the Flask test client on SQLite and PostgreSQL: only
what a signed-out visitor may open is listed (never a draft, a restricted document, a country page kept for
participants, a report of figures the public may not see), with hreflang alternates in every portal language,
absolute URLs under ``public_url``, and the same for a signed-in caller."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from sdmx_server.app import create_app
from sdmx_server.seeding import create_demo_figures
from sdmx_server.settings import load_config
from sdmx_server.storage import content_tables  # noqa: F401 (its tables)
from sdmx_server.storage.artefact_store import utcnow
from sdmx_server.storage.country_page_store import CountryPageRow, CountryPageStore
from sdmx_server.storage.document_store import DocumentStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.news_store import NewsStore

from .test_portal_admin import text_of
from .test_portal_documents import new_client

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
BASE = "https://dsm.example.org"
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"


@pytest.fixture
def config(database_url, tmp_path):
    return load_config(overrides={"database_url": database_url, "secret_key": "test", "release_check_seconds": 0,
                                  "public_url": BASE + "/", "document_dir": str(tmp_path / "documents")})


def _document(store: DocumentStore, title: str, access: str, state: str) -> int:
    doc_id = store.add(country="KZ", doc_type="legislation", published_on=date(2026, 3, 1),
                       titles={"en": title, "ru": title + " (ru)"}, summaries={}, access=access, participants=False,
                       file_name="law.pdf", media_type="application/pdf", file_size=100, file_key="k" + title,
                       indicators=(), by="test")
    store.update(doc_id, state=state)
    return doc_id


def _news(store: NewsStore, title: str, state: str) -> int:
    item_id = store.add(kind="news", titles={"en": title, "ru": title + " (ru)"}, bodies={}, places={},
                        starts_on=None, ends_on=None, by="test")
    store.update(item_id, state=state, published_at=utcnow() if state == "published" else None)
    return item_id


@pytest.fixture
def content(app, world) -> dict[str, int]:
    """One of each thing the public may see, and one of each it may not."""
    create_demo_figures(app.extensions["sdmx_engine"])  # stock of foreigners of KZ, KG, MD released
    with app.extensions["sdmx_engine"].begin() as conn:
        docs, items, pages = DocumentStore(conn), NewsStore(conn), CountryPageStore(conn)
        ids = {"public_doc": _document(docs, "Public law", "public", "published"),
               "restricted_doc": _document(docs, "Restricted law", "restricted", "published"),
               "draft_doc": _document(docs, "Draft law", "public", "draft"),
               "withdrawn_doc": _document(docs, "Withdrawn law", "public", "withdrawn"),
               "news": _news(items, "Published news", "published"),
               "draft_news": _news(items, "Draft news", "draft")}
        pages.save(CountryPageRow("KG", {"en": "Kyrgyzstan"}, {}, {}, True), by="test")
        pages.save(CountryPageRow("KZ", {"en": "Kazakhstan"}, {}, {}, False), by="test")
        GrantStore(conn).set_public("KG", STOCK, True, by="test")
    return ids


def _urls(body: bytes) -> dict[str, dict[str, str]]:
    """loc -> {hreflang: href}, after checking the sitemaps.org structure element by element."""
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == f"{{{SM}}}urlset"
    out = {}
    for url in root:
        assert url.tag == f"{{{SM}}}url"
        names = [c.tag for c in url]
        assert names[0] == f"{{{SM}}}loc" and names.count(f"{{{SM}}}loc") == 1
        assert set(names[1:]) <= {f"{{{SM}}}lastmod", f"{{{XHTML}}}link"}, names
        for lastmod in url.iter(f"{{{SM}}}lastmod"):
            assert len(lastmod.text) == 25 and lastmod.text[10] == "T", lastmod.text  # W3C datetime, with zone
        links = {a.get("hreflang"): a.get("href") for a in url.iter(f"{{{XHTML}}}link")}
        assert all(a.get("rel") == "alternate" for a in url.iter(f"{{{XHTML}}}link"))
        out[url.findtext(f"{{{SM}}}loc")] = links
    return out


@pytest.mark.parametrize("user", [None, "root"])
def test_the_sitemap_lists_public_pages_only_with_alternates(app, content, user):
    answer = new_client(app, user).get("/sitemap.xml")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    urls = _urls(answer.data)
    assert len(urls) == len(set(urls))
    for path in ("/en/", "/en/indicators/", "/en/documents/", "/en/news/", "/en/countries/", "/en/links/",
                 "/en/reports/", "/en/revisions/", "/en/sitemap", f"/en/documents/{content['public_doc']}",
                 f"/en/news/{content['news']}", "/en/countries/KG", "/en/indicators/DSM/DF_STOCK_FOREIGNERS/1.0",
                 "/en/indicators/DSM/DF_ENTRIES/1.0", "/en/reports/DSM/DF_STOCK_FOREIGNERS/1.0"):
        assert BASE + path in urls, path
        assert urls[BASE + path] == {"en": BASE + path, "ru": BASE + "/ru" + path[3:], "x-default": BASE + path}
        assert BASE + "/ru" + path[3:] in urls
    listed = "\n".join(urls)
    for doc in ("restricted_doc", "draft_doc", "withdrawn_doc"):
        assert f"/documents/{content[doc]}" not in listed, doc
    assert f"/news/{content['draft_news']}" not in listed
    assert "/countries/KZ" not in listed and "/countries/MD" not in listed  # KZ keeps it; MD has none
    assert "/reports/DSM/DF_ENTRIES/" not in listed  # no public figures
    assert not any(p in listed for p in ("sign-in", "/content/", "/admin/", "/account/", "/submit", "/rest/"))
    # every listed page opens for a visitor
    visitor = new_client(app, None)
    for loc in urls:
        assert visitor.get(loc.removeprefix(BASE)).status_code == 200, loc


def test_without_public_url_the_requests_own_address(database_url, tmp_path, content):
    other = create_app(config=load_config(overrides={"database_url": database_url, "secret_key": "test",
                                                     "release_check_seconds": 0, "document_dir": str(tmp_path)}))
    try:
        urls = _urls(other.test_client().get("/sitemap.xml", base_url="http://portal.test").data)
        assert "http://portal.test/ru/" in urls and not any(BASE in u for u in urls)
        assert urls["http://portal.test/ru/countries/KG"]["x-default"] == "http://portal.test/en/countries/KG"
        robots = other.test_client().get("/robots.txt", base_url="http://portal.test").get_data(as_text=True)
        assert "Sitemap: http://portal.test/sitemap.xml" in robots.splitlines()
    finally:
        other.extensions["sdmx_engine"].dispose()


def test_robots_keeps_crawlers_to_the_public_pages(app, world):
    answer = app.test_client().get("/robots.txt")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    lines = answer.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *" and "Allow: /" in lines
    for path in ("/rest/", "/api/", "/*/sign-in", "/*/content/", "/*/account/", "/*/admin/", "/*/system/",
                 "/*/submit/", "/*/queue/"):
        assert f"Disallow: {path}" in lines, path
    for path in ("/", "/*/", "/*/indicators/", "/*/reports/", "/*/documents/", "/*/news/", "/*/countries/",
                 "/*/revisions/", "/*/links/", "/*/sitemap"):
        assert f"Disallow: {path}" not in lines, path
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


def test_the_html_site_map_in_both_languages(app, content):
    visitor = new_client(app, None)
    en = text_of(visitor.get("/en/sitemap").get_data(as_text=True))
    assert "Site map Every page of the portal open to everyone, without signing in." in en
    for words in ("The portal", "Indicators", "Stock of foreigners", "Public law", "Published news", "Kyrgyzstan"):
        assert words in en, words
    for words in ("Restricted law", "Draft law", "Withdrawn law", "Draft news", "Kazakhstan"):
        assert words not in en.split("Site map Every page", 1)[1], words
    ru = text_of(visitor.get("/ru/sitemap").get_data(as_text=True))
    assert "Карта сайта Все страницы портала, открытые для всех без входа в систему." in ru
    for words in ("Портал", "Показатели", "Public law (ru)", "Published news (ru)"):
        assert words in ru, words
    home = visitor.get("/ru/").get_data(as_text=True)
    assert '<a href="/ru/sitemap">Карта сайта</a>' in home
