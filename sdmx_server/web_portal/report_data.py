"""A report's figures: the caller's selection turned into the SDMX REST data query it equals, read through the
retrieval layer with the caller's visibility (as rest_api/data_views.py does), and shaped into a table.

The report reads exactly the v2 query whose URL it shows (parse_data_query_v2 of that URL's parts), so the
page and a machine reading that URL get the same figures. Plain functions, no Flask: the views pass in the
connection, the store and the caller's VisibleProviders.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, NamedTuple
from urllib.parse import quote, urlencode

from babel import Locale

from ..retrieval.availability import availability
from ..retrieval.data_retrieval import PreparedQuery, VisibleProviders, prepare_data_query, read_data
from ..retrieval.structure_labels import structure_labels
from ..sdmx.artefacts import Artefact, urn_for
from ..sdmx.data_message import StructureLabels
from ..sdmx.data_structure import DataStructureInfo
from ..sdmx.data_query import AvailabilityQuery, DataQuery, parse_data_query_v2
from ..sdmx.errors import SdmxError
from ..sdmx.time_periods import parse_period
from ..storage.artefact_store import ArtefactStore
from ..submission import workflow
from .statistics_catalogue import Indicator, indicator_of
from .report_choices import FIND_FROM, Group, filter_text, matches, name_key, region_codelist, regions_of
from .texts import LocalText, pick

if TYPE_CHECKING:
    from .report_pivot import Layout, ReportView

COUNTRY = "REF_AREA"  # the dimension holding the reporting country (DESIGN.md: each country reports its own)
TOTAL = "_T"  # the code of a total in the DSM codelists (CL_SEX, ...)
STATUS = "OBS_STATUS"
# OBS_STATUS codes marked in the table, with the letter shown beside the figure (OBS_STATUS=A is normal)
STATUS_MARKS = {"P": "p", "E": "e", "B": "b", "M": "m", "F": "f", "U": "u", "I": "i"}
REVISED_MARK = "r"
MAX_PERIODS_OFFERED = 400


@dataclass(frozen=True)
class Choice:
    code: str
    label: LocalText
    checked: bool


@dataclass(frozen=True)
class Breakdown:
    """One dimension the user may narrow (citizenship, sex, decision...), with the codes that have figures."""

    id: str
    label: LocalText
    choices: list[Choice]  # those shown: the find box's text lets them through
    filter: str = ""  # the find box's text
    every: tuple[str, ...] = ()  # every code of the list, shown or not
    hidden: tuple[str, ...] = ()  # chosen codes the find box hides (kept in the form)
    groups: tuple = ()  # report_choices.Group of the shown choices by region, when the list is long
    region_of: dict = field(default_factory=dict)  # code -> region code

    @property
    def chosen(self) -> int:
        return sum(1 for c in self.choices if c.checked) + len(self.hidden)

    @property
    def findable(self) -> bool:
        return len(self.every) > FIND_FROM


@dataclass
class Selection:
    """What the user asked for, checked against what exists; ``errors`` maps a field to what is wrong there."""

    countries: list[str] = field(default_factory=list)
    codes: dict[str, list[str]] = field(default_factory=dict)  # dimension id -> chosen codes (empty: all)
    start: str = ""
    end: str = ""
    last: int = 0  # the last N periods (0: from start to end)
    errors: dict[str, str] = field(default_factory=dict)


class Cell(NamedTuple):
    """One figure of the table (a tuple: a report makes tens of thousands of them)."""

    value: float | None
    raw: str | None  # the figure as stored (exports keep it exactly)
    marks: tuple[str, ...] = ()  # letters of STATUS_MARKS / REVISED_MARK and numbers of comments


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]  # the series key (every dimension but time)
    codes: tuple[str, ...]  # country then each breakdown, in the table's column order
    labels: tuple[LocalText, ...]  # their names
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Note:
    mark: str
    text: str


@dataclass
class ReportTable:
    periods: list[str]
    columns: list[LocalText]  # headings of the label columns
    rows: list[Row]
    notes: list[Note]
    facts: list[tuple[LocalText, LocalText]]  # attributes equal for every figure (unit of measure...)
    status_used: list[tuple[str, LocalText]]  # (mark, the OBS_STATUS code's name) of the marks that occur
    revised: int = 0

    @cached_property
    def observation_count(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.raw is not None)


@dataclass
class ReportForm:
    countries: list[Choice]  # the countries' list (country_list) as choices
    breakdowns: list[Breakdown]
    periods: list[str]  # the periods with figures (start and end are chosen among them)
    start: str
    end: str
    last: int = 0
    dimensions: list[tuple[str, LocalText]] = field(default_factory=list)  # what the layout may place
    country_list: Breakdown | None = None  # the countries as a list with a find box (param "country")


MAX_LAST_PERIODS = MAX_PERIODS_OFFERED


@dataclass
class Report:
    indicator: Indicator
    form: ReportForm
    selection: Selection
    table: ReportTable | None  # None when the selection has an error
    rest_v2: str
    rest_v1: str
    view: "ReportView | None" = None  # the table as laid out (report_pivot), None with the table
    layout: "Layout | None" = None


def flow_artefact(store: ArtefactStore, agency: str, resource: str, version: str) -> Artefact | None:
    found = store.by_urns([urn_for("dataflow", agency, resource, version)])
    return found[0] if found else None


def whole_flow_query(flow: Artefact) -> DataQuery:
    return parse_data_query_v2("dataflow", flow["agencyID"], flow["id"], flow["version"], None, {})


def indicators_with_figures(conn, store: ArtefactStore, visible: VisibleProviders, lang: str) -> list[Indicator]:
    """The indicators (dataflows) where the caller may see at least one data set, by name."""
    out = []
    for flow in store.candidates({"dataflow"}, None, None):
        if flow.get("structure") and prepare_data_query(conn, store, whole_flow_query(flow), visible=visible).data_sets:
            out.append(indicator_of(flow, lang))
    return sorted(out, key=lambda i: i.name.text.casefold())


# -- the form -----------------------------------------------------------------------------------------

def prepare_flow(conn, store: ArtefactStore, agency: str, resource: str, version: str, visible: VisibleProviders
                 ) -> PreparedQuery | None:
    """The whole dataflow's query prepared for the caller, or None when there is no such dataflow with a
    structure: its ``version`` names everything of the data a report of it can show (the data sets the caller
    may see and their latest release), as for data ETags, its ``structures`` the structures' stamp, and its
    first target the dataflow. In one statement while the dataflow is remembered (prepare_data_query)."""
    try:
        prepared = prepare_data_query(conn, store, parse_data_query_v2("dataflow", agency, resource, version, None,
                                                                       {}), visible=visible)
    except SdmxError:
        return None
    targets = prepared.targets
    if len(targets) != 1 or targets[0].urn != urn_for("dataflow", agency, resource, version):
        return None  # a wildcard or "latest": the report names one version
    return prepared


def _available(conn, store: ArtefactStore, flow: Artefact, visible: VisibleProviders,
               prepared: PreparedQuery | None = None
               ) -> tuple[PreparedQuery, dict[str, list[str]], tuple[datetime, datetime] | None]:
    """Values of each dimension with figures the caller may see, and the time they cover (availability)."""
    q = whole_flow_query(flow)
    if prepared is None:
        prepared = prepare_data_query(conn, store, q, visible=visible)
    if not prepared.data_sets:
        return prepared, {}, None
    result = availability(conn, store, AvailabilityQuery(q, None, "exact", ("none",)), prepared)
    values: dict[str, list[str]] = {}
    span = None
    for region in result.artefacts[0]["cubeRegions"]:
        for kv in region["keyValues"]:
            if "values" in kv:
                values[kv["id"]] = kv["values"]
            elif "timeRange" in kv:
                span = (datetime.fromisoformat(kv["timeRange"]["startPeriod"]["period"]),
                        datetime.fromisoformat(kv["timeRange"]["endPeriod"]["period"]))
    return prepared, values, span


_STEP = {"A": 12, "S": 6, "Q": 3, "M": 1}


def periods_between(span: tuple[datetime, datetime] | None, frequencies: Iterable[str]) -> list[str]:
    """The reporting periods of the given frequencies within the span (for the start and end lists)."""
    if span is None:
        return []
    first, last = span
    out: list[tuple[datetime, str]] = []
    for freq in frequencies:
        step = _STEP.get(freq)
        if step is None:
            continue
        for year in range(first.year, last.year + 1):
            for n in range(1, 12 // step + 1):
                text = str(year) if freq == "A" else f"{year}-{freq}{n}" if freq != "M" else f"{year}-M{n:02d}"
                p = parse_period(text)
                if p.start.replace(tzinfo=None) >= first.replace(tzinfo=None) and \
                        p.end.replace(tzinfo=None) <= last.replace(tzinfo=None).replace(microsecond=0) + _SECOND:
                    out.append((p.start, text))
    return [t for _s, t in sorted(set(out))][:MAX_PERIODS_OFFERED]


_SECOND = timedelta(seconds=1)


def parse_selection(args: Mapping[str, list[str]], countries: list[str], breakdowns: dict[str, list[str]],
                    periods: list[str], texts: Callable[[str, dict], str]) -> Selection:
    """The query string's choices, each checked: an unknown code, country or period is named in ``errors``.

    ``texts(message_id, values)`` gives the translated messages (the views pass gettext), so this stays
    plain. A country not offered is refused with the same words whether it has hidden figures or none.
    """
    sel = Selection()
    for code in args.get("country", []):
        if code not in countries:
            sel.errors["country"] = texts("unknown_country", {"code": code})
        elif code not in sel.countries:
            sel.countries.append(code)
    for dim, offered in breakdowns.items():
        chosen = []
        for code in args.get(dim, []):
            if code not in offered:
                sel.errors[dim] = texts("unknown_code", {"code": code})
            elif code not in chosen:
                chosen.append(code)
        sel.codes[dim] = chosen
    for name in ("start", "end"):
        value = (args.get(name) or [""])[0].strip()
        if not value:
            continue
        try:
            parse_period(value)
        except ValueError:
            sel.errors[name] = texts("bad_period", {"value": value, "example": periods[0] if periods else "2024-S1"})
            continue
        setattr(sel, name, value)
    last = (args.get("last") or [""])[0].strip()
    if last:
        if not last.isdigit() or not 0 < int(last) <= MAX_LAST_PERIODS:
            sel.errors["last"] = texts("bad_last", {"value": last[:20], "most": MAX_LAST_PERIODS})
        else:
            sel.last = int(last)
            if periods:  # the last N of the periods with figures, up to the chosen end when there is one
                upto = [p for p in periods if not sel.end or parse_period(p).start <= parse_period(sel.end).start]
                sel.start = (upto or periods)[-min(sel.last, len(upto or periods))]
    if sel.start and sel.end and parse_period(sel.start).start > parse_period(sel.end).start:
        sel.errors["end"] = texts("end_before_start", {"start": sel.start, "end": sel.end})
    return sel


# -- the query ----------------------------------------------------------------------------------------

def v1_key(dimension_ids: Iterable[str], sel: Selection) -> str:
    """The SDMX 2.1 key: each dimension's chosen codes joined by '+', empty (any) when none is chosen."""
    key = ".".join("+".join(sel.countries if d == COUNTRY else sel.codes.get(d, [])) for d in dimension_ids)
    return "all" if not key.replace(".", "") else key


