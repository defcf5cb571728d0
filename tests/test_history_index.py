"""Past versions are indexed apart from current rows (migration 0007): ingest adds current rows only, and
the queries of the past still find a series' rows through indexes, not by reading the whole table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from sdmx_server.storage.observation_query import ObservationQuery, SeriesFilter

from .test_apply_ahead import CSV, submit, two_periods
from .test_dsm_ingest import dsm, dsm_files  # noqa: F401  (fixtures)

pytestmark = pytest.mark.storage


def test_the_history_index_holds_closed_rows_only(engine):
    with engine.connect() as conn:
        definition = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_observation_history'"
            if engine.dialect.name == "postgresql" else
            "SELECT sql FROM sqlite_master WHERE name = 'ix_observation_history'")).scalar()
    assert "(series_id, valid_from) WHERE (valid_to IS NOT NULL)" in definition.replace(
        "WHERE valid_to IS NOT NULL", "WHERE (valid_to IS NOT NULL)")


def test_every_version_of_a_series_is_found_through_indexes(engine, dsm, monkeypatch):
    """What each history query of one series reads, and (on SQLite, whose plans do not depend on statistics)
    how: never a scan of the observations."""
    lines = two_periods((dsm / "small.csv").read_text().splitlines())
    submit(engine, "\n".join(lines).encode(), CSV)
    first = lines[1].split(",")
    key, period = ".".join(first[1:5]), first[5]
    changed = [lines[0], ",".join(first[:6] + ["7", "E"])]
    submit(engine, "\n".join(changed).encode(), CSV)  # one version closed
    submit(engine, "\n".join(lines[:1] + lines[2:]).encode(), CSV, replace=True)  # then deleted
    other = lines[2].split(",")[5]  # the series' other quarter, never changed
    statements: list[tuple[str, dict]] = []
    cursor_rows = ObservationQuery._cursor_rows

    def spy(self, sql: str, params: dict):
        statements.append((sql, params))
        return cursor_rows(self, sql, params)

    monkeypatch.setattr(ObservationQuery, "_cursor_rows", spy)
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
        if engine.dialect.name == "sqlite":
            for sql, params in statements:
                plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
                assert not [step for step in plan if step.startswith(("SCAN o", "SCAN n"))], (sql, plan)
