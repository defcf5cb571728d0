"""Availability: the cube region of the data a data query would return (mode=exact), or of the values a
user could still add to it and get data (mode=available), as an Actual data constraint with counts.

One grouped query returns each matching series with its observation count and first and last period;
the region, the counts and the time coverage are computed from those rows, so memory grows with the
number of series, never with observations. ``mode=available`` reads the series without the query's
dimension filters and, for each dimension, keeps the values of the series that satisfy the filters on
every *other* dimension (availability.md, "Response Mode").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from ..sdmx.artefacts import Artefact, parse_urn, urn_of
from ..sdmx.data_query import AvailabilityQuery
from ..sdmx.errors import BadInput
from ..storage.artefact_store import ArtefactStore
from ..storage.observation_query import ObservationQuery, SeriesFilter, instant
from .data_plan import DataPlan, compare
from .data_retrieval import PreparedQuery, VisibleProviders, prepare_data_query
from .structure_retrieval import StructureResult

OBS_COUNT, SERIES_COUNT = "obs_count", "series_count"  # annotation ids, as .Stat Suite names them


def prepare_availability(conn, store: ArtefactStore, q: AvailabilityQuery, *, visible: VisibleProviders
                         ) -> PreparedQuery:
    prepared = prepare_data_query(conn, store, q.data, visible=visible)
    if q.component is not None and q.component not in prepared.structure.key_ids:
        raise BadInput(f"componentID {q.component} is not a dimension of {prepared.structure.urn} "
                       f"(dimensions: {', '.join(prepared.structure.key_ids)})")
    return prepared


def availability(conn, store: ArtefactStore, q: AvailabilityQuery, prepared: PreparedQuery) -> StructureResult:
    """The constraint, and the structures ``references`` asks for (item schemes cut to what is used)."""
    plan = prepared.plan
    dims = prepared.structure.dimension_ids
    reader = ObservationQuery(conn)
    wide = replace(plan, keys=None, dimensions={}) if q.mode == "available" else plan
    rows = []  # (key values, observations, first start, last end)
    for ds_id, _urn, _provider in prepared.data_sets:
        f = _series_filter(wide, ds_id)
        rows += [(tuple(key.split(".")), n, start, end)
                 for key, n, start, end in reader.series_summary(f, q.data.updated_after)]
    if q.mode == "available":
        values = {d: {k[i] for k, *_ in rows if _matches(k, plan, skip=i)} for i, d in enumerate(dims)}
        counted = [r for r in rows if _matches(r[0], plan)]
    else:
        values = {d: {k[i] for k, *_ in rows} for i, d in enumerate(dims)}
        counted = rows
    flow = prepared.targets[0].dataflow
    constraint = _constraint(flow, prepared, values, counted, q.component)
    return StructureResult([constraint, *_references(store, q.references, flow, constraint, prepared)], 1)


def _series_filter(plan: DataPlan, data_set_id: int) -> SeriesFilter:
    return SeriesFilter(data_set_id, plan.keys, plan.dimensions, plan.periods)


def _matches(key: tuple[str, ...], plan: DataPlan, skip: int | None = None) -> bool:
    """Whether a series key satisfies the query's key and dimension filters, ignoring position ``skip``."""
    if plan.keys is not None and not any(all(v is None or i == skip or key[i] in v for i, v in enumerate(k))
                                         for k in plan.keys):
        return False
    for pos, conditions in plan.dimensions.items():
        if pos != skip and not any(all(compare(op, key[pos], value) for op, value in conj) for conj in conditions):
            return False
    return True


def _constraint(flow: Artefact, prepared: PreparedQuery, values: dict[str, set[str]], counted: list,
                component: str | None) -> Artefact:
    time_id = prepared.structure.time_dimension
    key_values = [{"id": d, "values": sorted(v)} for d, v in values.items() if component in (None, d)]
    if time_id and counted and component in (None, time_id):
        start = min(instant(r[2]) for r in counted)
        end = max(instant(r[3]) for r in counted) - timedelta(seconds=1)  # stored ends are exclusive
        key_values.append({"id": time_id, "timeRange": {
            "startPeriod": {"period": start.strftime("%Y-%m-%dT%H:%M:%S"), "isInclusive": True},
            "endPeriod": {"period": end.strftime("%Y-%m-%dT%H:%M:%S"), "isInclusive": True}}})
    flow_urn = urn_of(flow)
    return {
        "type": "dataconstraint", "agencyID": flow["agencyID"], "id": f"CC_{flow['id']}", "version": "1.0",
        "isFinal": False, "names": {"en": f"Availability of data for {flow['id']}"},
        "annotations": [{"id": OBS_COUNT, "title": str(sum(r[1] for r in counted))},
                        {"id": SERIES_COUNT, "title": str(len(counted))}],
        "role": "Actual", "constraintAttachment": {"dataflows": [flow_urn]},
        "cubeRegions": [{"include": True, "keyValues": key_values}] if counted else [],
    }


def _references(store: ArtefactStore, wanted: tuple[str, ...], flow: Artefact, constraint: Artefact,
                prepared: PreparedQuery) -> list[Artefact]:
    if wanted == ("none",):
        return []
    want = set(wanted)
    every = "all" in want
    out: list[Artefact] = []
    used = {kv["id"]: set(kv.get("values", [])) for r in constraint["cubeRegions"] for kv in r["keyValues"]}
    if every or "dataflow" in want:
        out.append(flow)
    dsd = store.get(prepared.structure.urn)
    if dsd is not None and (every or "datastructure" in want):
        out.append(dsd)
    if every or "codelist" in want:
        # one partial codelist per codelist, holding the codes of every dimension it codes (CL_AREA codes
        # REF_AREA and CITIZENSHIP): a message may not hold the same codelist twice (XSD uniqueness)
        by_codelist: dict[str, set[str]] = {}
        for comp in prepared.structure.dimensions:
            if comp.codelist and comp.id in used:
                by_codelist.setdefault(parse_urn(comp.codelist).maintainable, set()).update(used[comp.id])
        for cl_urn, wanted_codes in by_codelist.items():
            cl = store.get(cl_urn)
            if cl is not None and cl["type"] == "codelist":
                codes = [c for c in cl.get("codes", []) if c["id"] in wanted_codes]
                ids = {c["id"] for c in codes}
                parents = [c for c in cl.get("codes", []) if c["id"] not in ids and any(
                    x.get("parent") == c["id"] for x in codes)]  # parents stay, so hierarchies hold
                out.append({**cl, "codes": codes + parents, "isPartial": True})
    if every or "conceptscheme" in want:
        from ..sdmx.artefacts import concepts_of

        by_scheme: dict[str, set[str]] = {}
        for cid, urn in concepts_of(dsd or {}).items():
            if cid in used:
                u = parse_urn(urn)
                by_scheme.setdefault(u.maintainable, set()).add(u.item_id or "")
        for scheme_urn, concept_ids in by_scheme.items():
            scheme = store.get(scheme_urn)
            if scheme is not None:
                out.append({**scheme, "concepts": [c for c in scheme.get("concepts", []) if c["id"] in concept_ids],
                            "isPartial": True})
    if every or "dataproviderscheme" in want:
        providers = {p for _id, _urn, p in prepared.data_sets}
        for scheme in store.candidates({"dataproviderscheme"}, None, None):
            kept = [p for p in scheme.get("dataProviders", []) if p["id"] in providers]
            if kept:
                out.append({**scheme, "dataProviders": kept, "isPartial": True})
    return out
