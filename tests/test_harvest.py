"""Harvesting a national SDMX REST service over real HTTP (interlink/harvest.py): a live "national" server
(gunicorn, its own SQLite database) harvested into the test database on both engines: incremental with a cursor,
304 when nothing changed, a revision and a deletion travel as just those figures, a harvest broken half-way
stores nothing and the next one takes everything once; and hostile services refused cleanly."""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import replace

import pytest
from sqlalchemy import text

from sdmx_server.interlink.bounded_http import HttpLimits
from sdmx_server.interlink.harvest import HarvestError, harvest_into
from sdmx_server.seeding import load_structures
from sdmx_server.storage.database import begin_write
from sdmx_server.storage.harvest_cursor_store import HarvestCursorStore
from sdmx_server.storage.submission_store import SubmissionStore
from sdmx_server.submission.workflow import IngestOptions, apply_release

from .access_world import _seed_artefacts
from .interlink_world import FLOW, start_national

pytestmark = pytest.mark.storage
KZ = "S.KZ.."  # KZ's series only: kz_viewer also sees what KG granted KZ


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    with start_national(tmp_path_factory.mktemp("national")) as n:
        yield n


@pytest.fixture
def regional(engine):
    load_structures(engine, list(_seed_artefacts()))
    return engine


def submissions(engine) -> list:
    with engine.connect() as conn:
        return SubmissionStore(conn).list(None, limit=1000)


def release_all(engine, ids) -> None:
    with engine.connect() as conn:
        for sid in ids:
            with begin_write(conn):
                store = SubmissionStore(conn)
                store.move(sid, ("pending",), "validated", actor="test", at=store.get(sid).submitted_at)
                apply_release(conn, store.get(sid), actor="test", options=IngestOptions())


def figures(engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT s.series_key, o.time_period, o.value FROM observation o JOIN series s ON s.id = o.series_id "
            "JOIN data_set d ON d.id = s.data_set_id WHERE o.valid_to IS NULL AND d.provider_id = 'KZ'")).all()
    return {(k, p): v for k, p, v in rows}


def national_figures(national) -> dict[tuple[str, str], str]:
    import requests

    r = requests.get(f"{national.rest}/data/DSM,DF_STOCK_FOREIGNERS,1.0/{KZ}",
                     headers={"Authorization": f"Bearer {national.viewer}",
                              "Accept": "application/vnd.sdmx.data+csv;version=1.0.0"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    lines = r.text.strip().splitlines()
    head = lines[0].split(",")
    out = {}
    for line in lines[1:]:
        cells = dict(zip(head, line.split(",")))
        key = ".".join(cells[d] for d in ("FREQ", "REF_AREA", "CITIZENSHIP", "SEX"))
        out[(key, cells["TIME_PERIOD"])] = cells["OBS_VALUE"]
    return out


def test_harvests_incrementally_with_a_cursor_and_304(national, regional):
    def harvest(**kw):
        return harvest_into(regional, "kz-national", national.rest, FLOW, "KZ", api="v2", key="S.KZ.*.*",
                            token=national.viewer, **kw)

    first = harvest()
    assert first.outcome == "submitted" and len(first.submissions) == 1 and first.observations > 10, first
    release_all(regional, first.submissions)
    assert figures(regional) == national_figures(national)
    with regional.connect() as conn:
        cursor = HarvestCursorStore(conn).get("kz-national")
    assert cursor.cursor == first.cursor_after and cursor.etag is None

    again = harvest()  # nothing changed: an empty answer, its ETag kept ...
    assert again.outcome == "nothing-new" and again.submissions == [] and again.cursor_after == first.cursor_after
    third = harvest()  # ... so the same question again is answered 304
    assert third.outcome == "not-modified", third

    time.sleep(1.1)  # a release in a later second than the cursor (the Date header counts whole seconds)
    (key, period), old = sorted(figures(regional).items())[0]
    national.release({f"{key.split('.')[2]}.{key.split('.')[3]}.{period}": str(int(old) + 1)})  # a revision
    national.release({"CN.M.2031-S2": "5"})
    time.sleep(1.1)  # and the harvest a second later: asOf, from the Date header, counts whole seconds too
    revised = harvest()
    assert revised.outcome == "submitted" and revised.observations == 2, revised
    (sid,) = revised.submissions
    row = SubmissionStore(regional.connect()).get(sid)
    assert row.state == "pending" and row.observations_read == 2 and row.submitted_by == "harvest:kz-national"
    release_all(regional, [sid])
    after = figures(regional)
    assert after[(key, period)] == str(int(old) + 1) and after[("S.KZ.CN.M", "2031-S2")] == "5"
    with regional.connect() as conn:
        row = SubmissionStore(conn).get(sid)
    assert (row.inserted, row.updated, row.deleted) == (1, 1, 0)

    time.sleep(1.1)
    national.delete("S.KZ.CN.M")  # a deletion travels as a Delete data set
    time.sleep(1.1)
    deleted = harvest()
    assert deleted.outcome == "submitted", deleted
    release_all(regional, deleted.submissions)
    assert figures(regional) == national_figures(national)
    assert not any(k == "S.KZ.CN.M" for k, _ in figures(regional))
