"""What the submission pages show about indicators and figures: which indicators a user may submit to, the
names of columns and codes in the page's language, and a pending submission's figures as a table.

A pending submission's figures are read from its stored message with the same readers intake uses
(``intake.reader_for``): nothing is parsed twice in two ways, and nothing is written.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field

from ..identity.actor import Actor
from ..retrieval.structure_labels import structure_labels
from ..sdmx.artefacts import parse_urn, urn_of
from ..sdmx.data_message import StructureLabels
from ..sdmx.errors import SdmxError
from ..sdmx.formats.data_events import Observation, ObservationRows
from ..storage.artefact_store import ArtefactStore
from ..storage.submission_store import SubmissionRow, SubmissionStore
from ..submission.intake import DataflowContext, dataflow_context, reader_for
from ..submission.workflow import may_submit
from .statistics_catalogue import Indicator, indicator_of
from .texts import sort_key

MAX_FIGURES = 5000  # a pending message larger than this is shown in part (the page says so)


def submittable_indicators(store: ArtefactStore, who: Actor, lang: str) -> list[Indicator]:
    """Indicators the user may submit to: held privilege, and (for a country's user) an agreement of their
    country to report it."""
    out = []
    for flow in store.candidates({"dataflow"}, None, None):
        urn = urn_of(flow)
        if not may_submit(who, urn):
            continue
        if who.country is not None and who.country not in reporting_providers(store, urn):
            continue
        out.append(indicator_of(flow, lang))
    return sorted(out, key=lambda i: sort_key(i.name))


def reporting_providers(store: ArtefactStore, flow_urn: str) -> set[str]:
    """Data provider ids with a provision agreement for the dataflow."""
    return {parse_urn(pa["dataProvider"]).item_id or "" for pa in store.referencing([flow_urn])
            if pa["type"] == "provisionagreement" and pa.get("dataflow") == flow_urn and pa.get("dataProvider")}


class Names:
    """Names of a dataflow's columns and codes in one language (English, then the id, when missing)."""

    def __init__(self, store: ArtefactStore, ctx: DataflowContext, lang: str):
        self.labels: StructureLabels = structure_labels(store, ctx.structure, ctx.dataflow, [lang])

    def component(self, cid: str) -> str:
        return self.labels.pick(self.labels.component_names.get(cid)) or cid

    def code(self, cid: str, code: str) -> str:
        return self.labels.pick(self.labels.code_names.get(cid, {}).get(code)) or code

    def codes(self, cid: str) -> list[tuple[str, str]]:
        return [(c, self.labels.pick(n) or c) for c, n in self.labels.code_names.get(cid, {}).items()]


def context_of(store: ArtefactStore, row: SubmissionRow) -> DataflowContext:
    flow = parse_urn(row.dataflow_urn)
    return dataflow_context(store, flow.agency_id, flow.id, flow.version)


@dataclass
class FigureTable:
    """Figures as a table: one row per series (named by the breakdowns that vary), one column per period."""

    periods: list[str]
    rows: list[tuple[str, list[str | None]]]  # (series name, value per period)
    fixed: list[tuple[str, str]]  # (column name, code name) the same for every figure: shown once
    count: int  # figures read
    partial: bool = False  # more figures than MAX_FIGURES: only the first are shown
    deleted: int = 0  # observations the message deletes

    def numeric_series(self) -> list[tuple[str, list[float | None]]]:
        out = []
        for name, values in self.rows:
            numbers: list[float | None] = []
            for v in values:
                try:
                    numbers.append(float(v) if v not in (None, "", "NaN") else None)
                except ValueError:
                    numbers.append(None)
            out.append((name, numbers))
        return out


@dataclass
class _Collected:
    keys: list[tuple[str, ...]] = field(default_factory=list)
    values: dict[tuple[tuple[str, ...], str], str | None] = field(default_factory=dict)
    periods: dict[str, None] = field(default_factory=dict)


def pending_figures(conn, row: SubmissionRow, ctx: DataflowContext, names: Names) -> FigureTable | None:
    """The figures of a submission's stored message (pending or validated); None when it is no longer kept."""
    payload = SubmissionStore(conn).payload(row.id)
    if payload is None:
        return None
    dims = list(ctx.structure.dimension_ids)
    time = ctx.structure.time_dimension or ""
    primary = ctx.structure.measures[0].id if ctx.structure.measures else "OBS_VALUE"
    seen: dict[tuple[str, ...], None] = {}
    got = _Collected()
    count = deleted = 0
    partial = False
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(payload)) as body:
            buffered = io.BufferedReader(body, 1 << 16)
            _format, reader = reader_for(buffered, row.content_type)
            for event in reader.read_data(buffered, ctx.structure):
                observations: list[Observation] = []
                if type(event) is Observation:
                    observations = [event]
                elif type(event) is ObservationRows:
                    observations = [event.layout.to_observation(r, event.first_row + n)
                                    for n, r in enumerate(event.rows)]
                for obs in observations:
                    if obs.action == "Delete":
                        deleted += 1
                        continue
                    count += 1
                    if count > MAX_FIGURES:
                        partial = True
                        continue
                    key = tuple(obs.key.get(d, "") for d in dims)
                    seen.setdefault(key)
                    period = obs.key.get(time, "")
                    got.periods.setdefault(period)
                    got.values[(key, period)] = obs.measures.get(primary)
    except SdmxError:  # structures changed since it passed the checks: show what could be read
        partial = True
    keys = list(seen)
    varying = [i for i, d in enumerate(dims) if len({k[i] for k in keys}) > 1]
    fixed = [(names.component(d), names.code(d, keys[0][i])) for i, d in enumerate(dims)
             if keys and i not in varying]
    periods = sorted(got.periods)
    rows = []
    for key in keys:
        label = ", ".join(names.code(dims[i], key[i]) for i in varying) or names.component(primary)
        rows.append((label, [got.values.get((key, p)) for p in periods]))
    return FigureTable(periods, rows, fixed, count, partial, deleted)


def series_label(names: Names, dimension_ids: tuple[str, ...], series_key: str) -> str:
    """A stored series key (S.KZ.RU.F) in words: the code names, in the page's language."""
    codes = series_key.split(".")
    if len(codes) != len(dimension_ids):
        return series_key
    return ", ".join(names.code(d, c) for d, c in zip(dimension_ids, codes))
