"""The workflow screens: my submissions, the verifier's and the approver's queues, a submission's figures as a
table and a chart, confirm / return / release (now or at an embargo time), and revision notices. Everything
goes through submission/workflow.py with the signed-in user as the actor, so the portal shows and allows
exactly what the API does (real database, SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from sdmx_server.storage.submission_store import SubmissionStore

from .conftest import csrf_token, sign_in
from .test_portal_pages import text_of

ENTRIES = "DSM/DF_ENTRIES/1.0"
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS\n"


def csv_of(country: str, values: dict[tuple[str, str], int], period: str = "2025-Q1") -> bytes:
    rows = [f"dataflow,DSM:DF_ENTRIES(1.0),I,Q,{country},{cit},{sex},{period},{v},PS,A"
            for (cit, sex), v in values.items()]
    return (HEAD + "\n".join(rows) + "\n").encode()


def submit(client, body: bytes, lang: str = "en") -> int:
    """Upload on the portal as the signed-in user; the new submission's id."""
    page = client.get(f"/{lang}/submit/{ENTRIES}")
    r = client.post(f"/{lang}/submit/{ENTRIES}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "file": (io.BytesIO(body), "figures.csv")})
    assert r.status_code == 302, text_of(r.get_data(as_text=True))
    return int(r.headers["Location"].rsplit("/", 1)[1])


def act(client, sid: int, action: str, lang: str = "en", **fields: str):
    page = client.get(f"/{lang}/submissions/{sid}")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))} | {f"{action}-{k}": v for k, v in fields.items()}
    return client.post(f"/{lang}/submissions/{sid}/{action}", data=data)


def state(engine, sid: int):
    with engine.connect() as conn:
        return SubmissionStore(conn).get(sid)


def basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:password-123".encode()).decode()}


def test_the_whole_workflow_on_the_portal(client, world, engine):
    sign_in(client, "kz_admin")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 100, ("RU", "M"): 110, ("UZ", "F"): 50}))
    submitter, client = client, client.application.test_client()  # four eyes: another administrator checks
    sign_in(client, "kz_f_admin")

    # the verifier's queue lists it; its page shows the figures as a table and a chart
    queue = text_of(client.get("/en/queue/verify").get_data(as_text=True))
    assert f"{sid} Foreigners entering the country Kazakhstan" in queue
    html = client.get(f"/en/submissions/{sid}").get_data(as_text=True)
    text = text_of(html)
    assert "Russia, Female 100" in text and "Russia, Male 110" in text and "Uzbekistan, Female 50" in text
    assert "<svg" in html and "Confirm" in text and "Release the figures" not in text  # not validated yet

    r = act(client, sid, "verify", comment="looks right")
    assert r.status_code == 302 and r.headers["Location"] == f"/en/submissions/{sid}"
    assert state(engine, sid).state == "validated"
    assert "The submission is confirmed" in text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    assert "Nothing is waiting for verification." in text_of(client.get("/en/queue/verify").get_data(as_text=True))
    assert f"{sid} Foreigners entering the country" in text_of(client.get("/en/queue/release").get_data(as_text=True))

    # an embargo: released later, not now
    later = datetime.now(timezone.utc) + timedelta(days=2)
    r = act(client, sid, "release", day=later.strftime("%Y-%m-%d"), time="09:30")
    row = state(engine, sid)
    assert (row.state, row.release_at) == ("validated", later.replace(hour=9, minute=30, second=0, microsecond=0))
    assert "The release is scheduled" in text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    data = client.get(f"/rest/v2/data/dataflow/{ENTRIES}/*?format=csvdata", headers=basic("kz_admin"))
    assert b"2025-Q1" not in data.data

    # then at once
    r = act(client, sid, "release")
    assert state(engine, sid).state == "released"
    assert "The figures are released" in text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    data = client.get(f"/rest/v2/data/dataflow/{ENTRIES}/*?format=csvdata", headers=basic("kz_admin"))
    assert data.status_code == 200 and data.data.count(b"2025-Q1") == 3

    # a second submission revises one figure: the revision notice says what changed, to whom may see it
    sid2 = submit(submitter, csv_of("KZ", {("RU", "F"): 105}))
    act(client, sid2, "verify")
    act(client, sid2, "release")
    notices = text_of(client.get("/en/revisions/").get_data(as_text=True))
    assert "Foreigners entering the country · Kazakhstan" in notices
    assert "Quarterly, Kazakhstan, Russia, Female 2025-Q1 100 105" in notices
    assert "Russia, Male" not in notices  # unchanged figures are not revisions
    sign_in(client, "kg_viewer")  # Kazakhstan shares nothing with Kyrgyzstan in this world
    assert "Russia, Female" not in text_of(client.get("/en/revisions/").get_data(as_text=True))
    client.post("/en/sign-out", data={"csrf_token": csrf_token(client.get("/en/").get_data(as_text=True))})
    assert "No released figure has been revised" in text_of(client.get("/en/revisions/").get_data(as_text=True))