def v2_filters(dimension_ids: Iterable[str], sel: Selection) -> dict[str, str]:
    """The SDMX 3.0 query's c[...] filters (a v2 key holds one value per position, so choices go here)."""
    params = {}
    for d in dimension_ids:
        codes = sel.countries if d == COUNTRY else sel.codes.get(d, [])
        if codes:
            params[f"c[{d}]"] = ",".join(codes)
    bounds = ([f"ge:{sel.start}"] if sel.start else []) + ([f"le:{sel.end}"] if sel.end else [])
    if bounds:
        params["c[TIME_PERIOD]"] = "+".join(bounds)
    return params


def rest_urls(flow: Artefact, dimension_ids: Iterable[str], sel: Selection) -> tuple[str, str, dict[str, str]]:
    """(v2 path with query, v1 path with query, the v2 query's parameters): the same figures as the report."""
    dimension_ids = list(dimension_ids)
    a, i, v = (quote(flow[k], safe="") for k in ("agencyID", "id", "version"))
    params = v2_filters(dimension_ids, sel)
    v2 = f"/rest/v2/data/dataflow/{a}/{i}/{v}/*?" + urlencode({**params, "format": "csvdata"}, safe="[],:")
    v1_args = {k: val for k, val in (("startPeriod", sel.start), ("endPeriod", sel.end)) if val}
    v1 = f"/rest/data/{a},{i},{v}/{quote(v1_key(dimension_ids, sel), safe='+.')}"
    if v1_args:
        v1 += "?" + urlencode(v1_args)
    return v2, v1, params


