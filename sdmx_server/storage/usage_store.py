"""Which codes and providers stored data uses: what structure maintenance may not take away (409).

Read-only questions on one connection; history counts (a closed observation is still served by asOf and
includeHistory), so every version of an observation is looked at.
"""

from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import Connection, select, union

from .tables import data_set, key_attribute, observation, series, series_dimension, submission


class UsageStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def dimension_values(self, dataflow_urns: Iterable[str], position: int, values: Iterable[str]) -> set[str]:
        """Which of ``values`` the series of these dataflows hold at dimension ``position`` (an index lookup)."""
        flows, wanted = sorted(set(dataflow_urns)), sorted(set(values))
        if not flows or not wanted:
            return set()
        q = (select(series_dimension.c.value).distinct()
             .join(series, series.c.id == series_dimension.c.series_id)
             .join(data_set, data_set.c.id == series.c.data_set_id)
             .where(data_set.c.dataflow_urn.in_(flows), series_dimension.c.position == position,
                    series_dimension.c.value.in_(wanted)))
        return set(self.conn.execute(q).scalars())

    def attribute_values(self, dataflow_urns: Iterable[str], attribute: str, values: Iterable[str]) -> set[str]:
        """Which of ``values`` the data of these dataflows gives ``attribute``, at any level: one pass over the
        distinct attribute sets (a data set has few)."""
        flows, wanted = sorted(set(dataflow_urns)), set(values)
        if not flows or not wanted:
            return set()
        sets = union(
            select(observation.c.attributes).join(series, series.c.id == observation.c.series_id)
            .join(data_set, data_set.c.id == series.c.data_set_id)
            .where(data_set.c.dataflow_urn.in_(flows), observation.c.attributes.is_not(None)),
            select(key_attribute.c.attributes).join(data_set, data_set.c.id == key_attribute.c.data_set_id)
            .where(data_set.c.dataflow_urn.in_(flows)))
        found: set[str] = set()
        for (text,) in self.conn.execute(sets):
            value = json.loads(text).get(attribute)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v in wanted:
                    found.add(v)
        return found

    def providers_with_data(self, providers: Iterable[str]) -> set[str]:
        """Which of ``providers`` have a data set or a submission (pending ones too)."""
        wanted = sorted(set(providers))
        if not wanted:
            return set()
        q = union(select(data_set.c.provider_id).where(data_set.c.provider_id.in_(wanted)),
                  select(submission.c.provider_id).where(submission.c.provider_id.in_(wanted)))
        return set(self.conn.execute(q).scalars())
