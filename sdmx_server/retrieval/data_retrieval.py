"""Answer a data query: find the dataflows, plan, read the visible data sets, shape series for the writers.

The answer is lazy: :func:`retrieve_data` looks up structures and checks limits, then returns a
DataMessage whose data sets and series are generators over database cursors. Only the first
series is read before the answer is returned, to tell an empty result (204) from a non-empty one.
"""

from __future__ import annotations

import json
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain, groupby
from operator import itemgetter
from typing import Callable, Iterable, Iterator

from ..sdmx.artefacts import Artefact, parse_urn, urn_of
from ..sdmx.data_message import DataMessage, DataSetOut, GroupOut, Obs, SeriesOut, StructureLabels
from ..sdmx.data_query import DataQuery
from ..sdmx.data_structure import DataStructureInfo
from ..sdmx.errors import NotFound, NotImplementedQuery, TooLarge
from ..sdmx.versions import select
from ..storage.artefact_store import ArtefactStore
from ..storage.observation_query import ObservationQuery, SeriesFilter, instant, key_attribute_values
from .data_plan import DataPlan, make_plan
from .structure_labels import structure_labels

FLAT_BATCH = 2_000
# Which providers' data the caller may see on a dataflow: a set of provider ids, or None for all.
VisibleProviders = Callable[[str], "frozenset[str] | None"]


@dataclass
class FlowTarget:
    dataflow: Artefact
    urn: str
    providers: frozenset[str] | None  # a provision agreement context names one provider


@dataclass
class PreparedQuery:
    """A query resolved against structures and the visible data sets, before any observation is read.

    ``version`` is what the answer's bytes depend on in the database (the flows, the data sets the
    caller may see, the latest submission to them), so the HTTP layer can answer a conditional
    request with 304 without reading data, and a caller who sees less never shares an ETag with one
    who sees more.
    """

    query: DataQuery
    targets: list[FlowTarget]
    structure: DataStructureInfo
    plan: DataPlan
    data_sets: list[tuple[int, str, str]]
    version: tuple
    last_modified: datetime | None
    most_rows: int | None = None  # no count can exceed it (Snapshot.most_rows); None: not known
    access_version: tuple[int, int] | None = None  # Snapshot.access_stamp, as the statement finding the data sets saw it
    structures: object = None  # Snapshot.structures: when structures last changed, a stamp for caches of them


def resolve_targets(store: ArtefactStore, q: DataQuery) -> tuple[list[FlowTarget], DataStructureInfo]:
    """The dataflows a query names (through a dataflow, a DSD or a provision agreement), all of one DSD."""
    context = q.context or "dataflow"
    kinds = {"dataflow": "dataflow", "datastructure": "datastructure", "provisionagreement": "provisionagreement"}
    found = _latest_matching(store, kinds[context], q)
    if not found and q.context is None:
        found = _latest_matching(store, "datastructure", q) + _latest_matching(store, "provisionagreement", q)
    targets: list[FlowTarget] = []
    for art in found:
        if art["type"] == "dataflow":
            targets.append(FlowTarget(art, urn_of(art), None))
        elif art["type"] == "datastructure":
            dsd_urn = urn_of(art)
            for flow in store.referencing([dsd_urn]):
                if flow["type"] == "dataflow" and flow.get("structure") == dsd_urn:
                    targets.append(FlowTarget(flow, urn_of(flow), None))
        else:
            flow = store.get(art.get("dataflow", ""))
            provider = parse_urn(art["dataProvider"]).item_id if art.get("dataProvider") else None
            if flow is not None and provider:
                targets.append(FlowTarget(flow, urn_of(flow), frozenset({provider})))
    if not targets:
        what = ",".join(q.ids or ["*"])
        raise NotFound(f"no {context} {','.join(q.agencies or ['*'])}:{what} matches the query")
    structures = {t.dataflow.get("structure") for t in targets}
    if len(structures) > 1:
        raise NotImplementedQuery(f"the query matches dataflows of {len(structures)} data structures "
                                  f"({', '.join(sorted(s or '?' for s in structures))}); one answer carries one "
                                  "structure: name one dataflow or one data structure")
    dsd = store.get(structures.pop() or "")
    if dsd is None:
        raise NotFound(f"the data structure of {targets[0].urn} is not stored")
    return targets, DataStructureInfo.from_artefact(dsd)


