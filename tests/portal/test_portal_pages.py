"""The public pages in every language: content from the stored structures, the language in the URL and its
switch, fallbacks to English, locale formats, no JavaScript or outside resources, accessible forms."""

from __future__ import annotations

import re
from html import unescape

import pytest

from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.web_portal.message_catalogues import po_files, read_catalogue

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no SQL of its own

PAGES = ["/{lang}/", "/{lang}/indicators/", "/{lang}/indicators/DSM/DF_ENTRIES/1.0", "/{lang}/sign-in"]
TITLES = {
    "en": ["Migration statistics of the participating countries · Data Sharing Mechanism",
           "Statistics catalogue · Data Sharing Mechanism", "Foreigners entering the country · Data Sharing Mechanism",
           "Sign in · Data Sharing Mechanism"],
    "ru": ["Статистика миграции стран-участниц · Механизм обмена данными",
           "Каталог статистики · Механизм обмена данными", "Въезд иностранцев · Механизм обмена данными",
           "Войти · Механизм обмена данными"],
}


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def title_of(html: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html, re.S).group(1)).strip()


@pytest.mark.parametrize("accept, expected", [
    ("ru-RU,ru;q=0.9,en;q=0.5", "/ru/"), ("en-GB,en;q=0.8", "/en/"), ("de-DE, ru;q=0.3", "/ru/"),
    ("kk, de", "/en/"), (None, "/en/"),
])
def test_the_bare_address_redirects_to_the_best_language(client, world, accept, expected):
    r = client.get("/", headers={"Accept-Language": accept} if accept else {})
    assert r.status_code == 302 and r.headers["Location"] == expected
    assert "Accept-Language" in r.headers["Vary"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_page_answers_in_its_language(client, world, lang):
    for path, title in zip(PAGES, TITLES[lang]):
        r = client.get(path.format(lang=lang))
        html = r.get_data(as_text=True)
        assert r.status_code == 200, path
        assert r.mimetype == "text/html"
        assert f'<html lang="{lang}">' in html
        assert title_of(html) == title


def test_russian_pages_show_no_english_interface_text(client, world):
    """Every user-facing string of the portal is translated: no English message appears on a Russian page."""
    english = [m.id for m in read_catalogue(po_files()["en"]) if m.id and isinstance(m.id, str) and len(m.id) > 3]
    for path in PAGES + ["/{lang}/no-such-page"]:
        text = text_of(client.get(path.format(lang="ru")).get_data(as_text=True))
        shown = [msg for msg in english if text_of(msg) in text]
        assert not shown, f"{path}: English text on a Russian page: {shown}"
        assert not re.search(r"\b(the|and|of|to|Sign|Error)\b", text), f"{path}: {text}"


def test_home_explains_the_mechanism_and_its_principles(client, world):
    text = text_of(client.get("/en/").get_data(as_text=True))
    for phrase in ["Each country owns its data.", "Confidential by default.", "Shared on the country's own terms.",
                   "Built on SDMX standards.", "6 indicators in 5 areas.", "Kazakhstan", "Kyrgyzstan"]:
        assert phrase in text
    ru = text_of(client.get("/ru/").get_data(as_text=True))
    assert "Каждая страна — владелец своих данных." in ru and "6 показателей в 5 разделах." in ru
    assert "Казахстан" in ru and "Кыргызстан" in ru and "Киргизия" not in ru


def test_dates_and_numbers_follow_the_page_language(client, world, app):
    with app.app_context():
        conn = app.extensions["sdmx_engine"].connect()
        updated = ArtefactStore(conn).last_modified()
        conn.close()
    months_ru = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
                 "ноября", "декабря"]
    en = text_of(client.get("/en/").get_data(as_text=True))
    ru = text_of(client.get("/ru/").get_data(as_text=True))
    assert f"last changed: {updated:%B} {updated.day}, {updated.year}" in en
    assert f"изменены: {updated.day} {months_ru[updated.month - 1]} {updated.year} г." in ru
    # Russian has three plural forms (1 показатель, 2 показателя, 5 показателей): see test_portal_translations


def test_the_catalogue_groups_indicators_by_area_with_periodicity_and_timeliness(client, world):
    html = client.get("/en/indicators/").get_data(as_text=True)
    sections = re.findall(r"<section.*?</section>", html, re.S)
    areas = [text_of(re.search(r"<h2[^>]*>(.*?)</h2>", s, re.S).group(1)) for s in sections]
    assert areas == ["Stock of foreigners", "Flows of foreigners", "Foreign labour", "Asylum",
                     "Refugee status determination"]  # the category scheme's order
    flows = text_of(sections[1])
    assert "Foreigners entering the country" in flows and "Foreigners leaving the country" in flows
    assert "Periodicity Quarterly" in flows
    assert "Timeliness About three months after the end of the reference period" in flows
    assert "Semi-annual (by calendar half-year)" in text_of(sections[0])
    assert 'href="/en/indicators/DSM/DF_ENTRIES/1.0"' in sections[1]
    ru = text_of(client.get("/ru/indicators/").get_data(as_text=True))
    assert "Потоки иностранцев" in ru and "Въезд иностранцев" in ru and "Квартальная" in ru
    assert "Примерно через три месяца после окончания отчётного периода" in ru


