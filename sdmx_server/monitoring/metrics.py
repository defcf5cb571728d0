"""Prometheus metrics (prometheus_client): what each process counts, and what /metrics reads from the database.

Counted by every process, per request: requests and their latency by route template (never the raw path: its
values are unbounded), method and status; response-cache lookups by result; pooled database connections in use
and available. Under gunicorn each worker counts into PROMETHEUS_MULTIPROC_DIR (gunicorn_hooks.py) and any
worker's /metrics adds them all up. Read from the database when scraped (one short statement, the same answer on
every node): submissions by state, observations submitted so far, and the release lag.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Iterator

from flask import Flask
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, \
    generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from ..storage.submission_store import STATES
from ..storage.tables import submission

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "<unmatched>"  # a path no route serves: one label value, however many such paths are asked for

REQUESTS = Counter("sdmx_http_requests", "HTTP requests answered, by route template, method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("sdmx_http_request_duration_seconds",
                    "Time from the request to its answer's headers (a streamed body goes on after), by route "
                    "template, method and status.", ["route", "method", "status"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120))
CACHE_LOOKUPS = Counter("sdmx_response_cache_lookups", "Lookups of the data-answer cache, by result (hit, miss): "
                        "the hit ratio is rate(hit) / rate(all).", ["result"])
POOL_IN_USE = Gauge("sdmx_db_pool_connections_in_use", "Database connections checked out of the pools now.",
                    multiprocess_mode="livesum")
POOL_CAPACITY = Gauge("sdmx_db_pool_connections_capacity",
                      "Connections the pools may hold (pool size plus overflow), over live processes.",
                      multiprocess_mode="livesum")


def instrument_engine(engine: Engine) -> None:
    """Count the engine's connections in use (pool events: a counter in memory, no statement)."""
    from sqlalchemy import event

    pool = engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        POOL_CAPACITY.inc(size() + max(getattr(pool, "_max_overflow", 0), 0))
    event.listen(engine, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_: POOL_IN_USE.dec())


def count_cache_lookup(hit: bool) -> None:
    CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method, str(status)).observe(seconds)


class DatabaseCollector:
    """What every node sees alike, read when scraped; ``sdmx_database_up`` 0 when the read fails."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def collect(self) -> Iterator:
        now = datetime.now(timezone.utc)
        due = (submission.c.state == "validated") & (submission.c.release_at <= now)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(select(
                    submission.c.state, func.count(), func.coalesce(func.sum(submission.c.observations_read), 0),
                    func.min(case((due, submission.c.release_at), else_=None)),
                ).group_by(submission.c.state)).all()
        except SQLAlchemyError:
            yield GaugeMetricFamily("sdmx_database_up", "Whether the last scrape could read the database.", 0)
            return
        yield GaugeMetricFamily("sdmx_database_up", "Whether the last scrape could read the database.", 1)
        states = GaugeMetricFamily("sdmx_submissions", "Submissions by workflow state.", labels=["state"])
        counts = {s: 0 for s in STATES}
        observations, oldest_due = 0, None
        for state, count, read, due_at in rows:
            counts[state] = int(count)
            observations += int(read or 0)
            if due_at is not None:
                due_at = due_at if due_at.tzinfo else due_at.replace(tzinfo=timezone.utc)  # SQLite: naive UTC
                oldest_due = due_at if oldest_due is None else min(oldest_due, due_at)
        for state, count in sorted(counts.items()):
            states.add_metric([state], count)
        yield states
        yield CounterMetricFamily("sdmx_submitted_observations", "Observations read from every submission "
                                  "stored (rate(): observations ingested per second, over all nodes).",
                                  observations)
        yield GaugeMetricFamily("sdmx_release_lag_seconds", "How long the oldest validated submission whose "
                                "embargo has passed has waited for its release (0: none waits).",
                                (now - oldest_due).total_seconds() if oldest_due else 0.0)


def exposition(app: Flask) -> bytes:
    """The text exposition: this process's (or, under gunicorn, every worker's) counts, then the database's."""
    if os.environ.get(MULTIPROCESS):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(app.extensions["sdmx_engine"]))
    return counted + generate_latest(database)