# -- the report -----------------------------------------------------------------------------------------

ErrorTexts = Callable[[str, dict], str]


def build_report(conn, store: ArtefactStore, flow: Artefact, args: Mapping[str, list[str]], *,
                 visible: VisibleProviders, lang: str, texts: ErrorTexts, max_observations: int,
                 prepared: PreparedQuery | None = None) -> Report:
    """The form (what may be chosen), the selection, and the table of the figures it selects; ``prepared``:
    :func:`prepare_flow`'s answer, when the caller has it already."""
    from .report_pivot import TIME, parse_layout, pivot  # report_pivot builds on this module's rows
    prepared, values, span = _available(conn, store, flow, visible, prepared)
    info = prepared.structure
    labels = structure_labels(store, info, flow, [lang])
    dims = list(info.dimension_ids)
    breakdown_ids = [d for d in dims if d != COUNTRY and len(values.get(d, [])) > 1]
    shown = [COUNTRY] * (COUNTRY in dims) + breakdown_ids
    periods = periods_between(span, values.get("FREQ", ["A", "S", "Q", "M"]))
    sel = parse_selection(args, values.get(COUNTRY, []), {d: values[d] for d in breakdown_ids}, periods, texts)
    countries = _choices(labels, COUNTRY, values.get(COUNTRY, []), sel.countries, lang)
    form = ReportForm(
        countries=countries,
        breakdowns=[_long_list(store, info, d, _component_name(labels, d, lang),
                               _choices(labels, d, values[d], sel.codes.get(d, []), lang), args, lang)
                    for d in breakdown_ids],
        periods=periods, start=sel.start, end=sel.end, last=sel.last,
        dimensions=[(d, _component_name(labels, d, lang)) for d in shown + [TIME]],
        country_list=_long_list(store, info, "country", _component_name(labels, COUNTRY, lang), countries, args,
                                lang, dimension=COUNTRY))
    layout = parse_layout(args, shown, texts, sel.errors)
    v2, v1, params = rest_urls(flow, dims, sel)
    table = view = None
    if not sel.errors:
        q = parse_data_query_v2("dataflow", flow["agencyID"], flow["id"], flow["version"], "*", params)
        try:
            table = read_table(conn, store, q, visible=visible, labels=labels, lang=lang,
                               max_observations=max_observations, shown=shown)
        except SdmxError as e:  # e.g. more figures than the server returns at once
            sel.errors["query"] = texts("too_large" if e.status == 413 else "query_failed", {"detail": str(e)})
    if table is not None:
        view = pivot(table, shown, layout, _component_name(labels, TIME, lang), texts, sel.errors)
        if sel.errors:
            table = view = None
    return Report(indicator_of(flow, lang), form, sel, table, v2, v1, view, layout)


