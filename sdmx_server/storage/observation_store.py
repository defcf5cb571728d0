"""Stored observations: staging a submitted message, then applying it in a few set-based statements.

A message is streamed into a temporary staging table (PostgreSQL COPY, SQLite INSERTs of many rows,
in batches), so memory does not grow with it; duplicates and the changes it makes are then found
by SQL, chunk by chunk as the message goes on (apply_added) and at its end what only the whole
message can say (apply). Every change closes the current row (``valid_to``) and inserts a new one stamped with
the transaction time, which is what updatedAfter, asOf and includeHistory read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import chain, islice
from typing import Iterable, Mapping, Sequence

from sqlalchemy import Connection, DateTime, Integer, bindparam, func, insert, select, text

from ..sdmx.time_periods import Period
from .tables import data_set, key_attribute, observation, series, series_dimension, submission

BATCH = 10_000
# one staged row per observation, as validation makes it: (row_no, series_key, time_period, value,
# attributes JSON, action "M" add or update / "D" delete, location for error reports); time_period
# is "" for a Delete of a whole series. Period bounds are staged once per distinct period. The place
# is staged as text: staging the reader's numbers (line, column) instead, to format them only for an
# error report, was measured slower: sqlite3 binds two more parameters for more than the text costs.
# A place of None (NULL) is "row {row_no + 1}", where SDMX-CSV's rows are when none was left out (the
# header is row 1): nearly all of them, so those stage nothing to bind, store or read back (1M SDMX-CSV
# rows ingest 2-5% faster, in interleaved runs).
STAGING_COLUMNS = ("row_no", "series_key", "time_period", "value", "attributes", "action", "location")
StagedObservation = tuple
_ROWS_PER_INSERT = 100
_STAGE = f"INSERT INTO staging_obs ({', '.join(STAGING_COLUMNS)}) VALUES "
# a stored observation and the staged rows of its series (apply, apply_added)
_STAGED_MATCH = ("FROM observation o JOIN series se ON se.id = o.series_id "
                 "JOIN staging_obs s ON s.series_key = se.series_key AND se.data_set_id = :ds ")


# a staged row's place in SQL (see STAGING_COLUMNS); ``{s}`` is the table's alias and a dot, or nothing
_PLACE = "COALESCE({s}location, 'row ' || ({s}row_no + 1))"


def staged_place(row: StagedObservation) -> str:
    """A staged row's place, as an error report gives it."""
    return f"row {row[0] + 1}" if row[6] is None else row[6]


@dataclass
class PreparedRows:
    """Staged rows as PostgreSQL COPY text, and the row_no of the last."""

    text: bytes
    last_row: int


@dataclass
class ApplyCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def attributes_json(values: dict[str, str]) -> str | None:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if values else None