def _latest_matching(store: ArtefactStore, type_: str, q: DataQuery) -> list[Artefact]:
    by_id: dict[tuple[str, str], dict[str, Artefact]] = {}
    for art in store.candidates({type_}, list(q.agencies) if q.agencies else None, list(q.ids) if q.ids else None):
        by_id.setdefault((art["agencyID"], art["id"]), {})[art["version"]] = art
    out = []
    for versions in by_id.values():
        out += [versions[v] for v in select(q.versions, versions)]
    return out


# (dataflows, structure) a query names, per engine, for as long as no structure changes: looking them up
# and reading the DSD costs more than the rest of a one-series query. Entries are shared and only read.
_TARGETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (structures stamp, {key: found})
_TARGETS_KEPT = 256


def prepare_data_query(conn, store: ArtefactStore, q: DataQuery, *, visible: VisibleProviders) -> PreparedQuery:
    """The dataflows, structure, plan and visible data sets of a query, and the data's version: in one round
    trip when the dataflows a query names are remembered. They are, until the structures' change stamp
    moves (every structure write updates it in its own transaction, so what is remembered is never older
    than what this transaction sees)."""
    reader = ObservationQuery(conn)

    def flows(targets: list[FlowTarget]) -> list[tuple[str, frozenset[str] | None]]:
        out = []
        for t in targets:
            allowed = visible(t.urn)
            if t.providers is not None:
                allowed = t.providers if allowed is None else allowed & t.providers
            if q.providers is not None:
                allowed = frozenset(q.providers) if allowed is None else allowed & frozenset(q.providers)
            out.append((t.urn, allowed))
        return out

    engine = conn.engine
    cache = _TARGETS.get(engine)
    key = (q.context, q.agencies, q.ids, q.versions)
    found = cache[1].get(key) if cache is not None else None
    snap, data_sets = reader.look(flows(found[0]) if found else None)
    if cache is None or cache[0] != snap.structures:
        cache = _TARGETS[engine] = (snap.structures, {})
        found = None
    if found is None:
        found = resolve_targets(store, q)
        if len(cache[1]) >= _TARGETS_KEPT:
            cache[1].clear()
        cache[1][key] = found
        snap, data_sets = reader.look(flows(found[0]))
    targets, info = list(found[0]), found[1]
    plan = make_plan(q, info)
    version = (tuple(t.urn for t in targets), tuple(d[0] for d in data_sets), snap.last_submission)
    return PreparedQuery(q, targets, info, plan, data_sets, version, snap.last_modified, snap.most_rows,
                         snap.access_stamp, snap.structures)


def read_data(conn, store: ArtefactStore, prepared: PreparedQuery, *, languages: list[str], max_observations: int,
              need_labels: bool, message_options: dict | None = None) -> DataMessage | None:
    """The answer as a lazy DataMessage, or None when nothing matches (204); 413 when it is too large."""
    q, plan, info = prepared.query, prepared.plan, prepared.structure
    if not prepared.data_sets:
        return None
    reader = ObservationQuery(conn)
    if prepared.most_rows is None or prepared.most_rows > max_observations:  # else no count can exceed it
        _check_size(reader, q, plan, prepared.data_sets, max_observations)
    flow = prepared.targets[0].dataflow
    labels = structure_labels(store, info, flow, languages) if need_labels else StructureLabels(languages)
    shaped = _non_empty(_data_sets(reader, q, plan, prepared.data_sets))
    first = next(shaped, None)
    if first is None:
        return None
    return DataMessage(info, flow, plan.dimension_at_observation, plan.series_dimensions, plan.obs_dimensions,
                       chain([first], shaped), labels, id="IREF" + uuid.uuid4().hex[:12].upper(),
                       with_attributes=plan.with_attributes, prepared=datetime.now(timezone.utc),
                       **(message_options or {}))


