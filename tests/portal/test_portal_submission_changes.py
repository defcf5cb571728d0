"""A submission's page shows verifiers and approvers what it changes against the released figures (issue 19):
the summary at the top, then changed and suspicious figures marked in words, in English and Russian
(real database, SQLite and PostgreSQL)."""

from __future__ import annotations

from .conftest import sign_in
from .test_portal_pages import text_of
from .test_portal_workflow import HEAD, act, basic, csv_of, submit


def rows(*figures: tuple[str, str, str, str, str]) -> bytes:
    """(action, citizenship, sex, period, value): a Delete row leaves its value and attributes empty."""
    lines = [f"dataflow,DSM:DF_ENTRIES(1.0),{a},Q,KZ,{c},{s},{p},{v},{',' if a == 'D' else 'PS,A'}"
             for a, c, s, p, v in figures]
    return (HEAD + "\n".join(lines) + "\n").encode()


def test_the_page_shows_what_a_submission_changes(client, world, engine):
    sign_in(client, "kz_admin")
    first = submit(client, csv_of("KZ", {("RU", "F"): 100, ("RU", "M"): 110, ("UZ", "F"): 50}))
    submitter, checker = client, client.application.test_client()
    sign_in(checker, "kz_f_admin")
    html = checker.get(f"/en/submissions/{first}").get_data(as_text=True)
    assert "3 new, 0 revised, 0 unchanged, 0 deleted" in text_of(html)  # nothing released yet
    act(checker, first, "verify")
    act(checker, first, "release")

    sid = submit(submitter, rows(("I", "RU", "F", "2025-Q1", "105"), ("I", "RU", "M", "2025-Q1", "110"),
                                 ("I", "RU", "F", "2025-Q2", "400"), ("I", "RU", "M", "2025-Q2", "170"),
                                 ("D", "UZ", "F", "2025-Q1", "")))
    text = text_of(checker.get(f"/en/submissions/{sid}").get_data(as_text=True))
    assert "What the submission changes 2 new, 1 revised, 1 unchanged, 1 deleted" in text
    # the seeded PLAUSIBLE_CHANGE of DF_ENTRIES (60%), not the default 50%: +55% is plausible, +281% is not
    assert ("⚠ 1 figure moves by more than 60% against the previous period or the same period a year before: "
            "check it.") in text
    # each series in words, its key beside it
    assert "Quarterly, Kazakhstan, Russia, Female Q.KZ.RU.F 2025-Q1 ≠ Revised 100 105 5 5%" in text
    assert "Russia, Female Q.KZ.RU.F 2025-Q2 + New — 400 ⚠ Jump of 281% against 2025-Q1 (previous period)" in text
    assert "Russia, Male Q.KZ.RU.M 2025-Q2 + New — 170 Quarterly" in text  # +55%: listed as new, not marked
    assert "Uzbekistan, Female Q.KZ.UZ.F 2025-Q1 − Deleted 50 —" in text
    changes = text.split("What the submission changes")[1].split("What you can do")[0]
    assert "Q.KZ.RU.M 2025-Q1" not in changes  # unchanged
    api = checker.get(f"/api/submissions/{sid}", headers=basic("kz_f_admin")).get_json()
    assert api["diff"]["thresholdPercent"] == "60" and api["diff"]["summary"]["suspicious"] == 1
    assert text.index("What the submission changes") < text.index("What you can do")  # the summary on top

    ru = text_of(checker.get(f"/ru/submissions/{sid}").get_data(as_text=True))
    assert "Что меняет представление новых: 2, пересмотренных: 1, без изменений: 1, удаляемых: 1" in ru
    assert "⚠ Скачок на 281% к 2025-Q1 (предыдущий период)" in ru
    assert "Квартальная, Казахстан, Россия, Женщины Q.KZ.RU.F 2025-Q1 ≠ Пересмотрено 100 105 5 5%" in ru
    assert "− Удаляется 50" in ru

    # who may not see the submission sees no diff either; once released the page shows none
    sign_in(checker, "kg_viewer")
    assert checker.get(f"/en/submissions/{sid}").status_code == 404
    sign_in(checker, "kz_f_admin")
    act(checker, sid, "verify")
    act(checker, sid, "release")
    assert "What the submission changes" not in text_of(checker.get(f"/en/submissions/{sid}").get_data(as_text=True))
