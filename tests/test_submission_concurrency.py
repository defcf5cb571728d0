"""Submissions to one dataflow at the same time, through gunicorn on PostgreSQL: every one commits,
the last committed wins for each key, and the history of every observation stays one clean chain.

PostgreSQL only, on purpose: submissions to a data set queue on its row lock (SELECT ... FOR UPDATE
in ObservationStore.data_set_id), which is what this proves. SQLite writers queue on the file lock
(BEGIN IMMEDIATE), a different mechanism with its own tests.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import threading
import time
from collections import defaultdict
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from sqlalchemy import text

from sdmx_server.storage.database import make_engine

from .live_server import cli, gunicorn

URL = "/rest/v2/data/dataflow/DSM/DF_STOCK_FOREIGNERS/1.0?release=now&provider=KZ"  # applied at once: one data set
HEAD = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,CITIZENSHIP,SEX,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS"
SHARED = [(c, s, f"{y}-S{h}") for c in ("RU", "UZ", "KG", "TJ", "CN", "TR", "AM", "BY") for s in ("F", "M", "_T", "_U")
          for y in range(1994, 2024) for h in (1, 2)]  # 1920 keys every message reports
SUBMISSIONS = 6


def message(n: int) -> dict[tuple[str, str], str]:
    """Message n: the shared keys with values of its own, and 50 keys no other message has."""
    own = [("DE", "F", f"{y}-S{h}") for y in range(1990 + 5 * n, 1995 + 5 * n) for h in (1, 2)]
    own += [("US", s, f"{y}-S1") for s in ("F", "M") for y in range(1900 + 20 * n, 1920 + 20 * n)]
    return {(f"S.KZ.{c}.{s}", p): f"{n}{i:04d}.5" for i, (c, s, p) in enumerate(SHARED + own)}


def csv_of(values: dict[tuple[str, str], str]) -> bytes:
    rows = [HEAD]
    for (key, period), value in values.items():
        freq, area, citizenship, sex = key.split(".")
        rows.append(f"dataflow,DSM:DF_STOCK_FOREIGNERS(1.0),I,{freq},{area},{citizenship},{sex},{period},{value},PS,A")
    return "\n".join(rows).encode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_submissions_to_one_dataflow(database_url):
    init = cli(database_url, "init")
    assert init.returncode == 0, init.stderr + init.stdout
    token = cli(database_url, "token", "create", "admin").stdout.strip()  # may do every step (four eyes bind countries)
    messages = [message(n) for n in range(SUBMISSIONS)]
    bodies = [csv_of(m) for m in messages]
    start = threading.Barrier(SUBMISSIONS)

    with gunicorn(database_url, workers=4) as base:
        def submit(n: int) -> tuple[int, dict, float, float]:
            req = Request(base + URL, data=bodies[n], method="POST",
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv",
                                   "Accept": "application/problem+json"})
            start.wait()
            began = time.monotonic()
            try:
                with urlopen(req, timeout=120) as r:
                    return r.status, json.loads(r.read()), began, time.monotonic()
            except HTTPError as e:
                return e.code, {"error": e.read().decode()[:2000]}, began, time.monotonic()

        with concurrent.futures.ThreadPoolExecutor(SUBMISSIONS) as pool:
            answers = list(pool.map(submit, range(SUBMISSIONS)))

    assert [status for status, *_ in answers] == [200] * SUBMISSIONS, answers
    receipts = [receipt for _, receipt, _, _ in answers]
    spans = sorted((began, ended) for _, _, began, ended in answers)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans)), "the submissions did not overlap in time"
    for n, receipt in enumerate(receipts):
        assert receipt["provider"] == "KZ" and receipt["observations"]["read"] == len(messages[n])
        assert receipt["observations"]["deleted"] == 0

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT s.series_key, o.time_period, o.value, o.valid_from, o.valid_to, o.submission_id, o.id "
                "FROM observation o JOIN series s ON s.id = o.series_id")).all()
            recorded = {r.id: (r.inserted, r.updated, r.deleted) for r in conn.execute(text(
                "SELECT id, inserted, updated, deleted FROM submission"))}
    finally:
        engine.dispose()

    # every submission committed, and recorded what its receipt says (init's demo figures aside)
    by_id = {r["submission"]: n for n, r in enumerate(receipts)}
    recorded = {sid: counts for sid, counts in recorded.items() if sid in by_id}
    demo = {(r.series_key, r.time_period) for r in rows if r.submission_id not in by_id}
    rows = [r for r in rows if (r.series_key, r.time_period) not in demo]
    assert len(by_id) == SUBMISSIONS and set(recorded) == set(by_id)
    for sid, n in by_id.items():
        o = receipts[n]["observations"]
        assert recorded[sid] == (o["inserted"], o["updated"], o["deleted"])

    # submission ids are taken under the data set's lock, so their order is the order of commits
    commit_order = sorted(by_id)
    history: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        history[(r.series_key, r.time_period)].append(r)
    all_keys = set().union(*messages)
    assert set(history) == all_keys
    for key, chain in history.items():
        current = [r for r in chain if r.valid_to is None]
        assert len(current) == 1, (key, current)
        last = max(sid for sid in commit_order if key in messages[by_id[sid]])
        assert current[0].value == messages[by_id[last]][key], key
        chain.sort(key=lambda r: (r.valid_from, r.id))
        assert chain[-1].valid_to is None
        for older, newer in itertools.pairwise(chain):
            assert older.valid_from <= older.valid_to == newer.valid_from, (key, older, newer)
            assert older.submission_id < newer.submission_id, (key, older, newer)
        # each submission that reported the key with a value differing from the one before wrote a row
        reported = [messages[by_id[sid]][key] for sid in commit_order if key in messages[by_id[sid]]]
        changes = 1 + sum(1 for a, b in itertools.pairwise(reported) if a != b)
        assert [r.value for r in chain] == [v for i, v in enumerate(reported) if i == 0 or v != reported[i - 1]]
        assert len(chain) == changes

    # the receipts add up: one insert per key, one update per closed row
    inserted = sum(r["observations"]["inserted"] for r in receipts)
    updated = sum(r["observations"]["updated"] for r in receipts)
    assert inserted == len(all_keys) == sum(1 for r in rows if r.valid_to is None)
    assert updated == sum(1 for r in rows if r.valid_to is not None) == len(SHARED) * (SUBMISSIONS - 1)
    assert inserted + updated == len(rows)
