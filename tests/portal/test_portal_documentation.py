"""The data documentation in the portal (issue 17, point 6) on a real database (SQLite and PostgreSQL) through the
Flask test client: the indicator page's panels, the comparison with the regional definition, the panel beside a
report and the "Notes on the data" of its exports, each under the one visibility rule (visitor, own country,
another country with and without a grant, public documentation, system administrator; unreleased versions never)."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import replace
from html import unescape

import pytest
import sqlalchemy
from openpyxl import load_workbook

from sdmx_server.identity.actor import Actor
from sdmx_server.metadata.demo import STOCK, demo_sets
from sdmx_server.sdmx.metadata_set import AttributeValue
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.storage.grant_store import GrantStore
from sdmx_server.storage.metadata_store import MetadataStore
from sdmx_server.submission.intake import dataflow_context
from sdmx_server.submission.workflow import FourEyes, IngestOptions, submit

from .conftest import sign_in

PAGE = "/{lang}/indicators/DSM/DF_STOCK_FOREIGNERS/1.0"
COMPARE = PAGE + "/documentation"
REPORT = "/{lang}/reports/DSM/DF_STOCK_FOREIGNERS/1.0"
MD_FOREIGNER = "A person who holds the citizenship of another state; stateless persons are counted apart."
KG_FOCAL = "National statistical office of Kyrgyzstan"
KZ_FOCAL = "National statistical office of Kazakhstan"
MD_FOCAL = "National statistical office of Moldova"
DIFFERS = "≠ differs from the regional definition"


def load_figures(engine, country: str) -> None:
    """Released stock figures of one country (its administrator submits and releases them at once)."""
    head = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
    rows = [f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,S,{country},{cit},{sex},2025-S1,{100 + n},PS,A"
            for n, (cit, sex) in enumerate((c, s) for c in ("RU", "UZ") for s in ("F", "M"))]
    with engine.begin() as conn:
        ctx = dataflow_context(ArtefactStore(conn), "DSM", "DF_STOCK_FOREIGNERS", "1.0")
        who = Actor(0, f"{country.lower()}_admin", country, frozenset({"submit_data", "verify_data", "release_data"}))
        submit(conn, io.BytesIO("\n".join([head] + rows).encode()), ctx, who, provider=country, replace=False,
               content_type="text/csv", options=IngestOptions(provisional=False), release_now=True,
               four_eyes=FourEyes(frozenset({country})))


@pytest.fixture
def documented(world, engine):
    """The demo documentation of KZ, KG and MD released (none public, nothing shared), KZ and KG figures."""
    with engine.begin() as conn:
        store = MetadataStore(conn)
        for s in demo_sets():
            store.add(s, state="released", actor="test")
    load_figures(engine, "KZ")
    load_figures(engine, "KG")
    return engine


def main_text(client, url: str, status: int = 200) -> str:
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == status, html[html.find("<main"):][:2000]
    main = html[html.find("<main"):html.find("</main>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def grant(engine, owner: str, grantee: str) -> None:
    with engine.begin() as conn:
        GrantStore(conn).grant(owner, STOCK, grantee, by="test")


def publish(engine, owner: str) -> None:
    with engine.begin() as conn:
        MetadataStore(conn).set_public(owner, STOCK, True, by="test")


# -- who sees what ------------------------------------------------------------------------------------

def test_a_visitor_sees_no_documentation_until_a_country_makes_it_public(client, documented):
    text = main_text(client, PAGE.format(lang="en"))
    assert "No country has made its documentation of this indicator public yet" in text
    assert KZ_FOCAL not in text and MD_FOREIGNER not in text
    assert "No country has made its documentation" in main_text(client, COMPARE.format(lang="en"))
    publish(documented, "MD")  # Moldova opens its documentation, not its figures
    text = main_text(client, PAGE.format(lang="en"))
    assert "Moldova" in text and MD_FOREIGNER in text and MD_FOCAL in text
    assert KZ_FOCAL not in text and KG_FOCAL not in text
    text = main_text(client, COMPARE.format(lang="en"))
    assert "Moldova: 2 answers differ from the regional definition" in text and "Kazakhstan" not in text


def test_own_country_granted_and_not_granted_viewers(app, client, documented):
    sign_in(client, "kz_viewer")
    text = main_text(client, PAGE.format(lang="en"))
    assert KZ_FOCAL in text and KG_FOCAL not in text and MD_FOCAL not in text  # own only: nothing shared yet
    grant(documented, "KG", "KZ")  # Kyrgyzstan shares its stock figures with Kazakhstan
    text = main_text(client, PAGE.format(lang="en"))
    assert KZ_FOCAL in text and KG_FOCAL in text and MD_FOCAL not in text
    other = app.test_client()
    sign_in(other, "kg_viewer")  # Kazakhstan shared nothing with Kyrgyzstan
    text = main_text(other, COMPARE.format(lang="en"))
    assert KG_FOCAL in text and KZ_FOCAL not in text and "Kazakhstan" not in text


def test_a_system_administrator_sees_every_country(client, documented):
    sign_in(client, "root")
    text = main_text(client, COMPARE.format(lang="en"))
    assert all(c in text for c in ("Kazakhstan", "Kyrgyzstan", "Moldova"))


def test_unreleased_versions_are_never_shown(client, documented):
    kz = next(s for s in demo_sets() if s.provider_id == "KZ")
    draft = replace(kz, values=tuple(AttributeValue("DEF_FOREIGNER", texts={"en": "A draft definition"})
                                     if v.attribute == "DEF_FOREIGNER" else v for v in kz.values))
    with documented.begin() as conn:
        store = MetadataStore(conn)
        store.add(draft, state="pending", actor="test")  # version 2
        v3 = store.add(draft, state="pending", actor="test")
        store.transition(v3.id, "validated", actor="test")  # version 3, checked but not released
        store.add(replace(draft, provider_id="AM"), state="pending", actor="test")  # Armenia: nothing released
    sign_in(client, "root")  # sees every country's figures, pending ones too: still only released documentation
    for url in (PAGE, COMPARE):
        text = main_text(client, url.format(lang="en"))
        documentation = text.split("Data documentation", 1)[1]
        assert "A draft definition" not in documentation and "Armenia" not in documentation
        assert "A person who is not a citizen of the country, including stateless persons." in documentation
        assert "Version 1," in documentation or url == COMPARE


# -- what a reader reads --------------------------------------------------------------------------------

def test_the_indicator_page_in_russian_names_questions_and_codes_and_marks_english(client, documented):
    sign_in(client, "root")
    text = main_text(client, PAGE.format(lang="ru"))
    assert "Документация данных" in text and "Сравнить документацию стран" in text
    assert "Национальное определение иностранца" in text and "Лицо, имеющее гражданство другого государства" in text
    assert "Регистр населения" in text and "Первый день периода" in text  # code names from the codelists
    assert "Учёт лиц или случаев Случаи" in text  # Kyrgyzstan counts cases
    # Moldova wrote its source's description in English only: shown, marked in words
    assert ("Register of foreigners of the General Inspectorate for Migration, matched with the 2024 census "
            "(по-английски: перевода пока нет)") in text
    html = client.get(PAGE.format(lang="ru")).get_data(as_text=True)
    assert '<span lang="en">Register of foreigners' in html
    text = main_text(client, PAGE.format(lang="en"))
    assert "not translated" not in text


def test_the_comparison_marks_what_differs_from_the_regional_definition(client, documented):
    sign_in(client, "root")
    text = main_text(client, COMPARE.format(lang="en"))
    assert "Question Regional definition Kazakhstan Kyrgyzstan Moldova" in text
    assert "Kazakhstan: as the regional definition" in text
    assert "Kyrgyzstan: 1 answer differs from the regional definition" in text  # cases, not persons
    assert "Moldova: 2 answers differ from the regional definition" in text  # foreigner, reference date
    row = text.split("Counted as persons or cases", 1)[1].split("Children included", 1)[0]
    assert row.split() == ["Persons", "Persons", "Cases", *DIFFERS.split(), "Persons"]
    row = text.split("Legislative act defining foreigner", 1)[1].split("National definition of child", 1)[0]
    assert "no agreed answer" in row and DIFFERS not in row
    assert text.count(DIFFERS) == 3 + 1  # three answers, and the sentence explaining the mark
    html = client.get(COMPARE.format(lang="en")).get_data(as_text=True)
    assert html.count('<td class="differs">') == 3
    ru = main_text(client, COMPARE.format(lang="ru"))
    assert "Молдова: 2 ответа отличаются от регионального определения" in ru
    assert "Региональное определение" in ru and ru.count("≠ отличается от регионального определения") == 4


def test_a_report_shows_the_documentation_of_its_countries(client, documented):
    grant(documented, "KG", "KZ")
    sign_in(client, "kz_viewer")
    text = main_text(client, REPORT.format(lang="en"))
    panel = text.split("How the countries make these figures", 1)[1]
    assert KZ_FOCAL in panel and KG_FOCAL in panel and MD_FOCAL not in panel
    panel = main_text(client, REPORT.format(lang="en") + "?country=KZ").split("How the countries make these", 1)[1]
    assert KZ_FOCAL in panel and KG_FOCAL not in panel
    assert "Сравнить документацию стран" in main_text(client, REPORT.format(lang="ru"))


def test_a_report_names_its_countries_without_documentation(client, documented, tmp_path):
    grant(documented, "KG", "KZ")
    with documented.begin() as conn:
        conn.execute(sqlalchemy.text("DELETE FROM metadata_set WHERE provider_id = 'KG'"))
    sign_in(client, "kz_viewer")
    panel = main_text(client, REPORT.format(lang="en")).split("How the countries make these figures", 1)[1]
    assert KZ_FOCAL in panel and "Not documented yet: Kyrgyzstan." in panel
    panel = main_text(client, REPORT.format(lang="ru") + "?country=KG").split("Как страны составляют", 1)[1]
    assert "Документации пока нет: Кыргызстан." in panel and "Сравнить документацию" not in panel
    wb = load_workbook(io.BytesIO(client.get(REPORT.format(lang="en") + "/export.xlsx").data))
    assert "Not documented yet: Kyrgyzstan." in [r[0].value for r in wb["Notes on the data"].iter_rows()]
    html = client.get(REPORT.format(lang="en") + "/export.html?country=KG").get_data(as_text=True)
    assert "Notes on the data" in html and "Not documented yet: Kyrgyzstan." in html


def test_exports_carry_notes_on_the_data_of_their_countries(client, documented, tmp_path):
    with documented.begin() as conn:  # a focal point written as a formula stays text in Excel
        kz = next(s for s in demo_sets() if s.provider_id == "KZ")
        MetadataStore(conn).add(replace(kz, values=tuple(
            AttributeValue("FOCAL_POINT", texts={"en": "=HYPERLINK(\"http://x\")", "ru": "=1+1"})
            if v.attribute == "FOCAL_POINT" else v for v in kz.values)), state="released", actor="test")
    sign_in(client, "kz_viewer")  # KG has not shared: its documentation is in no export
    base = REPORT.format(lang="en") + "/export."
    html = client.get(base + "html").get_data(as_text=True)
    notes = " ".join(unescape(re.sub(r"<[^>]+>", " ", html.split("Notes on the data", 1)[1])).split())
    assert "Kazakhstan" in notes and "Law on the legal status of foreigners" in notes and KG_FOCAL not in notes
    wb = load_workbook(io.BytesIO(client.get(base + "xlsx").data))
    assert wb.sheetnames[-1] == "Notes on the data"
    rows = [[c.value for c in r] for r in wb["Notes on the data"].iter_rows()]
    assert rows[1] == ["Country", "Question", "Answer", "Compared with the regional definition"]
    assert ["Kazakhstan", "Counted as persons or cases", "Persons", None] in rows
    focal = next(r for r in wb["Notes on the data"].iter_rows() if r[1].value == "National focal point")
    assert focal[2].value == '=HYPERLINK("http://x")' and focal[2].data_type == "s"  # text, never a formula
    assert not any(r[0] == "Kyrgyzstan" for r in rows)
    resp = client.get(REPORT.format(lang="ru") + "/export.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(resp.data)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Примечания к данным" in text and "Национальное определение иностранца" in text
    assert "Закон о правовом положении иностранцев" in text and "Кыргызстан" not in text


def test_csv_export_is_unchanged(client, documented):
    sign_in(client, "kz_viewer")
    body = client.get(REPORT.format(lang="en") + "/export.csv").get_data(as_text=True)
    assert "Notes on the data" not in body and "Law on the legal status" not in body


def test_answers_are_text_never_markup(client, documented):
    kz = next(s for s in demo_sets() if s.provider_id == "KZ")
    with documented.begin() as conn:
        MetadataStore(conn).add(replace(kz, values=tuple(
            AttributeValue("FOCAL_POINT", texts={"en": "<script>alert(1)</script><b>Bureau</b>"})
            if v.attribute == "FOCAL_POINT" else v for v in kz.values)), state="released", actor="test")
    sign_in(client, "kz_viewer")
    for url in (PAGE.format(lang="en"), COMPARE.format(lang="ru"), REPORT.format(lang="en"),
                REPORT.format(lang="en") + "/export.html"):
        html = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Bureau&lt;/b&gt;" in html and "<script>" not in html, url