def _check_size(reader: ObservationQuery, q: DataQuery, plan: DataPlan, data_sets: list, limit: int) -> None:
    """413 before a byte is written, when the answer would hold more observations than the server serves."""
    if plan.series_only or q.first_n or q.last_n or (q.limit is not None and q.limit <= limit) or q.include_history:
        return
    total = 0
    for ds_id, _urn, _provider in data_sets:
        total += reader.count(_filter(plan, ds_id), q.as_of, cap=limit + 1 - total)
        if total > limit:
            raise TooLarge(f"the query matches more than {limit} observations, the most this server returns at once; "
                           "narrow it with a key, c[TIME_PERIOD]=ge:..+le:.. (v1: startPeriod/endPeriod), "
                           "lastNObservations, or page through it with offset and limit (v2)")


def _filter(plan: DataPlan, data_set_id: int) -> SeriesFilter:
    xs = plan.dimension_at_observation not in ("AllDimensions", plan.structure.time_dimension)
    return SeriesFilter(data_set_id, plan.keys, plan.dimensions, plan.periods, plan.sort_positions,
                        plan.time_desc, period_first=xs)


def _non_empty(data_sets: Iterable[DataSetOut]) -> Iterator[DataSetOut]:
    """Data sets with at least one series; each is checked only when the writer reaches it."""
    for ds in data_sets:
        series = iter(ds.series)
        first = next(series, None)
        if first is not None:
            ds.series = chain([first], series)
            yield ds


def _data_sets(reader: ObservationQuery, q: DataQuery, plan: DataPlan, data_sets: list) -> Iterator[DataSetOut]:
    counter = _Window(q.offset, q.limit)
    if not (q.include_history or q.updated_after is not None or plan.series_only):
        yield from _current_data_sets(reader, q, plan, data_sets, counter)
        return
    for ds_id, flow_urn, provider in data_sets:
        f = _filter(plan, ds_id)
        shaper = _Shaper(plan, reader.key_attributes(ds_id, q.as_of), q, counter)
        dataset_attrs = shaper.dataset_attributes
        if q.include_history:
            versions = reader.versions(f, q.updated_after, q.as_of)
            for valid_from, rows in groupby(versions, key=lambda r: r[0]):
                yield DataSetOut(flow_urn, provider, shaper.series(r[1:] for r in rows), dataset_attrs,
                                 "Replace", shaper.group_outs, valid_from=instant(valid_from))
            for valid_to, rows in groupby(reader.deleted(f, q.updated_after, q.as_of), key=lambda r: r[0]):
                yield DataSetOut(flow_urn, provider, shaper.series(r[1:] for r in rows), {}, "Delete",
                                 valid_to=instant(valid_to))
        elif q.updated_after is not None:
            yield DataSetOut(flow_urn, provider, shaper.series(reader.changed(f, q.updated_after, q.as_of)),
                             dataset_attrs, "Replace", shaper.group_outs)
            yield DataSetOut(flow_urn, provider,
                             shaper.series(r[1:] for r in reader.deleted(f, q.updated_after, q.as_of)), {}, "Delete")
        else:  # series only
            groups = shaper.group_outs if q.detail != "serieskeysonly" else []
            yield DataSetOut(flow_urn, provider, shaper.keys_only(reader.series_keys(f, q.as_of)), dataset_attrs,
                             groups=groups)
        if counter.done:
            return


