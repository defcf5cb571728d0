"""How stored observations are found: past versions are indexed apart from current rows (migration 0007),
and the queries of the past, like the matching of a message with what is stored, go through indexes
rather than reading a whole table once per row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text

from sdmx_server.storage.observation_query import ObservationQuery, SeriesFilter
from sdmx_server.storage.observation_store import ObservationStore
from sdmx_server.storage.submission_store import SubmissionStore

from .test_apply_ahead import CSV, ahead_threads, submit, two_periods  # noqa: F401  (fixture)
from .test_dsm_ingest import dsm, dsm_files  # noqa: F401  (fixtures)

pytestmark = pytest.mark.storage


def record_query_statements(monkeypatch) -> list[tuple[str, dict]]:
    """From now on, each (SQL, parameters) ObservationQuery runs on a cursor, appended to the list returned."""
    statements: list[tuple[str, dict]] = []
    cursor_rows = ObservationQuery._cursor_rows

    def spy(self, sql: str, params: dict):
        statements.append((sql, params))
        return cursor_rows(self, sql, params)

    monkeypatch.setattr(ObservationQuery, "_cursor_rows", spy)
    return statements


def postgres_plan(conn, sql: str, params: dict) -> list[str]:
    return [row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql, params)]


def test_the_history_index_holds_closed_rows_only(engine):
    with engine.connect() as conn:
        definition = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_observation_history'"
            if engine.dialect.name == "postgresql" else
            "SELECT sql FROM sqlite_master WHERE name = 'ix_observation_history'")).scalar()
    assert "(series_id, valid_from) WHERE (valid_to IS NOT NULL)" in definition.replace(
        "WHERE valid_to IS NOT NULL", "WHERE (valid_to IS NOT NULL)")


def test_every_version_of_a_series_is_found_through_indexes(engine, dsm, monkeypatch):
    """What each history query of one series reads, and how: never a scan of the observations (PostgreSQL's
    plans after ANALYZE, so that they do not depend on when autovacuum last ran)."""
    lines = two_periods((dsm / "small.csv").read_text().splitlines())
    submit(engine, "\n".join(lines).encode(), CSV)
    first = lines[1].split(",")
    key, period = ".".join(first[1:5]), first[5]
    changed = [lines[0], ",".join(first[:6] + ["7", "E"])]
    revision = submit(engine, "\n".join(changed).encode(), CSV).submission_id  # one version closed
    deletion = submit(engine, "\n".join(lines[:1] + lines[2:]).encode(), CSV, replace=True)  # then deleted
    other = lines[2].split(",")[5]  # the series' other quarter, never changed
    statements = record_query_statements(monkeypatch)
    revisions_sql: list[tuple[str, dict]] = []  # SubmissionStore.revisions's statement, as the driver got it

    def driver_statement(conn, cursor, sql: str, params, context, many) -> None:
        if "AS new FROM observation o" in sql:
            revisions_sql.append((sql, params))

    event.listen(engine, "before_cursor_execute", driver_statement)
    later = datetime.now(timezone.utc) + timedelta(seconds=1)
    long_ago = later - timedelta(days=1)
    with engine.connect() as conn:
        q = ObservationQuery(conn)
        data_set = conn.execute(text("SELECT id FROM data_set WHERE provider_id = 'KZ'")).scalar()
        one = SeriesFilter(data_set, keys=[[frozenset([code]) for code in key.split(".")]])
        versions = [(p, v) for _, _, p, v, _ in q.versions(one)]
        assert (period, "7") in versions and len(versions) == 3  # the first figure, its revision, the other quarter
        assert [(p, v) for _, _, p, v, _ in q.deleted(one, long_ago)] == [(period, "7")]
        assert [p for _, p, _, _ in q.current(one, later)] == [other]
        assert [p for _, p, _, _ in q.changed(one, long_ago, later)] == [other]
        revisions = SubmissionStore(conn)
        assert [(r.time_period, r.new) for r in revisions.revisions(revisions.get(revision))] == [(period, "7")]
        deleted = revisions.revisions(revisions.get(deletion.submission_id))
        assert [(r.time_period, r.old, r.new) for r in deleted] == [(period, "7", None)]
        statements.append(revisions_sql[0])
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE observation")
        for sql, params in statements:
            if engine.dialect.name == "sqlite":
                plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
                assert not [step for step in plan if step.startswith(("SCAN o", "SCAN n", "SCAN m"))], (sql, plan)
            else:
                plan = postgres_plan(conn, sql, params)
                assert not [step for step in plan if "Seq Scan on observation" in step], (sql, plan)
        if engine.dialect.name == "postgresql":  # what replaced a closed row: found by its own keys, not by time
            steps = postgres_plan(conn, *revisions_sql[0])
            assert [s for s in steps if "Index Cond: ((series_id = o.series_id) AND (valid_from = o.valid_to))" in s]
            assert not [s for s in steps if "valid_from = '" in s], steps


def test_resubmitting_and_replacing_stored_data_never_search_row_by_row(engine, dsm, monkeypatch):
    """Matching a message with what is stored must not look for each stored row among all staged ones: a PUT
    of 100k observations over the same data once took minutes on SQLite (no index on the staged keys), and a
    resubmission on PostgreSQL right after a first load, before any statistics, matched rows by period alone."""
    lines = two_periods((dsm / "small.csv").read_text().splitlines())
    body = "\n".join(lines).encode()
    submit(engine, body, CSV)
    row_by_row: list[tuple[str, list[str]]] = []
    run = ObservationStore._sql

    def explained(self, sql: str, params: dict) -> int:
        if not self.postgres:  # SQLite's plan, as the statement is about to run
            steps = {i: (parent, detail) for i, parent, _, detail in self.conn.execute(
                text("EXPLAIN QUERY PLAN " + sql), {k: v for k, v in params.items() if f":{k}" in sql})}

            def correlated(i: int) -> bool:
                parent = steps[i][0]
                return parent in steps and (steps[parent][1].startswith("CORRELATED") or correlated(parent))

            # a table read whole once per row of the statement (a CTE's own rows excepted)
            if [d for i, (_, d) in steps.items() if d.startswith("SCAN ") and d != "SCAN part" and correlated(i)]:
                row_by_row.append((sql, [d for _, d in steps.values()]))
        return run(self, sql, params)

    monkeypatch.setattr(ObservationStore, "_sql", explained)
    assert submit(engine, body, CSV).counts.inserted == 0
    kept = [line for line in lines if ",2024-Q3," not in line]
    assert submit(engine, "\n".join(kept).encode(), CSV, replace=True).counts.deleted == 3000
    assert row_by_row == []
    if engine.dialect.name == "postgresql":  # the planner was told what the first load stored
        with engine.connect() as conn:
            counts = dict(conn.execute(text("SELECT relname, reltuples FROM pg_class "  # of this test's schema
                                            "WHERE oid IN ('series'::regclass, 'observation'::regclass)")).all())
        assert counts["series"] >= 3000 and counts["observation"] >= 6000


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite takes no statistics here
def test_the_statistics_taken_during_an_ingest_hold_off_no_other(engine, dsm):
    """PostgreSQL's ANALYZE locks the table against other ANALYZEs until its transaction ends: taken inside an
    ingest's transaction, it would make concurrent ingests wait for this one to commit."""
    submit(engine, (dsm / "small.csv").read_bytes(), CSV)
    with engine.connect() as ingesting, engine.connect() as other:
        ObservationStore(ingesting)._analyze_if_stale("observation")  # never analyzed yet: analyzes
        assert ingesting.in_transaction()
        counted = other.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'observation'::regclass")).scalar()
        assert counted == 3000  # the statistics are there for every session at once
        other.exec_driver_sql("SET lock_timeout = '500ms'")
        other.exec_driver_sql("ANALYZE observation")  # not held off by the ingest's transaction


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite plans no hash joins
def test_a_first_load_is_applied_chunk_by_chunk_with_hash_joins(engine, dsm, ahead_threads, monkeypatch):
    """Staging's statistics are taken at the first chunk; later chunks lie beyond them, and PostgreSQL then
    planned to look each staged row's period up by index. A first load's rows are joined by hashing instead,
    in that one statement: the statements after it plan as they would."""
    plans: list[list[str]] = []
    after: list[str] = []
    run = ObservationStore._sql

    def explained(self, sql: str, params: dict) -> int:
        if sql.startswith("INSERT INTO observation "):
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            plans.append([row[0] for row in self.conn.execute(text("EXPLAIN " + sql), used)])
        elif plans:  # how every later statement is planned
            after.append(self.conn.exec_driver_sql("SHOW enable_nestloop").scalar())
        return run(self, sql, params)

    monkeypatch.setattr(ObservationStore, "_sql", explained)
    assert submit(engine, (dsm / "small.csv").read_bytes(), CSV).counts.inserted == 3000
    assert len(plans) >= 2 and after and set(after) == {"on"}
    assert [plan for plan in plans if any("Nested Loop" in step for step in plan)] == []


