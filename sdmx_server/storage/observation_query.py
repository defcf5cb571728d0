"""Reading stored observations: the current state, the state at a past instant, changes since, every version.

Rows come straight from the driver's cursor (a server-side cursor on PostgreSQL), never as a
list, so memory does not grow with the answer. A row is ``(series_key, time_period, value,
attributes_json)``; history and change queries prefix it with ``valid_from`` and ``valid_to``.
The SQL is written here and nowhere else; callers describe what they want with :class:`SeriesFilter`.
"""

from __future__ import annotations

import itertools
import json
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator, Sequence

from sqlalchemy import Connection

from .artefact_store import SCOPE_STRUCTURES
from .tables import access_version

FETCH = 5_000
_ROW = "s.series_key, o.time_period, o.value, o.attributes"  # what current() and changed() give per observation
_PORTALS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> cursors declared on it
# The partial index of the current observations (tables.observation): SQLite's planner, without
# statistics, counts them through the history index instead, reading every row (3x slower).
_CURRENT_INDEX = "ux_observation_current"
# Every row, written as its current and closed halves, so that SQLite reaches each by series through its own
# partial index; the closed half is a comparison (every row closes after 1970), as IS NOT NULL picks no index.
_EVERY_VERSION = "(o.valid_to IS NULL OR o.valid_to > '1970-01-01')"
# PostgreSQL does not carry the join to a series into the halves of "valid_to IS NULL OR …": it read the whole
# table for the past of one series (0.1-0.3 s on 1.1M rows). Asked per series, each half goes through its own
# partial index (under 6 ms).
_EVERY_VERSION_OF_SERIES = ("LATERAL (SELECT * FROM observation o WHERE o.series_id = s.id AND o.valid_to IS NULL "
                            "UNION ALL SELECT * FROM observation o WHERE o.series_id = s.id "
                            "AND o.valid_to IS NOT NULL) o")
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


# Released submissions, of every dataflow: every change of released data (an ingest, a release, a deletion by key)
# records a released submission in its own transaction, and none is ever deleted, so the count moves exactly
# when released data may have changed (e.g. whether a country has released data of its own: reciprocity).
# Triggers keep the count in access_version (migration 0107): one primary-key read, whatever the number.
RELEASES_SQL = "(SELECT releases FROM access_version WHERE id = 1)"


