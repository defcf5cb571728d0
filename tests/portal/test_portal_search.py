"""The search page through the Flask test client on SQLite and PostgreSQL: the box on every page, results grouped
by type with facets as links in the page's language, a restricted document found only by whom the owner shares
with (the page's counts included), and a query string that cannot be a search answered 400 with the reason."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from ..access_world import F
from ..search_files import pdf_with
from .test_portal_admin import text_of
from .test_portal_documents import config, new_client, only_document, set_state, upload  # noqa: F401 (fixture)

WORD = "Атырауская"  # only in the PDF's text


def results_of(client, path: str):
    answer = client.get(path)
    return answer, text_of(answer.get_data(as_text=True))


def test_every_page_has_the_search_box(app, world):
    client = app.test_client()
    for path in ("/en/", "/ru/", "/en/indicators/", "/en/documents/", "/ru/news/", "/en/sign-in"):
        html = client.get(path).get_data(as_text=True)
        form = re.search(r'<form class="site-search" method="get" action="/(\w+)/search" role="search">', html)
        assert form and form.group(1) == path.split("/")[1], path
        assert 'name="q"' in html


def test_results_are_grouped_with_facets_in_the_page_language(app, world):
    client = app.test_client()
    answer, text = results_of(client, "/en/search?q=foreigners")
    assert answer.status_code == 200 and answer.headers["X-Robots-Tag"] == "noindex"
    assert re.search(r"\d+ results for “foreigners”", text) and "Indicators" in text and "Stock of foreigners" in text
    assert "Type" in text and "Indicator" in text
    html = answer.get_data(as_text=True)
    assert 'href="/en/indicators/DSM/DF_STOCK_FOREIGNERS/1.0"' in html
    assert 'href="/en/search?q=foreigners&amp;type=indicator"' in html  # a facet is a plain link
    answer, text = results_of(client, "/ru/search?q=" + quote("иностранцы"))
    assert answer.status_code == 200 and "Показатели" in text and "Численность иностранцев" in text
    assert re.search(r"\d+ (результат|результата|результатов) по запросу «иностранцы»", text), text[:400]
    answer, text = results_of(client, "/en/search?q=zzzzqqq")
    assert answer.status_code == 200 and "0 results" in text and "Nothing found" in text


def test_a_restricted_document_is_found_only_by_whom_the_owner_shares_with(app, world):
    from sdmx_server.storage.grant_store import GrantStore

    manager = new_client(app, "kz_admin")
    assert upload(manager, pdf_with([f"{WORD} область: численность мигрантов"]), "doklad.pdf").status_code == 302
    doc = only_document(app)
    assert set_state(manager, doc.id, "published").status_code == 302
    path = "/ru/search?q=" + quote("атырауской")
    visitor = app.test_client()
    for client, sees in ((visitor, False), (new_client(app, "kg_viewer"), False), (manager, True)):
        answer, text = results_of(client, path)
        assert answer.status_code == 200
        assert ("Закон о миграции" in text) == sees, text[:300]
        assert ("1 результат по запросу" in text) == sees and ("0 результатов по запросу" in text) != sees
        assert (f"/ru/documents/{doc.id}" in answer.get_data(as_text=True)) == sees
    with app.extensions["sdmx_engine"].begin() as conn:
        GrantStore(conn).grant("KZ", F, "KG", by="test")
    assert "Закон о миграции" in results_of(new_client(app, "kg_viewer"), path)[1]
    assert results_of(manager, path)[0].headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("query, named", [
    ("q=" + "x" * 201, "longer than 200 characters"),
    ("q=a&type=bogus", "The type “bogus”"),
    ("q=a&year=20x5", "The year “20x5”"),
    ("q=a&page=0", "The page “0”"),
    ("q=a&country=%3Cscript%3E", "The country “<script>”"),
    ("q=a&indicator=javascript:alert(1)", "The indicator “javascript:alert(1)”"),
])
def test_a_query_string_that_cannot_be_a_search_is_refused_by_name(app, world, query, named):
    answer = app.test_client().get(f"/en/search?{query}")
    assert answer.status_code == 400
    assert named in text_of(answer.get_data(as_text=True))
    assert "<script>" not in answer.get_data(as_text=True)


def test_odd_characters_are_searched(app, world):
    client = app.test_client()
    for q in ('"', "*", "NEAR(a b)", "a OR", "' OR 1=1 --", "%E2%80%AE", "<b>x</b>", "migr*", "^x", "((", "%F0%9F%98%80"):
        answer = client.get(f"/en/search?q={quote(q, safe='%')}")
        assert answer.status_code == 200, q
        assert "<b>x</b>" not in answer.get_data(as_text=True)
    assert client.get("/en/search?q=a%00b").status_code == 400  # control characters: the server's rule (app.py)
