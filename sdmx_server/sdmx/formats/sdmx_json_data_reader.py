"""SDMX-JSON data messages (1.0 and 2.0) into data events, streamed: memory does not grow with the message.

The message carries its own structure block: series and observation keys are positional
indices ("0:1:0") into the value lists of ``structure.dimensions`` (1.0) or
``data.structures[n].dimensions`` (2.0), and attribute values are indices into the attributes'
value lists (or, for a component with no value list, the value itself). Time series, cross
sections and the flat ``observations`` of dimensionAtObservation=AllDimensions are all read;
the observation array is the measure value(s), then the observation-level attribute indices
(trailing annotation indices are ignored); ``null`` is "no value". In a Delete data set, an
observation with no value deletes the observation, and a series with neither observations nor
attributes deletes the whole series (an Observation without the time dimension, as SDMX-CSV's).
Attributes the DSD attaches above the observation but the message writes on observations are
lifted into one KeyAttributes per attachment, sent again only when the attachment's values change.

Streaming. The body is parsed once with ijson (yajl), token by token: memory holds the
structure section (value lists: as large as the structure, not the data), one observation,
one series' attribute indices and a few lookup tables. Numbers stay the strings they were
written as (``40.3000`` stays ``40.3000``; ijson gives Decimals, not floats).

Order. JSON members are unordered (the SDMX-JSON field guide says so), but decoding needs the
structure section before the data sets and, in each data set, its ``action`` (and its
``structure`` index, when the message has several structures) before its series or
observations. That is the order producers write (header/meta, structure, dataSets; action
first), and then each event comes out as soon as its bytes have been read. Otherwise:

* data sets before the structure section (as in ``{"data": {"dataSets": [...], "structures":
  [...]}}``): every data set is buffered as raw records (keys and index arrays as written, not
  decoded) to a temporary file, not to memory; once the structure has been read at the end of
  the message, a second pass over that file decodes them;
* a data set whose ``action`` (or ``structure``) comes after its data, or that has none (the
  action then defaults to Information, which is only known at the data set's end): that data
  set's records are buffered the same way until its end, then replayed after its DataSetStart.
  ``links`` and validFrom-like fields that arrive after a data set's data has been streamed do
  not reach its DataSetStart.

Places (``where``) are JSON paths: ``dataSets[0].series['0:1'].observations['3']``; a syntax
error is reported with its line and column.
"""

from __future__ import annotations

import codecs
import json
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, BinaryIO

import ijson

from ..data_structure import DataStructureInfo
from ..errors import BadInput
from .input_limits import MAX_TOKEN, token_too_long
from .data_events import ACTIONS, DataEvent, DataSetStart, KeyAttributes, Observation

_ACTION = {a.lower(): a for a in ACTIONS}
_EXTRA = ("validFrom", "validTo", "reportingBegin", "reportingEnd", "publicationYear", "publicationPeriod")
_HEADER = frozenset(("action", "structure", "links") + _EXTRA)
_DATA = frozenset(("attributes", "dimensionGroupAttributes", "series", "observations"))
_OPEN = frozenset(("start_map", "start_array"))
_CLOSE = frozenset(("end_map", "end_array"))
_SPILL_BATCH = 2000


def read_data(stream: BinaryIO, structure: DataStructureInfo, *, max_token: int = MAX_TOKEN) -> Iterator[DataEvent]:
    """Yield a DataSetStart per data set, KeyAttributes for data set/series/group, Observations.
    ``max_token``: the most bytes between two double quotes (so the longest string, number or whitespace run)."""
    source = _Source(stream, max_token)
    reader = _Reader(source, structure)
    try:
        yield from reader.run()
    except ijson.JSONError as exc:
        message, line, column = source.locate(exc)
        raise BadInput(f"not JSON: {message}", line=line, column=column) from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"not UTF-8 JSON: {exc}") from None
    finally:
        reader.close()


# -- values ------------------------------------------------------------------------------------------

