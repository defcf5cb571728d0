"""News and events and the links, through the Flask test client on SQLite and PostgreSQL: drafts seen by content
managers only, the Atom feed per language with published items only, the home page's latest, markup escaped,
unsafe link addresses refused, and every change in the audit log."""

from __future__ import annotations

import re

from lxml import etree

from sdmx_server.storage import content_tables  # noqa: F401 (its tables in the dump)
from sdmx_server.storage.audit_store import AuditStore

from ..db_dump import dump
from .conftest import csrf_token
from .test_portal_documents import new_client
from .test_portal_admin import text_of

ATOM = "{http://www.w3.org/2005/Atom}"


def post(client, page: str, action: str | None = None, **data):
    html = client.get(page).get_data(as_text=True)
    return client.post(action or page, data={"csrf_token": csrf_token(html), **data})


def add_news(client, **fields):
    data = {"kind": "news", "title_en": "Regional meeting on migration statistics",
            "title_ru": "Региональное совещание по статистике миграции", "body_en": "The countries met.\n\nThey agreed.",
            "body_ru": "Страны встретились."} | fields
    answer = post(client, "/en/content/news/new", **data)
    assert answer.status_code == 302, text_of(answer.get_data(as_text=True))
    return int(answer.headers["Location"].rstrip("/").split("/")[-2])


def test_news_are_drafts_until_published_then_public_everywhere(app, world):
    manager = new_client(app, "kz_admin")  # a country administrator holds manage_content
    item = add_news(manager)
    visitor = new_client(app, None)
    assert visitor.get(f"/en/news/{item}").status_code == 404
    assert "Regional meeting" not in visitor.get("/en/news/").get_data(as_text=True)
    assert "Regional meeting" not in visitor.get("/en/news.atom").get_data(as_text=True)
    answer = post(manager, f"/en/content/news/{item}/edit", f"/en/content/news/{item}/state", state="published")
    assert answer.status_code == 302
    assert "The item is published." in text_of(manager.get(answer.headers["Location"]).get_data(as_text=True))
    page = text_of(visitor.get(f"/en/news/{item}").get_data(as_text=True))
    assert "Regional meeting on migration statistics" in page and "They agreed." in page
    home = text_of(visitor.get("/ru/").get_data(as_text=True))
    assert "Последние новости и мероприятия" in home and "Региональное совещание по статистике миграции" in home
    for lang, title in (("en", "Regional meeting on migration statistics"),
                        ("ru", "Региональное совещание по статистике миграции")):
        feed = visitor.get(f"/{lang}/news.atom")
        assert feed.mimetype == "application/atom+xml"
        root = etree.fromstring(feed.data)
        assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == [title]
        assert root.find(f"{ATOM}entry/{ATOM}link").get("href") == f"/{lang}/news/{item}"
    post(manager, f"/en/content/news/{item}/edit", f"/en/content/news/{item}/state", state="withdrawn")
    assert visitor.get(f"/en/news/{item}").status_code == 404
    assert "Regional meeting" not in visitor.get("/en/news.atom").get_data(as_text=True)
    with app.extensions["sdmx_engine"].connect() as conn:
        actions = [e.action for e in AuditStore(conn).entries(country="KZ") if e.target == f"news:{item}"]
    assert actions == ["news.withdraw", "news.publish", "news.create"]


def test_events_have_dates_and_place_and_bad_ones_are_refused(app, world):
    manager = new_client(app, "kz_admin")
    before = dump(app.extensions["sdmx_engine"])
    for fields, message in (({"kind": "event"}, "An event needs its first day."),
                            ({"kind": "event", "starts_on": "2026-05-02", "ends_on": "2026-05-01"},
                             "An event cannot end before it starts."),
                            ({"title_en": "", "title_ru": ""}, "Enter a title in at least one language."),
                            ({"starts_on": "2026-13-45", "kind": "event"}, "Not a valid date value.")):
        answer = post(manager, "/en/content/news/new", **({"kind": "news", "title_en": "Seminar"} | fields))
        assert answer.status_code == 400 and message in text_of(answer.get_data(as_text=True)), message
    assert dump(app.extensions["sdmx_engine"]) == before
    item = add_news(manager, kind="event", title_en="Seminar <b>on</b> <script>x()</script>", title_ru="",
                    starts_on="2026-05-01", ends_on="2026-05-02", place_en="Almaty", place_ru="Алматы")
    post(manager, f"/en/content/news/{item}/edit", f"/en/content/news/{item}/state", state="published")
    html = new_client(app, None).get(f"/ru/news/{item}").get_data(as_text=True)
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    page = text_of(html)
    assert "Seminar <b>on</b> <script>x()</script> (English: не переведено)" in page
    assert "1 мая 2026 г. – 2 мая 2026 г." in page and "Алматы" in page


def test_only_content_managers_manage_news_and_links(app, world):
    viewer = new_client(app, "kz_viewer")
    for path in ("/en/content/news/", "/en/content/news/new", "/en/content/links/"):
        assert viewer.get(path).status_code == 403
    assert "Content" not in text_of(viewer.get("/en/").get_data(as_text=True)).split("Sign out")[0]


def test_links_are_curated_and_only_web_addresses(app, world):
    manager = new_client(app, "kg_admin")
    before = dump(app.extensions["sdmx_engine"])
    for url in ("javascript:alert(1)", "data:text/html,<script>x</script>", "//evil.example", "ftp://x.example/a"):
        answer = post(manager, "/en/content/links/", category="statistics", title_en="Office", url=url)
        assert answer.status_code == 400, url
        assert "Enter a full web address starting with https:// or http://." in text_of(answer.get_data(as_text=True))
    assert dump(app.extensions["sdmx_engine"]) == before
    answer = post(manager, "/en/content/links/", category="statistics", title_en="National Statistical Committee",
                  title_ru="Национальный статистический комитет", url="https://www.stat.kg/en/")
    assert answer.status_code == 302
    page = text_of(new_client(app, None).get("/ru/links/").get_data(as_text=True))
    assert "Национальные статистические службы Национальный статистический комитет https://www.stat.kg/en/" in page
    html = manager.get("/en/content/links/").get_data(as_text=True)
    link_id = int(re.search(r'/en/content/links/([0-9]+)/delete', html).group(1))
    assert post(manager, "/en/content/links/", f"/en/content/links/{link_id}/delete").status_code == 302
    assert "No link yet." in text_of(new_client(app, None).get("/en/links/").get_data(as_text=True))
    with app.extensions["sdmx_engine"].connect() as conn:
        assert [e.action for e in AuditStore(conn).entries(country="KG")][:2] == ["link.delete", "link.create"]
