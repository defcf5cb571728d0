"""The Excel template offers what the server accepts (issue 19, item 5): FREQ only the dataflow's frequency (the
title of its PERIODICITY annotation, narrowing what its constraints allow), REF_AREA only the caller's country
(its provision agreements' constraint, dataflows/constraints.xml), and OBS_STATUS may stay empty for figures of the current year, which the server marks
provisional, as the README says; earlier years still need it, named by row. Real database, real workbooks."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from sdmx_server.storage.submission_store import SubmissionStore

from .access_world import PASSWORD, build_world

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
THIS_YEAR = datetime.now(timezone.utc).year


@pytest.fixture
def world(app, engine):
    return build_world(engine, app.extensions["sdmx_policy"])


def _auth(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


def _template(client, flow: str, user: str | None, lang: str = "en"):
    r = client.get(f"/api/dataflows/DSM/{flow}/1.0/template.xlsx?lang={lang}", headers=_auth(user) if user else {})
    assert r.status_code == 200
    return load_workbook(io.BytesIO(r.get_data()))


def _offered(wb, cid: str) -> list[str]:
    codes = wb["Codes"]
    column = next(c.column for c in codes[1] if c.value == cid)
    return [row[0].value.split(":")[0] for row in codes.iter_rows(min_row=2, min_col=column, max_col=column)
            if row[0].value]


def _validation(wb, cid: str):
    data = wb["Data"]
    letter = next(c.column_letter for c in data[1] if c.value == cid)
    return next(dv for dv in data.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}3:"))


@pytest.mark.parametrize(("flow", "freq"), [("DF_STOCK_FOREIGNERS", ["S"]), ("DF_WORK_PERMITS", ["S"]),
                                            ("DF_ENTRIES", ["Q"]), ("DF_ASYLUM_DECISIONS", ["Q"])])
def test_freq_offers_only_the_dataflow_s_frequency(client, world, flow, freq):
    for user in (None, "kz_admin", "root"):
        assert _offered(_template(client, flow, user), "FREQ") == freq


def test_ref_area_offers_only_the_caller_s_country(client, world):
    assert _offered(_template(client, "DF_ENTRIES", "kz_admin"), "REF_AREA") == ["KZ"]
    assert _offered(_template(client, "DF_ENTRIES", "kg_admin", "ru"), "REF_AREA") == ["KG"]
    everyone = _offered(_template(client, "DF_ENTRIES", "root"), "REF_AREA")  # a country-less administrator
    assert "KZ" in everyone and "KG" in everyone and len(everyone) > 200


@pytest.mark.parametrize(("lang", "says"), [("en", f"leave it empty for figures of {THIS_YEAR} and later"),
                                            ("ru", f"для данных за {THIS_YEAR} год и позже оставьте пустым")])
def test_obs_status_may_stay_empty_and_the_instructions_say_when(client, world, lang, says):
    wb = _template(client, "DF_ENTRIES", "kz_admin", lang)
    assert _validation(wb, "OBS_STATUS").allow_blank is True
    assert _validation(wb, "FREQ").allow_blank is False  # a key column stays mandatory
    instructions = "\n".join(str(r[0].value) for r in wb["Instructions"].iter_rows() if r[0].value)
    assert says in instructions


def _filled(client, rows: list[dict[str, str]]) -> bytes:
    wb = _template(client, "DF_ENTRIES", "kz_admin")
    sheet = wb["Data"]
    header = [c.value for c in sheet[1]]
    for r, row in enumerate(rows, start=3):
        for cid, value in row.items():
            sheet.cell(r, header.index(cid) + 1, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row(period: str, status: str = "", sex: str = "F") -> dict[str, str]:
    return {"FREQ": "Q: Quarterly", "REF_AREA": "KZ: Kazakhstan", "CITIZENSHIP": "UZ: Uzbekistan", "SEX": sex,
            "TIME_PERIOD": period, "OBS_VALUE": "12", "UNIT_MEASURE": "PS", "OBS_STATUS": status}


def _upload(client, body: bytes):
    # a system administrator may do every step at once (README): released, the stored status can be read
    return client.post("/rest/v2/data/dataflow/DSM/DF_ENTRIES/1.0?release=now&provider=KZ", data=body, headers={
        **_auth("root"), "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


def test_a_template_with_empty_obs_status_this_year_is_taken_as_provisional(client, world, engine):
    r = _upload(client, _filled(client, [_row(f"{THIS_YEAR}-Q1"), _row(f"{THIS_YEAR}-Q1", sex="M")]))
    assert r.status_code in (200, 201, 202), r.get_data(as_text=True)
    csv = client.get("/rest/v2/data/dataflow/DSM/DF_ENTRIES/1.0/Q.KZ.UZ.?format=csvdata", headers=_auth("kz_admin"))
    lines = csv.get_data(as_text=True).strip().splitlines()
    status = lines[0].split(",").index("OBS_STATUS")
    assert [line.split(",")[status] for line in lines[1:]] == ["P", "P"]


def test_an_earlier_year_without_status_is_refused_by_row_and_nothing_stored(client, world, engine):
    r = _upload(client, _filled(client, [_row(f"{THIS_YEAR}-Q1"), _row(f"{THIS_YEAR - 1}-Q4", sex="M")]))
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "OBS_STATUS" in body and "sheet Data, row 4" in body and "row 3" not in body
    with engine.connect() as conn:
        assert SubmissionStore(conn).list(None) == []
