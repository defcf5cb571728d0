"""What a submitter gets back and keeps (issue 19, item 13): a returned submission keeps its figures to correct and
send again; the entry grid keeps what was typed when more lines are asked for; the citizenship list is in the
order of the names in the page's language. Real database (SQLite and PostgreSQL), the portal's own forms."""

from __future__ import annotations

import re

from sdmx_server.storage.submission_store import SubmissionStore

from .conftest import csrf_token, sign_in
from .test_portal_pages import text_of
from .test_portal_submission import entry_form_data
from .test_portal_workflow import ENTRIES, act, csv_of, submit


def _payload(engine, sid: int) -> bytes | None:
    with engine.connect() as conn:
        return SubmissionStore(conn).payload(sid)


def test_a_returned_submission_keeps_its_figures_for_the_submitter_to_correct(client, world, engine):
    sign_in(client, "kz_admin")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 1234, ("UZ", "M"): 77}))
    r = act(client, sid, "return", comment="Females of Uzbekistan are missing")
    assert r.status_code == 302
    assert _payload(engine, sid) is not None  # kept
    for lang, heading, download, figure in (("en", "Correct and send again", "Download the figures you sent", "1,234"),
                                            ("ru", "Исправить и отправить снова", "Скачать отправленные данные",
                                             "1 234")):
        html = client.get(f"/{lang}/submissions/{sid}").get_data(as_text=True)
        text = text_of(html).replace("\u00a0", " ").replace("\u202f", " ")
        assert heading in text and download in text
        assert figure in text and "Females of Uzbekistan are missing" in text  # the figures and what to fix
        assert f'href="/{lang}/submit/{ENTRIES}"' in html  # where to send them again
    got = client.get(f"/en/submissions/{sid}/message")
    assert got.status_code == 200
    assert got.headers["Content-Disposition"] == f'attachment; filename="submission-{sid}.csv"'
    assert got.mimetype == "application/vnd.sdmx.data+csv"  # typed by its reader: never one a browser runs
    sent = got.get_data()
    assert b"KZ,RU,F,2025-Q1,1234,PS,A" in sent
    # corrected and sent again: a new pending submission; the returned one stays returned, with its figures
    corrected = sent.decode() + "dataflow,DSM:DF_ENTRIES(1.0),I,Q,KZ,UZ,F,2025-Q1,66,PS,A\n"
    again = submit(client, corrected.encode())
    assert again != sid
    with engine.connect() as conn:
        store = SubmissionStore(conn)
        assert (store.get(sid).state, store.get(again).state) == ("returned", "pending")
        assert store.get(again).observations_read == 3


def test_only_those_who_may_see_it_download_a_submission(client, world, engine):
    sign_in(client, "kz_admin")
    sid = submit(client, csv_of("KZ", {("RU", "F"): 100}))
    act(client, sid, "return", comment="check")
    client.post("/en/sign-out", data={"csrf_token": csrf_token(client.get("/en/").get_data(as_text=True))})
    assert client.get(f"/en/submissions/{sid}/message").status_code == 302  # to sign in
    sign_in(client, "kg_admin")
    assert client.get(f"/en/submissions/{sid}/message").status_code == 404
    sign_in(client, "kz_viewer")
    assert client.get(f"/en/submissions/{sid}/message").status_code == 404
    html = client.get(f"/en/submissions/{sid}").get_data(as_text=True)
    assert "Correct and send again" not in html


def test_more_lines_keeps_what_was_typed(client, world, engine):
    for lang in ("en", "ru"):
        sign_in(client, "kz_admin", lang=lang)
        html = client.get(f"/{lang}/submit/{ENTRIES}/entry").get_data(as_text=True)
        lines = len(re.findall(r'name="c_\d+_CITIZENSHIP"', html))
        more = re.search(r'<button type="submit" class="secondary" name="more" value="1" formaction="([^"]+)"', html)
        assert more, "the grid offers more lines as a button of its form"
        data = entry_form_data(html) | {"period": "2025-Q3", "c_0_CITIZENSHIP": "TJ", "v_0_1": "4321",
                                        "c_1_CITIZENSHIP": "CN", "v_1_0": "12", "more": "1"}
        r = client.post(more.group(1).replace("&amp;", "&"), data=data)
        assert r.status_code == 200
        longer = r.get_data(as_text=True)
        assert len(re.findall(r'name="c_\d+_CITIZENSHIP"', longer)) > lines
        assert re.search(r'name="period"[^>]*value="2025-Q3"', longer)
        assert re.search(r'<option selected value="TJ">', longer.split('name="c_0_CITIZENSHIP"', 1)[1])
        assert re.search(r'<option selected value="CN">', longer.split('name="c_1_CITIZENSHIP"', 1)[1])
        assert re.search(r'name="v_0_1"[^>]*value="4321"', longer)
        assert re.search(r'name="v_1_0"[^>]*value="12"', longer)
        assert "Nothing was sent yet" not in text_of(longer) and "Ничего ещё не отправлено" not in text_of(longer)
        with engine.connect() as conn:
            assert SubmissionStore(conn).list(None) == []  # nothing sent


def test_the_citizenship_list_is_in_the_order_of_the_names_in_the_page_s_language(client, world):
    sign_in(client, "kz_admin")
    for lang in ("en", "ru"):
        html = client.get(f"/{lang}/submit/{ENTRIES}/entry").get_data(as_text=True)
        select = re.search(r'<select[^>]*name="c_0_CITIZENSHIP"[^>]*>(.*?)</select>', html, re.S).group(1)
        names = [n for v, n in re.findall(r'<option[^>]*value="([^"]*)">([^<]*)</option>', select) if v]
        assert len(names) > 200
        key = [n.casefold().replace("ё", "е") for n in names]
        assert key == sorted(key), names[:10]
        first = {"en": "Afghanistan", "ru": "Австралия"}[lang]
        assert names[0] == first, names[:3]
    # in Russian, Kazakhstan (Казахстан) comes before Kyrgyzstan (Кыргызстан), Germany (Германия) before both
    assert names.index("Германия") < names.index("Казахстан") < names.index("Кыргызстан")