class ObservationStore:
    """Writes and reads observations on one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # -- data sets and submissions -----------------------------------------------------------
    def data_set_id(self, dataflow_urn: str, provider_id: str, structure_urn: str, *, lock: bool = True) -> int:
        """The data set's id, created on first use; locked so concurrent submissions to it queue up."""
        q = select(data_set.c.id).where(data_set.c.dataflow_urn == dataflow_urn,
                                        data_set.c.provider_id == provider_id)
        row = self.conn.execute(q.with_for_update() if lock and self.postgres else q).first()
        if row:
            return row[0]
        if self.postgres:
            self.conn.execute(text("INSERT INTO data_set (dataflow_urn, provider_id, structure_urn) "
                                   "VALUES (:f, :p, :s) ON CONFLICT DO NOTHING"),
                              {"f": dataflow_urn, "p": provider_id, "s": structure_urn})
            return self.conn.execute(q.with_for_update() if lock else q).scalar_one()
        return self.conn.execute(insert(data_set).values(dataflow_urn=dataflow_urn, provider_id=provider_id,
                                                         structure_urn=structure_urn)).inserted_primary_key[0]

    def add_submission(self, **values) -> int:
        return self.conn.execute(insert(submission).values(inserted=0, updated=0, deleted=0, **values)
                                 ).inserted_primary_key[0]

    def finish_submission(self, submission_id: int, counts: ApplyCounts, **values) -> None:
        self.conn.execute(submission.update().where(submission.c.id == submission_id).values(
            inserted=counts.inserted, updated=counts.updated, deleted=counts.deleted, **values))

    # -- staging -------------------------------------------------------------------------------
    def start_staging(self, *, numeric_values: bool = False) -> None:
        """``numeric_values``: the data set's values are numbers (DataStructureInfo.numeric_values), compared as
        numbers with the stored ones: a message writing ``1038.0`` over ``1038`` changes nothing."""
        self._numeric = numeric_values
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS staging_obs")
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS staging_period")
        # row_no is the key (SQLite's rowid): apply_added reads only the rows staged since its last call
        self.conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE staging_obs (row_no INTEGER PRIMARY KEY, series_key TEXT NOT NULL, "
            "time_period TEXT NOT NULL, value TEXT, attributes TEXT, action CHAR(1) NOT NULL, location TEXT)")
        ts = "TIMESTAMP WITH TIME ZONE" if self.postgres else "TEXT"
        self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE staging_period (time_period TEXT PRIMARY KEY, "
                                  f"period_start {ts} NOT NULL, period_end {ts} NOT NULL)")
        self._deletes = 0
        self._prepared_row = 0  # the row_no of the last row given to stage or prepare
        self._staged_row = 0  # ... of the last one in the staging table
        self._applied_row = 0  # ... and of the last one applied (apply_added)
        self._periods_staged = 0
        self._latest_start: datetime | None = None  # of the staged periods (stage_periods)
        self._had_series: bool | None = None  # whether the data set had series before this message
        self._series_dimensioned = 0  # the highest series id _add_series_dimensions has seen
        self._counts = ApplyCounts()

    @property
    def unapplied(self) -> int:
        """How many rows given to stage or prepare apply_added has not applied yet (Delete rows included)."""
        return self._prepared_row - self._applied_row

    @property
    def formats_apart(self) -> bool:
        """Whether ``prepare`` and ``stage_prepared`` split staging in two: formatting the rows, which holds the
        GIL, and sending them, which does not (PostgreSQL's COPY: a database thread then only sends). SQLite
        binds each value with the GIL held: its rows are staged where they are read."""
        return self.postgres

    def stage(self, rows: Sequence[StagedObservation]) -> None:
        if not rows:
            return
        if self.postgres:
            self.stage_prepared([self.prepare(rows)])
            return
        self._count(rows)
        _sqlite_insert(self.conn, _STAGE, rows)
        self._staged_row = rows[-1][0]

    def prepare(self, rows: Sequence[StagedObservation]) -> PreparedRows:
        """PostgreSQL: ``rows`` as COPY text, for ``stage_prepared``; uses no connection."""
        self._count(rows)
        return PreparedRows(copy_text(rows), rows[-1][0])

    def stage_prepared(self, prepared: Sequence[PreparedRows]) -> None:
        cur = self.conn.connection.driver_connection.cursor()
        with cur.copy(f"COPY staging_obs ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
            for p in prepared:
                copy.write(p.text)
        self._staged_row = prepared[-1].last_row

    def _count(self, rows: Sequence[StagedObservation]) -> None:
        self._prepared_row = rows[-1][0]
        self._deletes += sum(1 for r in rows if r[5] == "D")

    def stage_periods(self, periods: Mapping[str, Period]) -> None:
        """The bounds of every period the staged rows name (a message has few distinct ones). ``periods`` only
        grows between calls, in insertion order: each call stages the ones added since the last."""
        rows = []
        for name, p in islice(periods.items(), self._periods_staged, None):
            rows.append((name, p.start, p.end) if self.postgres else (name, _sqlite_ts(p.start), _sqlite_ts(p.end)))
            if p.start is not None and (self._latest_start is None or p.start > self._latest_start):
                self._latest_start = p.start
        self._periods_staged += len(rows)
        for i in range(0, len(rows), BATCH):
            self.conn.exec_driver_sql("INSERT INTO staging_period VALUES (%s, %s, %s)" if self.postgres else
                                      "INSERT INTO staging_period VALUES (?, ?, ?)", rows[i:i + BATCH])

    def mark_provisional(self, attribute: str, code: str, since: datetime) -> None:
        """Give the staged observations not yet applied, of periods starting at ``since`` or later, ``attribute`` =
        ``code`` unless they carry that attribute: one UPDATE per distinct attributes text (a message has few).
        Rows applied ahead were marked before they were (intake), and are not looked at again."""
        if self._latest_start is None or self._latest_start < since:
            return  # no staged period is that recent (most messages): no need to scan the staged rows
        recent = ("row_no > :after AND "
                  "time_period IN (SELECT time_period FROM staging_period WHERE period_start >= :since)")
        types = (bindparam("since", type_=DateTime(timezone=True)), bindparam("after", type_=Integer()))
        distinct = self.conn.execute(text(f"SELECT DISTINCT attributes FROM staging_obs WHERE action = 'M' "
                                          f"AND {recent}").bindparams(*types),
                                     {"since": since, "after": self._applied_row}).scalars()
        for old in list(distinct):
            values = json.loads(old) if old else {}
            if attribute in values:
                continue
            params = {"new": attributes_json({**values, attribute: code}), "since": since,
                      "after": self._applied_row}
            if old is not None:
                params["old"] = old
            same = "attributes IS NULL" if old is None else "attributes = :old"
            self.conn.execute(text(f"UPDATE staging_obs SET attributes = :new WHERE action = 'M' AND {same} "
                                   f"AND {recent}").bindparams(*types), params)

    def lacking(self, attribute: str, limit: int) -> list[tuple[str, str, str]]:
        """(location, series key, period) of staged observations without ``attribute`` (JSON keys are sorted and
        compact, so the key's text is ``"ID":``)."""
        rows = self.conn.execute(text(
            f"SELECT {_PLACE.format(s='')}, series_key, time_period FROM staging_obs WHERE action = 'M' AND "
            "(attributes IS NULL OR attributes NOT LIKE :pattern) ORDER BY row_no LIMIT :limit"),
            {"pattern": f'%"{attribute}":%', "limit": limit})
        return [tuple(r) for r in rows]

    def duplicates(self, limit: int) -> list[tuple[str, str, str, str]]:
        """(series key, period, first place, second place) of keys the message holds twice."""
        self._index_staged_keys()
        rows = self.conn.exec_driver_sql(
            f"SELECT a.series_key, a.time_period, {_PLACE.format(s='a.')}, {_PLACE.format(s='b.')} FROM staging_obs a "
            "JOIN staging_obs b ON a.series_key = b.series_key AND a.time_period = b.time_period "
            "AND a.action = b.action AND a.row_no < b.row_no "
            f"ORDER BY a.row_no LIMIT {int(limit)}").all()
        return [tuple(r) for r in rows]

    def _index_staged_keys(self) -> None:
        self.conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_staging_key ON staging_obs (series_key, time_period)")

    def staged_series(self) -> dict[str, tuple[str, set[str]]]:
        """Series key -> (where it first appears, attribute ids its added observations carry)."""
        first: dict[str, tuple[int, str]] = {}
        seen: dict[str, set[str]] = {}
        ids: dict[str | None, set[str]] = {None: set()}  # each distinct attributes JSON parsed once
        for key, attributes, row_no, where in self.conn.exec_driver_sql(
                f"SELECT s.series_key, s.attributes, s.row_no, {_PLACE.format(s='s.')} FROM staging_obs s WHERE "
                "s.row_no IN (SELECT MIN(row_no) FROM staging_obs WHERE action = 'M' GROUP BY series_key, attributes)"):
            if attributes not in ids:
                ids[attributes] = set(json.loads(attributes))
            if key not in first or row_no < first[key][0]:
                first[key] = (row_no, where)
            seen.setdefault(key, set()).update(ids[attributes])
        return {key: (where, seen[key]) for key, (_, where) in first.items()}

    def series_attributes(self, dataflow_urn: str, provider_id: str) -> dict[str, set[str]]:
        """Series key -> ids of the series-level attributes currently stored for it."""
        rows = self.conn.execute(
            select(key_attribute.c.key, key_attribute.c.attributes).join(
                data_set, data_set.c.id == key_attribute.c.data_set_id).where(
                data_set.c.dataflow_urn == dataflow_urn, data_set.c.provider_id == provider_id,
                key_attribute.c.level == "series", key_attribute.c.valid_to.is_(None)))
        return {key: set(json.loads(attributes)) for key, attributes in rows}

    # -- applying ------------------------------------------------------------------------------
    def apply_added(self, data_set_id: int, submission_id: int, now: datetime,
                    new_series: Sequence[str] | None = None) -> None:
        """Apply the rows to add or update staged since the last call: create their new series, close the
        observations they change, add them. ``new_series``: the keys of the series first staged since the last
        call with rows to add, in message order, if the caller knows them (intake does); else they are found
        in the staged rows. The message may go on: intake calls this while it still reads (ApplyAhead).

        Statements that cannot change anything are not run: on a data set with no series yet nothing is updated.
        """
        if self._applied_row == self._staged_row:
            return
        p = {"ds": data_set_id, "now": now, "sub": submission_id, "after": self._applied_row, "upto": self._staged_row}
        if self.postgres and self._applied_row == 0:
            self._analyze()
        if self._had_series is None:
            self._had_series = self.conn.execute(select(series.c.id).where(series.c.data_set_id == data_set_id)
                                                 .limit(1)).first() is not None
            if self.postgres and self._had_series:  # the statements below match the message with what is stored
                self._analyze_if_stale("series", "observation")
        staged = "s.row_no > :after AND s.row_no <= :upto"
        # new series numbered in message order, so observations arrive at the indexes in id order
        if new_series is not None and not self.postgres:
            if new_series:
                _sqlite_insert(self.conn, "INSERT OR IGNORE INTO series (data_set_id, series_key) VALUES ",
                               [(data_set_id, key) for key in new_series])
        else:  # grouped first, so that each distinct key, not each staged row, is looked up in series
            self._sql("INSERT INTO series (data_set_id, series_key) SELECT :ds, g.series_key FROM "
                      "(SELECT series_key, min(row_no) AS first_row FROM staging_obs s WHERE action = 'M' "
                      f"AND {staged} GROUP BY series_key) g WHERE NOT EXISTS (SELECT 1 FROM series x "
                      "WHERE x.data_set_id = :ds AND x.series_key = g.series_key) ORDER BY g.first_row", p)
        self._add_series_dimensions(data_set_id)
        updated = 0
        if self._had_series:
            distinct = "IS DISTINCT FROM" if self.postgres else "IS NOT"
            value_changed = f"o.value {distinct} s.value"
            if self._numeric:
                value_changed = f"({value_changed} AND {same_number('o.value', 's.value', self.postgres)} IS NOT TRUE)"
            updated = self._close_found(
                f"{_STAGED_MATCH}WHERE {staged} AND o.valid_to IS NULL AND o.time_period = s.time_period "
                f"AND s.action = 'M' AND ({value_changed} OR o.attributes {distinct} s.attributes)", p)
        value = "s.value"
        if updated and self._numeric:
            # an observation whose attributes changed but whose number did not keeps the number as stored
            value = (f"COALESCE((SELECT c.value FROM observation c WHERE c.series_id = se.id AND c.time_period = "
                     f"s.time_period AND c.valid_to = :now AND {same_number('c.value', 's.value', self.postgres)}), "
                     "s.value)")
        unchanged = ("AND NOT EXISTS (SELECT 1 FROM observation o WHERE o.series_id = se.id "
                     "AND o.time_period = s.time_period AND o.valid_to IS NULL)") if self._had_series else ""
        # PostgreSQL, into a data set that had no series: hash joins. Staging's statistics are those of the
        # first chunk and each later chunk's rows lie beyond them, so the planner expects a handful and looks
        # each row's period up by index (60k lookups a chunk): 3.62-3.70 s per 1M in one process, 3.45-3.54 s
        # with hash joins. Not where rows are matched with stored ones: that takes the observation index.
        hashing = self.postgres and not self._had_series
        if hashing:
            self.conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        written = self._sql(
            "INSERT INTO observation (series_id, time_period, period_start, period_end, value, attributes, "
            "valid_from, submission_id) "
            f"SELECT se.id, s.time_period, pe.period_start, pe.period_end, {value}, s.attributes, :now, :sub "
            "FROM staging_obs s JOIN series se ON se.data_set_id = :ds AND se.series_key = s.series_key "
            "JOIN staging_period pe ON pe.time_period = s.time_period "
            f"WHERE {staged} AND s.action = 'M' {unchanged}", p)
        if hashing:
            self.conn.exec_driver_sql("RESET enable_nestloop")
        self._counts.updated += updated
        self._counts.inserted += written - updated
        self._applied_row = p["upto"]

    def apply(self, data_set_id: int, submission_id: int, now: datetime, *, replace_series: bool,
              added_series: Sequence[str] | None = None) -> ApplyCounts:
        """Apply what apply_added has not, then what only the whole message can say: ``replace_series``
        deletes what the message's series omit; Delete rows close what they name (neither runs on a data set
        that had no series). ``added_series``: as apply_added's ``new_series``.
        """
        self.apply_added(data_set_id, submission_id, now, added_series)
        p = {"ds": data_set_id, "now": now}
        counts = self._counts
        if self.postgres and self._had_series and (replace_series or self._deletes):
            self._analyze()
        if self._had_series and replace_series:
            self._index_staged_keys()  # else each stored observation is looked for among all staged rows
            counts.deleted += self._sql(
                "UPDATE observation SET valid_to = :now WHERE valid_to IS NULL AND series_id IN "
                "(SELECT se.id FROM series se JOIN staging_obs s ON s.series_key = se.series_key "
                " WHERE se.data_set_id = :ds AND s.action = 'M') "
                "AND NOT EXISTS (SELECT 1 FROM staging_obs s JOIN series se ON se.series_key = s.series_key "
                " AND se.data_set_id = :ds WHERE se.id = observation.series_id "
                " AND s.time_period = observation.time_period AND s.action = 'M')", p)
        if self._had_series and self._deletes:
            counts.deleted += self._close_found(
                f"{_STAGED_MATCH}WHERE o.valid_to IS NULL AND s.action = 'D' "
                f"AND (s.time_period = '' OR s.time_period = o.time_period)", p)
        self.conn.exec_driver_sql("DROP TABLE staging_obs")
        self.conn.exec_driver_sql("DROP TABLE staging_period")
        return counts

    def _close_found(self, found: str, params: dict) -> int:
        """Close the observations ``o`` that ``SELECT … {found}`` finds. PostgreSQL's observation has no index
        on ``id`` (migration 0006): its rows are named by tuple id; SQLite's ``id`` is the rowid."""
        rows = "ctid = ANY(ARRAY(SELECT o.ctid {}))" if self.postgres else "id IN (SELECT o.id {})"
        return self._sql(f"UPDATE observation SET valid_to = :now WHERE {rows.format(found)}", params)

    def _analyze(self) -> None:
        """PostgreSQL: temporary tables have no statistics until asked; without them the joins go nested."""
        self.conn.exec_driver_sql("ANALYZE staging_obs, staging_period")

    def _analyze_if_stale(self, *tables: str) -> None:
        """PostgreSQL: ANALYZE each of ``tables`` now if it never was, or if autovacuum would (default
        thresholds) but has not yet (counts reach the statistics a moment after each transaction). Right after a
        first load the planner believes a data set has one series, and matches a message's rows with the stored
        ones by period alone (a 20k-row resubmission took 27 s instead of a fraction of one).

        The ANALYZE runs on a connection of its own, committed at once: the lock it takes lasts to the end of
        its transaction, and in the ingest's it would hold off every other ingest's ANALYZE until this one
        commits. What it finds is the committed data, which is what the planner needs to know about."""
        stale = self.conn.exec_driver_sql(
            "SELECT c.relname FROM pg_stat_user_tables t JOIN pg_class c ON c.oid = t.relid "
            "WHERE t.relid = ANY(%(tables)s::regclass[]) "
            "AND (c.reltuples < 0 OR n_mod_since_analyze > 50 + 0.1 * c.reltuples)", {"tables": list(tables)}).scalars()
        names = ", ".join(stale)
        if names:  # one statement and one connection for all of them
            with self.conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as apart:
                apart.exec_driver_sql(f"ANALYZE {names}")

    def delete_matching(self, data_set_id: int, key: list, now: datetime, period: str = "") -> int:
        """Close the current observations (of ``period`` only, if given) of every series matching ``key``."""
        matching = select(series.c.id).where(series.c.data_set_id == data_set_id)
        for position, values in enumerate(key):
            if values is not None:
                matching = matching.where(select(series_dimension.c.series_id).where(
                    series_dimension.c.series_id == series.c.id, series_dimension.c.position == position,
                    series_dimension.c.value.in_(sorted(values))).exists())
        closing = observation.update().where(observation.c.valid_to.is_(None), observation.c.series_id.in_(matching))
        if period:
            closing = closing.where(observation.c.time_period == period)
        return self.conn.execute(closing.values(valid_to=now)).rowcount

    def _sql(self, sql: str, params: dict) -> int:
        types = {"now": DateTime(timezone=True), "ds": Integer(), "sub": Integer(), "after": Integer(),
                 "upto": Integer()}
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        stmt = text(sql).bindparams(*(bindparam(k, type_=types[k]) for k in used))
        return self.conn.execute(stmt, used).rowcount

    def _add_series_dimensions(self, data_set_id: int) -> None:
        """Dimension values of the series made since the last call (ids only grow: earlier ones are not looked
        at), split from the keys in SQL: one statement, however many series (codes hold no dots)."""
        p = {"ds": data_set_id, "after": self._series_dimensioned}
        new = ("s.data_set_id = :ds AND s.id > :after AND NOT EXISTS "
               "(SELECT 1 FROM series_dimension d WHERE d.series_id = s.id)")
        if self.postgres:
            self._sql("INSERT INTO series_dimension (series_id, position, value) SELECT s.id, part.n - 1, part.value "
                      "FROM series s, unnest(string_to_array(s.series_key, '.')) WITH ORDINALITY AS part(value, n) "
                      f"WHERE {new}", p)
        else:
            self._sql("WITH RECURSIVE part(series_id, position, value, rest) AS ("
                      f"SELECT s.id, -1, NULL, s.series_key || '.' FROM series s WHERE {new} UNION ALL "
                      "SELECT series_id, position + 1, substr(rest, 1, instr(rest, '.') - 1), "
                      "substr(rest, instr(rest, '.') + 1) FROM part WHERE rest <> '') "
                      "INSERT INTO series_dimension (series_id, position, value) "
                      "SELECT series_id, position, value FROM part WHERE position >= 0", p)
        self._series_dimensioned = self.conn.execute(
            select(func.max(series.c.id)).where(series.c.data_set_id == data_set_id)).scalar() or 0

    # -- key-level attributes ---------------------------------------------------------------------
    def apply_key_attributes(self, data_set_id: int, submission_id: int, now: datetime,
                             changes: Iterable[tuple[str, str, dict[str, str], str]], *, replace: bool) -> int:
        """Set attribute values of (level, key); "D" removes the named ones (or all, if none named)."""
        current = {(r.level, r.key): (r.id, json.loads(r.attributes)) for r in self.conn.execute(
            select(key_attribute.c.id, key_attribute.c.level, key_attribute.c.key, key_attribute.c.attributes)
            .where(key_attribute.c.data_set_id == data_set_id, key_attribute.c.valid_to.is_(None)))}
        close: list[int] = []
        add: dict[tuple[str, str], dict] = {}  # the last change of a (level, key) in the message wins
        replaced: set[tuple[str, str]] = set()  # replacing drops what was stored, once: the message's own merge
        for level, key, values, action in changes:
            old_id, old = current.get((level, key), (None, {}))
            if action == "D":
                new = {k: v for k, v in old.items() if values and k not in values}
            elif replace and (level, key) not in replaced:
                new = dict(values)
                replaced.add((level, key))
            else:
                new = {**old, **values}
            if new == old:
                continue
            if old_id is not None:
                close.append(old_id)
            current[(level, key)] = (None, new)
            add[(level, key)] = {"data_set_id": data_set_id, "level": level, "key": key, "valid_from": now,
                                 "attributes": attributes_json(new), "submission_id": submission_id}
        add_rows = [row for row in add.values() if row["attributes"]]
        for i in range(0, len(close), 500):
            self.conn.execute(key_attribute.update().where(key_attribute.c.id.in_(close[i:i + 500]))
                              .values(valid_to=now))
        if add_rows:
            self.conn.execute(insert(key_attribute), add_rows)
        return len(add)


# a number as SDMX data writes it (and Python's float() reads it): digits with an optional point and exponent
_NUMBER_PATTERN = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?\s*$"


def same_number(a: str, b: str, postgres: bool) -> str:
    """SQL that is true where the texts ``a`` and ``b`` are numbers and equal (``1038.0`` and ``1038``), and
    false or NULL otherwise ("NaN", "", NULL, text). Never fails on text that is not a number. PostgreSQL
    compares them as ``numeric`` (exact); SQLite as REAL (doubles, as the values are checked), only for texts with
    a digit and no underscore, which its CAST would read otherwise than Python's float()."""
    if postgres:
        def num(x: str) -> str:
            return f"(CASE WHEN {x} ~ '{_NUMBER_PATTERN}' THEN CAST({x} AS numeric) END)"
    else:
        def num(x: str) -> str:
            return f"(CASE WHEN {x} GLOB '*[0-9]*' AND {x} NOT GLOB '*[_]*' THEN CAST({x} AS REAL) END)"
    return f"({num(a)} = {num(b)})"


_NULL = "\\N"  # COPY's NULL
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(rows: Sequence[StagedObservation]) -> bytes:
    """Staged rows in PostgreSQL's COPY text format. Series keys and periods have passed validation (codes
    and digits): only the value, the attributes (JSON, whose escapes hold backslashes) and the place (an
    Excel sheet's name) can hold a character that COPY escapes. Such characters are rare, and looking for
    them field by field took most of the time: the batch is written plainly, and escaped field by field
    only if its tabs, newlines and backslashes are not exactly the separators and NULL markers."""
    text = "".join([f"{r[0]}\t{r[1]}\t{r[2]}\t{_NULL if r[3] is None else r[3]}\t{_NULL if r[4] is None else r[4]}"
                    f"\t{r[5]}\t{_NULL if r[6] is None else r[6]}\n" for r in rows])
    nulls = sum([r[3] is None for r in rows]) + sum([r[4] is None for r in rows]) + sum([r[6] is None for r in rows])
    if (text.count("\\") != nulls or text.count("\t") != 6 * len(rows) or text.count("\n") != len(rows)
            or "\r" in text):
        text = "".join([f"{r[0]}\t{r[1]}\t{r[2]}\t{_copy_field(r[3])}\t{_copy_field(r[4])}\t{r[5]}\t"
                        f"{_copy_field(r[6])}\n" for r in rows])
    return text.encode()


def _copy_field(value: str | None) -> str:
    return _NULL if value is None else value.translate(_COPY_ESCAPES)


def _sqlite_insert(conn: Connection, head: str, rows: Sequence[tuple]) -> None:
    """``head`` (``INSERT … VALUES``) of ``rows``, _ROWS_PER_INSERT rows per statement. sqlite3 steps the
    statement of an executemany once per row, and lets go of the GIL each time: a third more time to stage,
    and on ApplyAhead's thread a wait for the GIL after each row."""
    if not rows:
        return
    cur = conn.connection.driver_connection.cursor()
    try:
        whole = len(rows) - len(rows) % _ROWS_PER_INSERT
        if whole:
            many = _values_statement(head, len(rows[0]), _ROWS_PER_INSERT)
            for i in range(0, whole, _ROWS_PER_INSERT):
                cur.execute(many, list(chain.from_iterable(rows[i:i + _ROWS_PER_INSERT])))
        if whole < len(rows):
            rest = rows[whole:]
            cur.execute(_values_statement(head, len(rest[0]), len(rest)), list(chain.from_iterable(rest)))
    finally:
        cur.close()


@lru_cache(maxsize=64)
def _values_statement(head: str, width: int, count: int) -> str:
    return head + ", ".join(["(" + ", ".join("?" * width) + ")"] * count)


def _sqlite_ts(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DateTime storage format, so staged rows compare and load like ORM-written ones."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value is not None else None