def _current_data_sets(reader: ObservationQuery, q: DataQuery, plan: DataPlan, data_sets: list, counter: _Window
                       ) -> Iterator[DataSetOut]:
    """The current observations of every visible data set: their key attributes read in one statement, and
    on PostgreSQL everything in one round trip. A data set without a matching observation is passed over
    before its attributes are parsed or its series shaped: a caller who may see several data sets (a
    country's own and those granted to it) pays for the ones that answer, as one who sees one does."""
    stored, currents = reader.current_with_key_attributes(_filter(plan, data_sets[0][0]), [d[0] for d in data_sets],
                                                          q.as_of)
    for (ds_id, flow_urn, provider), current in zip(data_sets, currents):
        first = next(current, None)
        if first is None:
            continue
        shaper = _Shaper(plan, key_attribute_values(stored, ds_id), q, counter)
        yield DataSetOut(flow_urn, provider, shaper.series(chain([first], current)), shaper.dataset_attributes,
                         groups=shaper.group_outs)
        if counter.done:
            return


class _Window:
    """offset and limit, counted in observations (or series keys) over the whole answer."""

    def __init__(self, offset: int, limit: int | None):
        self.skip = offset
        self.left = limit

    @property
    def done(self) -> bool:
        return self.left is not None and self.left <= 0

    def take(self, items: list) -> list:
        if self.skip:
            dropped = min(self.skip, len(items))
            self.skip -= dropped
            items = items[dropped:]
        if self.left is not None:
            items = items[:self.left]
            self.left -= len(items)
        return items