def _value(v):
    """A value-list entry or a raw value as the string the message means; SDMX-JSON 2.0's several values
    (``{"values": [...]}``) and multilingual value (``{"value": {"en": ...}}``) as a complex attribute value."""
    if isinstance(v, dict):
        if isinstance(v.get("values"), list):
            return [x if isinstance(x, dict) else _value(x) for x in v["values"]]
        v = v.get("id", v.get("value", v.get("name")))
        if isinstance(v, dict):
            return [v]
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return repr(v)
    return str(v)


class _Component:
    """One dimension or attribute of the message's structure: its id and decoded value list."""

    __slots__ = ("id", "lookup", "values")

    def __init__(self, comp, where: str):
        if not isinstance(comp, dict) or not isinstance(comp.get("id"), str):
            raise BadInput(f"{where}: a component of the structure has no id")
        self.id: str = comp["id"]
        raw = comp.get("values") or []
        if not isinstance(raw, list):
            raise BadInput(f"{where}: the values of {self.id} are not a list")
        self.values = [_value(v) for v in raw]
        # key position text -> value: the fast path of key decoding, as large as the value list
        self.lookup = {str(i): v for i, v in enumerate(self.values) if v is not None}

    def pick(self, idx, where: str) -> str | None:
        vals = self.values
        if isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < len(vals):
            return vals[idx]
        if not vals:
            return _value(idx)  # non-coded value given inline
        raise BadInput(f"{where}: index {idx!r} is out of range for {self.id}")