def _component_name(labels: StructureLabels, cid: str, lang: str) -> LocalText:
    return pick(labels.component_names.get(cid), lang, cid)


def _code_name(labels: StructureLabels, cid: str, code: str, lang: str) -> LocalText:
    return pick(labels.code_names.get(cid, {}).get(code), lang, code)


def _choices(labels: StructureLabels, cid: str, codes: list[str], chosen: list[str], lang: str) -> list[Choice]:
    out = [Choice(c, _code_name(labels, cid, c, lang), c in chosen) for c in codes]
    return sorted(out, key=lambda ch: (ch.code != TOTAL, name_key(ch.label.text)))


def _long_list(store: ArtefactStore, info: DataStructureInfo, param: str, label: LocalText, choices: list[Choice],
               args: Mapping[str, list[str]], lang: str, dimension: str | None = None) -> Breakdown:
    """A list of choices as the form shows it (report_choices): what its find box lets through, the chosen
    codes it hides, and, for a long list whose codelist has a grouping by region, the shown choices by region
    (regions by name, the codes in none last)."""
    text = filter_text(args, param) if len(choices) > FIND_FROM else ""
    shown = [c for c in choices if matches(c.code, c.label, text)]
    hidden = tuple(c.code for c in choices if c.checked and c not in shown)
    groups: tuple = ()
    region_of: dict[str, str] = {}
    if len(choices) > FIND_FROM:
        comp = info.component(dimension or param)
        regions = regions_of(region_codelist(store, comp.codelist if comp else None), lang)
        if regions:
            region_of = {code: r for code, (r, _name) in regions.items()}
            by_region: dict[str, list[Choice]] = {}
            for c in shown:
                by_region.setdefault(regions[c.code][0] if c.code in regions else "", []).append(c)
            names = {r: name for r, name in regions.values()}
            groups = tuple(sorted((Group(r, names.get(r, LocalText("", lang)), cs, sum(c.checked for c in cs))
                                   for r, cs in by_region.items()),
                                  key=lambda g: (not g.code, name_key(g.label.text))))
    return Breakdown(param, label, shown, text, tuple(c.code for c in choices), hidden, groups, region_of)