def test_the_indicator_page_links_to_rest_queries_that_answer(client, world):
    html = client.get("/ru/indicators/DSM/DF_WORK_PERMITS/1.0").get_data(as_text=True)
    text = text_of(html)
    assert "Разрешения на работу" in text and "Иностранная рабочая сила" in text
    assert "Полугодовая (по календарным полугодиям)" in text and "Гражданство, Пол" in text
    assert "Казахстан" in text and "DSM:DF_WORK_PERMITS(1.0)" in text
    links = [unescape(u) for u in re.findall(r'<a href="(http://localhost/rest/[^"]+)"', html)]
    assert len(links) == 5
    for url in links:
        r = client.get(url.removeprefix("http://localhost"))
        nothing_v1 = r.status_code == 404 and b"No results found" in r.data  # SDMX 2.1's "no results"
        assert r.status_code in (200, 204) or nothing_v1, f"{url}: {r.status_code} {r.get_data(as_text=True)[:300]}"
    structure = client.get(links[0].removeprefix("http://localhost")).get_data(as_text=True)
    assert "DF_WORK_PERMITS" in structure and "CL_APPLICATION_TYPE" in structure


def test_the_language_switch_keeps_the_page_and_its_query(client, world):
    html = client.get("/en/indicators/DSM/DF_ENTRIES/1.0?from=2020&to=2024&sex=F%2CM").get_data(as_text=True)
    switch = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
    assert '<a href="/ru/indicators/DSM/DF_ENTRIES/1.0?from=2020&amp;to=2024&amp;sex=F%2CM" hreflang="ru" ' \
           'lang="ru">Русский</a>' in switch
    assert '<span aria-current="true" lang="en">English</span>' in switch
    back = client.get("/ru/indicators/?q=1").get_data(as_text=True)
    assert 'href="/en/indicators/?q=1" hreflang="en"' in back
    lost = client.get("/ru/nowhere?x=1")
    assert lost.status_code == 404 and 'href="/en/nowhere?x=1" hreflang="en"' in lost.get_data(as_text=True)


def test_unknown_pages_get_the_portal_404_and_the_api_keeps_its_own(client, world):
    for path, lang in [("/ru/indicators/DSM/NOPE/1.0", "ru"), ("/en/nothing/here", "en")]:
        r = client.get(path)
        html = r.get_data(as_text=True)
        assert r.status_code == 404 and f'<html lang="{lang}">' in html
        assert ("Ошибка 404" if lang == "ru" else "Error 404") in title_of(html)
    api = client.get("/rest/no-such-resource/DSM")
    assert api.status_code in (400, 404) and "sdmx.error" in api.content_type  # the API answers, not the portal
    assert client.get("/de/").status_code == 404  # not a language of ours


def test_names_missing_in_the_page_language_fall_back_to_english_marked_as_such(client, world, engine):
    flow = {"type": "dataflow", "agencyID": "DSM", "id": "DF_ONLY_ENGLISH", "version": "1.0", "isFinal": True,
            "names": {"en": "Residence permits"},
            "structure": "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=DSM:DSD_MIGRATION(1.0)"}
    with engine.begin() as conn:
        ArtefactStore(conn).put(flow)
    html = client.get("/ru/indicators/").get_data(as_text=True)
    other = re.search(r'<section class="area" aria-labelledby="area-other">.*?</section>', html, re.S).group(0)
    assert "Прочие показатели" in other  # no categorisation places it in an area
    assert '<span lang="en">Residence permits</span>' in other
    page = client.get("/ru/indicators/DSM/DF_ONLY_ENGLISH/1.0").get_data(as_text=True)
    assert '<h1><span lang="en">Residence permits</span></h1>' in page and "не указано" in page


def test_pages_need_no_script_and_fetch_nothing_from_elsewhere(client, world):
    css = client.get("/portal/static/portal.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and "@media" in css.get_data(as_text=True)
    assert "url(" not in css.get_data(as_text=True) and "@import" not in css.get_data(as_text=True)
    for lang in ("en", "ru"):
        for path in PAGES:
            r = client.get(path.format(lang=lang))
            html = r.get_data(as_text=True)
            assert "<script" not in html and not re.search(r"<[^>]+\son[a-z]+=", html)  # no JavaScript at all
            for attr in re.findall(r'<(?:link|img|script|iframe)\b[^>]*?(?:src|href)="([^"]+)"', html):
                assert attr.startswith("/"), f"{path}: {attr} is fetched from elsewhere"
            assert 'name="viewport"' in html
            assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
            assert r.headers["X-Frame-Options"] == "DENY"


def test_form_fields_have_labels(client, world):
    for lang in ("en", "ru"):
        html = client.get(f"/{lang}/sign-in").get_data(as_text=True)
        form = html[html.index("<main"):]  # the sign-in form, not the search box of the header
        inputs = re.findall(r'<input\b[^>]*>', form)
        visible = [i for i in inputs if 'type="hidden"' not in i]
        assert len(visible) == 2
        for tag in visible:
            id_ = re.search(r'id="([^"]+)"', tag).group(1)
            assert re.search(rf'<label for="{id_}">[^<]+</label>', html), f"no label for {id_}"
