"""What a pending submission changes against the released figures (issue 19): GET /api/submissions/{id}
"diff", on SQLite and PostgreSQL: new, revised, unchanged and deleted figures, jumps over the threshold."""

from __future__ import annotations

from dataclasses import replace as dc_replace

import pytest

from sdmx_server.sdmx.artefacts import parse_urn
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.submission.changes import PLAUSIBLE_ANNOTATION, compute, threshold_of
from sdmx_server.submission.intake import dataflow_context

from .test_workflow import CSV, HEAD, SUBMIT, config, step, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.storage

ROW = "dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),{action},S,{area},{cit},{sex},{period},{value},{attrs}"


def message(*rows: tuple[str, str, str, str, str], area: str = "KZ") -> bytes:
    """rows of (action, citizenship, sex, period, value)."""
    return "\n".join([HEAD] + [ROW.format(action=a, area=area, cit=c, sex=s, period=p, value=v,
                                          attrs="," if a == "D" else "PS,A")
                               for a, c, s, p, v in rows]).encode()


def released(world) -> None:
    body = message(("I", "RU", "F", "2022-S1", "100"), ("I", "RU", "F", "2023-S1", "100"),
                   ("I", "UZ", "M", "2023-S1", "200"), ("I", "UZ", "F", "2023-S1", "50"))
    r = world("kz_admin")("POST", SUBMIT + "?release=now", body, **CSV)
    assert r.status_code == 200, r.data[:500]


def pending(world) -> int:
    body = message(("I", "RU", "F", "2023-S1", "110"), ("I", "UZ", "M", "2023-S1", "200"),
                   ("I", "RU", "F", "2023-S2", "400"), ("D", "UZ", "F", "2023-S1", ""))
    r = world("kz_submitter")("POST", SUBMIT, body, **CSV)
    assert r.status_code == 202, r.data[:1000]
    return r.get_json()["submission"]


def by_figure(changes: dict) -> dict[str, dict]:
    return {f"{f['seriesKey']}:{f['period']}": f for f in changes["figures"]}


def test_the_diff_names_new_revised_unchanged_deleted_and_jumps(world, engine):
    released(world)
    sid = pending(world)
    r = world("kz_verifier")("GET", f"/api/submissions/{sid}")
    assert r.status_code == 200, r.data
    changes = r.get_json()["diff"]
    assert changes["summary"] == {"new": 1, "revised": 1, "unchanged": 1, "deleted": 1, "suspicious": 1}
    assert changes["thresholdPercent"] == "20"  # DF_STOCK_FOREIGNERS's seeded PLAUSIBLE_CHANGE
    figures = by_figure(changes)
    revised = figures["S.KZ.RU.F:2023-S1"]
    assert (revised["status"], revised["old"], revised["new"], revised["change"], revised["changePercent"]) == (
        "revised", "100", "110", "10", "10")
    assert revised["jump"] is None  # +10% against 2022-S1: plausible
    new = figures["S.KZ.RU.F:2023-S2"]
    assert (new["status"], new["old"], new["new"]) == ("new", None, "400")
    assert (new["jump"], new["jumpPeriod"], new["jumpPercent"]) == ("previous", "2023-S1", "263.6")  # against the revised 110
    gone = figures["S.KZ.UZ.F:2023-S1"]
    assert (gone["status"], gone["old"], gone["new"]) == ("deleted", "50", None)
    assert "S.KZ.UZ.M:2023-S1" not in figures  # unchanged and plausible: counted, not listed
    # what the release changed stays under "changes" (0 until released)
    assert r.get_json()["changes"] == {"inserted": 0, "updated": 0, "deleted": 0}
    # bounded: ?diff=N lists at most N figures, 0 the summary only; a bad bound is named
    r = world("kz_approver")("GET", f"/api/submissions/{sid}?diff=1").get_json()["diff"]
    assert len(r["figures"]) == 1 and r["figuresTotal"] == 3
    assert world("kz_approver")("GET", f"/api/submissions/{sid}?diff=0").get_json()["diff"]["figures"] == []
    bad = world("kz_approver")("GET", f"/api/submissions/{sid}?diff=lots")
    assert bad.status_code == 400 and b"diff" in bad.data
    # only who may see the submission sees its diff
    for user in ("kz_viewer", "kg_admin"):
        assert world(user)("GET", f"/api/submissions/{sid}").status_code == 404, user
    # once released, the message is gone and the figures are the data: no diff
    assert step(world, "kz_verifier", sid, "verify").status_code == 200
    assert step(world, "kz_approver", sid, "release").status_code == 200
    assert world("kz_verifier")("GET", f"/api/submissions/{sid}").get_json()["diff"] is None