def read_table(conn, store: ArtefactStore, q: DataQuery, *, visible: VisibleProviders, labels: StructureLabels,
               lang: str, max_observations: int, shown: list[str]) -> ReportTable:
    """Read the query's figures (retrieval layer, caller's visibility) into rows of series × periods."""
    with collector_paused():
        return _read_table(conn, store, q, visible=visible, labels=labels, lang=lang,
                           max_observations=max_observations, shown=shown)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused, as data_views does while writing an answer: a report makes tens
    of thousands of short-lived tuples and no cycle, and each collection would rescan all that is kept
    (a third of a large report's time). It runs again afterwards (unless something else had paused it)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _read_table(conn, store: ArtefactStore, q: DataQuery, *, visible: VisibleProviders, labels: StructureLabels,
                lang: str, max_observations: int, shown: list[str]) -> ReportTable:
    prepared = prepare_data_query(conn, store, q, visible=visible)
    message = read_data(conn, store, prepared, languages=[lang], max_observations=max_observations,
                        need_labels=False)
    info = prepared.structure
    columns = [_component_name(labels, d, lang) for d in shown]
    if message is None:
        return ReportTable([], columns, [], [], [], [])
    series_dims = list(message.series_dimensions)
    positions = [series_dims.index(d) for d in shown]
    revised = _revised_figures(conn, prepared)
    raw: dict[tuple[str, ...], dict[str, tuple[str | None, dict | None]]] = {}
    series_attrs: dict[str, set] = {}
    periods: set[str] = set()
    for ds in message.data_sets:
        for attr, value in ds.attributes.items():
            series_attrs.setdefault(attr, set()).add(str(value))
        for s in ds.series:
            figures = raw.setdefault(s.key, {})
            for attr, value in s.attributes.items():
                series_attrs.setdefault(attr, set()).add(str(value))
            for (period,), value, attrs in s.observations:
                figures[period] = (value, attrs)
                periods.add(period)
    ordered = sorted(periods, key=lambda p: parse_period(p).start)
    comments: dict[str, str] = {}
    marks_used: set[str] = set()
    label_cache: dict[tuple[str, str], LocalText] = {}

    def label(cid: str, code: str) -> LocalText:
        got = label_cache.get((cid, code))
        if got is None:
            got = label_cache[(cid, code)] = _code_name(labels, cid, code, lang)
        return got

    # free-text attributes of the DSD (OBS_COMMENT, notes...) become numbered footnotes
    note_ids = [a.id for a in info.attributes if not a.codelist and a.id != STATUS]
    by_attrs: dict[int, tuple[str, ...]] = {}  # retrieval shares one dict per distinct attribute set
    keep: list[dict] = []  # the dicts whose id() is a key above stay alive while it is used

    def marks_of(attrs: dict) -> tuple[str, ...]:
        found = by_attrs.get(id(attrs))
        if found is None:
            marks: list[str] = []
            status = attrs.get(STATUS)
            if status is not None and str(status) in STATUS_MARKS:
                marks.append(STATUS_MARKS[str(status)])
            for cid in note_ids:
                text = attrs.get(cid)
                if text:
                    marks.append(comments.setdefault(str(text), str(len(comments) + 1)))
            found = by_attrs[id(attrs)] = tuple(marks)
            keep.append(attrs)
            marks_used.update(m for m in found if not m.isdigit())
        return found

    missing = Cell(None, None, ())
    rows = []
    for key in sorted(raw, key=lambda k: tuple((k[p] != TOTAL, label(shown[n], k[p]).text.casefold())
                                               for n, p in enumerate(positions))):
        figures = raw[key]
        joined = ".".join(key)
        cells = []
        for period in ordered:
            got = figures.get(period)
            if got is None:
                cells.append(missing)
                continue
            value, attrs = got
            marks = marks_of(attrs) if attrs else ()
            if revised and (joined, period) in revised:
                marks += (REVISED_MARK,)
                marks_used.add(REVISED_MARK)
            cells.append(Cell(_number(value), value, marks))
        codes = tuple(key[p] for p in positions)
        rows.append(Row(key, codes, tuple(label(shown[n], c) for n, c in enumerate(codes)), tuple(cells)))
    notes = [Note(mark, text) for text, mark in comments.items()]
    status_names = {code: pick(labels.code_names.get(STATUS, {}).get(code), lang, code) for code in STATUS_MARKS}
    status_used = [(mark, status_names[code]) for code, mark in STATUS_MARKS.items() if mark in marks_used]
    facts = []
    for cid, found in series_attrs.items():
        if len(found) == 1:  # the same for every figure (unit of measure...): said once, above the table
            code = next(iter(found))
            facts.append((_component_name(labels, cid, lang), label(cid, code)))
    n_revised = sum(1 for r in rows for c in r.cells if REVISED_MARK in c.marks)
    return ReportTable(ordered, columns, rows, notes, facts, status_used, n_revised)


