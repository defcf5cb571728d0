"""SDMX-CSV 1.0 data messages, streamed: one row per observation, a few hundred rows per chunk.

Columns (SDMX-CSV 1.0 field guide): DATAFLOW (``AGENCY:ID(VERSION)``), every dimension in DSD
order (time last), the primary measure (then any further measure), then every attribute of the
DSD in DSD order, whatever its level: a row repeats the data-set and series values that apply to
it. SDMX-CSV 1.0 has no ACTION column: the rows of every data set (includeHistory, updatedAfter)
look alike, so use 2.0 for those.

Media-type options (``DataMessage.csv_*``): ``labels=id|both`` (1.0 has no ``name``); with
``both`` the header reads ``ID: Name`` and a value with a name (a code) ``CODE: Name``; values
without a name (time, numbers, free text) stay as they are. ``timeFormat=normalized`` writes each
time period as the ISO 8601 date it starts on (our reading of the field guide: "the most granular
ISO 8601 representation ... taking into account ... the moment in time when the values were
collected"; a streaming writer cannot look ahead for the message's highest frequency, and the
collection moment is not known, so the start is taken: 2024-Q2 -> 2024-04-01, 2014-01 ->
2014-01-01 as in the spec's example; date-times stay as they are, a range gives its start).

Speed: rows are joined strings, not ``csv.writer`` calls. Each cell is quoted as the csv module's
QUOTE_MINIMAL does (only a cell holding a comma, a quote or a line break), every dimension and
attribute cell is formatted once per distinct value (a per-column cache), and per series the
row's constant left and right parts are built once, so an observation costs one cache look-up,
one quote check of its value and one string concatenation. The 2.0 writer reuses all of this.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from ..data_message import DataMessage, DataSetOut, SeriesOut
from ..data_structure import NUMERIC_TYPES
from ..errors import BadInput
from ..time_periods import parse_period
from .data_events import AttributeValue

EOL = "\r\n"  # RFC 4180, as the csv module writes
_NEEDS_QUOTES = re.compile(r'[,"\r\n]').search
_CHUNK_BYTES = 32768


def quote(cell: str) -> str:
    """The cell as csv.QUOTE_MINIMAL writes it with a comma delimiter."""
    if _NEEDS_QUOTES(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@lru_cache(maxsize=8192)
def normalized_period(text: str) -> str:
    """timeFormat=normalized: the ISO 8601 date (or date-time) the period starts on; unknown forms unchanged."""
    try:
        period = parse_period(text)
    except ValueError:
        return text
    if period.frequency == "N":  # already a date-time
        return text
    if period.frequency == "":  # a range start/duration: its start, as written
        return text.split("/", 1)[0]
    return period.start.date().isoformat()


def dataflow_ref(dataflow: dict) -> str:
    """``AGENCY:ID(VERSION)``, the artefact reference of SDMX-CSV's first columns."""
    return f"{dataflow.get('agencyID', '')}:{dataflow.get('id', '')}({dataflow.get('version', '1.0')})"


def dataflow_label(message: DataMessage) -> str | None:
    labels = message.labels
    return labels.pick(labels.dataflow_name) or labels.pick(message.dataflow.get("names"))


class _Cells(dict):
    """value -> formatted cell of one column, computed on first use (``cache[value]`` is a C-level hit)."""

    def __init__(self, make: Callable[[str], str]):
        super().__init__()
        self.make = make

    def __missing__(self, value: str) -> str:
        cell = self[value] = self.make(value)
        return cell


