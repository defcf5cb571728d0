"""Documenting an indicator on the portal (issue 17, points 3 and 4): the form a content manager or data submitter
fills in or edits (prefilled from the latest version), the Excel template downloaded and uploaded back, errors next
to their fields or named by cell with nothing stored, and the documentation in the verifier's and approver's queues
with what changed against the released version. Real database (SQLite and PostgreSQL), real HTTP, CSRF."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from sdmx_server.storage.audit_store import AuditStore
from sdmx_server.storage.metadata_store import MetadataStore
from sdmx_server.storage.user_store import UserStore

from ..access_world import PASSWORD
from ..db_dump import dump
from .conftest import csrf_token, sign_in
from .test_portal_pages import text_of

FLOW = "DSM/DF_STOCK_FOREIGNERS/1.0"
STOCK = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)"
FORM = {"t-DEF_FOREIGNER-0-en": "A person who is not a citizen", "t-DEF_FOREIGNER-0-ru": "Лицо без гражданства страны",
        "t-COLLECTING_INSTITUTIONS-0-en": "Migration service", "v-DATA_SOURCE": ["POP_REGISTER", "RES_PERMIT"],
        "v-COUNTING_UNIT": "PERSONS", "t-FOCAL_POINT-0-ru": "Бюро статистики",
        "t-INFORMATION_PROVIDER-0-en": "A. Analyst", "v-AS_OF_DATE": "2026-06-30"}


@pytest.fixture
def people(world, app, engine):
    with engine.begin() as conn:
        users = UserStore(conn, app.extensions["sdmx_policy"])
        users.add("kz_content", PASSWORD, roles=["content_manager"], country="KZ")
        users.add("kz_verifier", PASSWORD, roles=["data_verifier"], country="KZ")
    return world


def send(client, data: dict, lang: str = "en", token: bool = True):
    page = client.get(f"/{lang}/documentation/{FLOW}")
    body = {**data, **({"csrf_token": csrf_token(page.get_data(as_text=True))} if token else {})}
    return client.post(f"/{lang}/documentation/{FLOW}", data=body)


def sets(engine):
    with engine.connect() as conn:
        return MetadataStore(conn).listing()


def test_a_content_manager_fills_in_the_form_and_edits_it(client, people, engine):
    sign_in(client, "kz_content")
    index = text_of(client.get("/en/documentation/").get_data(as_text=True))
    assert "Stock of foreigners" in index and "No documentation has been sent yet." in index
    page = client.get(f"/en/documentation/{FLOW}")
    text = text_of(page.get_data(as_text=True))
    assert page.status_code == 200 and "National definition of foreigner (required)" in text
    assert "Kazakhstan" in text and "no documentation of your country yet" in text
    r = send(client, FORM)
    assert r.status_code == 302, text_of(r.get_data(as_text=True))
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    (s,) = sets(engine)
    assert (s.id, s.state, s.submitted_by, s.provider_id, s.dataflow_urn) == (sid, "pending", "kz_content", "KZ", STOCK)
    assert [v.value for v in s.values_of("DATA_SOURCE")] == ["POP_REGISTER", "RES_PERMIT"]
    assert s.values_of("DEF_FOREIGNER")[0].texts == {"en": "A person who is not a citizen",
                                                     "ru": "Лицо без гражданства страны"}
    detail = text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    assert "passed the checks and waits for your country's verifier" in detail
    assert "No version of this documentation is released yet" in detail and "Population register" in detail
    # editing starts from it
    html = client.get(f"/en/documentation/{FLOW}").get_data(as_text=True)
    assert "starts from version 1" in text_of(html)
    assert 'value="RES_PERMIT" checked' in html and "Лицо без гражданства страны</textarea>" in html
    r = send(client, {**FORM, "t-DEF_FOREIGNER-0-en": "A person holding another citizenship"})
    assert r.status_code == 302
    with engine.connect() as conn:
        actions = [e.action for e in AuditStore(conn).entries(country="KZ")]
    assert actions.count("documentation.submit") == 2


def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_stored(client, people, engine):
    sign_in(client, "kz_content")
    before = dump(engine)
    bad = {k: v for k, v in FORM.items() if not k.startswith("t-FOCAL_POINT")}
    r = send(client, {**bad, "v-AS_OF_DATE": "spring 2026", "v-COUNTING_UNIT": "GUESS"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    text = text_of(html)
    assert "Nothing was stored: please correct the answers marked below" in text
    assert "National focal point: this question must be answered." in text
    assert "write the date as YYYY-MM-DD" in text and "choose one of the answers of the list" in text
    assert 'id="q-AS_OF_DATE-error"' in html and 'value="spring 2026"' in html  # shown again, to fix
    assert "Лицо без гражданства страны</textarea>" in html  # nothing typed is lost
    r = send(client, FORM, token=False)
    assert r.status_code == 400
    assert dump(engine) == before
    ru = send(client, {**bad}, lang="ru")
    assert ru.status_code == 422 and "на этот вопрос нужно ответить" in text_of(ru.get_data(as_text=True))
    assert dump(engine) == before


def test_in_russian(client, people, engine):
    sign_in(client, "kz_admin", lang="ru")
    text = text_of(client.get(f"/ru/documentation/{FLOW}").get_data(as_text=True))
    assert "Документация: Численность иностранцев Казахстан" in text
    assert "Национальное определение иностранца (обязательно)" in text and "Регистр населения" in text
    assert "Заполните форму" in text and "Отправить документацию" in text


def test_the_excel_template_from_the_portal_and_back(client, people, engine):
    sign_in(client, "kz_content")
    r = client.get(f"/ru/documentation/{FLOW}/template.xlsx")
    assert r.status_code == 200 and r.headers["Content-Language"] == "ru"
    wb = load_workbook(io.BytesIO(r.data))
    sheet = wb["Documentation"]
    rows = {}
    for i in range(3, sheet.max_row + 1):
        rows.setdefault(sheet.cell(i, 1).value, []).append(i)
    for attribute, lang, text in (("DEF_FOREIGNER", 5, "A person"), ("COLLECTING_INSTITUTIONS", 6, "Служба"),
                                  ("FOCAL_POINT", 5, "Bureau"), ("INFORMATION_PROVIDER", 5, "Analyst")):
        sheet.cell(rows[attribute][0], lang, text)
    sheet.cell(rows["DATA_SOURCE"][0], 4, "CENSUS: Перепись населения")
    sheet.cell(rows["COUNTING_UNIT"][0], 4, "PERSONS")
    sheet.cell(rows["AS_OF_DATE"][0], 4, "30.06.2026")  # a mistake: not YYYY-MM-DD
    out = io.BytesIO()
    wb.save(out)
    before = dump(engine)
    page = client.get(f"/en/documentation/{FLOW}")
    token = csrf_token(page.get_data(as_text=True))
    r = client.post(f"/en/documentation/{FLOW}/upload", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (io.BytesIO(out.getvalue()), "doc.xlsx")})
    assert r.status_code == 422
    text = text_of(r.get_data(as_text=True))
    assert f"sheet “Documentation”, cell D{rows['AS_OF_DATE'][0]}" in text and "write the date as YYYY-MM-DD" in text
    assert dump(engine) == before
    sheet.cell(rows["AS_OF_DATE"][0], 4, "2026-06-30")
    out = io.BytesIO()
    wb.save(out)
    r = client.post(f"/en/documentation/{FLOW}/upload", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (io.BytesIO(out.getvalue()), "doc.xlsx")})
    assert r.status_code == 302, text_of(r.get_data(as_text=True))
    (s,) = sets(engine)
    assert s.values_of("DATA_SOURCE")[0].value == "CENSUS" and s.values_of("COLLECTING_INSTITUTIONS")[0].texts == {
        "ru": "Служба"}
    r = client.post(f"/en/documentation/{FLOW}/upload", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (io.BytesIO(b"not a workbook"), "doc.xlsx")})
    assert r.status_code == 400 and "could not be read" in text_of(r.get_data(as_text=True))


def test_queues_changes_and_four_eyes_on_the_portal(client, people, engine):
    sign_in(client, "kz_admin")
    assert send(client, FORM).status_code == 302
    sid = sets(engine)[0].id
    own = text_of(client.get(f"/en/documentation/sets/{sid}").get_data(as_text=True))
    assert "another person confirms and releases it (four eyes)" in own and "Confirm the documentation" not in own
    checker = client.application.test_client()
    sign_in(checker, "kz_verifier")
    queue = text_of(checker.get("/en/queue/verify").get_data(as_text=True))
    assert "Documentation to verify" in queue and f"{sid} Stock of foreigners" in queue
    page = checker.get(f"/en/documentation/sets/{sid}")
    r = checker.post(f"/en/documentation/sets/{sid}/verify",
                     data={"csrf_token": csrf_token(page.get_data(as_text=True)), "verify-comment": "fine"})
    assert r.status_code == 302 and sets(engine)[0].state == "validated"
    approver = client.application.test_client()
    sign_in(approver, "kz_f_admin")  # releases DF_ENTRIES only (its content rights see every KZ documentation)
    page = approver.get(f"/en/documentation/sets/{sid}")
    assert page.status_code == 200 and "Release the documentation" not in text_of(page.get_data(as_text=True))
    r = approver.post(f"/en/documentation/sets/{sid}/release",
                      data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert r.status_code == 403 and sets(engine)[0].state == "validated"
    sign_in(approver, "root")
    assert f"{sid} Stock of foreigners" in text_of(approver.get("/en/queue/release").get_data(as_text=True))
    page = approver.get(f"/en/documentation/sets/{sid}")
    r = approver.post(f"/en/documentation/sets/{sid}/release",
                      data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert r.status_code == 302 and sets(engine)[0].state == "released"
    # a second version: the verifier sees what changed against the released one, attribute by attribute
    assert send(client, {**FORM, "t-DEF_FOREIGNER-0-en": "A person holding another citizenship",
                         "v-DATA_SOURCE": ["CENSUS"]}).status_code == 302
    second = sets(engine)[0]
    text = text_of(checker.get(f"/en/documentation/sets/{second.id}").get_data(as_text=True))
    assert "Compared with version 1, the one released now." in text
    assert "National definition of foreigner English: A person who is not a citizen Русский: Лицо без гражданства " \
           "страны English: A person holding another citizenship" in text
    assert "Source of the data Population register (POP_REGISTER) Residence permits (RES_PERMIT) Population census " \
           "(CENSUS) All answers" in text and "Migration service" not in text.split("All answers")[0]
    page = checker.get(f"/en/documentation/sets/{second.id}")
    r = checker.post(f"/en/documentation/sets/{second.id}/return",
                     data={"csrf_token": csrf_token(page.get_data(as_text=True)), "return-comment": "the law?"})
    assert r.status_code == 302 and sets(engine)[0].state == "returned"
    assert "returned to the submitter" in text_of(checker.get(r.headers["Location"]).get_data(as_text=True))
    with engine.connect() as conn:
        actions = [(e.actor, e.action) for e in reversed(AuditStore(conn).entries(country="KZ"))
                   if e.action.startswith("documentation.")]
    assert actions == [("kz_admin", "documentation.submit"), ("kz_verifier", "documentation.verify"),
                       ("root", "documentation.release"), ("kz_admin", "documentation.submit"),
                       ("kz_verifier", "documentation.return")]


def test_who_may_not(client, people, engine):
    for path in ("/en/documentation/", f"/en/documentation/{FLOW}", "/en/documentation/sets/1"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/en/sign-in"), path
    sign_in(client, "kz_viewer")
    assert client.get("/en/documentation/").status_code == 403
    assert client.get(f"/en/documentation/{FLOW}").status_code == 403
    assert "/en/documentation/" not in client.get("/en/").get_data(as_text=True)
    sign_in(client, "root")
    page = text_of(client.get(f"/en/documentation/{FLOW}").get_data(as_text=True))
    assert "Choose the country whose documentation you write." in page and "Kazakhstan" in page
    assert client.get(f"/en/documentation/{FLOW}?provider=KZ").status_code == 200
    assert client.get(f"/en/documentation/{FLOW}?provider=XX").status_code == 404
