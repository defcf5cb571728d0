"""Submitting data on the portal: the indicators a user may submit to, the Excel template in the page's language,
uploads with a validation report in plain language naming the cell, and number-by-number entry, all through
workflow.submit (real database, SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import load_workbook

from sdmx_server.storage.submission_store import SubmissionStore

from .conftest import csrf_token, sign_in
from .test_portal_pages import text_of

ENTRIES = "DSM/DF_ENTRIES/1.0"
STOCK = "DSM/DF_STOCK_FOREIGNERS/1.0"


def submissions(engine) -> list:
    with engine.connect() as conn:
        return SubmissionStore(conn).list(None)


def filled_template(client, flow: str, rows: list[dict[str, str]], lang: str = "en") -> bytes:
    """The portal's template for ``flow``, filled in from row 3 on as a person would (by column id)."""
    r = client.get(f"/{lang}/submit/{flow}/template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    sheet = wb["Data"]
    header = [c.value for c in sheet[1]]
    for n, row in enumerate(rows, start=3):
        for cid, value in row.items():
            sheet.cell(n, header.index(cid) + 1, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def entry_row(period: str, sex: str, value: str, citizenship: str = "RU") -> dict[str, str]:
    return {"FREQ": "Q", "REF_AREA": "KZ", "CITIZENSHIP": citizenship, "SEX": sex, "TIME_PERIOD": period,
            "OBS_VALUE": value, "UNIT_MEASURE": "PS", "OBS_STATUS": "A"}


def upload(client, flow: str, body: bytes, name: str = "figures.xlsx", lang: str = "en"):
    page = client.get(f"/{lang}/submit/{flow}")
    assert page.status_code == 200
    return client.post(f"/{lang}/submit/{flow}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "file": (io.BytesIO(body), name)})


def test_the_submit_page_lists_only_what_the_user_may_submit_to(client, world):
    assert client.get("/en/submit/").status_code == 302  # to sign in first
    sign_in(client, "kz_f_admin")
    text = text_of(client.get("/en/submit/").get_data(as_text=True))
    assert "Foreigners entering the country" in text and "Foreigners leaving the country" not in text
    assert client.get(f"/en/submit/{ENTRIES}").status_code == 200
    assert client.get("/en/submit/DSM/DF_EXITS/1.0").status_code == 403  # its role is limited to DF_ENTRIES
    assert client.get("/en/submit/DSM/DF_NOPE/1.0").status_code == 404


def test_a_viewer_may_not_submit(client, world):
    sign_in(client, "kz_viewer")
    assert client.get("/en/submit/").status_code == 403
    assert client.get(f"/en/submit/{ENTRIES}").status_code == 403
    assert client.get(f"/en/submit/{ENTRIES}/entry").status_code == 403
    nav = client.get("/en/").get_data(as_text=True)
    assert "Submit data" not in nav and "To verify" not in nav and "Revisions" in nav


def test_the_template_speaks_the_pages_language(client, world):
    r = client.get(f"/ru/submit/{ENTRIES}/template.xlsx")
    assert r.status_code == 200 and r.headers["Content-Language"] == "ru"
    wb = load_workbook(io.BytesIO(r.data))
    assert wb["Instructions"]["A1"].value == "Шаблон для ввода данных"
    assert wb["Data"]["D2"].value == "Пол"  # the column's name in Russian, under its id SEX
    assert "F: Женщины" in [c.value for c in wb["Codes"]["D"]]


@pytest.mark.parametrize("lang, expected", [
    ("en", "sheet “Data”, cell F4 : Observation value must be a number, but it contains “many”. "
           "(figure Quarterly, Kazakhstan, Russia, Male · 2025-Q1) "
           "sheet “Data”, cell D5 : “X” is not one of the codes allowed for Sex."),
    ("ru", "лист «Data», ячейка F4 : «Значение» должно быть числом, а в нём «many»."),
])
def test_an_upload_with_a_mistake_names_the_cell_and_stores_nothing(client, world, engine, lang, expected):
    sign_in(client, "kz_admin", lang=lang)
    body = filled_template(client, ENTRIES, [entry_row("2025-Q1", "F", "120"), entry_row("2025-Q1", "M", "many"),
                                             entry_row("2025-Q1", "X", "7")], lang)
    r = upload(client, ENTRIES, body, lang=lang)
    assert r.status_code == 422
    text = text_of(r.get_data(as_text=True))
    assert expected in text, text
    assert submissions(engine) == []


def test_a_correct_upload_becomes_a_pending_submission(client, world, engine):
    sign_in(client, "kz_admin")
    body = filled_template(client, ENTRIES, [entry_row("2025-Q1", "F", "120"), entry_row("2025-Q1", "M", "130")])
    r = upload(client, ENTRIES, body)
    assert r.status_code == 302
    [row] = submissions(engine)
    assert r.headers["Location"] == f"/en/submissions/{row.id}"
    assert (row.state, row.provider_id, row.submitted_by, row.observations_read) == ("pending", "KZ", "kz_admin", 2)
    page = client.get(r.headers["Location"])
    text = text_of(page.get_data(as_text=True))
    assert "the figures passed the checks" in text
    assert "waiting for verification" in text and "120" in text and "130" in text


def test_an_sdmx_csv_upload_goes_the_same_way_and_a_broken_file_is_explained(client, world, engine):
    sign_in(client, "kz_admin")
    csv = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
           "dataflow,DSM:DF_ENTRIES(1.0),I,Q,KZ,RU,F,2025-Q1,5,PS,A\n"
           "dataflow,DSM:DF_ENTRIES(1.0),I,Q,KZ,ZZZ,F,2025-Q1,5,PS,A\n")
    r = upload(client, ENTRIES, csv.encode(), "figures.csv")
    assert r.status_code == 422
    assert "row 3, column CITIZENSHIP : “ZZZ” is not one of the codes allowed for" in text_of(r.get_data(as_text=True))
    r = upload(client, ENTRIES, b"\x00\x01 not a file", "figures.xlsx")
    assert r.status_code == 422
    assert "The file could not be read" in text_of(r.get_data(as_text=True))
    assert submissions(engine) == []


def test_an_upload_without_a_file_says_so(client, world):
    sign_in(client, "kz_admin")
    page = client.get(f"/en/submit/{ENTRIES}")
    r = client.post(f"/en/submit/{ENTRIES}", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert r.status_code == 400 and "Choose the file to send." in r.get_data(as_text=True)


def test_an_upload_larger_than_the_site_accepts_says_so_in_the_page_language(client, world, app, engine):
    sign_in(client, "kz_admin", lang="ru")
    r = upload(client, ENTRIES, b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), "figures.csv", lang="ru")
    assert r.status_code == 413
    assert "Файл больше, чем принимает этот сайт" in r.get_data(as_text=True)
    assert submissions(engine) == []


def test_an_upload_without_csrf_token_is_refused(client, world, engine):
    sign_in(client, "kz_admin")
    r = client.post(f"/en/submit/{ENTRIES}", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(b"x"), "a.csv")})
    assert r.status_code == 400 and submissions(engine) == []


