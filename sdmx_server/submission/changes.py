"""What a submission changes against the figures its provider has released: the diff verifiers and approvers
read before they confirm or release (issue 19). A plain function over the stored message and the released
observations of the same provider, dataflow and series keys (never another provider's)."""
from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..sdmx.artefacts import parse_urn
from ..sdmx.formats.data_events import DataSetStart, Observation, ObservationRows
from ..storage.artefact_store import ArtefactStore
from ..storage.released_figures import released_figures
from ..storage.submission_store import SubmissionRow, SubmissionStore
from .intake import DataflowContext, dataflow_context, reader_for

PLAUSIBLE_ANNOTATION = "PLAUSIBLE_CHANGE"  # dataflow annotation: the largest plausible change, in percent
DEFAULT_THRESHOLD = Decimal(50)
MAX_FIGURES = 200_000  # figures of one message compared at most (larger messages: the summary says "partial")
_YEAR = re.compile(r"^(\d{4})")


@dataclass
class Figure:
    series_key: str
    period: str
    status: str  # new | revised | unchanged | deleted
    old: str | None
    new: str | None
    change: str | None = None  # new - old
    change_percent: str | None = None
    jump: str | None = None  # "previous" (period) | "year" (the same period a year before): what it jumps against
    jump_period: str | None = None
    jump_percent: str | None = None

    def as_json(self) -> dict:
        return {"seriesKey": self.series_key, "period": self.period, "status": self.status, "old": self.old,
                "new": self.new, "change": self.change, "changePercent": self.change_percent, "jump": self.jump,
                "jumpPeriod": self.jump_period, "jumpPercent": self.jump_percent}


@dataclass
class Changes:
    summary: dict[str, int]
    threshold: str
    figures: list[Figure] = field(default_factory=list)
    partial: bool = False

    @property
    def jumps(self) -> int:
        return sum(1 for f in self.figures if f.jump)

    def as_json(self, limit: int) -> dict:
        shown = [f for f in self.figures if f.status != "unchanged" or f.jump][:limit]
        return {"summary": {**self.summary, "suspicious": self.jumps}, "thresholdPercent": self.threshold,
                "partial": self.partial, "figures": [f.as_json() for f in shown],
                "figuresTotal": sum(1 for f in self.figures if f.status != "unchanged" or f.jump),
                "limit": limit}


def threshold_of(ctx: DataflowContext) -> Decimal:
    """The dataflow's PLAUSIBLE_CHANGE annotation (a percentage), else 50%."""
    for a in ctx.dataflow.get("annotations", []) or []:
        if a.get("id") == PLAUSIBLE_ANNOTATION or a.get("type") == PLAUSIBLE_ANNOTATION:
            text = str(a.get("title") or a.get("value") or "").strip().rstrip("%")
            try:
                value = Decimal(text)
            except InvalidOperation:
                continue
            if value > 0:
                return value
    return DEFAULT_THRESHOLD


