"""Streaming SDMX-CSV data (1.0 and 2.0) into data events, one row at a time.

1.0 opens with a DATAFLOW column (AGENCY:ID(VERSION)); 2.0 with STRUCTURE and STRUCTURE_ID and
may carry an ACTION column (I, A, R, D, M) per row. With ``labels=both`` headers read "ID: Name"
and coded values "CODE: Name"; only the part before ": " counts. With ``labels=name`` a name
column follows each id column (announced by STRUCTURE_NAME); it is skipped. The delimiter
(comma or semicolon, as 2.0 allows) is taken from the header line. Memory holds a block of rows
(_READ characters) at most.
"""

from __future__ import annotations

import csv
import io
from itertools import chain
from typing import BinaryIO, Iterator, TextIO

from ..data_structure import NUMERIC_TYPES, DataStructureInfo
from ..errors import BadInput, SemanticError
from .data_events import DataEvent, DataSetStart, KeyAttributes, Observation, ObservationRows, RowLayout
from .input_limits import MAX_BLANK_LINES, MAX_TOKEN, token_too_long

_BATCH_ROWS = 1000
_READ = 1 << 16  # characters read at a time
_ROW_ACTIONS = {"I": "Information", "A": "Append", "R": "Replace", "D": "Delete", "M": "Merge", "": None}
_SPECIAL = {"DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "STRUCTURE_NAME", "ACTION", "SERIES_KEY", "OBS_KEY"}
_KINDS = {"dataflow": "dataflow", "datastructure": "datastructure", "dataprovision": "provisionagreement",
          "provisionagreement": "provisionagreement"}


def _id(cell: str) -> str:
    """"CODE: Name" -> "CODE" (labels=both); anything else unchanged but stripped."""
    code, sep, _label = cell.partition(": ")
    return code.strip() if sep else cell.strip()


def _header_id(cell: str) -> str:
    # "ATTR[en;fr]" and "STRUCTURE[;]" announce multi-value columns and their separator: keep the id
    return _id(cell).split("[", 1)[0]


def read_data(stream: BinaryIO, structure: DataStructureInfo, *, max_token: int = MAX_TOKEN) -> Iterator[DataEvent]:
    """Yield DataSetStart per distinct structure, Observation per row, KeyAttributes above obs level.
    A line longer than ``max_token`` characters, or more than MAX_BLANK_LINES empty lines, is refused."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline(max_token + 1)
    except UnicodeDecodeError as exc:
        raise BadInput(f"the SDMX-CSV message is not UTF-8: {exc}", line=1) from None
    if len(first) > max_token:
        raise token_too_long("header row 1", max_token, line=1)
    if not first.strip():
        raise BadInput("the SDMX-CSV body is empty", line=1)
    delimiter = ";" if first.count(";") > first.count(",") and not first.startswith("STRUCTURE[;]") else ","
    if first.startswith("STRUCTURE[") and "]" in first:
        after = first[first.index("]") + 1:first.index("]") + 2]
        delimiter = after if after in (",", ";") else delimiter
    raw_header = next(csv.reader([first], delimiter=delimiter))
    header = [_header_id(h) for h in raw_header]
    version = "2.0" if header[:1] == ["STRUCTURE"] else "1.0" if header[:1] == ["DATAFLOW"] else None
    if version is None:
        raise BadInput(f"header row 1: an SDMX-CSV message starts with a DATAFLOW (1.0) or STRUCTURE (2.0) "
                       f"column, not {raw_header[0][:40]!r}", line=1)
    # labels=both writes "ID: Name" in the header and "CODE: Name" in coded cells; else cells are as-is
    cell = _id if any(": " in h for h in raw_header) else str.strip
    known = set(structure.key_ids) | {c.id for c in structure.attributes + structure.measures}
    labels_name = "STRUCTURE_NAME" in header
    used: list[int] = []
    for i, h in enumerate(header):
        if h in known or h in _SPECIAL:
            used.append(i)
        elif labels_name and i > 0 and header[i - 1] in known:
            continue  # the name column that labels=name puts after an id column
        elif version == "2.0" and not any(x in known for x in header[i + 1:]):
            continue  # SDMX-CSV 2.0 lets a sender add columns of its own after the data; they are ignored
        else:
            raise BadInput(f"header row 1, column {h}: not a component of {structure.urn}", line=1)
    action_col = header.index("ACTION") if "ACTION" in header else None
    missing = [c for c in structure.key_ids if c not in header]
    if missing and action_col is None:
        # without ACTION every row adds data, and data needs its full key
        raise SemanticError(f"header row 1: the column(s) {', '.join(missing)} are missing "
                            f"(the header has {', '.join(header)})", line=1)
    key_cols = [(header.index(c), c) for c in structure.key_ids if c in header]
    measure_ids = [m.id for m in structure.measures]
    level = {a.id: a.attachment for a in structure.attributes}
    attached = {a.id: a.attached_to for a in structure.attributes}
    measure_cols = [(i, header[i]) for i in used if header[i] in measure_ids]
    missing_measures = [m.id for m in structure.measures if m.mandatory and m.id not in header]
    obs_attr_cols = [(i, header[i]) for i in used if level.get(header[i]) == "observation"]
    key_attr_cols = [(i, header[i]) for i in used if level.get(header[i]) in ("series", "group", "dataset")]
    structure_col = header.index("STRUCTURE_ID") if version == "2.0" and "STRUCTURE_ID" in header else 0
    width = len(header)
    # with ";" between fields SDMX-CSV 2.0 writes numbers with a decimal comma ("12,4")
    decimal_comma = {m.id for m in structure.measures if m.text_type in NUMERIC_TYPES} if delimiter == ";" else set()
    every_key_column = len(key_cols) == len(structure.key_ids)
    dims = structure.dimension_ids
    all_key = structure.key_ids
    current: tuple[str, str] | None = None  # the raw (STRUCTURE, STRUCTURE_ID) cells of the data set
    current_ref: tuple[str | None, str | None] = (None, None)  # the same, never None, for the per-row test
    last_key_attrs: dict[str, tuple] = {}

    def cells(row: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """The row's key, measures and observation attributes (empty cells left out of the last two)."""
        key = {c: cell(row[i]) for i, c in key_cols}
        measures = {c: v for i, c in measure_cols if (v := row[i].strip())}
        if decimal_comma:
            measures = {c: v.replace(",", ".") if c in decimal_comma else v for c, v in measures.items()}
        return key, measures, {c: v for i, c in obs_attr_cols if (v := cell(row[i]))}

    def plain_observation(row: tuple[str, ...], row_no: int) -> Observation | None:
        """A row without action or key-level attributes, as an Observation (None: it carries nothing)."""
        key, measures, obs_attrs = cells(row)
        if "" not in key.values():
            return Observation(key, measures, obs_attrs, f"row {row_no}")
        if measures or obs_attrs:
            empty = next(c for c in all_key if not key.get(c))
            raise BadInput(f"row {row_no}, column {empty}: a row with values needs every dimension", line=row_no)
        return None

    # plain rows (the usual flat file) go to validation in batches, not one Observation each
    plain = (cell is str.strip and action_col is None and not key_attr_cols and every_key_column
             and len(measure_cols) == 1 and not missing_measures and structure.time_dimension is not None)
    layout = RowLayout(tuple(header.index(d) for d in dims), header.index(structure.time_dimension or ""),
                       measure_cols[0][0], tuple(obs_attr_cols), plain_observation) if plain else None
    batch: list[tuple[str, ...]] = []
    batch_first = 0
    row_no = 1
    blank = 0
    for row in chain.from_iterable(_row_blocks(text, delimiter, max_token)):
        row_no += 1
        if (layout is not None and len(row) == width and row[0] == current_ref[0]
                and row[structure_col] == current_ref[1]):
            if not batch:
                batch_first = row_no
            batch.append(row)
            if len(batch) >= _BATCH_ROWS:
                yield ObservationRows(layout, batch, batch_first)
                batch = []
            continue
        if batch:  # rows in a batch are numbered from its first
            yield ObservationRows(layout, batch, batch_first)
            batch = []
        if not row or (len(row) == 1 and not row[0].strip()):
            blank += 1
            if blank > MAX_BLANK_LINES:
                raise BadInput(f"row {row_no}: more than {MAX_BLANK_LINES} empty lines; an SDMX-CSV message "
                               f"holds one row per line", line=row_no)
            continue
        if len(row) != width:
            raise BadInput(f"row {row_no} has {len(row)} fields; the header row 1 has {width}", line=row_no)
        raw_ref = (row[0], row[structure_col])
        if raw_ref != current:
            current = current_ref = raw_ref
            ref = _id(row[structure_col])
            kind = _KINDS.get(row[0].strip().lower(), row[0].strip().lower()) if version == "2.0" else "dataflow"
            last_key_attrs.clear()
            yield DataSetStart(action="Information", structure=ref, structure_kind=kind,
                               where=f"row {row_no}, column {header[structure_col]}")
        if layout is not None:
            batch_first = row_no
            batch.append(row)
            continue
        action = None
        if action_col is not None:
            code = row[action_col].strip().upper()
            if code not in _ROW_ACTIONS:
                raise BadInput(f"row {row_no}, column ACTION: {row[action_col]!r} is not one of I, A, R, D, M",
                               line=row_no)
            action = _ROW_ACTIONS[code]
        key, measures, obs_attrs = cells(row)
        full = every_key_column and "" not in key.values()
        where = f"row {row_no}"
        if action == "Delete" and (measures or obs_attrs):
            c, v = next(iter({**measures, **obs_attrs}.items()))
            raise BadInput(f"row {row_no}, column {c}: deleting a single value or attribute ({v!r}) is not "
                           f"supported yet; a Delete row deletes whole observations, so leave its value and "
                           f"attribute cells empty", line=row_no)
        if action != "Delete":
            if missing and full is False and not measures:
                pass  # attribute-only row at a partial key (a group, or the data set)
            elif missing:
                raise SemanticError(f"row {row_no}: the column(s) {', '.join(missing)} are missing from header "
                                    f"row 1, and a {action or 'data'} row with values needs the full key", line=row_no)
            elif full and missing_measures:
                raise BadInput(f"header row 1: the measure column(s) {', '.join(missing_measures)} are missing",
                               line=1)
        if key_attr_cols:
            for i, c in key_attr_cols:
                value = cell(row[i])
                if not value:
                    continue
                lvl = level[c]
                names = dims if lvl == "series" else attached[c] if lvl == "group" else ()
                akey = {d: key[d] for d in names if key.get(d)}
                marker = (tuple(akey.items()), value, action)
                if last_key_attrs.get(c) != marker:
                    last_key_attrs[c] = marker
                    yield KeyAttributes(akey, {c: value}, lvl, f"{where}, column {c}", action)
        if full or action == "Delete":
            yield Observation(key, measures, obs_attrs, where, action)
        elif measures or obs_attrs:
            empty = next((c for c in all_key if not key.get(c)), "")
            raise BadInput(f"row {row_no}, column {empty}: a row with values needs every dimension", line=row_no)
        elif not any(cell(row[i]) for i, _ in key_attr_cols):
            raise BadInput(f"row {row_no}: the row carries no value and no attribute of {structure.urn}", line=row_no)
    if batch:
        yield ObservationRows(layout, batch, batch_first)


def _row_blocks(text: TextIO, delimiter: str, max_token: int) -> Iterator[list[tuple[str, ...]]]:
    """The rows after the header, a block at a time. A block of whole lines without quotes, NULs, lone
    carriage returns or lines longer than the csv module's longest field (nearly every message) is split
    with ``str.split``: the csv module would give the same rows at twice the cost. From the first block
    that has one on, the csv module reads the rest, a row at a time, so that an error names its row.
    Rows are tuples, as ObservationRows says why. No line longer than ``max_token`` is ever held."""
    rows = 0
    rest = ""
    longest = csv.field_size_limit()  # a longer field is an error of the csv module's
    try:
        while block := text.read(_READ):
            if len(rest) > max_token:
                raise token_too_long(f"row {rows + 2}", max_token, line=rows + 2)
            whole = rest + block
            body, newline, rest = whole.rpartition("\n")
            if not newline:
                continue
            if ('"' in body or "\0" in body or body.count("\r") != body.count("\r\n") + body.endswith("\r")
                    or len(whole) > longest):
                # each item a whole line, so that a quoted field may go on over the next ones
                lines = chain(io.StringIO(f"{body}\n{rest}{text.readline(max_token + 1)}", newline=""),
                              _bounded_lines(text, max_token, rows + body.count("\n") + 4))
                for row in csv.reader(lines, delimiter=delimiter):
                    rows += 1
                    yield [tuple(row)]
                return
            if "\r" in body:  # CRLF line ends, as RFC 4180 and the csv module write them
                body = body.replace("\r\n", "\n").removesuffix("\r")
            block_rows = [tuple(line.split(delimiter)) for line in body.split("\n")]
            rows += len(block_rows)
            yield block_rows
        if rest:  # a last line without a line end
            yield [tuple(row) for row in csv.reader([rest], delimiter=delimiter)]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BadInput(f"row {rows + 2}: not readable as CSV: {exc}", line=rows + 2) from None


def _bounded_lines(text: TextIO, max_token: int, first_row: int) -> Iterator[str]:
    """The lines of ``text``, refusing one longer than ``max_token`` before it is all read."""
    row = first_row
    while line := text.readline(max_token + 1):
        if len(line) > max_token:
            raise token_too_long(f"line {row}", max_token, line=row)
        row += 1
        yield line
