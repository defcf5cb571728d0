"""SDMX-CSV 2.0 data messages, streamed: SDMX-CSV 1.0's rows (reused from its module) with 2.0's columns.

Columns (SDMX-CSV 2.0 field guide): STRUCTURE (``dataflow``), STRUCTURE_ID
(``AGENCY:ID(VERSION)``), STRUCTURE_NAME (labels=name only), ACTION (I, A, R, D, M from the
data set's action), SERIES_KEY and/or OBS_KEY (``keys=series|obs|both``: dimension values joined
with "."), the dimensions, the measures, the attributes; then, for an answer whose data sets carry
validity (includeHistory), two custom columns VALID_FROM and VALID_TO, which the spec allows after
the components.

Labels: ``both`` writes ``ID: Name`` (header) and ``CODE: Name`` (coded values); ``name`` follows
each column with a column of names (empty for values without one), and STRUCTURE_ID with
STRUCTURE_NAME. List values follow the spec's sub-field rules with ";" as separator:
``v1;v2`` for several values, ``en:text;ru:текст`` for a multilingual one, and
``"en:a;ru:б";"en:c"`` (inner quotes, doubled again by CSV quoting) for several multilingual ones.
The header would announce them (``STRUCTURE[;]``, ``ATTR[]``, ``ATTR[en;ru]``) but must be written
before the first row, and DataStructureInfo does not say which components may hold lists, so it
does not.

Rows of a Delete data set keep only their key (measure and attribute cells empty): in 2.0 a
non-empty cell in a Delete row deletes that value only, and what stopped being current is the
whole observation.
"""

from __future__ import annotations

from itertools import chain
from typing import Iterator

from ..data_message import DataMessage, DataSetOut, SeriesOut
from . import sdmx_csv_1_0_data_writer as v10
from .sdmx_csv_1_0_data_writer import EOL, Table, dataflow_label, dataflow_ref, quote
from .sdmx_json_1_0_data_writer import instant

ACTION_LETTERS = {"Information": "I", "Append": "A", "Replace": "R", "Delete": "D", "Merge": "M"}
_KEYS = ("none", "obs", "series", "both")


class Table20(Table):
    """SDMX-CSV 2.0 cells: list values in the spec's sub-field syntax."""

    def complex_text(self, component: str, value: list) -> str:
        if all(isinstance(v, str) for v in value):
            return super().complex_text(component, value)  # several values: "v1;v2", as 1.0
        sets = [";".join(f"{lang}:{text}" for lang, text in v.items()) if isinstance(v, dict) else str(v)
                for v in value]
        if len(sets) == 1:
            return sets[0]
        return ";".join('"' + s.replace('"', '""') + '"' for s in sets)


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """SDMX-CSV 2.0 text chunks; options are checked now, rows are made as the caller iterates."""
    v10.check_options(message, ("id", "name", "both"))
    if message.csv_keys not in _KEYS:
        raise v10.BadInput(f"keys={message.csv_keys!r}: use one of {'|'.join(_KEYS)}")
    return _stream(message)


def _stream(message: DataMessage) -> Iterator[str]:
    labels = message.csv_labels
    data_sets = iter(message.data_sets)
    first = next(data_sets, None)
    # the header comes first: whether validity columns are needed is judged from the first data set
    validity = first is not None and (first.valid_from is not None or first.valid_to is not None)
    data_sets = chain([first] if first is not None else [], data_sets)
    table = Table20(message, labels, message.csv_time_format == "normalized")

    ref = dataflow_ref(message.dataflow)
    name = dataflow_label(message) if labels != "id" else None
    structure = "dataflow," + quote(f"{ref}: {name}" if labels == "both" and name else ref) + ","
    if labels == "name":
        structure += quote(name or "") + ","
    series_key = message.csv_keys in ("series", "both")
    obs_key = message.csv_keys in ("obs", "both")

    header = ["STRUCTURE", "STRUCTURE_ID"] + (["STRUCTURE_NAME"] if labels == "name" else []) + ["ACTION"]
    header += (["SERIES_KEY"] if series_key else []) + (["OBS_KEY"] if obs_key else [])
    header += table.header() + (["VALID_FROM", "VALID_TO"] if validity else [])

    # SERIES_KEY names the dimensions not at observation level; AllDimensions has none there, so the
    # time series key (every dimension but time) stands in for it, taken from each observation's key
    flat_series_key = series_key and not message.series_dimensions
    key_ids = message.structure.key_ids
    flat_index = [key_ids.index(d) for d in message.structure.dimension_ids]

    def lead(ds: DataSetOut, series: SeriesOut) -> str:
        head = structure + ACTION_LETTERS.get(ds.action, "I") + ","
        if series_key and not flat_series_key:
            head += quote(".".join(series.key)) + ","
        return head

    def obs_lead(raw: list[str], obs_pos: list[int]):
        """Per series: the function giving an observation's SERIES_KEY (AllDimensions) and OBS_KEY cells."""
        if len(obs_pos) == 1 and not flat_series_key:  # the usual case: one place to fill in a fixed key
            p = obs_pos[0]
            before, after = "".join(v + "." for v in raw[:p]), "".join("." + v for v in raw[p + 1:])
            return lambda o: quote(before + o[0] + after) + ","

        def cells(o: tuple) -> str:
            full = raw.copy()
            for p, v in zip(obs_pos, o):
                full[p] = v
            text = quote(".".join([full[i] for i in flat_index])) + "," if flat_series_key else ""
            return text + quote(".".join(full)) + "," if obs_key else text

        return cells

    def trail(ds: DataSetOut) -> str:
        return "".join("," + (instant(t) if t is not None else "") for t in (ds.valid_from, ds.valid_to))

    rows = table.rows(lead, obs_lead if obs_key or flat_series_key else None, data_sets=data_sets,
                      blank_values=lambda ds: ds.action == "Delete", trail=trail if validity else None)
    yield ",".join(header) + EOL + next(rows, "")  # no chunk of a header alone
    yield from rows

