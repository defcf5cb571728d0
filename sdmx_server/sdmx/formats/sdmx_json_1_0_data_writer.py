"""SDMX-JSON 1.0 data messages, streamed: data sets first, the structure section after them.

JSON members are unordered (the field guide says so), so the message is written as
``{"meta": ..., "data": {"dataSets": [...], "structure": {...}}}``: series keys ("0:1:0") and
observation keys are indices into value lists that are only complete once every observation has
been seen, so the lists are built while the data sets stream out and written last, holding only the
values that occur, in first-seen order. Memory grows with the number of distinct values (the size
of the codelists involved), not with the number of observations.

Levels. An attribute is presented where its value is constant: data-set attributes (attached to
no dimension) on the data set, series and group attributes on the series when every dimension
they relate to is in the series key, everything else on the observation (so, for a cross-section
or AllDimensions, a series attribute goes on each observation, as the field guide allows). The
DataMessage gives attributes at its own levels; a value given on a SeriesOut for an attribute
presented per observation is copied onto each of its observations, and an attribute given where
the DSD does not place it is listed at that level too. Attribute positions are fixed by the DSD
order, so arrays can be written before the value lists; arrays drop trailing nulls.

Observation arrays: the value (a JSON number when the stored string is one, else a string; null
when missing), then the attribute indices. SDMX-JSON 1.0 knows one measure; further measures of a
3.0 DSD are presented as observation attributes. includeHistory answers give one data set per
DataSetOut with ``action``, ``validFrom`` and ``validTo``.

Structure: dimensions and attributes with ``name`` (best language of ``message.labels``), values
``{"id", "name"}`` (a code without a name is named by its id), non-coded attribute values
``{"name": text}`` as the 1.0 samples do, time values with their ``start`` and ``end``. The 1.0
schema wants every dimension value to be an id (``[A-Za-z0-9_@$-]+``), so a date-time period
("2024-01-01T10:00:00") or a range ("2024-01-01/P3M") cannot be schema-valid 1.0; 2.0 writes
those as ``{"value": ...}``. The 2.0 module subclasses ``JsonDataWriter`` and changes only what
differs.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Iterator

from ..data_message import DataMessage, DataSetOut, SeriesOut
from ..data_structure import Component
from ..time_periods import parse_period
from .data_events import AttributeValue

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z").match
ID_PATTERN = re.compile(r"[A-Za-z0-9_@$-]+\Z").match  # the schemas' pattern for value ids
_CHUNK_BYTES = 32768
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_value(value: str | None) -> str:
    """An observation value: a JSON number when the stored text is one, a string otherwise."""
    if value is None:
        return "null"
    return value if _NUMBER(value) else _dumps(value)


def instant(moment: datetime) -> str:
    """An ISO 8601 date-time with time zone (naive times are UTC), as the schemas' date-time asks."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def _hashable(value: AttributeValue):
    """A dict key for any attribute value (lists are not hashable)."""
    if isinstance(value, str):
        return value
    if all(isinstance(v, str) for v in value):
        return ("L", *value)
    return ("M", *(tuple(v.items()) for v in value))


def _original(key) -> AttributeValue:
    if isinstance(key, str):
        return key
    if key[0] == "L":
        return list(key[1:])
    return [dict(v) for v in key[1:]]


class Values(dict):
    """One component's values in first-seen order: ``values[value]`` is its index, as JSON text."""

    def __init__(self):
        super().__init__()
        self.seen: list = []

    def __missing__(self, value) -> str:
        index = self[value] = str(len(self.seen))
        self.seen.append(value)
        return index


