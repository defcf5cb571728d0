"""A report's layout: which dimension goes across (the columns), the order of the others down the rows, and
the sort, as the reader chose them in the query string (``cols``, ``rows``, ``sort``): a report is a link.

The report is read as series × periods (report_data.read_table); :func:`pivot` turns that table around. The
default layout (periods across, the series' dimensions down in the DSD's order, rows by their names) is the
table as read, returned as it is: a large report pays nothing for the choice it did not make.
Plain functions, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from .report_data import TOTAL, Cell, ReportTable, Row
from .texts import LocalText

TIME = "TIME_PERIOD"
SORT_ORDERS = ("desc", "asc")
MAX_LAYOUT_CHOICES = 20  # more `rows` than a DSD has dimensions is a wrong link, not a layout


@dataclass(frozen=True)
class Layout:
    """The table's shape: ``rows`` (dimension ids, outermost first), ``column`` (the dimension across) and
    ``sort`` ("" by the rows' names, else (order, column code): by the figures of that column)."""

    rows: tuple[str, ...]
    column: str
    sort: tuple[str, str] | None = None

    def is_default(self, shown: list[str]) -> bool:
        return self.column == TIME and list(self.rows) == shown and self.sort is None

    def query(self) -> dict[str, list[str]]:
        """The layout's query-string parameters (for links that keep it)."""
        out: dict[str, list[str]] = {"cols": [self.column], "rows": list(self.rows)}
        if self.sort:
            out["sort"] = [f"{self.sort[0]}:{self.sort[1]}"]
        return out


def parse_layout(args: Mapping[str, list[str]], shown: list[str], texts: Callable[[str, dict], str],
                 errors: dict[str, str]) -> Layout:
    """The layout the query string asks for, over ``shown`` (the series' dimensions the table shows) and the
    time. The column's dimension is taken out of the rows and the dimension it displaces (the one no row
    names: the former column) takes its place; others the rows do not name follow in their usual order, so
    choosing only "columns: citizenship" gives a whole table. What is wrong goes in ``errors``."""
    dims = shown + [TIME]
    column = (args.get("cols") or [TIME])[0].strip() or TIME
    if column not in dims:
        errors["cols"] = texts("unknown_dimension", {"value": column[:60]})
        column = TIME
    rows: list[str | None] = []
    asked = args.get("rows", [])
    if len(asked) > MAX_LAYOUT_CHOICES:
        errors["rows"] = texts("unknown_dimension", {"value": asked[MAX_LAYOUT_CHOICES][:60]})
        asked = []
    for d in asked:
        d = d.strip()
        if not d:
            continue
        if d not in dims:
            errors["rows"] = texts("unknown_dimension", {"value": d[:60]})
        elif d == column and None not in rows:
            rows.append(None)  # the dimension moved across: the one it displaces takes its place
        elif d not in rows:
            rows.append(d)
    rest = [d for d in dims if d != column and d not in rows]
    if None in rows and rest:
        rows[rows.index(None)] = rest.pop(0)
    rows = [d for d in rows if d is not None] + rest
    sort = None
    wanted = (args.get("sort") or [""])[0].strip()
    if wanted:
        order, _sep, code = wanted.partition(":")
        if order not in SORT_ORDERS or not code:
            errors["sort"] = texts("bad_sort", {"value": wanted[:60]})
        else:
            sort = (order, code)
    return Layout(tuple(rows), column, sort)


@dataclass
class ReportView:
    """The table as the reader laid it out: ``headings`` of the row label columns, ``column_heading`` (the
    dimension across), the columns' ``codes`` and ``labels``, and rows (Row.labels: one per heading)."""

    headings: list[LocalText]
    column_heading: LocalText
    codes: list[str]
    labels: list[LocalText]
    rows: list[Row]
    column_is_time: bool


def pivot(table: ReportTable, shown: list[str], layout: Layout, time_heading: LocalText,
          texts: Callable[[str, dict], str] | None = None, errors: dict[str, str] | None = None) -> ReportView:
    """``table`` (series × periods) laid out as ``layout`` says. A sort by a column the table has not is named
    in ``errors``."""
    names = dict(zip(shown, table.columns))
    names[TIME] = time_heading
    if layout.column == TIME and list(layout.rows) == shown:
        view = ReportView(list(table.columns), time_heading, list(table.periods),
                          [LocalText(p, "") for p in table.periods], list(table.rows), True)
    else:
        view = _turned(table, shown, layout, names)
    if layout.sort is not None:
        order, code = layout.sort
        if code not in view.codes:
            if errors is not None and texts is not None:
                errors["sort"] = texts("unknown_column", {"value": code[:60]})
            return view
        k = view.codes.index(code)
        filled = [r for r in view.rows if r.cells[k].value is not None]
        empty = [r for r in view.rows if r.cells[k].value is None]
        filled.sort(key=lambda r: r.cells[k].value, reverse=order == "desc")  # stable: names break ties
        view.rows = filled + empty  # rows without a figure there come last, whichever the order
    return view


def _order_key(code: str, label: LocalText) -> tuple[bool, str]:
    return code != TOTAL, label.text.casefold()


def _turned(table: ReportTable, shown: list[str], layout: Layout, names: dict[str, LocalText]) -> ReportView:
    """Every figure regrouped by the layout's row dimensions and column (per row of the table, what does not
    change with the period is worked out once: a report has tens of thousands of figures)."""
    period_index = {p: n for n, p in enumerate(table.periods)}
    period_label = {p: LocalText(p, "") for p in table.periods}
    where = {d: n for n, d in enumerate(shown)}
    time_at = layout.rows.index(TIME) if TIME in layout.rows else -1
    column_is_time = layout.column == TIME
    cells: dict[tuple[str, ...], dict[str, Cell]] = {}
    row_labels: dict[tuple[str, ...], tuple[LocalText, ...]] = {}
    column_labels: dict[str, LocalText] = {}
    for row in table.rows:
        codes = [row.codes[where[d]] if d != TIME else "" for d in layout.rows]
        labels = [row.labels[where[d]] if d != TIME else period_label.get("", None) for d in layout.rows]
        fixed_key = tuple(codes)
        column = "" if column_is_time else row.codes[where[layout.column]]
        if not column_is_time and column not in column_labels:
            column_labels[column] = row.labels[where[layout.column]]
        for period, cell in zip(table.periods, row.cells):
            if cell.raw is None and not cell.marks:
                continue
            if time_at >= 0:
                codes[time_at] = period
                key = tuple(codes)
            else:
                key = fixed_key
            col = period if column_is_time else column
            got = cells.get(key)
            if got is None:
                got = cells[key] = {}
                if time_at >= 0:
                    labels[time_at] = period_label[period]
                row_labels[key] = tuple(labels)  # type: ignore[arg-type]
            got[col] = cell
            if column_is_time and col not in column_labels:
                column_labels[col] = period_label[period]
    if layout.column == TIME:
        codes = [p for p in table.periods if p in column_labels]
    else:
        codes = sorted(column_labels, key=lambda c: _order_key(c, column_labels[c]))

    # each dimension's codes ranked once (totals first, then by name; periods in time order), rows by rank
    ranks: list[dict[str, int]] = []
    for n, d in enumerate(layout.rows):
        if d == TIME:
            ranks.append(period_index)
            continue
        seen: dict[str, LocalText] = {}
        for key, labels in row_labels.items():
            if key[n] not in seen:
                seen[key[n]] = labels[n]
        ranks.append({c: r for r, c in enumerate(sorted(seen, key=lambda c: _order_key(c, seen[c])))})
    missing = Cell(None, None, ())
    rows = []
    for key in sorted(cells, key=lambda k: tuple([rank[c] for rank, c in zip(ranks, k)])):
        got = cells[key]
        rows.append(Row(key, key, row_labels[key], tuple([got.get(c, missing) for c in codes])))
    return ReportView([names[d] for d in layout.rows], names[layout.column], codes,
                      [column_labels[c] for c in codes], rows, layout.column == TIME)