class Table:
    """The columns of an SDMX-CSV message and how each cell is written; shared by 1.0 and 2.0.

    ``labels`` is "id", "both" or "name" (2.0: each component column is followed by a name
    column; here a component's formatted text then spans both cells, "CODE,Name").
    A subclass may write list values (multi-valued, multilingual) its own way: ``complex_text``.
    """

    def __init__(self, message: DataMessage, labels: str, normalized: bool):
        st = message.structure
        self.message = message
        self.mode = labels
        self.names = message.labels
        self.time_id = st.time_dimension
        self.normalized = normalized
        self.key_ids = st.key_ids
        self.measure_ids = tuple(m.id for m in st.measures) or ("OBS_VALUE",)
        # a numeric primary measure was checked on the way in: its values need no quoting
        self.value_trusted = bool(st.measures) and st.measures[0].text_type in NUMERIC_TYPES
        attr_ids = tuple(a.id for a in st.attributes) if message.with_attributes else ()
        self.extra_ids = self.measure_ids[1:] + attr_ids  # the columns after the primary measure
        self.extra_pos = {c: i for i, c in enumerate(self.extra_ids)}
        self.empty = "," if labels == "name" else ""  # the text of a component with no value
        self.columns = {c: _Cells(self._maker(c)) for c in self.key_ids + self.extra_ids}
        # dimensions whose cell is the value as it is: ids only, and codes and time periods, which were
        # validated on the way in (no comma, quote or line break), the time as reported
        self.plain = frozenset(d.id for d in st.dimensions if d.codelist and labels == "id") | (
            {self.time_id} if self.time_id and labels == "id" and not normalized else set())

    # -- header --------------------------------------------------------------------------------------

    def header(self) -> list[str]:
        """The component columns' header cells (quoted), in column order."""
        cells = []
        for c in self.key_ids + self.measure_ids[:1] + self.extra_ids:
            name = self.names.component_name(c)
            if self.mode == "both" and name:
                cells.append(quote(f"{c}: {name}"))
            elif self.mode == "name":
                cells.append(quote(c) + "," + quote(name or ""))
            else:
                cells.append(quote(c))
        return cells

    # -- cells ---------------------------------------------------------------------------------------

    def _maker(self, component: str) -> Callable[[str], str]:
        mode, names = self.mode, self.names
        is_time = component == self.time_id
        normalized = self.normalized and is_time

        def make(value: str) -> str:
            text = normalized_period(value) if normalized else value
            name = None if is_time or mode == "id" else names.code_name(component, value)
            if mode == "both":
                return quote(f"{text}: {name}" if name else text)
            if mode == "name":
                return quote(text) + "," + quote(name or "")
            return quote(text)

        return make

    def cell(self, component: str, value: AttributeValue | None) -> str:
        """The formatted cell(s) of any component value (plain values cached per column)."""
        if value is None or value == "":
            return self.empty
        if isinstance(value, str):
            return self.columns[component][value]
        text = quote(self.complex_text(component, value))
        if self.mode == "name":
            names = self.names
            return text + "," + quote(";".join((names.code_name(component, v) or "") if isinstance(v, str) else ""
                                               for v in value))
        return text

    def complex_text(self, component: str, value: list) -> str:
        """A list value as 1.0 can hold it: values joined with ";", a multilingual text in the best language."""
        both = self.mode == "both"
        parts = []
        for v in value:
            if isinstance(v, str):
                name = self.names.code_name(component, v) if both else None
                parts.append(f"{v}: {name}" if name else v)
            else:
                parts.append(self.names.pick(v) or "")
        return ";".join(parts)

    def value_cell(self, value: str | None) -> str:
        """The primary measure's cell(s)."""
        text = "" if value is None else quote(value)
        return text + "," if self.mode == "name" else text

    # -- rows ----------------------------------------------------------------------------------------

    def rows(self, lead: Callable[[DataSetOut, SeriesOut], str],
             obs_lead: Callable[[list[str], list[int]], Callable[[tuple], str]] | None = None,
             data_sets: Iterable[DataSetOut] | None = None,
             blank_values: Callable[[DataSetOut], bool] | None = None,
             trail: Callable[[DataSetOut], str] | None = None) -> Iterator[str]:
        """Chunks of rows for every data set of the message.

        ``data_sets`` stands for the message's when given (a caller that peeked at the first).
        Hooks for later versions: ``lead(data_set, series)`` gives the text of the columns before
        the dimensions (ending with a comma); ``obs_lead(series_key, obs_positions)``, when given,
        is called per series with the key's values (observation places empty) and returns the
        function that gives, per observation, the text of further leading columns;
        ``blank_values(data_set)`` true leaves measure and attribute cells empty; ``trail(data_set)``
        is the text of columns after the components (starting with a comma).
        """
        message = self.message
        key_ids = self.key_ids
        n_key = len(key_ids)
        index = {d: i for i, d in enumerate(key_ids)}
        ser_pos = [index[d] for d in message.series_dimensions]
        obs_pos = [index[d] for d in message.obs_dimensions]
        columns = [self.columns[d] for d in key_ids]
        extra_pos, n_extra, cell, empty = self.extra_pos, len(self.extra_ids), self.cell, self.empty
        value_sep = "," if self.mode == "name" else ""
        attributes = message.with_attributes
        buf: list[str] = []
        limit, carried = 256, 0
        for ds in message.data_sets if data_sets is None else data_sets:
            blank = blank_values is not None and blank_values(ds)
            end = (trail(ds) if trail is not None else "") + EOL
            ds_cells = [empty] * n_extra
            if attributes and not blank:
                _fill(ds_cells, ds.attributes, extra_pos, cell)
            for series in ds.series:
                key_cells = [empty] * n_key
                raw_key = [""] * n_key
                for p, v in zip(ser_pos, series.key):
                    key_cells[p] = columns[p][v]
                    raw_key[p] = v
                base = ds_cells.copy()
                if attributes and not blank:
                    _fill(base, series.attributes, extra_pos, cell)
                suffix = "," + ",".join(base) if n_extra else ""
                head = lead(ds, series)
                per_obs = obs_lead(raw_key, obs_pos) if obs_lead is not None else None
                # observation attributes -> the row's end, per series, by the dict's identity: retrieval hands
                # observations with the same stored attributes one shared dict, and the series keeps them alive
                own: dict[int, str] = {}

                def tail(attrs: dict) -> str:
                    if blank:
                        return suffix
                    found = own.get(id(attrs))
                    if found is None:
                        cells = base.copy()
                        _fill(cells, attrs, extra_pos, cell)
                        found = own[id(attrs)] = "," + ",".join(cells) if n_extra else ""
                    return found

                if series.observations:
                    self._observation_rows(buf, series.observations, obs_pos, head, per_obs, key_cells, tail,
                                           suffix, end, blank)
                else:  # serieskeysonly / nodata: the series' key and attributes only
                    start = head + (per_obs(("",) * len(obs_pos)) if per_obs else "")
                    buf.append(start + ",".join(key_cells) + "," + value_sep + suffix + end)
                rows = len(buf) + carried
                if rows >= limit:  # rows per chunk, re-estimated from each chunk's size
                    chunk = "".join(buf)
                    if len(chunk) >= _CHUNK_BYTES // 2:
                        limit = max(16, _CHUNK_BYTES * rows // len(chunk))
                        buf, carried = [], 0
                        yield chunk
                    else:  # rows shorter than guessed: keep them and ask for more
                        buf, carried, limit = [chunk], rows - 1, limit * 2
        if buf:
            yield "".join(buf)


    def _observation_rows(self, out: list[str], observations: list, obs_pos: list[int], head: str,
                          per_obs: Callable[[tuple], str] | None, key_cells: list[str], tail: Callable[[dict], str],
                          suffix: str, end: str, blank: bool) -> None:
        """One row per observation onto ``out``, by the quickest way the packaging allows.

        ``key_cells`` holds the series' dimension cells (observation places empty), ``tail`` makes
        the row's attribute part from an observation's attributes, ``suffix`` is that part for an
        observation without any.
        """
        columns = [self.columns[d] for d in self.key_ids]
        value_cell = self.value_cell
        append = out.append
        n_key = len(columns)
        if len(obs_pos) == 1:  # time series and cross-sections: one place in an otherwise fixed row
            p = obs_pos[0]
            col = columns[p]
            left = "".join(c + "," for c in key_cells[:p])
            right = "".join("," + c for c in key_cells[p + 1:]) + ","
            if per_obs is not None:
                for o, value, attrs in observations:
                    append(head + per_obs(o) + left + col[o[0]] + right + value_cell(None if blank else value)
                           + (tail(attrs) if attrs else suffix) + end)
                return
            left = head + left
            value_sep = "," if self.mode == "name" else ""
            if self.value_trusted and not blank and not value_sep:  # numbers: never quoted
                # the row's end by the attribute dict's identity: retrieval hands observations with the same
                # stored attributes one shared dict, and most observations of a series share the first's
                ends = {id(None): suffix + end}

                def row_end(attrs: dict | None) -> str:
                    text = ends[id(attrs)] = (tail(attrs) if attrs else suffix) + end
                    return text

                common = observations[0][2]
                last = ends.get(id(common)) or row_end(common)
                if self.key_ids[p] in self.plain:
                    out += [f"{left}{o[0]}{right}{'' if value is None else value}"
                            f"{last if attrs is common else ends.get(id(attrs)) or row_end(attrs)}"
                            for o, value, attrs in observations]
                else:
                    out += [f"{left}{col[o[0]]}{right}{'' if value is None else value}"
                            f"{last if attrs is common else ends.get(id(attrs)) or row_end(attrs)}"
                            for o, value, attrs in observations]
                return
            for o, value, attrs in observations:  # the hot loop: no call but the cache look-up and quote check
                if value is None or blank:
                    v = value_sep
                elif _NEEDS_QUOTES(value):
                    v = quote(value) + value_sep
                else:
                    v = value + value_sep
                append(left + col[o[0]] + right + v + (tail(attrs) if attrs else suffix) + end)
        elif obs_pos == list(range(n_key)) and per_obs is None:  # AllDimensions
            n = n_key - 1
            col = columns[n]
            previous, prefix = None, ""
            for o, value, attrs in observations:
                first_dims = o[:n]
                if first_dims != previous:  # observations come series by series: the start seldom changes
                    previous = first_dims
                    prefix = head + "".join([columns[p][v] + "," for p, v in enumerate(first_dims)])
                append(prefix + col[o[n]] + "," + value_cell(None if blank else value)
                       + (tail(attrs) if attrs else suffix) + end)
        else:
            for o, value, attrs in observations:
                cells = key_cells.copy()
                for p, v in zip(obs_pos, o):
                    cells[p] = columns[p][v]
                start = head + per_obs(o) if per_obs is not None else head
                append(start + ",".join(cells) + "," + value_cell(None if blank else value)
                       + (tail(attrs) if attrs else suffix) + end)

def _fill(cells: list[str], values: dict, pos: dict[str, int], cell: Callable) -> None:
    for k, v in values.items():
        i = pos.get(k)
        if i is not None:  # a component the DSD does not declare has no column
            cells[i] = cell(k, v)


def check_options(message: DataMessage, labels: Iterable[str]) -> None:
    """A bad option is the client's mistake: raise before the first byte, not mid-stream."""
    if message.csv_labels not in labels:
        raise BadInput(f"labels={message.csv_labels!r}: this SDMX-CSV version offers labels="
                       f"{'|'.join(labels)}")
    if message.csv_time_format not in ("original", "normalized"):
        raise BadInput(f"timeFormat={message.csv_time_format!r}: use original or normalized")


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """SDMX-CSV 1.0 text chunks; options are checked now, rows are made as the caller iterates."""
    check_options(message, ("id", "both"))
    if message.csv_keys not in ("none", ""):
        raise BadInput(f"keys={message.csv_keys!r}: SDMX-CSV 1.0 has no key columns; use version 2.0.0")
    table = Table(message, message.csv_labels, message.csv_time_format == "normalized")
    return _stream(message, table)


def _stream(message: DataMessage, table: Table) -> Iterator[str]:
    ref = dataflow_ref(message.dataflow)
    name = dataflow_label(message) if message.csv_labels == "both" else None
    lead_text = quote(f"{ref}: {name}" if name else ref) + ","
    rows = table.rows(lambda ds, series: lead_text)
    yield ",".join(["DATAFLOW", *table.header()]) + EOL + next(rows, "")  # no chunk of a header alone
    yield from rows