@dataclass(frozen=True)
class Snapshot:
    """``structures``: when structures last changed (``change_log``, as the driver gives it), a stamp for
    caches of them. ``most_rows``: the highest observation id, a bound of any count (ids are distinct
    positive integers, so there are no more rows than that, history included), read off the primary key
    (SQLite) or the last value of the id sequence (PostgreSQL).
    ``last_submission`` and ``last_modified``: how many submissions to the dataflows were released, and
    when the latest was: the data's version, for ETag and Last-Modified. ``access_version``: the access
    version (migration 0005) as this statement saw it, so a request may check access reads it took from
    the process's cache without a statement of its own (request_context.confirm_access). ``releases``: how many
    submissions were released, of any dataflow (RELEASES_SQL)."""

    structures: object
    most_rows: int
    access_version: int
    last_submission: int
    last_modified: datetime | None
    releases: int = 0  # released submissions of every dataflow (RELEASES_SQL)

    @property
    def access_stamp(self) -> tuple[int, int]:
        """(access version, releases): what cached access reads are filed under (access/access_cache.py)."""
        return self.access_version, self.releases


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
    def look(self, flows: Sequence[tuple[str, frozenset[str] | None]] | None
             ) -> tuple[Snapshot, list[tuple[int, str, str]]]:
        """What a data query checks before reading, in one round trip: the :class:`Snapshot` of the dataflows
        of ``flows`` and their data sets, ``(data set id, dataflow URN, provider id)``, flow by flow, limited
        to the flow's providers unless None. Without ``flows`` (not known yet), ``last_submission`` is 0,
        ``last_modified`` None and there are no data sets."""
        params: dict = {}
        parts = [f"(SELECT changed_at FROM change_log WHERE scope = {self._bind(params, SCOPE_STRUCTURES)})",
                 # PostgreSQL: no index on observation.id (migration 0006); ids come from the sequence
                 "(SELECT last_value FROM observation_id_seq)" if self.postgres else
                 "(SELECT MAX(id) FROM observation)",
                 f"(SELECT n FROM {access_version.name} WHERE id = 1)", RELEASES_SQL]
        # each flow whose data the caller may see some of, as a condition on dataflow_urn and provider_id
        visible = [(urn, providers) for urn, providers in flows or () if providers is None or providers]
        conditions = [f"dataflow_urn = {self._bind(params, urn)}" + (
            "" if providers is None else f" AND provider_id IN ({self._binds(params, sorted(providers))})")
            for urn, providers in visible]
        if flows:
            # released submissions of the providers the caller sees only: pending ones and what the caller
            # may not see change nothing it is shown (nor its ETag); a release, whatever its id, adds one
            where = f"FROM submission WHERE state = 'released' AND ({' OR '.join(conditions) or '1 = 0'})"
            parts += [f"(SELECT COUNT(*) {where})", f"(SELECT MAX(released_at) {where})"]
        data_sets = [f"FROM data_set WHERE {condition} ORDER BY provider_id" for condition in conditions]
        found: list[tuple[int, str, str]] = []
        if self.postgres:
            # one statement of a stable text, which psycopg prepares after a few runs: planning it each time
            # cost the server more than running it
            n = len(parts)
            row = self._all("SELECT " + ", ".join(
                parts + [f"ARRAY(SELECT {column} {sql})" for sql in data_sets for column in ("id", "provider_id")]),
                params)[0]
            for (urn, _), ids, providers in zip(visible, row[n::2], row[n + 1::2]):
                found += [(i, urn, p) for i, p in zip(ids, providers)]
        else:  # SQLite, in process: no round trips to save
            row = self._all("SELECT " + ", ".join(parts), params)[0]
            for sql in data_sets:
                found += self._all(f"SELECT id, dataflow_urn, provider_id {sql}", params)
        last_id, when = (row[4], row[5]) if flows else (None, None)
        snap = Snapshot(row[0], row[1] or 0, row[2], last_id or 0, None if when is None else instant(when), row[3])
        return snap, [tuple(r) for r in found]

    def key_attributes(self, data_set_id: int, as_of: datetime | None = None) -> list[tuple[str, str, dict]]:
        """(level, key, values) of data set, group and series attributes current at ``as_of`` (default now)."""
        params: dict = {}
        return _key_attributes(self._all(self._key_attributes_sql([data_set_id], as_of, params, False), params))

    def _key_attributes_sql(self, data_set_ids: Sequence[int], as_of: datetime | None, params: dict,
                            with_data_set: bool) -> str:
        columns = "data_set_id, level, key, attributes" if with_data_set else "level, key, attributes"
        ids = data_set_ids[0] if len(data_set_ids) == 1 else None
        where = (f"data_set_id = {self._bind(params, ids)}" if ids is not None
                 else f"data_set_id IN ({self._binds(params, data_set_ids)})")
        sql = f"SELECT {columns} FROM key_attribute WHERE {where}"
        if as_of is None:
            return sql + " AND valid_to IS NULL"
        p = self._bind(params, as_of)
        return sql + f" AND valid_from <= {p} AND (valid_to IS NULL OR valid_to > {p})"

    # -- observations --------------------------------------------------------------------------------
    def count(self, f: SeriesFilter, as_of: datetime | None = None, *, cap: int | None = None) -> int:
        """How many observations match, counting no further than ``cap`` (enough to refuse a query)."""
        params: dict = {}
        sql, params = self._select(f, "1", self._valid_at(as_of, params), params, order=False, past=as_of is not None)
        if as_of is None and not self.postgres:
            sql = sql.replace("JOIN observation o ON", f"JOIN observation o INDEXED BY {_CURRENT_INDEX} ON", 1)
        if cap is not None:
            sql += f" LIMIT {int(cap)}"
        return self._all(f"SELECT COUNT(*) FROM ({sql}) c", params)[0][0]

    def current(self, f: SeriesFilter, as_of: datetime | None = None) -> Iterator[tuple]:
        """The observations valid now, or at ``as_of``, in series (or period) order."""
        params: dict = {}
        sql, params = self._select(f, _ROW, self._valid_at(as_of, params), params, past=as_of is not None)
        return self._cursor_rows(sql, params)

    def current_with_key_attributes(self, f: SeriesFilter, data_set_ids: Sequence[int], as_of: datetime | None = None
                                    ) -> tuple[list[tuple[int, str, str, str]], list[Iterator[tuple]]]:
        """``f``'s current observations (at ``as_of``) in each of ``data_set_ids`` (``f.data_set_id`` is not
        used), one iterator per data set, and the key attributes of them all, in one statement and as stored
        (``(data set id, level, key, JSON)``: :func:`key_attribute_values` parses a data set's, when it has rows).

        Each data set's observations keep a statement of their own, whose plan reads them in order from the
        indexes (one statement for several, ordered by their place in the answer, sorts the whole answer:
        SQLite builds a temporary B-tree), of one text with the data set as its only difference. On PostgreSQL
        it all goes in one round trip (the attributes, and a cursor with its first batch for each data set),
        where the queries run now, not lazily; on SQLite each data set's runs when its rows are first asked for.
        """
        params: dict = {}
        attributes = self._key_attributes_sql(data_set_ids, as_of, params, True)
        sql, params = self._select(f, _ROW, self._valid_at(as_of, params), params, past=as_of is not None)
        if not self.postgres:
            return self._all(attributes, params), [self._cursor_rows(sql, {**params, "ds": i}) for i in data_set_ids]
        # the client binds the values itself (_client_cursor): the data set, an integer, is written in
        sqls = [sql.replace(self._p("ds"), str(int(i))) for i in data_set_ids]
        (attribute_rows,), portals = self._declare(sqls, params, before=[attributes])
        return attribute_rows, [itertools.chain.from_iterable(batches) for batches in portals]

    def changed(self, f: SeriesFilter, since: datetime, as_of: datetime | None = None) -> Iterator[tuple]:
        """Observations that became current after ``since`` and are still current (at ``as_of``)."""
        params: dict = {"since": self._ts(since)}
        valid = self._valid_at(as_of, params) + f" AND o.valid_from > {self._p('since')}"
        sql, params = self._select(f, _ROW, valid, params, past=as_of is not None, per_series=True)
        return self._cursor_rows(sql, params)

    def deleted(self, f: SeriesFilter, since: datetime | None, as_of: datetime | None = None,
                ) -> Iterator[tuple]:
        """``(valid_to, series_key, time_period, value, attributes)`` of observations deleted after ``since``.

        Deleted means closed with no version of the same observation current after it (at ``as_of``).
        Without ``since``, every deletion ever (includeHistory), oldest first.
        """
        params: dict = {}
        cond = "o.valid_to IS NOT NULL" + self._after(params, "o.valid_to", since, as_of)
        # no version of it began as it closed: asked of current and of closed versions apart, each through its
        # own index (as one condition on every version, PostgreSQL read the whole table)
        for half in ("n.valid_to IS NULL", "n.valid_to IS NOT NULL"):
            cond += (f" AND NOT EXISTS (SELECT 1 FROM observation n WHERE {half} AND n.series_id = o.series_id "
                     "AND n.time_period = o.time_period AND n.valid_from = o.valid_to)")
        sql, params = self._select(f, "o.valid_to, s.series_key, o.time_period, o.value, o.attributes", cond, params,
                                   leading="o.valid_to", per_series=True)
        return self._cursor_rows(sql, params)

    def _after(self, params: dict, column: str, since: datetime | None, as_of: datetime | None) -> str:
        """Conditions keeping ``column`` in (since, as_of]; either bound may be absent."""
        cond = ""
        if since is not None:
            params["since"] = self._ts(since)
            cond += f" AND {column} > {self._p('since')}"
        if as_of is not None:
            params["asof"] = self._ts(as_of)
            cond += f" AND {column} <= {self._p('asof')}"
        return cond

    def versions(self, f: SeriesFilter, since: datetime | None = None, as_of: datetime | None = None
                 ) -> Iterator[tuple]:
        """``(valid_from, series_key, time_period, value, attributes)`` of every version, oldest first."""
        params: dict = {}
        cond = _EVERY_VERSION + self._after(params, "o.valid_from", since, as_of)
        sql, params = self._select(f, "o.valid_from, s.series_key, o.time_period, o.value, o.attributes", cond,
                                   params, leading="o.valid_from", past=True, per_series=since is not None)
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
                                   order=False, per_series=since is not None)
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

    def _binds(self, params: dict, values: Sequence[object]) -> str:
        return ", ".join(self._bind(params, v) for v in values)

    def _bind(self, params: dict, value: object) -> str:
        # named by position, so that a query of the same shape has the same text every time: the drivers
        # then reuse what they made of it (sqlite3's statement cache, psycopg's parsed queries)
        n = len(params)
        name = f"b{n}"
        while name in params:
            n += 1
            name = f"b{n}"
        params[name] = self._ts(value) if isinstance(value, datetime) else value
        return self._p(name)

    def _text_condition(self, column: str, op: str, value: str, params: dict) -> str:
        if op in _LIKE:
            value = _LIKE[op].format(value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
            return f"{column} {_TEXT_OPS[op].format(p=self._bind(params, value))} ESCAPE '\\'"
        return f"{column} {_TEXT_OPS[op].format(p=self._bind(params, value))}"

    def _where(self, f: SeriesFilter, params: dict) -> tuple[str, dict]:
        """Conditions on the series ``s``: its data set, its key, c[...] on its dimensions."""
        params["ds"] = f.data_set_id  # by name: current_with_key_attributes runs one text for several data sets
        parts = [f"s.data_set_id = {self._p('ds')}"]
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
                leading: str | None = None, past: bool = False, per_series: bool = False) -> tuple[str, dict]:
        """``past``: ``valid`` may hold closed rows as well as current ones. ``per_series``: ``valid`` compares
        transaction times with one the caller chose, usually later than the newest one PostgreSQL's statistics
        know of: each series' rows are read through its indexes, whatever the statistics say. Past their newest
        time the planner expects one row, and joined a whole data set's (after a 100k-row revision) to every
        series in turn: 55 s instead of 0.3 for updatedAfter, 28 s with includeHistory."""
        where, params = self._where(f, params)
        joins, series_order = self._series_order(f)
        conditions = self._obs_conditions(f, valid, params)
        narrowed = f.keys is not None or bool(f.dimensions)
        if self.postgres and per_series and not past:
            # OFFSET 0 keeps the subquery from being merged into the join
            observations = f"LATERAL (SELECT * FROM observation o WHERE o.series_id = s.id AND {conditions} OFFSET 0) o"
            conditions = "TRUE"
        elif self.postgres and past and (narrowed or per_series):
            observations = _EVERY_VERSION_OF_SERIES
        else:  # the whole data set is read faster as it is: one scan rather than index scans per series
            observations = "observation o"
        sql = (f"SELECT {columns} FROM series s {joins} JOIN {observations} ON o.series_id = s.id "
               f"WHERE {where} AND {conditions}")
        if order:
            period = "o.time_period" + (" DESC" if f.time_desc else "")
            terms = [series_order, period] if not f.period_first else [period, series_order]
            if leading:
                terms.insert(0, leading)
            sql += " ORDER BY " + ", ".join(terms)
        return sql, params

    def _all(self, sql: str, params: dict) -> list[tuple]:
        """Every row of a small query, on the driver's own cursor (no SQLAlchemy statement to build)."""
        cur = self.conn.connection.driver_connection.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            cur.close()

    def _cursor_rows(self, sql: str, params: dict) -> Iterator[tuple]:
        """Rows from the driver's own cursor: no per-row wrapping, and no buffering of the whole answer
        (batches of ``FETCH`` rows, handed on row by row by ``chain``, in C). On PostgreSQL a cursor of the
        transaction (:meth:`_declare`). It holds no lock on the connection between batches (unlike psycopg's
        ``stream()``), so the connection can always be rolled back, whether or not the rows were read to their
        end; the rollback closes it.
        """
        batches = self._portal(sql, params) if self.postgres else self._fetched(sql, params)
        return itertools.chain.from_iterable(batches)

    def _fetched(self, sql: str, params: dict) -> Iterator[list[tuple]]:
        cur = self.conn.connection.driver_connection.cursor()
        try:
            cur.execute(sql, params)
            while rows := cur.fetchmany(FETCH):
                yield rows
                if len(rows) < FETCH:  # the last batch: asking again would cost a round trip for nothing
                    break
        finally:
            cur.close()

    def _portal(self, sql: str, params: dict) -> Iterator[list[tuple]]:
        """PostgreSQL, lazily: the batches of a cursor :meth:`_declare` opens on the first ``next``."""
        yield from self._declare([sql], params)[1][0]

    def _declare(self, sqls: Sequence[str], params: dict, before: Sequence[str] = ()
                 ) -> tuple[list[list[tuple]], list[Iterator[list[tuple]]]]:
        """PostgreSQL: DECLARE a cursor for each of ``sqls`` and FETCH its first batch, all in one round trip
        (with the small ``before`` statements, whose rows come first), then one round trip per further batch.

        psycopg's server-side cursor takes four round trips for a small answer (DECLARE, describe, FETCH,
        CLOSE); here a client-side binding cursor sends DECLARE and the first FETCH together, and the
        cursor is left to the end of the transaction (the caller's rollback) instead of a CLOSE.
        """
        names = []
        for _ in sqls:
            n = _PORTALS[self.conn] = _PORTALS.get(self.conn, 0) + 1
            names.append(f"q{n}")  # unique on the connection (a request's), and the same from one request to the next
        driver = self.conn.connection.driver_connection
        # a cursor lives in a transaction: begun here on a connection that reads without one (the rollback
        # that ends the request's reads ends it)
        begin = ["BEGIN"] if driver.autocommit and driver.info.transaction_status.name == "IDLE" else []
        declared = [part for name, sql in zip(names, sqls)
                    for part in (f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", f"FETCH FORWARD {FETCH} FROM {name}")]
        cur = _client_cursor(driver)
        try:
            cur.execute("; ".join([*begin, *before, *declared]), params)
            got, firsts = [], []
            if begin:
                cur.nextset()  # past the BEGIN
            for _ in before:
                got.append(cur.fetchall())
                cur.nextset()
            for _ in sqls:
                cur.nextset()  # past the DECLARE
                firsts.append(cur.fetchall())
                cur.nextset()
        finally:
            cur.close()
        return got, [self._fetch_more(driver, name, first) for name, first in zip(names, firsts)]

    @staticmethod
    def _fetch_more(driver, name: str, rows: list[tuple]) -> Iterator[list[tuple]]:
        """The batches of cursor ``name`` from its first, each further one on a cursor of its own (cursors of
        several data sets are read in turn)."""
        while rows:
            yield rows
            if len(rows) < FETCH:  # the last batch: asking again would cost a round trip for nothing
                break
            cur = _client_cursor(driver)
            try:
                cur.execute(f"FETCH FORWARD {FETCH} FROM {name}")
                rows = cur.fetchall()
            finally:
                cur.close()


def key_attribute_values(rows: Iterable[tuple], data_set_id: int) -> list[tuple[str, str, dict]]:
    """(level, key, values) of one data set's key attributes, from stored rows ``(data set id, level, key, JSON)``
    of any data sets."""
    return [(level, key, json.loads(values)) for ds, level, key, values in rows if ds == data_set_id]


def _key_attributes(rows: list[tuple]) -> list[tuple[str, str, dict]]:
    return [(level, key, json.loads(values)) for level, key, values in rows]


def _client_cursor(dbapi_connection):
    """A psycopg cursor that binds parameters itself (psycopg's own quoting), so that one execute may carry
    several statements."""
    from psycopg import ClientCursor
    return ClientCursor(dbapi_connection)
