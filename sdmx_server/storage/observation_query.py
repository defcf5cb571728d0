"""Reading stored observations: the current state, the state at a past instant, changes since, every version.

Rows come straight from the driver's cursor (a server-side cursor on PostgreSQL), never as a
list, so memory does not grow with the answer. A row is ``(series_key, time_period, value,
attributes_json)``; history and change queries prefix it with ``valid_from`` and ``valid_to``.
The SQL is written here and nowhere else; callers describe what they want with :class:`SeriesFilter`.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator, Sequence

from sqlalchemy import Connection, func, select

from .tables import data_set, key_attribute, submission

FETCH = 5_000
_counter = itertools.count()
# c[...] operators on text columns; TIME_PERIOD bounds are compared as instants instead
_TEXT_OPS = {"eq": "= {p}", "ne": "<> {p}", "lt": "< {p}", "le": "<= {p}", "gt": "> {p}", "ge": ">= {p}",
             "co": "LIKE {p}", "nc": "NOT LIKE {p}", "sw": "LIKE {p}", "ew": "LIKE {p}"}
_LIKE = {"co": "%{}%", "nc": "%{}%", "sw": "{}%", "ew": "%{}"}

# (op, value) with value a string, or for time bounds an instant; alternatives of conjunctions
Conditions = tuple[tuple[tuple[str, object], ...], ...]


@dataclass
class SeriesFilter:
    """Which series and observations of one data set a query wants.

    ``keys``: alternatives, each a list of allowed values per dimension position (None = any).
    ``dimensions``: c[...] conditions per dimension position. ``periods``: conditions on the period,
    with values already turned into instants: ``("start_ge", t)``, ``("end_le", t)``,
    ``("start_eq", t)``... (retrieval decides what ``ge:2024-Q1`` means). ``sort_positions`` are the
    dimension positions to order series by (empty: by the series key), ``time_desc`` orders periods
    newest first, ``period_first`` orders by period before series (a cross-section's packaging).
    """

    data_set_id: int
    keys: list[list[frozenset[str] | None]] | None = None
    dimensions: dict[int, Conditions] = field(default_factory=dict)
    periods: Conditions = ()
    sort_positions: Sequence[tuple[int, bool]] = ()
    time_desc: bool = False
    period_first: bool = False


def instant(value: object) -> datetime:
    """A stored instant as an aware datetime: SQLite hands back SQLAlchemy's UTC text, PostgreSQL datetimes."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


class ObservationQuery:
    """Read side of the observation store, on one connection; never writes."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # -- what there is ---------------------------------------------------------------------------
    def data_sets(self, dataflow_urns: Sequence[str], providers: frozenset[str] | None) -> list[tuple[int, str, str]]:
        """(data set id, dataflow URN, provider id) of the flows, limited to ``providers`` unless None."""
        q = select(data_set.c.id, data_set.c.dataflow_urn, data_set.c.provider_id).where(
            data_set.c.dataflow_urn.in_(list(dataflow_urns))).order_by(data_set.c.dataflow_urn, data_set.c.provider_id)
        if providers is not None:
            q = q.where(data_set.c.provider_id.in_(sorted(providers)))
        return [tuple(r) for r in self.conn.execute(q)]

    def last_change(self, dataflow_urns: Sequence[str]) -> tuple[int, datetime | None]:
        """(latest submission id, its time) for the flows: the data's version, for ETag and Last-Modified."""
        row = self.conn.execute(select(func.max(submission.c.id), func.max(submission.c.submitted_at)).where(
            submission.c.dataflow_urn.in_(list(dataflow_urns)))).one()
        when = row[1]
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return row[0] or 0, when

    def key_attributes(self, data_set_id: int, as_of: datetime | None = None) -> list[tuple[str, str, dict]]:
        """(level, key, values) of data set, group and series attributes current at ``as_of`` (default now)."""
        q = select(key_attribute.c.level, key_attribute.c.key, key_attribute.c.attributes).where(
            key_attribute.c.data_set_id == data_set_id)
        if as_of is None:
            q = q.where(key_attribute.c.valid_to.is_(None))
        else:
            q = q.where(key_attribute.c.valid_from <= as_of,
                        (key_attribute.c.valid_to.is_(None)) | (key_attribute.c.valid_to > as_of))
        return [(level, key, json.loads(values)) for level, key, values in self.conn.execute(q)]

    # -- observations --------------------------------------------------------------------------------
    def count(self, f: SeriesFilter, as_of: datetime | None = None, *, cap: int | None = None) -> int:
        """How many observations match, counting no further than ``cap`` (enough to refuse a query)."""
        params: dict = {}
        sql, params = self._select(f, "1", self._valid_at(as_of, params), params, order=False)
        if cap is not None:
            sql += f" LIMIT {int(cap)}"
        return next(self._cursor_rows(f"SELECT COUNT(*) FROM ({sql}) c", params, server_side=False))[0]

    def current(self, f: SeriesFilter, as_of: datetime | None = None) -> Iterator[tuple]:
        """The observations valid now, or at ``as_of``, in series (or period) order."""
        params: dict = {}
        sql, params = self._select(f, "s.series_key, o.time_period, o.value, o.attributes",
                                   self._valid_at(as_of, params), params)
        return self._cursor_rows(sql, params)

    def changed(self, f: SeriesFilter, since: datetime, as_of: datetime | None = None) -> Iterator[tuple]:
        """Observations that became current after ``since`` and are still current (at ``as_of``)."""
        params: dict = {"since": self._ts(since)}
        valid = self._valid_at(as_of, params) + f" AND o.valid_from > {self._p('since')}"
        sql, params = self._select(f, "s.series_key, o.time_period, o.value, o.attributes", valid, params)
        return self._cursor_rows(sql, params)

    def deleted(self, f: SeriesFilter, since: datetime | None, as_of: datetime | None = None,
                ) -> Iterator[tuple]:
        """``(valid_to, series_key, time_period, value, attributes)`` of observations deleted after ``since``.

        Deleted means closed with no version of the same observation current after it (at ``as_of``).
        Without ``since``, every deletion ever (includeHistory), oldest first.
        """
        params: dict = {}
        cond = "o.valid_to IS NOT NULL"
        if since is not None:
            params["since"] = self._ts(since)
            cond += f" AND o.valid_to > {self._p('since')}"
        if as_of is not None:
            params["asof"] = self._ts(as_of)
            cond += f" AND o.valid_to <= {self._p('asof')}"
        cond += (" AND NOT EXISTS (SELECT 1 FROM observation n WHERE n.series_id = o.series_id "
                 "AND n.time_period = o.time_period AND n.valid_from = o.valid_to)")
        sql, params = self._select(f, "o.valid_to, s.series_key, o.time_period, o.value, o.attributes", cond, params,
                                   leading="o.valid_to")
        return self._cursor_rows(sql, params)

    def versions(self, f: SeriesFilter, since: datetime | None = None, as_of: datetime | None = None
                 ) -> Iterator[tuple]:
        """``(valid_from, series_key, time_period, value, attributes)`` of every version, oldest first."""
        params: dict = {}
        cond = "1 = 1"
        if since is not None:
            params["since"] = self._ts(since)
            cond += f" AND o.valid_from > {self._p('since')}"
        if as_of is not None:
            params["asof"] = self._ts(as_of)
            cond += f" AND o.valid_from <= {self._p('asof')}"
        sql, params = self._select(f, "o.valid_from, s.series_key, o.time_period, o.value, o.attributes", cond,
                                   params, leading="o.valid_from")
        return self._cursor_rows(sql, params)

    def series_keys(self, f: SeriesFilter, as_of: datetime | None = None) -> Iterator[tuple]:
        """``(series_key,)`` of the series with at least one matching observation, in key order."""
        params: dict = {}
        where, params = self._where(f, params)
        order = self._series_order(f)
        sql = (f"SELECT s.series_key FROM series s {order[0]} WHERE {where} AND EXISTS (SELECT 1 FROM observation o "
               f"WHERE o.series_id = s.id AND {self._obs_conditions(f, self._valid_at(as_of, params), params)}) "
               f"ORDER BY {order[1]}")
        return self._cursor_rows(sql, params)

    def series_summary(self, f: SeriesFilter, since: datetime | None = None) -> Iterator[tuple]:
        """``(series_key, observations, first period start, last period end)`` of each matching series.

        With ``since``, only observations that became current after it count (availability with updatedAfter).
        """
        params: dict = {}
        valid = self._valid_at(None, params)
        if since is not None:
            params["since"] = self._ts(since)
            valid += f" AND o.valid_from > {self._p('since')}"
        sql, params = self._select(f, "s.series_key, COUNT(*), MIN(o.period_start), MAX(o.period_end)", valid, params,
                                   order=False)
        return self._cursor_rows(sql + " GROUP BY s.series_key", params)

    # -- SQL ----------------------------------------------------------------------------------------
    def _p(self, name: str) -> str:
        return f"%({name})s" if self.postgres else f":{name}"

    def _ts(self, value: datetime) -> object:
        """A bind value comparable with stored instants (SQLite keeps SQLAlchemy's UTC text form)."""
        if self.postgres:
            return value
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")

    def _valid_at(self, as_of: datetime | None, params: dict) -> str:
        if as_of is None:
            return "o.valid_to IS NULL"
        params["asof"] = self._ts(as_of)
        p = self._p("asof")
        return f"o.valid_from <= {p} AND (o.valid_to IS NULL OR o.valid_to > {p})"

    def _bind(self, params: dict, value: object) -> str:
        name = f"b{next(_counter) % 1_000_000}"
        while name in params:
            name = f"b{next(_counter) % 1_000_000}"
        params[name] = self._ts(value) if isinstance(value, datetime) else value
        return self._p(name)

    def _text_condition(self, column: str, op: str, value: str, params: dict) -> str:
        if op in _LIKE:
            value = _LIKE[op].format(value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
            return f"{column} {_TEXT_OPS[op].format(p=self._bind(params, value))} ESCAPE '\\'"
        return f"{column} {_TEXT_OPS[op].format(p=self._bind(params, value))}"

    def _where(self, f: SeriesFilter, params: dict) -> tuple[str, dict]:
        """Conditions on the series ``s``: its data set, its key, c[...] on its dimensions."""
        parts = [f"s.data_set_id = {self._bind(params, f.data_set_id)}"]
        if f.keys is not None:
            alternatives = []
            for key in f.keys:
                if all(v is not None and len(v) == 1 for v in key):
                    alternatives.append(f"s.series_key = {self._bind(params, '.'.join(next(iter(v)) for v in key))}")
                    continue
                conds = [self._dimension_exists(pos, " IN (" + ", ".join(self._bind(params, x) for x in sorted(values))
                                                + ")", params) for pos, values in enumerate(key) if values is not None]
                alternatives.append("(" + (" AND ".join(conds) or "1 = 1") + ")")
            parts.append("(" + " OR ".join(alternatives) + ")")
        for pos, conditions in f.dimensions.items():
            ors = []
            for conj in conditions:
                ands = [self._dimension_exists(pos, None, params, op, value) for op, value in conj]
                ors.append("(" + " AND ".join(ands) + ")")
            parts.append("(" + " OR ".join(ors) + ")")
        return " AND ".join(parts), params

    def _dimension_exists(self, position: int, in_list: str | None, params: dict, op: str = "",
                          value: object = None) -> str:
        cond = f"d.value{in_list}" if in_list else self._text_condition("d.value", op, str(value), params)
        return (f"EXISTS (SELECT 1 FROM series_dimension d WHERE d.series_id = s.id "
                f"AND d.position = {int(position)} AND {cond})")

    def _obs_conditions(self, f: SeriesFilter, valid: str, params: dict) -> str:
        parts = [valid]
        if f.periods:
            ors = []
            for conj in f.periods:
                ands = []
                for op, value in conj:
                    if op == "time_text":  # (text op, value) on the period as reported
                        text_op, text_value = value
                        ands.append(self._text_condition("o.time_period", text_op, text_value, params))
                        continue
                    column, _, cmp = op.partition("_")
                    sql_op = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[cmp]
                    ands.append(f"o.period_{column} {sql_op} {self._bind(params, value)}")
                ors.append("(" + " AND ".join(ands) + ")")
            parts.append("(" + " OR ".join(ors) + ")")
        return " AND ".join(parts)

    def _series_order(self, f: SeriesFilter) -> tuple[str, str]:
        """(joins, ORDER BY terms) for the series: by chosen dimension positions, else by the key."""
        if not f.sort_positions:
            return "", "s.series_key"
        joins, terms = [], []
        for i, (pos, desc) in enumerate(f.sort_positions):
            joins.append(f"JOIN series_dimension k{i} ON k{i}.series_id = s.id AND k{i}.position = {int(pos)}")
            terms.append(f"k{i}.value" + (" DESC" if desc else ""))
        return " ".join(joins), ", ".join(terms + ["s.series_key"])

    def _select(self, f: SeriesFilter, columns: str, valid: str, params: dict, *, order: bool = True,
                leading: str | None = None) -> tuple[str, dict]:
        where, params = self._where(f, params)
        joins, series_order = self._series_order(f)
        sql = (f"SELECT {columns} FROM series s {joins} JOIN observation o ON o.series_id = s.id "
               f"WHERE {where} AND {self._obs_conditions(f, valid, params)}")
        if order:
            period = "o.time_period" + (" DESC" if f.time_desc else "")
            terms = [series_order, period] if not f.period_first else [period, series_order]
            if leading:
                terms.insert(0, leading)
            sql += " ORDER BY " + ", ".join(terms)
        return sql, params

    def _cursor_rows(self, sql: str, params: dict, *, server_side: bool = True) -> Iterator[tuple]:
        """Rows from the driver's own cursor: no per-row wrapping, and no buffering of the whole answer."""
        dbapi = self.conn.connection.driver_connection
        if self.postgres and server_side:
            cur = dbapi.cursor(name=f"q{next(_counter)}")
            cur.itersize = FETCH
        else:
            cur = dbapi.cursor()
        try:
            cur.execute(sql, params)
            while rows := cur.fetchmany(FETCH):
                yield from rows
        finally:
            cur.close()