# -- number-by-number entry -------------------------------------------------------------------------------

def entry_form_data(html: str) -> dict[str, str]:
    """The entry form as a browser would send it untouched: token, selects at their first option."""
    data = {"csrf_token": csrf_token(html)}
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', options) or re.search(r'value="([^"]*)"', options)
        data[name] = chosen.group(1)
    return data


def test_the_entry_grid_submits_through_the_same_path(client, world, engine):
    sign_in(client, "kz_admin", lang="ru")
    page = client.get(f"/ru/submit/{ENTRIES}/entry")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Женщины" in html  # columns: the sex codes, by name in Russian
    data = entry_form_data(html)
    data.update({"period": "2025-Q2", "a_UNIT_MEASURE": "PS", "a_OBS_STATUS": "A",
                 "c_0_CITIZENSHIP": "RU", "v_0_1": "1 234", "v_0_2": "1 000", "c_1_CITIZENSHIP": "UZ", "v_1_1": "7"})
    cols = re.findall(r'<th scope="col" id="col-(\d+)">([^<]+)</th>', html)
    female = next(i for i, name in cols if name == "Женщины")
    data = {k: v for k, v in data.items() if not k.startswith("v_")} | {
        f"v_0_{female}": "1 234,5", "v_1_" + female: "7"}
    r = client.post(f"/ru/submit/{ENTRIES}/entry", data=data)
    assert r.status_code == 302, text_of(r.get_data(as_text=True))
    [row] = submissions(engine)
    assert (row.state, row.provider_id, row.observations_read, row.format) == ("pending", "KZ", 2, "sdmx_csv_data_reader")
    detail = text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    assert "1 234,5" in detail.replace("\u00a0", " ") and "2025-Q2" in detail