class Level:
    """The attributes presented at one level (dataSet, series or observation) and their values."""

    def __init__(self, ids: list[str]):
        self.ids: list[str] = []
        self.pos: dict[str, int] = {}
        self.values: list[Values] = []
        for a in ids:
            self.position(a)

    def position(self, component: str) -> int:
        pos = self.pos.get(component)
        if pos is None:
            pos = self.pos[component] = len(self.ids)
            self.ids.append(component)
            self.values.append(Values())
        return pos

    def indices(self, attrs: dict, offset: int = 0) -> list[str | None]:
        """Index texts by position after ``offset`` slots left for other uses; trailing Nones dropped."""
        out: list[str | None] = [None] * offset
        for k, v in attrs.items():
            if v is None or v == "" or v == []:
                continue
            i = self.position(k)
            if offset + i >= len(out):
                out.extend([None] * (offset + i + 1 - len(out)))
            out[offset + i] = self.values[i][_hashable(v)]
        while len(out) > offset and out[-1] is None:
            out.pop()
        return out


def _array(items: list[str | None]) -> str:
    return ",".join("null" if x is None else x for x in items)


class JsonDataWriter:
    """Streams one DataMessage as SDMX-JSON 1.0; subclasses override the version's differences."""

    schema = ("https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/1.0/"
              "sdmx-json-data-schema.json")
    extra_measures_as_attributes = True  # 1.0 has one measure per observation

    def __init__(self, message: DataMessage):
        self.message = message
        st = message.structure
        self.st = st
        self.labels = message.labels
        self.measure_ids = [m.id for m in st.measures] or ["OBS_VALUE"]
        flat = not message.series_dimensions
        series_dims = set(message.series_dimensions)
        with_attrs = message.with_attributes
        attrs = st.attributes if with_attrs else ()
        ds_ids = [a.id for a in attrs if a.attachment == "dataset"]
        ser_ids = [a.id for a in attrs if a.attachment in ("series", "group") and not flat
                   and set(a.attached_to) <= series_dims]
        obs_ids = [a.id for a in attrs if a.id not in ds_ids and a.id not in ser_ids]
        self.pushed = set(obs_ids)  # presented per observation, even when a SeriesOut gives them
        extra = self.measure_ids[1:]
        # 1.0: further measures are observation attributes; 2.0: they follow the value in the array
        self.measures_in_array = [] if self.extra_measures_as_attributes else extra
        self.measures_as_attributes = extra if self.extra_measures_as_attributes else []
        obs_ids = self.measures_as_attributes + obs_ids
        self.levels = {"dataSet": Level(ds_ids), "series": Level(ser_ids), "observation": Level(obs_ids)}
        self.series_values = [Values() for _ in message.series_dimensions]
        self.obs_values = [Values() for _ in message.obs_dimensions]
        self.data_set_count = 0
        self.dataflow_urn: str | None = None

    # -- the stream -----------------------------------------------------------------------------------

    def chunks(self) -> Iterator[str]:
        """The message as text chunks: every chunk but the last holds at least ``_CHUNK_BYTES // 2``."""
        parts: list[str] = ['{"meta":' + _dumps(self.meta()) + ',"data":{"dataSets":[']
        count, limit = 0, 2048  # observations per chunk, re-estimated from the first chunk's size
        flat = not self.message.series_dimensions
        for n, ds in enumerate(self.message.data_sets):
            self.data_set_count = n + 1
            self.dataflow_urn = self.dataflow_urn or ds.dataflow_urn
            parts.append(("," if n else "") + self.data_set_head(ds) + (',"observations":{' if flat else ',"series":{'))
            first = True
            for series in ds.series:
                if flat:
                    count += self.flat_observations(series, parts, first)
                    first = first and not series.observations
                else:
                    count += self.series(series, parts, first)
                    first = False
                if count >= limit:
                    chunk = "".join(parts)
                    if len(chunk) >= _CHUNK_BYTES // 2:
                        limit = max(64, _CHUNK_BYTES * count // len(chunk))
                        parts, count = [], 0
                        yield chunk
                    else:
                        parts, limit = [chunk], limit * 2
            parts.append("}}")
        parts.append("]," + self.structure_member() + "}}")
        yield "".join(parts)

    def data_set_head(self, ds: DataSetOut) -> str:
        """The data set's object up to its data: action, validity, links, data-set attributes."""
        head = {"action": ds.action, **self.data_set_fields(), "links": [{"rel": "dataflow", "urn": ds.dataflow_urn}]}
        if ds.valid_from is not None:
            head["validFrom"] = instant(ds.valid_from)
        if ds.valid_to is not None:
            head["validTo"] = instant(ds.valid_to)
        text = _dumps(head)[:-1]  # the object stays open for attributes and data
        if self.message.with_attributes and ds.attributes:
            text += ',"attributes":[' + _array(self.levels["dataSet"].indices(ds.attributes)) + "]"
        return text

    def series(self, series: SeriesOut, parts: list[str], first: bool) -> int:
        """Appends one series' JSON text to ``parts``; returns its observation count."""
        key = ":".join([values[v] for values, v in zip(self.series_values, series.key)])
        text = ('"' if first else ',"') + key + '":{'
        pushed = {}
        if self.message.with_attributes and series.attributes:
            own = {}
            for k, v in series.attributes.items():
                (pushed if k in self.pushed else own)[k] = v
            if own:
                text += '"attributes":[' + _array(self.levels["series"].indices(own)) + "],"
        parts.append(text + '"observations":{')
        time_values = self.obs_values[0] if len(self.obs_values) == 1 else None
        tail = self.tails(pushed)
        append = parts.append
        sep = '"'
        for o, value, attrs in series.observations:
            if time_values is None:
                okey = ":".join([values[v] for values, v in zip(self.obs_values, o)])
            else:
                okey = time_values[o[0]]
            if value is None:
                v = "null"
            elif _NUMBER(value):
                v = value
            else:
                v = _dumps(value)
            append(sep + okey + '":[' + v + (tail(attrs) if attrs or pushed else "") + "]")
            sep = ',"'
        parts.append("}}")
        return len(series.observations)

    def flat_observations(self, series: SeriesOut, parts: list[str], first: bool) -> int:
        """AllDimensions: the chunk's observations straight into the data set, keyed by every dimension."""
        pushed = dict(series.attributes) if self.message.with_attributes else {}
        tail = self.tails(pushed)
        obs_values = self.obs_values
        n = len(obs_values) - 1
        last = obs_values[n]
        append = parts.append
        sep = '"' if first else ',"'
        previous, prefix = None, ""
        for o, value, attrs in series.observations:
            head = o[:n]
            if head != previous:  # observations come series by series: the key's start seldom changes
                previous = head
                prefix = "".join([values[v] + ":" for values, v in zip(obs_values, head)])
            append(sep + prefix + last[o[n]] + '":[' + json_value(value) + (tail(attrs) if attrs or pushed else "")
                   + "]")
            sep = ',"'
        return len(series.observations)

    def tails(self, pushed: dict):
        """A function: observation attributes (and measures) -> the array's text after the value, cached per series."""
        level = self.levels["observation"]
        with_attrs = self.message.with_attributes
        extra, as_attributes = self.measures_in_array, self.measures_as_attributes
        cache: dict = {}

        def tail(attrs: dict | None) -> str:
            try:
                key = tuple(attrs.items()) if attrs else ()
                found = cache.get(key)
            except TypeError:  # list values: compute every time
                key, found = None, None
            if found is None:
                given = attrs or {}
                if with_attrs:
                    merged = {**pushed, **given}
                else:  # detail=dataonly: no attribute, but measures stay
                    merged = {m: given[m] for m in as_attributes if m in given}
                measures = [json_value(given.get(m)) for m in extra]
                for m in extra:
                    merged.pop(m, None)
                items = level.indices(merged, offset=len(measures))
                items[:len(measures)] = measures
                found = "," + _array(items) if items else ""
                if key is not None:
                    cache[key] = found
            return found

        return tail

    # -- version-specific pieces ----------------------------------------------------------------------

    def meta(self) -> dict:
        m = self.message
        prepared = m.prepared or datetime.now(timezone.utc).replace(microsecond=0)
        return {"schema": self.schema, "id": m.id, "test": False, "prepared": instant(prepared),
                "contentLanguages": list(self.labels.languages) or ["en"], "sender": {"id": m.sender}}

    def data_set_fields(self) -> dict:
        return {}

    def names(self, picked: str | None, all_names: dict | None, fallback: str) -> dict:
        """The name fields of a component or value: 1.0 has the best-language ``name`` only."""
        return {"name": picked or fallback}

    def relationship(self, component: Component | None) -> dict:
        if component is None or component.attachment == "observation":
            return {"primaryMeasure": self.measure_ids[0]}
        if component.attachment == "dataset":
            return {"none": {}}
        return {"dimensions": list(component.attached_to)}

    def dimension_value(self, dim: str, value: str, is_time: bool) -> dict:
        entry = {"id": value, **self.names(None if is_time else self.labels.code_name(dim, value),
                                           self.labels.code_names.get(dim, {}).get(value), value)}
        return {**entry, **(_period_bounds(value) if is_time else {})}

    def coded_value(self, component: str, value: str) -> dict | None:
        """A code's value-list entry (id and names); None for a value that is not a code."""
        name = self.labels.code_name(component, value)
        comp = self.st.component(component)
        if ID_PATTERN(value) and (name or (comp is not None and comp.codelist)):
            return {"id": value, **self.names(name, self.labels.code_names.get(component, {}).get(value), value)}
        return None

    def attribute_value(self, component: str, value: AttributeValue) -> dict:
        if isinstance(value, str):
            return self.coded_value(component, value) or {"name": value}
        if all(isinstance(v, str) for v in value):
            return {"name": ";".join(value)}
        return {"name": ";".join(self.labels.pick(v) or "" for v in value)}

    def structure(self) -> dict:
        m, st, labels = self.message, self.st, self.labels
        key_pos = {d: i for i, d in enumerate(st.key_ids)}

        def dimension(d: str, values: Values) -> dict:
            is_time = d == st.time_dimension
            out = {"id": d, **self.names(labels.component_name(d), labels.component_names.get(d), d),
                   "keyPosition": key_pos[d]}
            if is_time:
                out["roles"] = ["TIME_PERIOD"]
            out["values"] = [self.dimension_value(d, v, is_time) for v in values.seen]
            return out

        def attributes(level: Level) -> list[dict]:
            out = []
            for a, values in zip(level.ids, level.values):
                entry = {"id": a, **self.names(labels.component_name(a), labels.component_names.get(a), a),
                         "relationship": self.relationship(st.component(a))}
                entry.update(self.attribute_values([self.attribute_value(a, _original(v)) for v in values.seen]))
                out.append(entry)
            return out

        flow = m.dataflow
        urn = self.dataflow_urn or (f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={flow.get('agencyID')}:"
                                    f"{flow.get('id')}({flow.get('version')})")
        return {
            "links": [{"rel": "dataflow", "urn": urn}, {"rel": "datastructure", "urn": st.urn}],
            **self.names(labels.pick(labels.dataflow_name) or labels.pick(flow.get("names")),
                         labels.dataflow_name or flow.get("names"), flow.get("id", "")),
            "dimensions": {
                "dataSet": [],
                "series": [dimension(d, v) for d, v in zip(m.series_dimensions, self.series_values)],
                "observation": [dimension(d, v) for d, v in zip(m.obs_dimensions, self.obs_values)],
            },
            "attributes": {level: attributes(self.levels[level]) for level in ("dataSet", "series", "observation")},
            **self.measures(),
        }

    def attribute_values(self, values: list[dict]) -> dict:
        return {"values": values}

    def measures(self) -> dict:
        return {}

    def structure_member(self) -> str:
        return '"structure":' + _dumps(self.structure())


def _period_bounds(value: str) -> dict:
    """start and (inclusive) end of a time period, as the field guide's time values carry them."""
    try:
        period = parse_period(value)
    except ValueError:
        return {}
    end = period.end - timedelta(milliseconds=1)
    return {"start": period.start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%S.") + f"{end.microsecond // 1000:03d}Z"}


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """SDMX-JSON 1.0 text chunks of 16 KB or more (the last may be shorter), made as the caller iterates."""
    return JsonDataWriter(message).chunks()