def test_returning_needs_a_comment_and_keeps_the_figures(client, world, engine):
    sign_in(client, "kz_admin")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 100}))
    r = act(client, sid, "return", comment="   ")
    assert r.status_code == 400
    assert "Say what must be fixed" in text_of(r.get_data(as_text=True))
    assert state(engine, sid).state == "pending"
    r = act(client, sid, "return", comment="Females of Uzbekistan are missing")
    assert state(engine, sid).state == "returned"
    text = text_of(client.get(r.headers["Location"]).get_data(as_text=True))
    assert "returned to the submitter" in text and "Females of Uzbekistan are missing" in text
    assert "no longer kept" not in text and "Correct and send again" in text  # tests/portal/test_portal_corrections.py
    r = act(client, sid, "verify")  # too late: the form was there, the state moved on
    assert "Nothing was done" in text_of(client.get(r.headers["Location"]).get_data(as_text=True))


@pytest.mark.parametrize("who", ["kg_admin", "kz_viewer"])
def test_others_see_no_such_submission(client, world, engine, who):
    sign_in(client, "kz_admin")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 100}))
    client.post("/en/sign-out", data={"csrf_token": csrf_token(client.get("/en/").get_data(as_text=True))})
    sign_in(client, who)
    assert client.get(f"/en/submissions/{sid}").status_code == 404
    token = csrf_token(client.get("/en/").get_data(as_text=True))
    for action in ("verify", "release", "return"):
        r = client.post(f"/en/submissions/{sid}/{action}", data={"csrf_token": token, "return-comment": "no"})
        assert r.status_code == 404
    assert state(engine, sid).state == "pending"
    assert str(sid) not in re.sub(r"\s+", " ", text_of(client.get("/en/submissions/").get_data(as_text=True)))
    assert client.get(f"/api/submissions/{sid}", headers=basic(who)).status_code == 404  # as the API says


def test_a_viewer_has_no_queue_and_no_menu_for_it(client, world):
    sign_in(client, "kz_viewer")
    assert client.get("/en/queue/verify").status_code == 403
    assert client.get("/en/queue/release").status_code == 403
    html = client.get("/en/").get_data(as_text=True)
    assert "/en/queue/verify" not in html and "/en/submissions/" not in html


def test_anonymous_visitors_are_asked_to_sign_in(client, world):
    for path in ("/en/submissions/", "/en/submissions/1", "/en/queue/verify", "/en/queue/release",
                 f"/en/submit/{ENTRIES}/entry"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/en/sign-in?next="), path


def test_a_verifier_limited_to_one_indicator_sees_only_its_submissions(client, world, engine):
    """kz_f_admin holds its roles for DF_ENTRIES only: a DF_EXITS submission is not theirs to see."""
    sign_in(client, "kz_admin")
    page = client.get("/en/submit/DSM/DF_EXITS/1.0")
    body = csv_of("KZ", {("RU", "F"): 1}).replace(b"DF_ENTRIES", b"DF_EXITS")
    r = client.post("/en/submit/DSM/DF_EXITS/1.0", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "file": (io.BytesIO(body), "f.csv")})
    exits = int(r.headers["Location"].rsplit("/", 1)[1])
    entries = submit(client, csv_of("KZ", {("RU", "F"): 1}))
    sign_in(client, "kz_f_admin")
    listed = text_of(client.get("/en/queue/verify").get_data(as_text=True))
    assert "Foreigners entering the country" in listed and "Foreigners leaving the country" not in listed
    assert client.get(f"/en/submissions/{exits}").status_code == 404
    assert client.get(f"/en/submissions/{entries}").status_code == 200


def test_the_submissions_list_filters_by_state_in_russian(client, world, engine):
    sign_in(client, "kz_admin", lang="ru")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 100}), lang="ru")
    text = text_of(client.get("/ru/submissions/").get_data(as_text=True))
    assert "Въезд иностранцев" in text and "Казахстан" in text
    assert f"/ru/submissions/{sid}" in client.get("/ru/submissions/?state=pending").get_data(as_text=True)
    assert f"/ru/submissions/{sid}" not in client.get("/ru/submissions/?state=released").get_data(as_text=True)
