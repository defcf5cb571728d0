"""SDMX-JSON data messages (1.0 and 2.0) into data events.

The message carries its own structure block: series and observation keys are positional
indices ("0:1:0") into the value lists of ``structure.dimensions`` (1.0) or
``data.structures[n].dimensions`` (2.0), and attribute values are indices into the attributes'
value lists. The stdlib cannot stream JSON, so the message is parsed with json.load (memory
grows with the message); events are still produced one at a time.
"""

from __future__ import annotations

import json
from typing import BinaryIO, Iterator

from ..data_structure import DataStructureInfo
from ..errors import BadInput
from .data_events import ACTIONS, DataEvent, DataSetStart, KeyAttributes, Observation

_ACTION = {a.lower(): a for a in ACTIONS}
_EXTRA = ("validFrom", "validTo", "reportingBegin", "reportingEnd", "publicationYear", "publicationPeriod")


def _value(v) -> str | None:
    """A value-list entry or a raw value as the string the message means."""
    if isinstance(v, dict):
        v = v.get("id", v.get("value", v.get("name")))
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)
    return str(v)


def _values(comp: dict) -> list:
    return comp.get("values") or []


def _pick(comps: list[dict], indices: list, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for comp, idx in zip(comps, indices):
        if idx is None:
            continue
        vals = _values(comp)
        if isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < len(vals):
            v = _value(vals[idx])
        elif not vals:
            v = _value(idx)  # non-coded value given inline
        else:
            raise BadInput(f"{where}: index {idx!r} is out of range for {comp.get('id')}")
        if v is not None:
            out[comp["id"]] = v
    return out


def _key(dims: list[dict], key: str, where: str) -> dict[str, str]:
    parts = key.split(":") if key else []
    if len(parts) != len(dims):
        raise BadInput(f"{where}: key {key!r} has {len(parts)} positions, the structure has {len(dims)}")
    try:
        return _pick(dims, [int(p) for p in parts], where)
    except ValueError:
        raise BadInput(f"{where}: key {key!r} is not made of indices") from None


def read_data(stream: BinaryIO, structure: DataStructureInfo) -> Iterator[DataEvent]:
    """Yield a DataSetStart per data set, KeyAttributes for data set/series/group, Observations."""
    try:
        msg = json.load(stream)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"not UTF-8 JSON: {exc}") from None
    if not isinstance(msg, dict):
        raise BadInput("an SDMX-JSON data message is a JSON object")
    data = msg.get("data", msg) if isinstance(msg.get("data"), dict) else msg
    structures = data.get("structures") or ([data["structure"]] if isinstance(data.get("structure"), dict) else [])
    if not structures or "dataSets" not in data:
        raise BadInput("an SDMX-JSON data message needs dataSets and a structure (structure or data.structures)")
    measure_ids = [m.id for m in structure.measures] or ["OBS_VALUE"]
    # attributes the DSD attaches above the observation, though the message may put them on it
    above = {a.id: a for a in structure.attributes if a.attachment in ("series", "group", "dataset")}
    for n, ds in enumerate(data["dataSets"]):
        where = f"dataSets[{n}]"
        st = structures[ds.get("structure", 0)] if isinstance(ds.get("structure"), int) else structures[0]
        dims, attrs = st.get("dimensions", {}), st.get("attributes", {})
        ds_dims, series_dims, obs_dims = dims.get("dataSet", []), dims.get("series", []), dims.get("observation", [])
        measures = [m["id"] for m in (st.get("measures") or {}).get("observation", [])] or measure_ids[:1]
        ref = _structure_ref(st, ds)
        action = _ACTION.get(str(ds.get("action", "Information")).lower())
        if action is None:
            raise BadInput(f"{where}.action: {ds.get('action')!r} is not one of {', '.join(ACTIONS)}")
        yield DataSetStart(action=action, structure=ref[0], structure_kind=ref[1],
                           dimension_at_observation=(obs_dims[0]["id"] if len(obs_dims) == 1 else
                                                     "AllDimensions" if len(obs_dims) > 1 else None),
                           where=where, extra={k: str(ds[k]) for k in _EXTRA if k in ds})
        fixed = {d["id"]: _value(_values(d)[0]) for d in ds_dims if _values(d)}
        ds_attrs = _pick(attrs.get("dataSet", []), ds.get("attributes") or [], f"{where}.attributes")
        if ds_attrs:
            yield KeyAttributes({}, ds_attrs, "dataset", f"{where}.attributes")
        groups = attrs.get("dimensionGroup", [])
        for gkey, gidx in (ds.get("dimensionGroupAttributes") or {}).items():
            # 2.0: key positions are series dimensions, "~" or "" where the group does not bind
            gwhere = f"{where}.dimensionGroupAttributes[{gkey!r}]"
            parts = gkey.split(":")
            key = {d["id"]: _value(_values(d)[int(p)]) for d, p in zip(series_dims + obs_dims, parts)
                   if p not in ("", "~")}
            ga = _pick(groups, gidx, gwhere)
            if ga:
                yield KeyAttributes(key, ga, "group", gwhere)
        obs_attr_comps = attrs.get("observation", [])
        series_attr_comps = attrs.get("series", [])
        if "series" in ds:
            for skey, s in ds["series"].items():
                swhere = f"{where}.series[{skey!r}]"
                key = {**fixed, **_key(series_dims, skey, swhere)}
                sa = _pick(series_attr_comps, s.get("attributes") or [], swhere)
                if sa:
                    yield KeyAttributes(dict(key), sa, "series", swhere)
                yield from _lift(_observations(s.get("observations") or {}, key, obs_dims, measures,
                                               obs_attr_comps, swhere), above)
        if "observations" in ds:  # flat: each key spans the series and observation dimensions
            yield from _lift(_observations(ds["observations"], fixed, series_dims + obs_dims, measures,
                                           obs_attr_comps, where), above)


