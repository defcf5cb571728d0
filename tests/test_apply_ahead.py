"""Ingest applies staged rows on a second thread while it still reads the message (submission.apply_ahead).

With small batches and chunks, a 3,000-observation message is applied in several steps ahead of the
end; what is stored, the counts, and all-or-nothing must be exactly as when it is applied at the end.
"""

from __future__ import annotations

import io
import os
import threading

import pytest
from sqlalchemy import text

from sdmx_server.sdmx.errors import InvalidData
from sdmx_server.storage.artefact_store import ArtefactStore
from sdmx_server.storage.database import begin_write
from sdmx_server.storage.observation_query import ObservationQuery
from sdmx_server.storage.observation_store import ObservationStore
from sdmx_server.submission import intake
from sdmx_server.submission.intake import Provisional, dataflow_context, ingest

from .db_dump import dump
from .test_dsm_ingest import dsm, dsm_files, expected, stored  # noqa: F401  (fixtures)

CSV = "text/csv"


@pytest.fixture
def ahead_threads(monkeypatch) -> list[str]:
    """Small batches and chunks; the names of the threads apply_added ran on."""
    monkeypatch.setattr(intake, "BATCH", 100)
    monkeypatch.setattr(intake, "APPLY_CHUNK", 400)
    monkeypatch.setattr(intake, "AHEAD_BUFFER", 300)
    threads: list[str] = []
    apply_added = ObservationStore.apply_added

    def spy(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return apply_added(self, *args, **kwargs)

    monkeypatch.setattr(ObservationStore, "apply_added", spy)
    return threads


def submit(engine, body: bytes, content_type: str = "application/xml", **options) -> intake.Receipt:
    with engine.connect() as conn:
        ctx = dataflow_context(ArtefactStore(conn), "DSM", "DF_MIGR", "1.0")
        conn.rollback()
        with begin_write(conn):
            return ingest(conn, io.BytesIO(body), ctx, content_type=content_type, provider="KZ", **options)


def applied_ahead(threads: list[str]) -> int:
    return sum(1 for name in threads if name.startswith("apply-ahead"))


@pytest.mark.parametrize("name", ["small_ss.xml", "small_generic.xml", "small.csv"])
def test_rows_applied_ahead_are_stored_as_read(engine, dsm, expected, ahead_threads, name):
    receipt = submit(engine, (dsm / name).read_bytes(), CSV if name.endswith(".csv") else "application/xml")
    assert applied_ahead(ahead_threads) >= 1  # 3,000 rows in chunks of 400 or more, while reading
    assert receipt.counts.inserted == 3000 and receipt.counts.updated == 0
    assert stored(engine) == expected
    with engine.connect() as conn:  # every series has its dimension values, once
        assert conn.execute(text("SELECT COUNT(*) FROM series_dimension")).scalar() == 4 * len(
            {key for key, _ in expected})
        row = conn.execute(text("SELECT observations_read, inserted, action FROM submission")).one()
    assert tuple(row) == (3000, 3000, receipt.action)  # recorded before the message's end, completed after


def test_applied_ahead_through_the_api(engine, admin, dsm, expected, ahead_threads):
    r = admin("POST", "/rest/v2/data/dataflow/DSM/DF_MIGR/1.0?provider=KZ", (dsm / "small_ss.xml").read_bytes())
    assert r.status_code == 200, r.data[:1500]
    assert r.get_json()["observations"]["inserted"] == 3000
    assert applied_ahead(ahead_threads) >= 1
    assert stored(engine) == expected
    if engine.dialect.name == "sqlite":  # SQLite's checkpoint waits until the answer is sent (checkpoint_later)
        database = engine.url.database
        size = os.path.getsize(database)
        r.close()  # what the WSGI server does once it has sent the answer
        assert os.path.getsize(database) > size + 300_000  # the observations reached the database file


def two_periods(lines: list[str]) -> list[str]:
    """The set's rows (one period per series) with the quarter before each: 6,000 rows, series in turn."""
    return lines[:1] + [row for line in lines[1:] for row in (line.replace(",2024-Q4,", ",2024-Q3,"), line)]


def test_updates_and_replacement_applied_ahead(engine, dsm, ahead_threads):
    lines = two_periods((dsm / "small.csv").read_text().splitlines())
    assert submit(engine, "\n".join(lines).encode(), CSV).counts.inserted == 6000
    changed = lines[:1] + [line[:-2] + ",E" if i % 7 == 0 and line.endswith(",A") else line
                           for i, line in enumerate(lines[1:])]
    edits = sum(a != b for a, b in zip(lines, changed))
    receipt = submit(engine, "\n".join(changed).encode(), CSV)
    assert (receipt.counts.inserted, receipt.counts.updated) == (0, edits) and edits > 700
    assert sum(status == "E" for _, status in stored(engine).values()) == edits + sum(
        line.endswith(",E") for line in lines)
    kept = [line for line in changed if ",2024-Q3," not in line]  # PUT of one quarter: the other goes
    receipt = submit(engine, "\n".join(kept).encode(), CSV, replace=True)
    assert (receipt.counts.inserted, receipt.counts.updated, receipt.counts.deleted) == (0, 0, 3000)
    assert len(stored(engine)) == 3000
    assert applied_ahead(ahead_threads) >= 3  # at least once per message
    with engine.connect() as conn:  # the bound of any count covers every row, history included
        rows = conn.execute(text("SELECT COUNT(*) FROM observation")).scalar()
        assert rows == 6000 + edits and ObservationQuery(conn).look(None)[0].most_rows >= rows


def test_an_error_after_rows_were_applied_leaves_the_database_as_it_was(engine, dsm, ahead_threads):
    before = dump(engine)
    lines = (dsm / "small.csv").read_text().splitlines()
    lines[-1] = lines[-1].rsplit(",", 1)[0] + ",Z"  # OBS_STATUS Z is not a code, in the last row
    with pytest.raises(InvalidData) as error:
        submit(engine, "\n".join(lines).encode(), CSV)
    assert [e["rule"] for e in error.value.details] == ["unknown-code"]
    assert applied_ahead(ahead_threads) >= 1
    assert dump(engine) == before


def test_a_series_that_comes_back_is_checked_for_repeats_before_it_is_applied(engine, dsm, ahead_threads):
    before = dump(engine)
    lines = (dsm / "small.csv").read_text().splitlines()
    lines.insert(1500, lines[1])  # the first observation again, half-way: the chunks after it must wait
    with pytest.raises(InvalidData) as error:
        submit(engine, "\n".join(lines).encode(), CSV)
    assert [(e["rule"], e["where"]) for e in error.value.details] == [("duplicate-key", "row 1501")]
    assert dump(engine) == before
    lines[1500] = lines[1].replace(",2024-Q4,", ",2024-Q3,")  # a new period of the first series: stored
    assert submit(engine, "\n".join(lines).encode(), CSV).counts.inserted == 3001


def test_sdmx_csv_repeats_are_reported_at_their_rows_whatever_was_left_out(engine, dsm, ahead_threads):
    """Staged SDMX-CSV rows keep no place of their own while it follows from their number (the header is
    row 1); after a blank line they keep theirs. Repeats are reported at their rows either way, whether
    found while reading or, for a series that comes back, by the database."""
    before = dump(engine)
    lines = (dsm / "small.csv").read_text().splitlines()
    assert lines[0].startswith("DATAFLOW,")  # plain rows: the fast path
    repeated = lines[:6] + lines[5:]  # row 6 again, as row 7
    with pytest.raises(InvalidData) as error:
        submit(engine, "\n".join(repeated).encode(), CSV)
    assert [(e["where"], e["message"]) for e in error.value.details] == [
        ("row 7", "the observation appears twice, at row 6 and at row 7")]
    lines[10:10] = [""]  # row 11 is blank: the rows after it are one further on than their number says
    lines.insert(2000, lines[1])  # row 2 again, as row 2001, after other series
    with pytest.raises(InvalidData) as error:
        submit(engine, "\n".join(lines).encode(), CSV)
    assert [(e["where"], e["message"]) for e in error.value.details] == [
        ("row 2001", "the observation appears twice, at row 2 and at row 2001")]
    assert dump(engine) == before


def test_provisional_marks_are_given_before_rows_are_applied(engine, dsm, ahead_threads):
    lines = two_periods((dsm / "small.csv").read_text().splitlines())
    blank = lines[:1] + [line.rsplit(",", 1)[0] + "," if ",2024-Q4," in line else line for line in lines[1:]]
    submit(engine, "\n".join(blank).encode(), CSV, provisional=Provisional(year=2024))
    given = {(tuple(line.split(",")[1:5]), line.split(",")[5]): line.rsplit(",", 1)[1] for line in lines[1:]}
    statuses = {(key, period): status for (key, period), (_, status) in stored(engine).items()}
    assert len(statuses) == 6000
    assert {status for (_, period), status in statuses.items() if period == "2024-Q4"} == {"P"}
    assert all(statuses[(".".join(key), period)] == status for (key, period), status in given.items()
               if period == "2024-Q3")
    assert applied_ahead(ahead_threads) >= 1


def test_rows_formatted_apart_are_staged_as_they_were(engine):
    """PostgreSQL's rows are formatted as COPY text on the reader's thread: every character comes through."""
    rows = [(1, "Q.AM", "2024-Q1", "1\t2\\3\n4\r5", '{"NOTE":"a\\\\b\\n\\t"}', "M", "sheet\tone, cell B2"),
            (2, "Q.AM", "2024-Q2", None, None, "D", "row 3"), (3, "Q.AM", "", "\\N", "", "D", "row 4"),
            # batches with nothing to escape are written plainly: NULL markers only, then one data backslash
            (4, "Q.AM", "2024-Q3", "5", None, "M", "row 5"), (5, "Q.AM", "2024-Q4", None, '{"A":"b"}', "M", "row 6"),
            (6, "Q.AM", "2025-Q1", "x\\", '{"A":"b"}', "M", "row 7")]
    with engine.begin() as conn:
        store = ObservationStore(conn)
        store.start_staging()
        if store.formats_apart:
            store.stage_prepared([store.prepare(rows[:1]), store.prepare(rows[1:3]), store.prepare(rows[3:5]),
                                  store.prepare(rows[5:])])
        else:
            store.stage(rows)
        assert [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM staging_obs ORDER BY row_no")] == rows
        assert store.unapplied == 6


def test_a_release_applies_ahead_under_its_pending_submission(engine, dsm, expected, ahead_threads):
    body = (dsm / "small_ss.xml").read_bytes()
    pending = submit(engine, body, pending=True)
    assert pending.state == "pending" and stored(engine) == {} and applied_ahead(ahead_threads) == 0
    released = submit(engine, body, release_of=pending.submission_id)
    assert released.submission_id == pending.submission_id and released.counts.inserted == 3000
    assert applied_ahead(ahead_threads) >= 1 and stored(engine) == expected
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, observations_read, inserted FROM submission")).all()
        sources = set(conn.execute(text("SELECT DISTINCT submission_id FROM observation")).scalars())
    assert [tuple(r) for r in rows] == [(pending.submission_id, 3000, 3000)]
    assert sources == {pending.submission_id}
