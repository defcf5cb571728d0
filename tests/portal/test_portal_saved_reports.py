"""Saved reports (issue 19): a signed-in user saves a named report (selection and layout), lists, reopens and
deletes it; opening obeys the visibility rule of that moment; others cannot reach it; bad input is named and
changes nothing. Real database (SQLite and PostgreSQL), Flask test client."""

from __future__ import annotations

import re
from html import unescape

from sdmx_server.storage.grant_store import GrantStore

from ..db_dump import dump
from .conftest import csrf_token, sign_in
from .test_portal_reports import FLOW, REPORT, figures, page  # noqa: F401 (fixture)

QUERY = "country=KZ&country=KG&SEX=F&cols=CITIZENSHIP&sort=desc%3ARU"
OWN = "country=KZ&SEX=F"  # the viewer's own country: seen without any grant


def save(client, name: str, query: str = QUERY, lang: str = "en"):
    html = page(client, REPORT.replace("/en/", f"/{lang}/") + "?" + query)
    assert 'class="save-report"' in html
    return client.post(REPORT.replace("/en/", f"/{lang}/") + "/save",
                       data={"csrf_token": csrf_token(html), "name": name, "query": query})


def test_save_list_reopen_and_delete(client, figures):
    with figures.begin() as conn:
        GrantStore(conn).grant("KG", FLOW, "KZ", by="test")
    sign_in(client, "kz_viewer")
    resp = save(client, "  Women  by citizenship ")
    assert resp.status_code == 303 and "/en/reports/saved/?saved=" in resp.headers["Location"]
    html = unescape(page(client, resp.headers["Location"]))
    assert "The report is saved." in html and "Women by citizenship" in html
    assert "Foreigners entering the country" in html and " UTC" in html
    link = re.search(r'<a href="(/en/reports/saved/\d+)">Women by citizenship</a>', html).group(1)
    opened = client.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"] == REPORT + "?country=KZ&country=KG&SEX=F&cols=CITIZENSHIP&sort=desc%3ARU"
    html = unescape(page(client, opened.headers["Location"]))
    assert "columns: Citizenship" in html and "Kyrgyzstan" in html
    # the same name again replaces it
    resp = save(client, "Women by citizenship", "country=KZ&SEX=M")
    html = unescape(page(client, resp.headers["Location"]))
    assert "it replaced the one saved under the same name" in html and html.count("Women by citizenship") == 2
    assert client.get(link).headers["Location"] == REPORT + "?country=KZ&SEX=M"
    # in Russian
    html = page(client, "/ru/reports/saved/")
    assert "Мои сохранённые отчёты" in html and "Въезд иностранцев" in html
    # deleted
    html = page(client, "/en/reports/saved/")
    resp = client.post(link + "/delete", data={"csrf_token": csrf_token(html)})
    assert resp.status_code == 303
    assert "You have no saved reports yet" in page(client, "/en/reports/saved/")
    assert client.get(link).status_code == 404


def test_a_saved_report_obeys_the_visibility_of_the_moment_it_is_opened(client, figures):
    with figures.begin() as conn:
        GrantStore(conn).grant("KG", FLOW, "KZ", by="test")
    sign_in(client, "kz_viewer")
    location = save(client, "Both countries").headers["Location"]
    link = re.search(r'<a href="(/en/reports/saved/\d+)">', page(client, location)).group(1)
    assert "Kyrgyzstan" in page(client, client.get(link).headers["Location"])
    with figures.begin() as conn:
        GrantStore(conn).withdraw("KG", FLOW, "KZ")
    html = unescape(page(client, client.get(link).headers["Location"], 400))
    assert "There are no figures you may see for the country “KG”" in html and "<table" not in html


def test_others_cannot_reach_a_saved_report(client, figures, app):
    sign_in(client, "kz_viewer")
    location = save(client, "Mine", OWN).headers["Location"]
    link = re.search(r'<a href="(/en/reports/saved/\d+)">Mine</a>', page(client, location)).group(1)
    other = app.test_client()
    resp = other.get(link)  # anonymous: sent to sign in
    assert resp.status_code == 302 and "/en/sign-in" in resp.headers["Location"]
    assert other.get("/en/reports/saved/").status_code == 302
    sign_in(other, "kg_viewer")
    assert other.get(link).status_code == 404
    html = page(other, "/en/reports/saved/")
    assert "Mine" not in html
    assert other.post(link + "/delete", data={"csrf_token": csrf_token(html)}).status_code == 404
    assert client.get(link).status_code == 303  # still there for its owner
    # an anonymous visitor is offered no save form
    assert 'class="save-report"' not in app.test_client().get(REPORT).get_data(as_text=True)


def test_bad_saves_are_named_and_change_nothing(client, figures, engine):
    sign_in(client, "kz_viewer")
    html = page(client, REPORT + "?" + OWN)
    token = csrf_token(html)
    before = dump(engine)
    resp = client.post(REPORT + "/save", data={"csrf_token": token, "name": "   ", "query": QUERY})
    assert resp.status_code == 400 and "The report was not saved: Give the report a name." in unescape(
        resp.get_data(as_text=True))
    resp = client.post(REPORT + "/save", data={"csrf_token": token, "name": "x" * 201, "query": QUERY})
    assert resp.status_code == 400 and "A name has at most 200 characters." in resp.get_data(as_text=True)
    resp = client.post(REPORT + "/save", data={"csrf_token": token, "name": "Long", "query": "a=" + "b" * 4000})
    assert resp.status_code == 400 and "too long to save" in resp.get_data(as_text=True)
    resp = client.post(REPORT + "/save", data={"name": "No token", "query": QUERY})
    assert resp.status_code == 400 and "The form had expired" in resp.get_data(as_text=True)
    resp = client.post("/en/reports/DSM/NO_SUCH/1.0/save", data={"csrf_token": token, "name": "x", "query": ""})
    assert resp.status_code == 404
    resp = client.post("/ru/reports/DSM/DF_ENTRIES/1.0/save", data={"csrf_token": token, "name": "", "query": ""})
    assert resp.status_code == 400 and "Отчёт не сохранён" in resp.get_data(as_text=True)
    assert dump(engine) == before