class _Shaper:
    """Rows of one data set -> SeriesOut in the plan's packaging, with attributes resolved and selected."""

    def __init__(self, plan: DataPlan, key_attributes: list[tuple[str, str, dict]], q: DataQuery, window: _Window):
        self.plan, self.q, self.window = plan, q, window
        self.dims = plan.structure.dimension_ids
        self.groups: list[tuple[tuple[str, ...], dict]] = []
        self.series_attrs: dict[str, dict] = {}
        self.dataset_attributes: dict = {}
        for level, key, values in key_attributes:
            if level == "dataset":
                self.dataset_attributes.update(values)
            elif level == "group":
                self.groups.append((tuple(key.split(".")), values))
            else:
                self.series_attrs[key] = values
        self.dataset_attributes = self._select(self.dataset_attributes)
        dao = plan.dimension_at_observation
        # attributes the DSD relates to series dimensions only: the series carries them, whatever level
        # they came in at (a flat message gives every attribute on its observations)
        self.series_level = frozenset() if dao == "AllDimensions" else frozenset(
            a.id for a in plan.structure.attributes if a.attachment in ("series", "group") and dao not in a.attached_to)
        self._groups_from_series()
        self.group_outs = self._group_outs()
        self._memo = _Memo(self._parse_attributes)
        self._resolved: dict[str, dict] = {}
        self.primary = plan.structure.measures[0].id if plan.structure.measures else "OBS_VALUE"

    # -- attributes ------------------------------------------------------------------------------
    def _groups_from_series(self) -> None:
        """Group attributes that came in on series (SDMX-CSV and SDMX-JSON have no groups) also count as the
        group's, so SDMX-ML answers, which carry them only in ``<Group>`` elements, do not lose them."""
        structure = self.plan.structure
        group_dims = {a.id: set(structure.groups[a.group]) for a in structure.attributes
                      if a.attachment == "group" and a.group in structure.groups}
        if not group_dims:
            return
        known = {gkey for gkey, _ in self.groups}
        found: dict[tuple[str, ...], dict] = {}
        for key, values in self.series_attrs.items():
            for cid, value in values.items():
                dims = group_dims.get(cid)
                if dims is not None:
                    gkey = tuple(v if d in dims else "" for d, v in zip(self.dims, key.split(".")))
                    if gkey not in known:
                        found.setdefault(gkey, {}).setdefault(cid, value)
        self.groups.extend(found.items())

    def _group_outs(self) -> list[GroupOut]:
        """The stored group attributes under the DSD group whose dimensions their key fixes."""
        structure = self.plan.structure
        out = []
        for gkey, attrs in self.groups:
            fixed = {d: v for d, v in zip(self.dims, gkey) if v}
            gid = next((g for g, dims in structure.groups.items() if set(dims) == set(fixed)), None)
            selected = self._select(attrs)
            if gid is not None and selected and self.plan.with_attributes and self._group_matches(fixed):
                out.append(GroupOut(gid, fixed, selected))
        return out

    def _group_matches(self, fixed: dict[str, str]) -> bool:
        """Whether a group could hold a series of the answer (its key agrees with the query's key)."""
        keys = self.plan.keys
        if keys is None:
            return True
        return any(all(values is None or d not in fixed or fixed[d] in values for d, values in zip(self.dims, key))
                   for key in keys)

    def _select(self, attrs: dict) -> dict:
        plan = self.plan
        if not plan.with_attributes:
            return {k: v for k, v in attrs.items() if self._is_measure(k) and self._keep_measure(k)}
        keep = plan.keep_attribute
        return {k: v for k, v in attrs.items()
                if (self._keep_measure(k) if self._is_measure(k) else keep is None or keep(k))}

    def _is_measure(self, cid: str) -> bool:
        return any(m.id == cid for m in self.plan.structure.measures)

    def _keep_measure(self, cid: str) -> bool:
        return self.plan.keep_measures is None or cid in self.plan.keep_measures

    def _parse_attributes(self, text: str) -> dict | None:
        """Observation attributes (and further measures) from their stored JSON; ``_memo`` calls it once per
        distinct text, so observations with the same attributes share one dict (writers may cache by it)."""
        return self._select(json.loads(text)) or None

    def key_level_attributes(self, series_key: str) -> dict:
        """Series and group attributes of one series (before selection)."""
        out = self._resolved.get(series_key)
        if out is None:
            values = series_key.split(".")
            out = {}
            for gkey, attrs in self.groups:
                if all(g == "" or g == v for g, v in zip(gkey, values)):
                    out.update(attrs)
            out.update(self.series_attrs.get(series_key, {}))
            out = self._select(out)
            if len(self._resolved) < 100_000:
                self._resolved[series_key] = out
        return out

    def _hoisted(self, attrs: dict, obs: list[Obs]) -> tuple[dict, list[Obs]]:
        """(series attributes, observations) with series-level attributes moved off the observations."""
        hoist = self.series_level
        if not hoist or not any(o[2] and not hoist.isdisjoint(o[2]) for o in obs):
            return attrs, obs
        moved: dict = {}
        out: list[Obs] = []
        for o in obs:
            a = o[2]
            if a and not hoist.isdisjoint(a):
                for k in hoist.intersection(a):
                    moved.setdefault(k, a[k])
                o = (o[0], o[1], {k: v for k, v in a.items() if k not in hoist} or None)
            out.append(o)
        return {**moved, **attrs}, out

    # -- series ------------------------------------------------------------------------------------
    def series(self, rows: Iterable[tuple]) -> Iterator[SeriesOut]:
        dao = self.plan.dimension_at_observation
        if dao == "AllDimensions":
            return self._flat(rows)
        if dao == self.plan.structure.time_dimension:
            return self._time_series(rows)
        return self._cross_sections(rows)

    def _observations(self, series_key: str, rows: Iterable[tuple], values: Callable[[str, str], tuple]
                      ) -> list[Obs]:
        keep_value = self.plan.keep_measures is None or self.primary in self.plan.keep_measures
        attrs = self._memo
        if values is _period_only and keep_value:  # time series: the common case, one tuple per row and no call
            obs = [((tp,), v, attrs[a]) for _, tp, v, a in rows]
        else:
            obs = [(values(series_key, tp), v if keep_value else None, attrs[a]) for _, tp, v, a in rows]
        test = self.plan.observation_test
        if test is not None:
            level = self.key_level_attributes(series_key)
            obs = [o for o in obs if test(o[1], {**self.dataset_attributes, **level, **(o[2] or {})})]
        return obs

    def _limit_per_series(self, obs: list[Obs]) -> list[Obs]:
        first, last = self.q.first_n, self.q.last_n
        if not (first or last):
            return obs
        if self.plan.time_desc:  # newest first: the "last" observations lead
            first, last = last, first
        head = obs[:first] if first else []
        tail = obs[-last:] if last else []
        if first and last:
            return obs if len(obs) <= first + last else head + tail
        return head or tail

    def _time_series(self, rows: Iterable[tuple]) -> Iterator[SeriesOut]:
        window = self.window
        for key, group in groupby(rows, key=_first):
            obs = self._limit_per_series(self._observations(key, group, _period_only))
            if obs:
                obs = window.take(obs)
                if obs:
                    yield SeriesOut(tuple(key.split(".")), *self._hoisted(self.key_level_attributes(key), obs))
            if window.done:
                return

    def _cross_sections(self, rows: Iterable[tuple]) -> Iterator[SeriesOut]:
        dims = self.dims
        xpos = dims.index(self.plan.dimension_at_observation)
        series_dims = self.plan.series_dimensions
        time_id = self.plan.structure.time_dimension
        window = self.window

        def section(row: tuple) -> tuple:
            values = row[0].split(".")
            return (*values[:xpos], *values[xpos + 1:], row[1])

        for skey, group in groupby(rows, key=section):
            obs = []
            for series_key, tp, v, a in group:
                own = self._observations(series_key, [(series_key, tp, v, a)], lambda k, _t: (k.split(".")[xpos],))
                if own:
                    level = self.key_level_attributes(series_key)
                    o = own[0]
                    obs.append((o[0], o[1], {**level, **(o[2] or {})} or None) if level else o)
            obs = window.take(obs)
            if obs:
                named = dict(zip([d for d in dims if d != dims[xpos]] + [time_id], skey))
                yield SeriesOut(tuple(named[d] for d in series_dims), *self._hoisted({}, obs))
            if window.done:
                return

    def _flat(self, rows: Iterable[tuple]) -> Iterator[SeriesOut]:
        batch: list[Obs] = []
        window = self.window
        for key, group in groupby(rows, key=_first):
            level = self.key_level_attributes(key)
            obs = self._limit_per_series(self._observations(key, group, _full_key))
            if level:
                obs = [(o[0], o[1], {**level, **(o[2] or {})}) for o in obs]
            batch += window.take(obs)
            if len(batch) >= FLAT_BATCH:
                yield SeriesOut((), {}, batch)
                batch = []
            if window.done:
                break
        if batch:
            yield SeriesOut((), {}, batch)

    def keys_only(self, rows: Iterable[tuple]) -> Iterator[SeriesOut]:
        for (key,) in rows:
            if self.window.take([key]):
                with_attributes = self.plan.with_attributes and self.q.detail != "serieskeysonly"
                yield SeriesOut(tuple(key.split(".")), self.key_level_attributes(key) if with_attributes else {}, [])
            if self.window.done:
                return


_first = itemgetter(0)  # a row's series key (C, not a Python call per row)


class _Memo(dict):
    """Stored attribute JSON -> its selected attributes, made on first use (a hit is a plain dict look-up)."""

    def __init__(self, make: Callable[[str], dict | None]):
        super().__init__({None: None})
        self.make = make

    def __missing__(self, text: str) -> dict | None:
        value = self[text] = self.make(text)
        return value


def _period_only(_key: str, period: str) -> tuple[str]:
    return (period,)


def _full_key(key: str, period: str) -> tuple[str, ...]:
    return (*key.split("."), period)
