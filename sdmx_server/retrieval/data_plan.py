"""A data query made concrete for one data structure: SQL-side filters, Python-side filters, selections.

Pure: no database. Key and ``c[...]`` filters on dimensions and on the time period become a
:class:`~sdmx_server.storage.observation_query.SeriesFilter` template that storage can run from
its indexes; filters on attributes and measures, whose values may be attached at any level, are
checked on each observation with its attributes resolved (data.md: "all attributes applying to
this row").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..sdmx.data_keys import parse_key
from ..sdmx.data_message import packaging
from ..sdmx.data_query import ComponentFilter, DataQuery
from ..sdmx.data_structure import DataStructureInfo
from ..sdmx.errors import BadInput
from ..sdmx.time_periods import parse_period

# c[TIME_PERIOD] operators as conditions on the stored period's [start, end): "ge:2024-Q1" keeps
# periods starting on or after 1 January 2024, "le:2024-Q1" those ending by 1 April 2024, so a
# range keeps the periods that lie inside it (and an annual 2024 is outside ge:2024-03).
_TIME_BOUNDS = {"ge": ("start_ge", "start"), "gt": ("start_ge", "end"), "le": ("end_le", "end"),
                "lt": ("end_le", "start")}


@dataclass
class DataPlan:
    structure: DataStructureInfo
    dimension_at_observation: str
    series_dimensions: tuple[str, ...]
    obs_dimensions: tuple[str, ...]
    keys: list[list[frozenset[str] | None]] | None
    dimensions: dict[int, tuple] = field(default_factory=dict)  # position -> storage conditions
    periods: tuple = ()
    sort_positions: list[tuple[int, bool]] = field(default_factory=list)
    time_desc: bool = False
    keep_attribute: Callable[[str], bool] | None = None  # None: every attribute
    keep_measures: frozenset[str] | None = None  # None: every measure
    observation_test: Callable[[str | None, dict], bool] | None = None  # attribute/measure c[...] filters
    series_only: bool = False  # serieskeysonly / nodata: no observation in the answer
    with_attributes: bool = True


def make_plan(q: DataQuery, info: DataStructureInfo) -> DataPlan:
    dao, series_dims, obs_dims = packaging(info, q.dimension_at_observation)
    dim_ids = info.dimension_ids
    keys = _keys(q, dim_ids)
    plan = DataPlan(info, dao, series_dims, obs_dims, keys)
    time_id = info.time_dimension or "TIME_PERIOD"
    tests: list[Callable[[str | None, dict], bool]] = []
    for cid, conditions in q.filters.items():
        if cid in dim_ids:
            plan.dimensions[dim_ids.index(cid)] = tuple(tuple((c.op, c.value) for c in conj) for conj in conditions)
        elif cid == time_id:
            plan.periods = _time_conditions(conditions, cid)
        elif info.component(cid) is not None:
            tests.append(_value_test(cid, conditions, is_primary=bool(info.measures) and cid == info.measures[0].id))
        else:
            raise BadInput(f"c[{cid}]: {cid} is not a component of {info.urn} "
                           f"(dimensions: {', '.join(info.key_ids)})")
    if tests:
        plan.observation_test = lambda value, attrs: all(t(value, attrs) for t in tests)
    _selections(q, info, plan)
    if plan.series_only and info.time_dimension:  # keys alone: every dimension but time is the series key
        plan.dimension_at_observation, plan.series_dimensions, plan.obs_dimensions = packaging(info, None)
    _sort(q, info, plan)
    return plan


def _keys(q: DataQuery, dim_ids: tuple[str, ...]) -> list[list[frozenset[str] | None]] | None:
    if q.keys is None:
        return None
    out = []
    for key in q.keys:
        parsed = parse_key(key, dim_ids)
        if q.api == "v2" and any(v is not None and len(v) > 1 for v in parsed):
            raise BadInput(f"key {key!r}: REST v2 separates whole keys with ','; a position holds one value or *")
        out.append(parsed)
    return None if all(all(v is None for v in k) for k in out) else out


def _time_conditions(conditions: ComponentFilter, cid: str) -> tuple:
    out = []
    for conj in conditions:
        ands: list[tuple[str, object]] = []
        for c in conj:
            if c.op in ("co", "nc", "sw", "ew", "ne"):
                ands.append(("time_text", (c.op, c.value)))
                continue
            try:
                period = parse_period(c.value)
            except ValueError as e:
                raise BadInput(f"c[{cid}]: {e}") from None
            if c.op == "eq":
                ands += [("start_eq", period.start), ("end_eq", period.end)]
            else:
                op, bound = _TIME_BOUNDS[c.op]
                ands.append((op, getattr(period, bound)))
        out.append(tuple(ands))
    return tuple(out)


def _value_test(cid: str, conditions: ComponentFilter, *, is_primary: bool) -> Callable[[str | None, dict], bool]:
    def holds(op: str, have: object, want: str) -> bool:
        if have is None:
            return op in ("ne", "nc")
        values = have if isinstance(have, list) else [have]
        return any(compare(op, v if isinstance(v, str) else " ".join(v.values()), want) for v in values)

    def test(value: str | None, attrs: dict) -> bool:
        have = value if is_primary else attrs.get(cid)
        return any(all(holds(c.op, have, c.value) for c in conj) for conj in conditions)

    return test


def compare(op: str, have: str, want: str) -> bool:
    if op == "co":
        return want in have
    if op == "nc":
        return want not in have
    if op == "sw":
        return have.startswith(want)
    if op == "ew":
        return have.endswith(want)
    try:  # numbers compare as numbers, everything else as text
        a, b = float(have), float(want)
    except ValueError:
        a, b = have, want  # type: ignore[assignment]
    return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]


def _selections(q: DataQuery, info: DataStructureInfo, plan: DataPlan) -> None:
    """v2 ``attributes``/``measures`` (v1 ``detail`` arrives translated into them)."""
    plan.series_only = q.series_only
    levels = {a.id: a.attachment for a in info.attributes}
    words = set(q.attributes)
    if words & {"dsd", "all"}:
        plan.keep_attribute = None
    elif words <= {"none", "msd"}:
        plan.with_attributes = False
    else:
        unknown = [w for w in words if w not in ("dataset", "series", "obs", "msd") and w not in levels]
        if unknown:
            raise BadInput(f"attributes: {', '.join(unknown)} is not an attribute of {info.urn} nor one of "
                           "dsd, msd, dataset, series, obs, all, none")
        wanted_levels = {"dataset": {"dataset"}, "series": {"series", "group"}, "obs": {"observation"}}
        keep = {a for a, level in levels.items()
                if a in words or any(level in wanted_levels.get(w, ()) for w in words)}
        plan.keep_attribute = keep.__contains__
    measure_ids = [m.id for m in info.measures]
    mwords = set(q.measures)
    if "all" in mwords:
        plan.keep_measures = None
    elif mwords == {"none"}:
        plan.keep_measures = frozenset()
    else:
        unknown = [m for m in mwords if m not in measure_ids]
        if unknown:
            raise BadInput(f"measures: {', '.join(unknown)} is not a measure of {info.urn} (measures: "
                           f"{', '.join(measure_ids)}, or all, none)")
        plan.keep_measures = frozenset(mwords)
    if plan.keep_measures == frozenset() and not plan.with_attributes:
        plan.series_only = True  # "the list of indicators": keys, nothing else (data.md examples)


def _sort(q: DataQuery, info: DataStructureInfo, plan: DataPlan) -> None:
    dim_ids = info.dimension_ids
    time_id = info.time_dimension or "TIME_PERIOD"
    positions: list[tuple[int, bool]] = []
    for name, desc in q.sort:
        if name in ("*", "series_key"):
            positions += [(i, desc) for i, d in enumerate(dim_ids) if d in plan.series_dimensions or name == "*"]
            if name == "*" and time_id in info.key_ids:
                plan.time_desc = desc
        elif name == time_id:
            plan.time_desc = desc
        elif name in dim_ids:
            positions.append((dim_ids.index(name), desc))
        elif info.component(name) is not None:
            raise BadInput(f"sort={name}: sorting by attributes or measures is not supported; sort by dimensions, "
                           "TIME_PERIOD, * or series_key")
        else:
            raise BadInput(f"sort: {name} is not a component of {info.urn}")
    if plan.dimension_at_observation not in ("AllDimensions", time_id):
        # a cross-section groups by every other dimension, so the section's dimensions lead the order
        xpos = dim_ids.index(plan.dimension_at_observation)
        chosen = {p for p, _ in positions}
        positions = [p for p in positions if p[0] != xpos] + [(i, False) for i in range(len(dim_ids))
                                                              if i != xpos and i not in chosen] + [(xpos, False)]
    plan.sort_positions = positions if (positions and positions != [(i, False) for i in range(len(dim_ids))]) else []