def test_entry_mistakes_are_named_in_the_grid_and_nothing_is_stored(client, world, engine):
    sign_in(client, "kz_admin")
    html = client.get(f"/en/submit/{ENTRIES}/entry").get_data(as_text=True)
    cols = dict((name, i) for i, name in re.findall(r'<th scope="col" id="col-(\d+)">([^<]+)</th>', html))
    data = entry_form_data(html) | {"period": "2025-Q2", "a_UNIT_MEASURE": "PS", "a_OBS_STATUS": "A",
                                    "c_0_CITIZENSHIP": "RU", f"v_0_{cols['Male']}": "lots"}
    r = client.post(f"/en/submit/{ENTRIES}/entry", data=data)
    assert r.status_code == 422
    text = text_of(r.get_data(as_text=True))
    assert "line 1 of the table, column Male : Observation value must be a number, but it contains “lots”." in text
    r = client.post(f"/en/submit/{ENTRIES}/entry", data=data | {"period": "spring", f"v_0_{cols['Male']}": "3"})
    assert r.status_code == 422
    assert "“spring” is not a period" in text_of(r.get_data(as_text=True))
    r = client.post(f"/en/submit/{ENTRIES}/entry", data=data | {"c_0_CITIZENSHIP": "", f"v_0_{cols['Male']}": "3"})
    assert "Line 1 of the table has figures but no Citizenship" in text_of(r.get_data(as_text=True))
    r = client.post(f"/en/submit/{ENTRIES}/entry", data=data | {f"v_0_{cols['Male']}": ""})
    assert "The table is empty" in text_of(r.get_data(as_text=True))
    assert submissions(engine) == []


def test_the_api_sees_the_portals_submission(client, world, engine):
    """The same workflow: a submission made on the portal is listed by /api/submissions for the same user."""
    sign_in(client, "kz_admin")
    body = filled_template(client, ENTRIES, [entry_row("2025-Q1", "F", "120")])
    assert upload(client, ENTRIES, body).status_code == 302
    auth = {"Authorization": "Basic " + base64.b64encode(b"kz_admin:password-123").decode()}
    listed = client.get("/api/submissions", headers=auth).get_json()
    assert [s["state"] for s in listed] == ["pending"] and listed[0]["submittedBy"] == "kz_admin"