def _number(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _fmt(d: Decimal) -> str:
    s = format(d.normalize(), "f") if d == d.to_integral() else format(d, "f")
    return s


def _percent(new: Decimal, old: Decimal) -> Decimal | None:
    if old == 0:
        return None
    return ((new - old) / abs(old) * 100).quantize(Decimal("0.1"))


def year_before(period: str) -> str | None:
    m = _YEAR.match(period)
    return f"{int(m.group(1)) - 1:04d}{period[4:]}" if m else None


def submitted_figures(payload: bytes, ctx: DataflowContext, content_type: str | None,
                      limit: int = MAX_FIGURES) -> tuple[dict[tuple[str, str], str | None], bool, bool]:
    """(series key, period) -> value (None: deleted) of the stored message; whether it was cut at ``limit``;
    whether it deletes (action Delete at data-set level)."""
    structure = ctx.structure
    dims = structure.dimension_ids
    time = structure.time_dimension or "TIME_PERIOD"
    primary = structure.measures[0].id if structure.measures else "OBS_VALUE"
    out: dict[tuple[str, str], str | None] = {}
    deleting = False
    with gzip.GzipFile(fileobj=io.BytesIO(payload)) as raw:
        stream = io.BufferedReader(raw, 1 << 16)
        _, reader = reader_for(stream, content_type)
        for event in reader.read_data(stream, structure):
            if len(out) >= limit:
                return out, True, deleting
            if type(event) is Observation:
                act = event.action
                gone = (act == "Delete") if act is not None else deleting
                if not all(event.key.get(d) for d in dims):
                    continue  # a wildcard delete: not one figure
                key = ".".join(event.key[d] for d in dims)
                period = event.key.get(time, "")
                out[(key, period)] = None if gone else event.measures.get(primary)
            elif type(event) is ObservationRows:
                lay = event.layout
                for row in event.rows:
                    key = ".".join(row[i] for i in lay.dimensions)
                    out[(key, row[lay.time])] = None if deleting else row[lay.measure]
            elif isinstance(event, DataSetStart):
                deleting = (event.action == "Delete")
    return out, False, deleting


def compute(conn, payload: bytes, ctx: DataflowContext, *, flow_urn: str, provider_id: str,
            content_type: str | None, replace: bool = False) -> Changes:
    """Every figure of the message against the provider's released one: new, revised, unchanged or deleted,
    with the change, and a jump flag where it moves more than the threshold against the previous period or the
    same period a year before. With ``replace`` (PUT), released periods of a sent series that the message
    leaves out are deleted."""
    sent, partial, _ = submitted_figures(payload, ctx, content_type)
    released = released_figures(conn, flow_urn, provider_id, {k for k, _ in sent})
    threshold = threshold_of(ctx)
    figures: list[Figure] = []
    summary = {"new": 0, "revised": 0, "unchanged": 0, "deleted": 0}
    by_series: dict[str, dict[str, str | None]] = {}
    for (key, period), value in sent.items():
        by_series.setdefault(key, {})[period] = value
    if replace:
        for key, periods in by_series.items():
            for period in released.get(key, {}):
                periods.setdefault(period, None)
    for key in sorted(by_series):
        periods = by_series[key]
        old_periods = released.get(key, {})
        after = {p: v for p, v in old_periods.items()}
        for p, v in periods.items():
            if v is None:
                after.pop(p, None)
            else:
                after[p] = v
        order = sorted(after)
        place = {p: i for i, p in enumerate(order)}
        for period in sorted(periods):
            value = periods[period]
            had = period in old_periods
            old = old_periods.get(period)
            if value is None:
                if not had:
                    continue  # deleting what was never released changes nothing
                status = "deleted"
            elif not had:
                status = "new"
            elif _number(old) is not None and _number(value) is not None:
                status = "unchanged" if _number(old) == _number(value) else "revised"
            else:
                status = "unchanged" if old == value else "revised"
            summary[status] += 1
            f = Figure(key, period, status, old, value)
            n_new, n_old = _number(value), _number(old)
            if n_new is not None and n_old is not None and status == "revised":
                f.change = _fmt(n_new - n_old)
                pct = _percent(n_new, n_old)
                f.change_percent = None if pct is None else _fmt(pct)
            if n_new is not None and status != "deleted":
                i = place[period]
                for label, other in (("previous", order[i - 1] if i > 0 else None),
                                     ("year", year_before(period))):
                    base = _number(after.get(other)) if other else None
                    if base is None:
                        continue
                    pct = _percent(n_new, base)
                    if pct is not None and abs(pct) > threshold:
                        f.jump, f.jump_period, f.jump_percent = label, other, _fmt(pct)
                        break
            figures.append(f)
    return Changes(summary, _fmt(threshold), figures, partial)


def for_submission(conn, row: SubmissionRow) -> Changes | None:
    """The diff of a submission that still waits (its message kept); None once released or returned without
    a message. The caller has checked that its user may see ``row`` (workflow.get)."""
    if row.state not in ("pending", "validated"):
        return None
    payload = SubmissionStore(conn).payload(row.id)
    if payload is None:
        return None
    flow = parse_urn(row.dataflow_urn)
    ctx = dataflow_context(ArtefactStore(conn), flow.agency_id, flow.id, flow.version)
    return compute(conn, payload, ctx, flow_urn=row.dataflow_urn, provider_id=row.provider_id,
                   content_type=row.content_type, replace=row.replace)
