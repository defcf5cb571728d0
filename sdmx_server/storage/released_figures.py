"""The figures a provider has released on a dataflow now, by series key: what a submission's diff compares to."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Connection, select

from .tables import data_set, observation, series

CHUNK = 500  # series keys per query: bounded IN lists on both databases


def released_figures(conn: Connection, dataflow_urn: str, provider_id: str,
                     series_keys: Iterable[str]) -> dict[str, dict[str, str | None]]:
    """series key -> {period: value} of the current (released) observations of these series of this one
    provider: never another provider's figures."""
    keys = sorted(set(series_keys))
    out: dict[str, dict[str, str | None]] = {}
    for i in range(0, len(keys), CHUNK):
        part = keys[i:i + CHUNK]
        q = (select(series.c.series_key, observation.c.time_period, observation.c.value)
             .select_from(observation.join(series, series.c.id == observation.c.series_id)
                          .join(data_set, data_set.c.id == series.c.data_set_id))
             .where(data_set.c.dataflow_urn == dataflow_urn, data_set.c.provider_id == provider_id,
                    series.c.series_key.in_(part), observation.c.valid_to.is_(None)))
        for key, period, value in conn.execute(q):
            out.setdefault(key, {})[period] = value
    return out