def _number(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _revised_figures(conn, prepared: PreparedQuery) -> set[tuple[str, str]]:
    """(series key, period) of the visible figures a later release changed: the revision notices' rows
    (workflow.revision_notices, as /api/dataflows/.../revisions reports them), for the data sets read."""
    visible: dict[str, frozenset[str]] = {}
    for _id, urn, provider in prepared.data_sets:
        visible[urn] = visible.get(urn, frozenset()) | {provider}
    out: set[tuple[str, str]] = set()
    for urn in visible:
        for _row, revisions in workflow.revision_notices(conn, visible.__getitem__, dataflow_urn=urn,
                                                         per_submission=10_000):
            out.update((r.series_key, r.time_period) for r in revisions)
    return out


# -- numbers ----------------------------------------------------------------------------------------

@lru_cache(maxsize=16)
def number_symbols(lang: str) -> tuple[str, str]:
    symbols = Locale.parse(lang).number_symbols.get("latn", Locale.parse(lang).number_symbols)
    return symbols.get("group", ","), symbols.get("decimal", ".")


def format_figure(value: float | None, lang: str) -> str:
    """A figure with the locale's group and decimal signs (as babel's format_decimal; ~20x faster, which
    matters for tables of tens of thousands of figures): 12 345 in Russian, 12,345 in English."""
    if value is None:
        return ""
    group, decimal = number_symbols(lang)
    if isinstance(value, int) or value.is_integer():
        text = f"{int(value):,}"
        return text if group == "," else text.replace(",", group)
    text = f"{value:,.3f}".rstrip("0")
    return text.translate({ord(","): group, ord("."): decimal})


# -- the chart's series -------------------------------------------------------------------------------

CHART_MAX_ROWS = 8
MAX_CHART_PERIODS = 2_000  # a continuous time axis longer than this is drawn over the periods with figures


def continuous_periods(periods: list[str]) -> list[str]:
    """Every period from the first to the last of ``periods`` at their frequency (2024-S1, 2024-S2, 2025-S1...):
    the chart's time axis, so a period without figures shows as a gap and not as a line across it. Periods
    of mixed or other frequencies are kept as they are."""
    if len(periods) < 2:
        return periods
    try:
        parsed = [parse_period(p) for p in periods]
    except ValueError:
        return periods
    freqs = {p.frequency for p in parsed}
    freq = next(iter(freqs))
    step = _STEP.get(freq)
    if len(freqs) != 1 or step is None:
        return periods
    first, last = parsed[0].start, parsed[-1].start
    months = (last.year - first.year) * 12 + last.month - first.month
    if months // step + 1 > MAX_CHART_PERIODS:
        return periods
    out = []
    for k in range(months // step + 1):
        m = first.month - 1 + k * step
        year, month = first.year + m // 12, m % 12 + 1
        n = (month - 1) // step + 1
        text = str(year) if freq == "A" else f"{year}-M{month:02d}" if freq == "M" else f"{year}-{freq}{n}"
        out.append(text)
    # the data's own spelling of a period (2024-05 for 2024-M05) wins
    spelled = {parse_period(p).start: p for p in periods}
    return [spelled.get(parse_period(t).start, t) for t in out]


def chart_series(table: ReportTable) -> tuple[list[str], list[tuple[str, list[float | None]]], bool]:
    """(the time axis, series, whether they are country totals): each row when there are few; else one line
    per country, its total: the breakdowns' total code (_T) where the figures have one, else the sum over the
    codes, which is drawn only for periods where every one of them has a figure (a gap is a gap). The axis
    holds every period from the first to the last, so a missing period breaks the line."""
    axis = continuous_periods(table.periods)
    where = {p: n for n, p in enumerate(table.periods)}
    index = [where.get(p) for p in axis]

    def on_axis(values: list[float | None]) -> list[float | None]:
        return [None if k is None else values[k] for k in index]

    if len(table.rows) <= CHART_MAX_ROWS:
        # name each line by what tells it apart: a column with one value for every row says nothing
        varying = [n for n in range(len(table.columns)) if len({r.codes[n] for r in table.rows}) > 1] or [0]
        return axis, [(" · ".join(r.labels[n].text for n in varying if n < len(r.labels)),
                       on_axis([c.value for c in r.cells])) for r in table.rows], False
    rows = table.rows
    for n in range(1, len(table.columns)):  # each breakdown column: keep its totals when there are some
        with_total = [r for r in rows if r.codes[n] == TOTAL]
        if with_total:
            rows = with_total
    totals: dict[str, list[float | None]] = {}
    gaps: dict[str, set[int]] = {}
    for r in rows:
        name = r.labels[0].text if r.labels else ""
        acc = totals.setdefault(name, [None] * len(table.periods))
        for k, c in enumerate(r.cells):
            if c.value is not None:
                acc[k] = (acc[k] or 0) + c.value
            elif any(x.value is not None for x in r.cells):
                gaps.setdefault(name, set()).add(k)  # a sum without one of its parts is no total
    for name, missing in gaps.items():
        for k in missing:
            totals[name][k] = None
    return axis, [(name, on_axis(values)) for name, values in totals.items()], True