def test_changes_after_a_time_are_read_series_by_series_whatever_the_statistics_say(engine, dsm, monkeypatch):
    """updatedAfter's changes, versions (includeHistory) and deletions, and availability's counts of changes,
    compare transaction times with one the caller chose: usually later than any PostgreSQL's statistics know
    of, so its planner expects one row. Joined to every series in turn, a whole data set's changes took 55 s
    after a revision of 100k of 1M (its versions 28 s); read through each series' indexes, 0.6 s (0.9 s).
    On PostgreSQL each of these statements must read the observations series by series."""
    lines = two_periods((dsm / "small.csv").read_text().splitlines())
    submit(engine, "\n".join(lines).encode(), CSV)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE observation")
        data_set = conn.execute(text("SELECT id FROM data_set WHERE provider_id = 'KZ'")).scalar()
    between = datetime.now(timezone.utc)
    revised = lines[:1] + [line[:-2] + ",E" for line in lines[1:201] if line.endswith(",A")]
    submit(engine, "\n".join(revised).encode(), CSV)
    kept = lines[:-100] + [line for line in lines[-100:] if ",2024-Q3," not in line]
    submit(engine, "\n".join(kept).encode(), CSV, replace=True)  # one quarter of the last 50 series deleted
    statements = record_query_statements(monkeypatch)
    with engine.connect() as conn:
        q, whole = ObservationQuery(conn), SeriesFilter(data_set)
        changed = len(revised) - 1  # revised, then set back by the PUT: current since ``between`` either way
        assert len(list(q.changed(whole, between))) == changed
        assert len(list(q.changed(whole, between, datetime.now(timezone.utc)))) == changed  # asOf now
        assert len(list(q.versions(whole, between))) == 2 * changed  # includeHistory: the revision's, the PUT's
        assert len(list(q.deleted(whole, between))) == 50
        assert sum(n for _, n, _, _ in q.series_summary(whole, between)) == changed
        if engine.dialect.name == "postgresql":
            for sql, params in statements:
                plan = postgres_plan(conn, sql, params)
                assert not [step for step in plan if "Seq Scan on observation" in step], (sql, plan)
                # the plan a small table would get (a hash join) is as blind to the time as a nested loop
                assert [step for step in plan if "Index Cond: (series_id = s.id)" in step], (sql, plan)