def test_released_values_are_the_submitting_countrys_own(world, engine):
    """KG's released figures of the same citizenship and period never show in KZ's diff."""
    kg = message(("I", "RU", "F", "2023-S1", "999"), area="KG")
    assert world("kg_admin")("POST", SUBMIT + "?release=now", kg, **CSV).status_code == 200
    sid = pending(world)
    changes = world("kz_verifier")("GET", f"/api/submissions/{sid}").get_json()["diff"]
    assert changes["summary"] == {"new": 3, "revised": 0, "unchanged": 0, "deleted": 0, "suspicious": 1}
    assert all(f["old"] is None for f in changes["figures"])
    assert "999" not in str(changes)


def test_a_jump_against_the_same_period_a_year_before_and_the_indicators_threshold(world, engine):
    """2023-S1 moves 7% against 2022-S2 but 60% against 2022-S1: flagged against the year before at the
    seeded PLAUSIBLE_CHANGE of DF_STOCK_FOREIGNERS (20%); an annotation of 75 (percent) lets it pass, none at
    all means the default 50%."""
    body = message(("I", "RU", "F", "2022-S1", "100"), ("I", "RU", "F", "2022-S2", "150"))
    assert world("kz_admin")("POST", SUBMIT + "?release=now", body, **CSV).status_code == 200
    r = world("kz_submitter")("POST", SUBMIT, message(("I", "RU", "F", "2023-S1", "160")), **CSV)
    sid = r.get_json()["submission"]
    got = world("kz_verifier")("GET", f"/api/submissions/{sid}").get_json()["diff"]
    (f,) = got["figures"]
    assert (f["status"], f["jump"], f["jumpPeriod"], f["jumpPercent"]) == ("new", "year", "2022-S1", "60")

    with engine.connect() as conn:
        row = SubmissionStore(conn).get(sid)
        flow = parse_urn(row.dataflow_urn)
        ctx = dataflow_context(ArtefactStore(conn), flow.agency_id, flow.id, flow.version)
        assert threshold_of(ctx) == 20
        assert threshold_of(dc_replace(ctx, dataflow={**ctx.dataflow, "annotations": []})) == 50
        lenient = dc_replace(ctx, dataflow={**ctx.dataflow, "annotations": [
            {"id": PLAUSIBLE_ANNOTATION, "title": "75"}]})
        assert threshold_of(lenient) == 75
        diff = compute(conn, SubmissionStore(conn).payload(sid), lenient, flow_urn=row.dataflow_urn,
                       provider_id=row.provider_id, content_type=row.content_type)
        assert diff.jumps == 0 and diff.summary["new"] == 1
        strict = dc_replace(ctx, dataflow={**ctx.dataflow, "annotations": [
            {"id": PLAUSIBLE_ANNOTATION, "title": "5%"}]})
        diff = compute(conn, SubmissionStore(conn).payload(sid), strict, flow_urn=row.dataflow_urn,
                       provider_id=row.provider_id, content_type=row.content_type)
        assert [(f.jump, f.jump_period) for f in diff.figures] == [("previous", "2022-S2")]