def _observations(obs: dict, base: dict, obs_dims: list, measures: list, attr_comps: list,
                  where: str) -> Iterator[Observation]:
    nm = len(measures)
    for okey, arr in obs.items():
        owhere = f"{where}.observations[{okey!r}]"
        key = {**base, **_key(obs_dims, okey, owhere)}
        arr = arr if isinstance(arr, list) else [arr]
        vals = {m: v for m, v in zip(measures, (_value(x) for x in arr[:nm])) if v is not None}
        yield Observation(key, vals, _pick(attr_comps, arr[nm:], owhere), owhere)


def _lift(events: Iterator[Observation], above: dict) -> Iterator[DataEvent]:
    """Move attributes the DSD attaches above observation level into KeyAttributes (deduplicated)."""
    last: dict[str, tuple] = {}
    for obs in events:
        moved = [a for a in obs.attributes if a in above] if above else ()
        for a in moved:
            comp = above[a]
            value = obs.attributes.pop(a)
            names = comp.attached_to if comp.attachment != "dataset" else ()
            key = {d: obs.key[d] for d in names if d in obs.key}
            marker = (tuple(key.items()), value)
            if last.get(a) != marker:
                last[a] = marker
                yield KeyAttributes(key, {a: value}, comp.attachment, obs.where)
        yield obs


def _structure_ref(st: dict, ds: dict) -> tuple[str | None, str | None]:
    """The dataflow (else DSD, else provision agreement) URN from the links, as the message gives it."""
    links = (ds.get("links") or []) + (st.get("links") or [])
    for rel, kind in (("dataflow", "dataflow"), ("datastructure", "datastructure"),
                      ("provisionagreement", "provisionagreement")):
        for link in links:
            if link.get("rel") == rel and (link.get("urn") or link.get("href")):
                return link.get("urn") or link.get("href"), kind
    return None, None