def _pick(comps: list[_Component], indices, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if not isinstance(indices, list):
        indices = [indices]
    for comp, idx in zip(comps, indices):
        if idx is None:
            continue
        vals = comp.values
        v = vals[idx] if type(idx) is int and 0 <= idx < len(vals) else comp.pick(idx, where)
        if v is not None:
            out[comp.id] = v
    return out


def _key(dims: list[_Component], key: str, where: str) -> dict[str, str]:
    parts = key.split(":") if key else []
    if len(parts) != len(dims):
        raise BadInput(f"{where}: key {key!r} has {len(parts)} positions, the structure has {len(dims)}")
    out: dict[str, str] = {}
    for comp, part in zip(dims, parts):
        v = comp.lookup.get(part)
        if v is None:  # not a plain in-range index: the slow path says why (or finds an inline value)
            try:
                idx = int(part)
            except ValueError:
                raise BadInput(f"{where}: key {key!r} is not made of indices") from None
            v = comp.pick(idx, where)
            if v is None:
                continue
        out[comp.id] = v
    return out


class _Structure:
    """The part of one structure block that decoding needs."""

    def __init__(self, st, where: str):
        if not isinstance(st, dict):
            raise BadInput(f"{where} is not an object")
        dims, attrs = st.get("dimensions") or {}, st.get("attributes") or {}
        if not isinstance(dims, dict) or not isinstance(attrs, dict):
            raise BadInput(f"{where}: dimensions and attributes are objects")

        def comps(group: dict, level: str, kind: str) -> list[_Component]:
            return [_Component(c, f"{where}.{kind}.{level}") for c in (group.get(level) or [])]

        self.ds_dims = comps(dims, "dataSet", "dimensions")
        self.series_dims = comps(dims, "series", "dimensions")
        self.obs_dims = comps(dims, "observation", "dimensions")
        self.ds_attrs = comps(attrs, "dataSet", "attributes")
        self.series_attrs = comps(attrs, "series", "attributes")
        self.obs_attrs = comps(attrs, "observation", "attributes")
        self.group_attrs = comps(attrs, "dimensionGroup", "attributes")
        self.measures = [m["id"] for m in ((st.get("measures") or {}).get("observation") or [])
                         if isinstance(m, dict) and "id" in m]
        self.links = [link for link in (st.get("links") or []) if isinstance(link, dict)]


def _structure_ref(links: list[dict]) -> tuple[str | None, str | None]:
    """The dataflow (else DSD, else provision agreement) URN from the links, as the message gives it."""
    for rel, kind in (("dataflow", "dataflow"), ("datastructure", "datastructure"),
                      ("provisionagreement", "provisionagreement")):
        for link in links:
            if isinstance(link, dict) and link.get("rel") == rel and (link.get("urn") or link.get("href")):
                return link.get("urn") or link.get("href"), kind
    return None, None


# -- decoding one data set ------------------------------------------------------------------------------

class _DataSet:
    """Turns a data set's raw records into events, given its structure block and the DSD."""

    def __init__(self, n: int, header: dict, structures: list[_Structure], dsd: DataStructureInfo):
        self.where = where = f"dataSets[{n}]"
        idx = header.get("structure", 0)
        if not isinstance(idx, int) or isinstance(idx, bool):
            idx = 0
        if not 0 <= idx < len(structures):
            raise BadInput(f"{where}.structure: there is no structure {idx} in the message")
        self.structure_index = idx
        self.st = st = structures[idx]
        measure_ids = [m.id for m in dsd.measures] or ["OBS_VALUE"]
        self.measures = st.measures or measure_ids[:1]
        self.nm = len(self.measures)
        # attributes the DSD attaches above the observation, though the message may put them on it
        self.above = {a.id: a for a in dsd.attributes if a.attachment in ("series", "group", "dataset")}
        self.fixed = {d.id: d.values[0] for d in st.ds_dims if d.values and d.values[0] is not None}
        self.flat_dims = st.series_dims + st.obs_dims
        action = _ACTION.get(str(header.get("action", "Information")).lower())
        if action is None:
            raise BadInput(f"{where}.action: {header.get('action')!r} is not one of {', '.join(ACTIONS)}")
        links = header.get("links")
        ref = _structure_ref((links if isinstance(links, list) else []) + st.links)
        n_obs = len(st.obs_dims)
        self.start = DataSetStart(
            action=action, structure=ref[0], structure_kind=ref[1],
            dimension_at_observation=(st.obs_dims[0].id if n_obs == 1 else "AllDimensions" if n_obs > 1 else None),
            where=where, extra={k: str(header[k]) for k in _EXTRA if k in header})
        self.series_key: dict[str, str] = {}
        self.series_where = where
        self.last: dict[str, tuple] = {}  # de-duplication of lifted attributes, per series / flat block
        self.series_empty = False
        self.dims = set(dsd.dimension_ids)  # a whole-series Delete needs them all (the time dimension aside)

    def decode(self, rec: tuple) -> list[DataEvent]:
        """The events of one raw record (most records make one event or none)."""
        kind = rec[0]
        if kind == "O":
            self.series_empty = False
            return self._observation(self.series_key, self.st.obs_dims, rec[1], rec[2], self.series_where)
        if kind == "F":
            return self._observation(self.fixed, self.flat_dims, rec[1], rec[2], self.where)
        if kind == "S":
            swhere = self.series_where = f"{self.where}.series[{rec[1]!r}]"
            self.series_key = {**self.fixed, **_key(self.st.series_dims, rec[1], swhere)}
            self.last = {}
            self.series_empty = True
        elif kind == "SE":
            # a Delete naming a series with nothing in it (no observation, no attribute) deletes the series
            if self.series_empty and self.start.action == "Delete" and self.dims <= self.series_key.keys():
                return [Observation(dict(self.series_key), {}, {}, self.series_where)]
        elif kind == "SA":
            sa = _pick(self.st.series_attrs, rec[1] or [], self.series_where)
            if sa:
                self.series_empty = False
                return [KeyAttributes(dict(self.series_key), sa, "series", self.series_where)]
        elif kind == "F0":
            self.last = {}
        elif kind == "A":
            ds_attrs = _pick(self.st.ds_attrs, rec[1] or [], f"{self.where}.attributes")
            if ds_attrs:
                return [KeyAttributes({}, ds_attrs, "dataset", f"{self.where}.attributes")]
        elif kind == "G":
            return self._group(rec[1], rec[2])
        return []

    def _group(self, gkey: str, gidx) -> list[DataEvent]:
        # 2.0: key positions are series (then observation) dimensions, "~" or "" where the group does not bind
        gwhere = f"{self.where}.dimensionGroupAttributes[{gkey!r}]"
        key: dict[str, str] = {}
        for comp, part in zip(self.flat_dims, gkey.split(":")):
            if part in ("", "~"):
                continue
            try:
                v = comp.pick(int(part), gwhere)
            except ValueError:
                raise BadInput(f"{gwhere}: key {gkey!r} is not made of indices") from None
            if v is not None:
                key[comp.id] = v
        ga = _pick(self.st.group_attrs, gidx if gidx is not None else [], gwhere)
        return [KeyAttributes(key, ga, "group", gwhere)] if ga else []

    def _observation(self, base: dict, dims: list[_Component], okey: str, arr, where: str) -> list[DataEvent]:
        owhere = f"{where}.observations[{okey!r}]"
        if len(dims) == 1 and okey in dims[0].lookup:  # time series and cross sections: one position
            key = base.copy()
            key[dims[0].id] = dims[0].lookup[okey]
        else:
            key = {**base, **_key(dims, okey, owhere)}
        if type(arr) is not list:
            arr = [arr]
        nm = self.nm
        vals = {}
        for m, x in zip(self.measures, arr[:nm] if len(arr) > nm else arr):
            v = str(x) if type(x) is int or type(x) is Decimal else _value(x)
            if v is not None:
                vals[m] = v
        attrs = _pick(self.st.obs_attrs, arr[nm:], owhere) if len(arr) > nm else {}
        obs = Observation(key, vals, attrs, owhere)
        above = self.above
        if not (above and attrs):
            return [obs]
        # attributes the DSD attaches above the observation are lifted to their attachment: one
        # KeyAttributes per attachment holding all of them (a replacing submission sets them together),
        # sent again only when the attachment's key or values change
        lifted: dict[tuple, dict[str, str]] = {}
        for a in [a for a in attrs if a in above]:
            comp = above[a]
            names = comp.attached_to if comp.attachment != "dataset" else ()
            lifted.setdefault((comp.attachment, names), {})[a] = attrs.pop(a)
        events: list[DataEvent] = []
        for (attachment, names), values in lifted.items():
            akey = {d: key[d] for d in names if d in key}
            marker = (tuple(akey.items()), tuple(values.items()))
            if self.last.get((attachment, names)) != marker:
                self.last[(attachment, names)] = marker
                events.append(KeyAttributes(akey, values, attachment, owhere))
        events.append(obs)
        return events


# -- buffering to disk ------------------------------------------------------------------------------------

class _Spill:
    """Raw records on a temporary file (pickled in batches), read back once in order."""

    def __init__(self):
        self.file = tempfile.TemporaryFile(prefix="sdmx-json-")
        self.batch: list[tuple] = []

    def write(self, rec: tuple) -> None:
        self.batch.append(rec)
        if len(self.batch) >= _SPILL_BATCH:
            pickle.dump(self.batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []

    def replay(self) -> Iterator[tuple]:
        if self.batch:
            pickle.dump(self.batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []
        self.file.seek(0)
        while True:
            try:
                batch = pickle.load(self.file)
            except EOFError:
                return
            yield from batch

    def close(self) -> None:
        self.file.close()


# -- the token walk ------------------------------------------------------------------------------------------

def _build(nxt: Callable, ev: str, val):
    """The whole value that starts with token (ev, val)."""
    if ev == "start_map":
        obj = {}
        while True:
            ev, key = nxt()
            if ev == "end_map":
                return obj
            ev, val = nxt()
            obj[key] = _build(nxt, ev, val) if ev in _OPEN else val
    if ev == "start_array":
        arr = []
        append = arr.append
        while True:
            ev, val = nxt()
            if ev == "end_array":
                return arr
            append(_build(nxt, ev, val) if ev in _OPEN else val)
    return val


def _object_members(nxt: Callable) -> Iterator[tuple[str, str, Any]]:
    """(key, event, value) of each member of the object being read, until its end; the caller reads
    (or skips) each member's value before asking for the next."""
    while True:
        ev, key = nxt()
        if ev == "end_map":
            return
        ev, val = nxt()
        yield key, ev, val


def _skip(nxt: Callable, ev: str) -> None:
    if ev not in _OPEN:
        return
    depth = 1
    while depth:
        ev, _ = nxt()
        if ev in _OPEN:
            depth += 1
        elif ev in _CLOSE:
            depth -= 1


class _Reader:
    def __init__(self, source: _Source, dsd: DataStructureInfo):
        self.source = source
        self.dsd = dsd
        self.structures: list[_Structure] | None = None
        self.structures_from_list = False
        self.data_sets_seen = False
        self.pending: _Spill | None = None  # data sets read before the structure section
        self.pending_headers: dict[int, dict] = {}
        self.spills: list[_Spill] = []
        self.n = 0

    def close(self) -> None:
        for spill in self.spills:
            spill.close()

    def run(self) -> Iterator[DataEvent]:
        tokens = ijson.basic_parse(self.source, use_float=False)
        self.nxt = nxt = tokens.__next__
        try:
            ev, _ = nxt()
        except StopIteration:
            raise BadInput("not JSON: the body is empty") from None
        if ev != "start_map":
            raise BadInput("an SDMX-JSON data message is a JSON object")
        yield from self._members(top=True)
        for _ in tokens:  # makes ijson read to the end: trailing garbage is an error
            pass
        if self.structures is None or not self.data_sets_seen:
            raise BadInput("an SDMX-JSON data message needs dataSets and a structure (structure or data.structures)")
        if self.pending is not None:  # second pass over what was buffered before the structure came
            data_set = None
            for rec in self.pending.replay():
                if rec[0] == "DS":
                    data_set = _DataSet(rec[1], self.pending_headers[rec[1]], self.structures, self.dsd)
                    yield data_set.start
                else:
                    yield from data_set.decode(rec)

    def _members(self, top: bool) -> Iterator[DataEvent]:
        nxt = self.nxt
        for key, ev, val in _object_members(nxt):
            if key == "data" and top and ev == "start_map":
                yield from self._members(top=False)
            elif key == "structures" and ev == "start_array":
                blocks = _build(nxt, ev, val)
                if blocks:
                    self._set_structures(blocks, "data.structures", from_list=True)
            elif key == "structure" and ev == "start_map":
                block = _build(nxt, ev, val)
                if not self.structures_from_list:
                    self._set_structures([block], "structure", from_list=False)
            elif key == "dataSets" and ev == "start_array":
                self.data_sets_seen = True
                yield from self._data_sets()
            else:
                _skip(nxt, ev)

    def _set_structures(self, blocks: list, where: str, from_list: bool) -> None:
        self.structures = [_Structure(b, f"{where}[{i}]" if from_list else where) for i, b in enumerate(blocks)]
        self.structures_from_list = from_list

    def _data_sets(self) -> Iterator[DataEvent]:
        nxt = self.nxt
        while True:
            ev, _ = nxt()
            if ev == "end_array":
                return
            if ev != "start_map":
                raise BadInput(f"dataSets[{self.n}] is not an object")
            yield from self._data_set(self.n)
            self.n += 1

    def _data_set(self, n: int) -> Iterator[DataEvent]:
        nxt = self.nxt
        where = f"dataSets[{n}]"
        header: dict = {}
        data_set: _DataSet | None = None
        spill: _Spill | None = None
        if self.structures is None:  # the structure comes later, if at all: buffer the whole data set
            if self.pending is None:
                self.pending = _Spill()
                self.spills.append(self.pending)
            spill = self.pending
            spill.write(("DS", n))
        for key, ev, val in _object_members(nxt):
            if key in _DATA:
                if data_set is None and spill is None and "action" in header and (
                        "structure" in header or len(self.structures) <= 1):
                    data_set = _DataSet(n, header, self.structures, self.dsd)
                    yield data_set.start
                records = self._records(key, ev, val, where)
                if data_set is not None:
                    decode = data_set.decode
                    for rec in records:
                        yield from decode(rec)
                else:
                    if spill is None:
                        spill = _Spill()
                        self.spills.append(spill)
                    for rec in records:
                        spill.write(rec)
            elif key in _HEADER and data_set is None:
                header[key] = _build(nxt, ev, val)
            elif key == "structure":  # after data already decoded with structure 0: it had better say 0
                late = _build(nxt, ev, val)
                if late != data_set.structure_index:
                    raise BadInput(f"{where}.structure: structure {late!r} comes after its data, which was read "
                                   f"with structure {data_set.structure_index}; put it before series/observations")
            else:
                _skip(nxt, ev)
        if spill is not None and spill is self.pending:
            self.pending_headers[n] = header
        elif data_set is None:
            data_set = _DataSet(n, header, self.structures, self.dsd)
            yield data_set.start
            if spill is not None:
                for rec in spill.replay():
                    yield from data_set.decode(rec)
                spill.close()
                self.spills.remove(spill)

    def _records(self, member: str, ev: str, val, where: str) -> Iterator[tuple]:
        """A data member's content as raw records: keys and index arrays as written."""
        nxt = self.nxt
        if member == "attributes":
            yield ("A", _build(nxt, ev, val))
            return
        if ev != "start_map":
            if ev in _OPEN or val is not None:
                raise BadInput(f"{where}.{member} is not an object")
            return
        if member == "observations":
            yield ("F0",)
        for key, ev, val in _object_members(nxt):
            if member == "observations":
                yield ("F", key, _build(nxt, ev, val) if ev in _OPEN else val)
            elif member == "dimensionGroupAttributes":
                yield ("G", key, _build(nxt, ev, val) if ev in _OPEN else val)
            else:  # series
                yield ("S", key)
                if ev == "start_map":
                    yield from self._series(f"{where}.series[{key!r}]")
                elif ev in _OPEN or val is not None:
                    raise BadInput(f"{where}.series[{key!r}] is not an object")
                yield ("SE",)

    def _series(self, where: str) -> Iterator[tuple]:
        nxt = self.nxt
        for key, ev, val in _object_members(nxt):
            if key == "observations" and ev == "start_map":
                for okey, oev, oval in _object_members(nxt):
                    yield ("O", okey, _build(nxt, oev, oval) if oev in _OPEN else oval)
            elif key == "attributes":
                yield ("SA", _build(nxt, ev, val))
            elif key == "observations" and (ev in _OPEN or val is not None):
                raise BadInput(f"{where}.observations is not an object")
            else:
                _skip(nxt, ev)


# -- the byte source: encoding, and where a syntax error is -----------------------------------------------------

class _Source:
    """The body as UTF-8 bytes for ijson, counting lines so that a syntax error can be placed.

    A UTF-8 byte order mark is dropped; UTF-16 and UTF-32 bodies (which json.load accepted) are
    re-encoded to UTF-8 on the fly.
    """

    def __init__(self, raw: BinaryIO, max_token: int = MAX_TOKEN):
        self.raw = raw
        self.max_token = max_token
        self.unquoted = 0  # bytes since the last double quote
        self.decoder = None
        self.started = False
        self.pos = 0  # bytes before the current chunk
        self.lines = 0  # newlines before the current chunk
        self.line_start = 0  # offset of the first byte of the line the current chunk starts in
        self.chunk = b""

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        c = self.chunk
        if c:
            nl = c.count(b"\n")
            if nl:
                self.lines += nl
                self.line_start = self.pos + c.rindex(b"\n") + 1
            self.pos += len(c)
        data = self._next(n)
        self.chunk = data
        self._bound(data)
        return data

    def _bound(self, data: bytes) -> None:
        """Refuse a stretch of more than ``max_token`` bytes without a double quote: yajl holds a string or
        number whole, and whitespace costs time for nothing. A string's escaped quotes do not count; SDMX-JSON
        has a quoted key or value every few bytes. Exact to within one read."""
        if b'\\"' in data:
            data = data.replace(b'\\"', b"__")
        first = data.find(b'"')
        if first < 0:
            self.unquoted += len(data)
        elif self.unquoted + first <= self.max_token:
            self.unquoted = len(data) - data.rfind(b'"') - 1
        else:
            self.unquoted += first
        if self.unquoted > self.max_token:
            raise token_too_long("a string, number or run of whitespace", self.max_token,
                                 line=self.lines + 1)

    def _next(self, n: int) -> bytes:
        if not self.started:
            self.started = True
            head = self.raw.read(n if n > 0 else 65536)
            while 0 < len(head) < 4:
                more = self.raw.read(4 - len(head))
                if not more:
                    break
                head += more
            encoding = json.detect_encoding(head) if head else "utf-8"
            if encoding == "utf-8-sig":
                return head[3:]
            if encoding != "utf-8":
                self.decoder = codecs.getincrementaldecoder(encoding)()
                return self._transcode(head, final=False)
            return head
        data = self.raw.read(n)
        if self.decoder is not None:
            return self._transcode(data, final=not data)
        return data

    def _transcode(self, data: bytes, final: bool) -> bytes:
        text = self.decoder.decode(data, final)
        if text.startswith("\ufeff") and self.pos == 0 and not self.chunk:
            text = text[1:]
        return text.encode("utf-8")

    def locate(self, exc: Exception) -> tuple[str, int | None, int | None]:
        """The parser's message and the (line, column) of the byte it stopped at, when found."""
        arg = exc.args[0] if exc.args else ""
        raw = arg if isinstance(arg, bytes) else str(arg).encode("utf-8", "replace")
        lines = raw.split(b"\n")
        message = lines[0].decode("utf-8", "replace").strip() or type(exc).__name__
        offset = None
        if b"premature EOF" in lines[0] and self.pos + len(self.chunk) == 0:
            return "the body is empty", None, None
        if b"premature EOF" in lines[0]:
            offset = self.pos + len(self.chunk)
        elif len(lines) > 2 and b"(right here)" in lines[2]:
            found = _yajl_offset(self.chunk, lines[1])
            if found is not None:
                offset = self.pos + max(found - 1, 0)
        else:
            m = re.search(rb" at (\d+)$", lines[0])  # ijson's pure-Python backend: an absolute position
            if m and int(m.group(1)) >= self.pos:
                offset = int(m.group(1))
                message = message.rsplit(" at ", 1)[0]
        if offset is None and b"\x00" in self.chunk:  # yajl's context is a C string: a NUL cuts it short
            offset = self.pos + self.chunk.index(b"\x00")
        if offset is None:  # at least the line the parser's last read began in
            return message, self.lines + 1, None
        seg = self.chunk[:max(offset - self.pos, 0)]
        nl = seg.count(b"\n")
        line_start = self.pos + seg.rindex(b"\n") + 1 if nl else self.line_start
        column = offset - line_start + 1  # bytes; characters when the line's start is still at hand
        if line_start >= self.pos:
            column = len(self.chunk[line_start - self.pos:offset - self.pos].decode("utf-8", "replace")) + 1
        return message, self.lines + nl + 1, column


def _yajl_offset(chunk: bytes, shown: bytes) -> int | None:
    """Where in ``chunk`` yajl stopped, from the context line of its verbose error message.

    yajl prints up to 30 bytes before the point it stopped at and some after (newlines shown as
    spaces), padded with spaces so that the point falls in column 41; the first offset whose
    surroundings print the same is taken.
    """
    flat = chunk.replace(b"\n", b" ").replace(b"\r", b" ")
    if len(shown) < 40:
        return None
    for o in range(min(30, len(flat) + 1)):  # near the chunk's start: fewer than 30 bytes before
        pad = 40 - o
        if shown[:pad].strip(b" ") == b"" and flat.startswith(shown[pad:]):
            return o
    if shown[:10].strip(b" "):
        return None
    at = flat.find(shown[10:])
    return at + 30 if at >= 0 else None