def test_a_system_administrator_chooses_the_country(client, world, engine):
    sign_in(client, "root")
    page = client.get(f"/en/submit/{ENTRIES}")
    html = page.get_data(as_text=True)
    assert '<option value="KZ">Kazakhstan</option>' in html
    csv = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
           "dataflow,DSM:DF_ENTRIES(1.0),I,Q,KG,RU,F,2025-Q1,5,PS,A\n")
    r = client.post(f"/en/submit/{ENTRIES}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(html), "provider": "KG", "file": (io.BytesIO(csv.encode()), "f.csv")})
    assert r.status_code == 302
    [row] = submissions(engine)
    assert (row.provider_id, row.submitted_by) == ("KG", "root")


def test_every_rule_reads_as_a_sentence_in_russian(app):
    """Each rule intake reports has its own translated sentence (no English left on a Russian page)."""
    from flask import g

    from sdmx_server.web_portal.submission_report import SENTENCES, describe_error, place_in_words

    with app.test_request_context("/ru/"):
        g.lang_code = "ru"
        assert place_in_words("sheet Data, cell B7") == "лист «Data», ячейка B7"
        assert place_in_words("row 5, column SEX") == "строка 5, столбец SEX"
        assert place_in_words("line 12, column 7") == "строка 12, позиция 7"
        assert place_in_words("row 4", {4: "строка 1 таблицы, столбец «Женщины»"}) == "строка 1 таблицы, столбец «Женщины»"
        for rule in SENTENCES:
            p = describe_error({"rule": rule, "message": "the observation appears twice, at row 2 and at row 3",
                                "where": "row 3", "component": "SEX", "value": "Z"}, lambda c: "Пол")
            assert p.place == "строка 3" and not re.search(r"[A-Za-z]{4,}", p.sentence.replace("Пол", "")), p
        p = describe_error({"rule": "duplicate-key", "message": "the observation appears twice, at row 2 and at row 3",
                            "where": "row 3"}, str)
        assert p.sentence == "Одно и то же значение указано дважды (в первый раз: строка 2)."
        unknown = describe_error({"rule": "new-rule", "message": "something new", "where": "row 9"}, str)
        assert "new-rule" in unknown.sentence and "something new" in unknown.sentence


def test_a_capped_report_keeps_the_count(client, world, engine):
    sign_in(client, "kz_admin")
    rows = "".join(f"dataflow,DSM:DF_ENTRIES(1.0),I,Q,KZ,RU,F,{2000 + n}-Q1,x{n},PS,A\n" for n in range(130))
    csv = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"
    r = upload(client, ENTRIES, (csv + rows).encode(), "many.csv")
    text = text_of(r.get_data(as_text=True))
    assert r.status_code == 422 and "The checks found 130 problems; the first 100 are listed." in text
    assert text.count("must be a number") == 100 and submissions(engine) == []


def test_every_indicator_has_a_template_and_an_entry_grid(client, world):
    from sdmx_server.storage.artefact_store import ArtefactStore

    sign_in(client, "kz_admin", lang="ru")
    with client.application.extensions["sdmx_engine"].connect() as conn:
        flows = [(f["agencyID"], f["id"], f["version"]) for f in ArtefactStore(conn).candidates({"dataflow"}, None, None)]
    assert len(flows) >= 6
    listed = client.get("/ru/submit/").get_data(as_text=True)
    for agency, id_, version in flows:
        assert f"/ru/submit/{agency}/{id_}/{version}" in listed
        entry = client.get(f"/ru/submit/{agency}/{id_}/{version}/entry")
        assert entry.status_code == 200, id_
        assert 'name="period"' in entry.get_data(as_text=True)
        xlsx = client.get(f"/ru/submit/{agency}/{id_}/{version}/template.xlsx")
        assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data))["Data"]["A1"].value


def test_a_grid_with_few_combinations_lists_them_all_and_builds_sdmx_csv(app, world):
    """With few codes to combine (a content constraint, say) every combination is a row of its own."""
    from dataclasses import replace

    from flask import g
    from werkzeug.datastructures import MultiDict

    from sdmx_server.storage.artefact_store import ArtefactStore
    from sdmx_server.submission.intake import dataflow_context
    from sdmx_server.web_portal.submission_entry import build_message, entry_form, entry_layout
    from sdmx_server.web_portal.submission_figures import Names

    with app.test_request_context("/en/", method="POST"), app.extensions["sdmx_engine"].connect() as conn:
        g.lang_code = "en"
        store = ArtefactStore(conn)
        ctx = dataflow_context(store, "DSM", "DF_WORK_PERMITS", "1.0")
        ctx = replace(ctx, allowed={**ctx.allowed, "CITIZENSHIP": frozenset({"UZ", "TJ"}), "SEX": frozenset({"F", "M"})})
        layout = entry_layout(ctx, Names(store, ctx, "en"))
        assert layout.column_dimension == "DECISION"
        assert [tuple(c for c, _ in row) for row in layout.preset_rows] == [
            (cit, sex, app_type) for cit in ("TJ", "UZ") for sex in ("F", "M")
            for app_type, _ in Names(store, ctx, "en").codes("APPLICATION_TYPE")]
        form = entry_form(layout, None, formdata=MultiDict({
            "period": "2025", "a_UNIT_MEASURE": "PS", "a_OBS_STATUS": "A", "v_0_0": "12", "v_1_2": "1 000"}))
        built, problems = build_message(form, layout, "KZ", "en")
        assert problems == [] and built.figures == 2
        lines = built.body.decode().splitlines()
        assert lines[0].startswith("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,APPLICATION_TYPE,"
                                   "DECISION,TIME_PERIOD,OBS_VALUE")
        assert lines[1].startswith(f"dataflow,DSM:DF_WORK_PERMITS(1.0),I,A,KZ,TJ,F,{layout.preset_rows[0][2][0]},"
                                   f"{layout.columns[0][0]},2025,12,")
        assert ",2025,1000," in lines[2]
        assert built.places[3].startswith("Tajikistan, Female, ") and built.places[3].endswith(
            f"column {layout.columns[2][1]}")
