"""Streaming SDMX-ML 2.1 data messages (generic and structure-specific, any dimensionAtObservation) into events.

The standard library's expat, a push parser, is fed the stream a few KB at a time; its handlers turn
elements into events as they start (or, for generic data, as they end) and the generator hands each
slice's events on before feeding more, so memory holds one series' state and one slice's events at
most, whatever the message size. expat rather than lxml iterparse because nothing is built that
has to be cleared again: yielding every event of a million-observation message takes about a third
less CPU (structure-specific) to 40% less (generic), and this reader sits on every ingest.

Inside a data set, handlers are closures over a small stack of what each open element is, and an
observation in a series is recognised by comparing a few attribute names (see _specific_handlers).
Locations are "line L, column C" of the element's start tag, columns counted from 1.

The two SDMX-ML versions share this machinery: 3.0 structure-specific data is 2.1's with other
namespaces and actions, and no generic format (sdmx_ml_3_0_data_reader calls ``read_versioned``).
The reader checks the message's shape only; codes are validation's business.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from xml.parsers import expat

from ..data_structure import DataStructureInfo
from ..errors import BadInput, SemanticError
from ..xml_safety import check_no_doctype
from .data_events import DataEvent, DataSetStart, KeyAttributes, Observation, ObservationRows, RowLayout
from .input_limits import MAX_TOKEN, token_too_long

_MES = {"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message": "2.1",
        "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message": "3.0",
        "http://www.sdmx.org/resources/sdmxml/schemas/v3_1/message": "3.0"}
_ROOTS = {"GenericData", "GenericTimeSeriesData", "StructureSpecificData", "StructureSpecificTimeSeriesData"}
_ACTIONS = {"append": "Append", "replace": "Replace", "delete": "Delete", "information": "Information",
            "merge": "Merge"}
_DATASET_FIELDS = ("action", "structureRef", "dataScope", "setID", "reportingBeginDate", "reportingEndDate",
                   "validFromDate", "validToDate", "publicationYear", "publicationPeriod", "dataProviderID")
_DTD = "DTDs and entity declarations are not accepted in SDMX messages"

_SEP = " "  # expat's namespace separator: "uri local"; neither XML names nor URIs hold a space
XSI_TYPE = f"http://www.w3.org/2001/XMLSchema-instance{_SEP}type"
XML_LANG = f"http://www.w3.org/XML/1998/namespace{_SEP}lang"

_READ = 1 << 16  # bytes read from the stream at a time
_BATCH_ROWS = 1000  # most rows in one ObservationRows: a batch grows while its series goes on
_FEED = 1 << 12  # bytes parsed before the events so far are handed on. Few enough (some 60
# observations) that they die before the cyclic GC's first generation fills: with 64 KB slices the
# GC promotes and walks them again: about 0.3 s more CPU per million observations (measured)

# What an open element is, on a data set's element stack. Value containers (generic) come last.
_IGNORED, _DATASET, _SERIES, _OBS, _GROUP = 0, 1, 2, 3, 4
_IN_SERIES, _IN_OBS = 1, 2  # the structure-specific fast path's modes
_VALUES = _SERIES_KEY = 10
_SERIES_ATTRS, _OBS_KEY, _OBS_ATTRS, _GROUP_KEY, _GROUP_ATTRS, _DATASET_ATTRS = 11, 12, 13, 14, 15, 16

# generic elements by local name; anything else is _C_OTHER
_C_OTHER, _C_VALUE, _C_OBS, _C_OBS_DIMENSION, _C_OBS_VALUE, _C_ATTRIBUTES, _C_OBS_KEY = 0, 1, 2, 3, 4, 5, 6
_C_SERIES, _C_SERIES_KEY, _C_GROUP, _C_GROUP_KEY, _C_DATA_PROVIDER = 7, 8, 9, 10, 11
_CODES = {"Value": _C_VALUE, "Obs": _C_OBS, "ObsDimension": _C_OBS_DIMENSION, "ObsValue": _C_OBS_VALUE,
          "Attributes": _C_ATTRIBUTES, "ObsKey": _C_OBS_KEY, "Series": _C_SERIES, "SeriesKey": _C_SERIES_KEY,
          "Group": _C_GROUP, "GroupKey": _C_GROUP_KEY, "DataProvider": _C_DATA_PROVIDER}

Start = Callable[[str, Any], None]  # attributes as a dict, or in data sets a [name, value, ...] list
End = Callable[[str], None]


def read_data(stream: BinaryIO, structure: DataStructureInfo, *, rows: bool = False,
              max_token: int = MAX_TOKEN) -> Iterator[DataEvent]:
    """Events of an SDMX-ML 2.1 data message (GenericData, StructureSpecificData and their TimeSeries forms).

    ``rows``: plain observations of structure-specific series come as ObservationRows (see _specific_handlers),
    which ingest validates and stages without an Observation each; otherwise every observation is one.
    ``max_token``: the longest start tag, text or comment, and the longest run of bare whitespace, in bytes."""
    return read_versioned(stream, structure, ("2.1",), rows=rows, max_token=max_token)


def read_versioned(stream: BinaryIO, structure: DataStructureInfo, versions: tuple[str, ...], *,
                   rows: bool = False, max_token: int = MAX_TOKEN) -> Iterator[DataEvent]:
    """The shared loop: refuse DTDs, then stream; ``versions`` are the SDMX-ML versions the caller accepts.

    Nothing happens until the first event is asked for, as before; returning the reader's own generator
    rather than delegating to it spares every event a generator hop."""
    return _Reader(structure, versions, rows).run(stream, max_token)


class _Prefixed:
    """A read()-only stream: ``head`` first, then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = (self.head, b"") if n < 0 or n >= len(self.head) else (self.head[:n], self.head[n:])
            return out
        return self.stream.read(n)


class _LocalNames(dict):
    """Expat's "uri local" name -> local name, worked out once per distinct name and interned."""

    def __missing__(self, name: str) -> str:
        local = self[name] = sys.intern(name.rpartition(_SEP)[2])
        return local


class _Columns(dict):
    """expat's 0-based column -> ", column C" (1-based, as editors count): formatting one int per
    observation instead of two is measurable over a million. Columns past 1024 are not kept, so
    a message on one long line does not grow this."""

    def __missing__(self, column: int) -> str:
        text = f", column {column + 1}"
        if column < 1024:
            self[column] = text
        return text


class _Node:
    """A header element: the header is small, so it is kept whole and read like a tree."""

    __slots__ = ("local", "attrs", "text", "children")

    def __init__(self, local: str, attrs: dict[str, str]):
        self.local, self.attrs = local, attrs
        self.text = ""  # before the first child, as lxml's .text
        self.children: list[_Node] = []

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self) -> Iterator[_Node]:
        yield self
        for child in self.children:
            yield from child.iter()


class _Reader:
    """One message's parse: the expat parser, what the header said, and the events of the current slice."""

    def __init__(self, structure: DataStructureInfo, versions: tuple[str, ...] = ("2.1",), rows: bool = False):
        self.s = structure
        self.versions = versions
        self.rows = rows  # plain series observations as ObservationRows
        self.dim_ids = structure.dimension_ids
        self.rows_fit = False  # whether this data set's observations may be rows (see _row_layouts)
        self.structures: dict[str, tuple[str, str]] = {}  # header structureID -> (reference, kind)
        self.dims = set(structure.dimension_ids)
        self.time = structure.time_dimension or "TIME_PERIOD"
        self.key_ids = set(structure.key_ids)
        self.measures = {m.id for m in structure.measures} or {"OBS_VALUE"}
        self.primary = structure.measures[0].id if structure.measures else "OBS_VALUE"
        self.obs_dim = self.time
        self.series_dims: set[str] = set(self.dims)
        self.kinds: dict[str, int] = {}  # observation XML attribute -> 0 key, 1 measure, 2 attribute, -1 skip
        self.n_keys = len(self.key_ids)
        self.version = "2.1"
        self.generic = False
        self.header: dict[str, str] = {}
        self.names = _LocalNames()
        self.columns = _Columns()
        self.codes: dict[str, int] = {}  # generic element's expat name -> _C_ code
        self.series_key: dict[str, str] = {}  # the structure-specific series being read
        self.series_cells: list[str] | None = None  # its dimension values in DSD order, when rows may carry it
        self.obs_names = {"Obs"}  # structure-specific <Obs> as written: unqualified, or in the DSD's namespace
        self.series_event: KeyAttributes | None = None  # the open series' own attributes, if it has any
        # whether the last event may still grow (an <Obs> or <Series> whose <Comp>s are yet to come):
        # asked once per slice, so that event is held back until the next one
        self.holding: Callable[[], bool] = _never
        self.out: list[DataEvent] = []  # events of the slice being parsed
        self.handlers: list[tuple[Start | None, End | None]] = []  # enclosing states' handlers
        self.parser = self._parser()
        self.max_token = MAX_TOKEN

    # -- the document --------------------------------------------------------------------------
    def _parser(self) -> Any:
        p = expat.ParserCreate(namespace_separator=_SEP)
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._refuse_dtd  # check_no_doctype saw the head only
        p.EntityDeclHandler = self._refuse_dtd
        p.StartElementHandler = self._root
        return p

    def run(self, stream: BinaryIO, max_token: int = MAX_TOKEN) -> Iterator[DataEvent]:
        """Refuse a DTD in the head, then feed the parser slice by slice, handing each slice's events on
        before parsing more. After each read, refuse a token (expat holds an unfinished one whole: a start
        tag with its attributes, a comment) or a run of whitespace (expat reports each line of it, one call
        each) longer than ``max_token``: a bomb stops there, in a few MB."""
        if hasattr(stream, "peek"):
            check_no_doctype(stream.peek(4096)[:4096])
        else:  # no peek (BytesIO, sockets): read the head and put it back in front
            head = stream.read(4096)
            check_no_doctype(head)
            stream = _Prefixed(head, stream)
        out = self.out
        parser = self.parser
        self.max_token = max_token
        fed = blank = 0
        while chunk := stream.read(_READ):
            start = fed
            fed += len(chunk)
            blank = blank + len(chunk) if chunk.isspace() else 0
            if blank > max_token:
                raise token_too_long("a run of whitespace", max_token, line=parser.CurrentLineNumber)
            view = memoryview(chunk)
            i, n = 0, len(view)
            while i < n:
                # while one token is unfinished (a long start tag), expat scans it again on every call: feed the
                # rest of the chunk at once, else bounding it at max_token costs max_token / _FEED scans of it
                end = i + _FEED if start + i - parser.CurrentByteIndex < _FEED else n
                self._parse(view[i:end], False)
                i = end
                if out:
                    if self.holding():  # the last event may get <Comp> values yet: keep it
                        last = out.pop()
                        yield from out
                        out.clear()
                        out.append(last)
                    else:
                        yield from out
                        out.clear()
            if fed - parser.CurrentByteIndex > max_token:
                raise token_too_long("a start tag, text or comment", max_token, line=parser.CurrentLineNumber,
                                     column=parser.CurrentColumnNumber + 1)
        self._parse(b"", True)
        yield from out
        out.clear()

    def _parse(self, data: memoryview | bytes, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as e:
            msg = expat.ErrorString(e.code)
            if "entity" in msg:
                msg = f"DTDs and entity declarations are not accepted ({msg})"
            raise BadInput(f"the data message is not well-formed XML: {msg}", line=e.lineno,
                           column=e.offset + 1) from None

    def _refuse_dtd(self, *_: object) -> None:
        raise self._error(_DTD)

    def _where(self) -> str:
        """Where the element being started begins."""
        p = self.parser
        return f"line {p.CurrentLineNumber}{self.columns[p.CurrentColumnNumber]}"

    def _error(self, message: str) -> BadInput:
        p = self.parser
        return BadInput(message, line=p.CurrentLineNumber, column=p.CurrentColumnNumber + 1)

    def _enter(self, start: Start | None, end: End | None) -> None:
        """Hand the element's content to other handlers until ``_leave`` (called at its end) restores these."""
        p = self.parser
        self.handlers.append((p.StartElementHandler, p.EndElementHandler))
        p.StartElementHandler, p.EndElementHandler = start, end

    def _leave(self) -> None:
        p = self.parser
        p.StartElementHandler, p.EndElementHandler = self.handlers.pop()

    def _skip(self) -> None:
        """Ignore the element just started, children and all."""
        depth = 0

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth
            depth += 1

        def end(name: str) -> None:
            nonlocal depth
            if depth:
                depth -= 1
            else:
                self._leave()

        self._enter(start, end)

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(_SEP)
        version = _MES.get(ns)
        if (version is None or version not in self.versions or local not in _ROOTS
                or (version == "3.0" and local != "StructureSpecificData")):
            wanted = " or ".join(self.versions)
            raise self._error(f"expected an SDMX-ML {wanted} data message (GenericData or StructureSpecificData), "
                              f"found <{local}> in namespace {ns or '(none)'}")
        self.version = version
        self.generic = local.startswith("Generic")
        self.parser.StartElementHandler = self._message_child

    def _message_child(self, name: str, attrs: dict[str, str]) -> None:
        local = self.names[name]
        if local == "Header":
            self._read_header(attrs)
        elif local == "DataSet":
            self._dataset(attrs)
        else:  # Footer and whatever else
            self._skip()

    # -- the header ----------------------------------------------------------------------------
    def _read_header(self, attrs: dict[str, str]) -> None:
        """Keep the header as a small tree, then read it once it has ended."""
        p, names = self.parser, self.names
        stack = [_Node("Header", attrs)]

        def start(name: str, attrs: dict[str, str]) -> None:
            node = _Node(names[name], attrs)
            stack[-1].children.append(node)
            stack.append(node)

        def end(name: str) -> None:
            node = stack.pop()
            if not stack:
                p.CharacterDataHandler = None
                self._leave()
                self._header(node)

        def text(data: str) -> None:
            if not stack[-1].children:
                stack[-1].text += data
                if len(stack[-1].text) > self.max_token:  # expat hands long text on in pieces
                    raise token_too_long(f"the text of header element {stack[-1].local}", self.max_token,
                                         line=p.CurrentLineNumber)

        p.CharacterDataHandler = text
        self._enter(start, end)

    def _header(self, header: _Node) -> None:
        for child in header.children:
            if child.local == "Structure":
                dim = child.get("dimensionAtObservation")
                if dim:
                    self.obs_dim = dim
                    self.series_dims = set(self.key_ids) - {dim}
                ref = next(iter(child.children), None)
                if ref is not None:
                    self.header["structure"], self.header["structure_kind"] = _reference(ref)
                    self.structures[child.get("structureID", "")] = (self.header["structure"],
                                                                     self.header["structure_kind"])
            elif child.local == "DataProvider":
                self.header["provider"] = _item_id(child)
            elif child.local == "DataSetAction" and child.text:
                self.header["action"] = child.text.strip()

    # -- data sets -------------------------------------------------------------------------------
    def _dataset(self, ds_attrs: dict[str, str]) -> None:
        where = self._where()
        attrs = {self.names[k]: v for k, v in ds_attrs.items()}
        action = _ACTIONS.get((attrs.get("action") or self.header.get("action", "")).lower(), "Information")
        own = {k: v for k, v in ds_attrs.items() if _SEP not in k and k not in _DATASET_FIELDS}
        structure, kind = self.structures.get(attrs.get("structureRef", ""), (
            self.header.get("structure"), self.header.get("structure_kind")))
        self.out.append(DataSetStart(
            action=action, structure=structure, structure_kind=kind,
            provider=attrs.get("dataProviderID") or self.header.get("provider"),
            dimension_at_observation=self.obs_dim, where=where,
            extra={k: v for k, v in attrs.items() if k in ("validFromDate", "reportingBeginDate")}))
        if own and not self.generic:  # structure-specific: data set attributes are XML attributes
            self.out.append(KeyAttributes({}, own, "dataset", where))
        self._enter(*(self._generic_handlers() if self.generic else self._specific_handlers()))

    # -- structure-specific ------------------------------------------------------------------------
    def _plain_attributes(self) -> frozenset[str]:
        """The DSD's attributes an observation may carry as XML attributes and still take the fast path."""
        plain = {a.id for a in self.s.attributes} - self.key_ids - self.measures - {"action"}
        return frozenset(a for a in plain if _SEP not in a)

    def _row_layouts(self, plain: frozenset[str]) -> dict[str | None, RowLayout]:
        """Row layouts by the one plain attribute an <Obs> carries (None: none), if this data set's observations
        may be rows at all (``rows_fit``: asked for, by time, with a measure), else none. A row is expat's attribute
        list [time id, time, value id, value, (attribute id, value)], then the series' dimension values,
        then the line and 0-based column of the <Obs>, as a tuple (see ObservationRows)."""
        self.rows_fit = (self.rows and self.obs_dim == self.s.time_dimension and self.primary not in self.key_ids
                         and bool(self.s.measures))
        if not self.rows_fit:
            return {}
        n, dims, time, primary, columns = len(self.dim_ids), self.dim_ids, self.time, self.primary, self.columns

        def layout(attribute: str | None) -> RowLayout:
            at = 4 if attribute is None else 6  # where the series' cells start
            attributes = () if attribute is None else ((5, attribute),)

            def to_observation(row: tuple, _row_no: int = 0) -> Observation:
                key = dict(zip(dims, row[at:at + n]))
                key[time] = row[1]
                return Observation(key, {primary: row[3]}, {a: row[i] for i, a in attributes},
                                   f"line {row[at + n]}{columns[row[at + n + 1]]}")

            return RowLayout(tuple(range(at, at + n)), 1, 3, attributes, to_observation, at + n, at + n + 1)

        layouts = {a: layout(a) for a in plain}
        layouts[None] = layout(None)
        return layouts

    def _specific_handlers(self) -> tuple[Start, End]:
        """Handlers for a structure-specific data set, which get attributes as expat's flat [name, value, ...]
        lists (``ordered_attributes``): cheaper for expat to build, and an observation written as most are,
        time then value then plain attributes, is recognised by comparing a few names. Closures, not methods:
        the observation path runs once per observation, and attribute lookups on self would show.

        With ``rows``, an observation in a series holding every other dimension, written as time, value and
        at most one plain attribute, becomes a row of the open ObservationRows (a tuple of expat's list, the
        series' cells and the place): no dict, Observation or place string each. The batch grows while it is
        the last event of the slice; an <Obs> that turns out to have children (<Comp>) is taken back out of it
        as an Observation. Generic data sets batch their rows the same way, in ``_generic_handlers``' add_row;
        here it is written out in the handler, which runs once per observation."""
        p, emit, names, obs_names, columns = self.parser, self.out.append, self.names, self.obs_names, self.columns
        out = self.out
        primary, plain = self.primary, self._plain_attributes()
        # the fast path wants the observation dimension first on each <Obs>; None never is
        obs_dim = self.obs_dim if self.obs_dim in self.key_ids and self.primary not in self.key_ids else None
        layouts = self._row_layouts(plain)
        batch = ObservationRows(layouts.get(None), [], 0)  # type: ignore[arg-type]  # never emitted empty
        stack = [_DATASET]  # what each open element in the data set is
        series_key: dict[str, str] = {}
        cells: list[str] | None = None  # the series' dimension values, when its observations may be rows
        batched = False  # whether the open observation is the last row of ``batch``
        mode = 0  # _IN_SERIES: a series is the innermost open element; _IN_OBS: its
        # observation, not on the stack (pushed only if it has children); 0: look at the stack

        def start(name: str, a: list[str]) -> None:
            nonlocal mode, batch, batched
            if mode == _IN_SERIES and name in obs_names:
                mode = _IN_OBS
                n = len(a)
                if cells is not None and (n == 6 or n == 4) and a[0] == obs_dim and a[2] == primary:
                    layout = layouts.get(a[4]) if n == 6 else layouts[None]
                    if layout is not None:
                        row = (*a, *cells, p.CurrentLineNumber, p.CurrentColumnNumber)
                        if out and out[-1] is batch and batch.layout is layout and len(batch.rows) < _BATCH_ROWS:
                            batch.rows.append(row)
                        else:
                            batch = ObservationRows(layout, [row], 0)
                            emit(batch)
                        batched = True
                        return
                batched = False
                if len(a) == 6 and a[0] == obs_dim and a[2] == primary and a[4] in plain:  # most data
                    key = series_key.copy()
                    key[obs_dim] = a[1]
                    emit(Observation(key, {primary: a[3]}, {a[4]: a[5]},
                                     f"line {p.CurrentLineNumber}{columns[p.CurrentColumnNumber]}"))
                else:
                    emit(any_obs(a))
            else:
                other(name, a)

        def any_obs(a: list[str]) -> Observation:
            """An observation in a series written otherwise: time, value and any number of plain attributes
            still go fast (a dict from the list); anything else is sorted name by name."""
            if len(a) >= 4 and a[0] == obs_dim and a[2] == primary and plain.issuperset(a[4::2]):
                key = series_key.copy()
                key[obs_dim] = a[1]
                return Observation(key, {primary: a[3]}, dict(zip(a[4::2], a[5::2])), self._where())
            return self._specific_obs(series_key, _as_dict(a))

        def other(name: str, a: list[str]) -> None:
            nonlocal series_key, mode, cells, batched
            if mode == _IN_OBS:  # a child of the observation: now it goes on the stack
                stack.append(_OBS)
                if batched:  # its <Comp>s go to an Observation: the row becomes one (see _obs_comp)
                    batched = False
                    row = batch.rows.pop()
                    if not batch.rows:
                        out.pop()
                    emit(batch.layout.to_observation(row))
            parent, local = stack[-1], names[name]
            if parent == _SERIES and local == "Obs":  # an Obs qualified with the DSD's namespace
                obs_names.add(name)
                mode = _IN_SERIES
                start(name, a)
                return
            attrs = _as_dict(a)
            if local == "Comp" and parent in (_SERIES, _OBS, _GROUP):
                if parent == _SERIES:
                    self._comp(attrs, self._series_comp)
                elif parent == _OBS and len(stack) > 2:  # in a series' observation, held back (see run)
                    self._comp(attrs, self._obs_comp)
                else:  # groups and flat observations: not yet
                    raise self._error(f"complex attribute values (<Comp id=\"{attrs.get('id')}\">) are "
                                      f"not supported in {'groups' if parent == _GROUP else 'flat observations'}")
                mode = _IN_SERIES if parent == _SERIES else 0
                return
            if parent == _DATASET:
                kind = self._specific_child(local, attrs)
                if kind == _SERIES:
                    series_key = self.series_key
                    cells = self.series_cells
            else:  # anything else in a series, observation or group, and all below what is ignored
                kind = _IGNORED
            stack.append(kind)
            mode = _IN_SERIES if kind == _SERIES else 0

        def end(name: str) -> None:
            nonlocal mode
            if mode == _IN_OBS:
                mode = _IN_SERIES
                return
            if stack.pop() == _DATASET:
                p.ordered_attributes = False
                self._leave()
            else:
                mode = _IN_SERIES if stack[-1] == _SERIES else 0

        def holding() -> bool:
            return mode != 0 or len(stack) > 1  # in a series or an observation

        self.holding = holding
        p.ordered_attributes = True
        return start, end  # type: ignore[return-value]  # list attributes, see above

    def _comp(self, attrs: dict[str, str], done: Callable[[str, list, str], None]) -> None:
        """A complex value, <Comp id="X"><Value>..</Value>...</Comp>: a list of strings, or for multilingual
        values (<Value><common:Text xml:lang="..">..</common:Text>...</Value>) a list of {lang: text};
        ``done(id, values, where)`` gets them at its end. A Text without xml:lang is English."""
        where = self._where()
        cid = attrs.get("id")
        if not cid:
            raise self._error("a <Comp> lacks its id")
        if cid in self.key_ids or cid in self.measures:
            raise self._error(f"<Comp id=\"{cid}\">: only attributes may have complex values")
        p, names = self.parser, self.names
        values: list = []
        text: list[str] = []
        texts: dict[str, str] = {}
        depth = 0  # 1 in a <Value>, 2 in its <Text>
        lang = "en"

        def start(name: str, a: list[str]) -> None:
            nonlocal depth, lang
            local = names[name]
            if depth == 0 and local == "Value":
                depth = 1
            elif depth == 1 and local == "Text" and not "".join(text).strip():
                depth = 2
                lang = _as_dict(a).get(XML_LANG) or "en"
            else:
                raise self._error(f"unexpected <{local}> in <Comp id=\"{cid}\">: a Comp holds <Value>s, "
                                  f"each a string or <Text xml:lang> elements")
            text.clear()

        def end(name: str) -> None:
            nonlocal depth
            if depth == 2:
                if lang in texts:
                    raise self._error(f"<Comp id=\"{cid}\">: a <Value> gives language {lang} twice")
                texts[lang] = "".join(text)
            elif depth == 1:
                value = dict(texts) if texts else "".join(text)
                if values and type(value) is not type(values[0]):
                    raise self._error(f"<Comp id=\"{cid}\"> mixes plain and multilingual <Value>s")
                values.append(value)
                texts.clear()
            else:
                p.CharacterDataHandler = None
                self._leave()
                if not values:
                    raise self._error(f"<Comp id=\"{cid}\"> holds no <Value>")
                done(cid, values, where)
                return
            depth -= 1
            text.clear()

        def add(data: str) -> None:  # expat hands a long text on in pieces: bound what is held
            text.append(data)
            if len(text) > 16 and sum(map(len, text)) + sum(map(len, values)) > self.max_token:
                raise token_too_long(f"<Comp id=\"{cid}\">", self.max_token, line=p.CurrentLineNumber)

        p.CharacterDataHandler = add
        self._enter(start, end)  # type: ignore[arg-type]  # list attributes

    def _series_comp(self, cid: str, values: list, where: str) -> None:
        """A series' complex value: added to its attributes' event while that is still held back (before
        its first observation, where the schema puts <Comp>s), else sent as an event of its own."""
        event, out = self.series_event, self.out
        if event is None or not out or out[-1] is not event:
            event = self.series_event = KeyAttributes(dict(self.series_key), {}, "series", where)
            out.append(event)
        if cid in event.attributes:
            raise self._error(f"the series gives attribute {cid} twice")
        event.attributes[cid] = values

    def _obs_comp(self, cid: str, values: list, where: str) -> None:
        """An observation's complex value: its event is the last one, held back until its end."""
        event = self.out[-1]
        assert isinstance(event, Observation)
        if cid in event.attributes:
            raise self._error(f"the observation gives attribute {cid} twice")
        event.attributes[cid] = values

    def _specific_child(self, local: str, attrs: dict[str, str]) -> int:
        """A data set's child other than a series' observation: emit what it says, return what it is."""
        if local == "Series":
            self.series_key = self._series(attrs)
            return _SERIES
        if local == "Obs":  # flat: every dimension on the observation
            self.out.append(self._specific_obs({}, attrs))
            return _OBS
        if local == "Group":
            key = {k: v for k, v in attrs.items() if k in self.dims}
            own = {k: v for k, v in attrs.items() if k not in self.dims and _SEP not in k}
            if own:
                self.out.append(KeyAttributes(key, own, "group", self._where()))
            return _GROUP
        if local == "DataProvider":
            return _IGNORED
        raise self._error(f"unexpected element <{local}> in a structure-specific data set")

    def _series(self, attrs: dict[str, str]) -> dict[str, str]:
        """A series' key (emitting its attributes): what its observations' keys start from."""
        key: dict[str, str] = {}
        own: dict[str, str] = {}
        for k, v in attrs.items():
            if k in self.key_ids:
                key[k] = v
            elif _SEP not in k:
                own[k] = v
        missing = self.series_dims - key.keys()
        if missing:
            p = self.parser  # well-formed, but not a key of the structure: 422, as validation says it elsewhere
            raise SemanticError(f"a series lacks the dimension(s) {', '.join(sorted(missing))}",
                                line=p.CurrentLineNumber, column=p.CurrentColumnNumber + 1)
        self.series_event = None
        dims = self.dim_ids
        # rows carry a series key of exactly every dimension but time (time is each row's own)
        self.series_cells = [key[d] for d in dims] if self.rows_fit and len(key) == len(dims) else None
        if own:  # key: the series key as written (time included in a cross-section)
            self.series_event = KeyAttributes(dict(key), own, "series", self._where())
            self.out.append(self.series_event)
        return key

    def _specific_obs(self, key: dict[str, str], attrs: dict[str, str]) -> Observation:
        """Any observation: each XML attribute sorted into key, measures and attributes (``key`` is filled in)."""
        key = dict(key)
        measures: dict[str, str] = {}
        own: dict[str, str] = {}
        targets = (key, measures, own)
        kinds = self.kinds
        for k, v in attrs.items():
            kind = kinds.get(k)
            if kind is None:  # first sight of this XML attribute name: classify once
                kind = kinds[k] = (0 if k in self.key_ids else 1 if k in self.measures
                                   else -1 if _SEP in k else 2)
            if kind >= 0:
                targets[kind][k] = v
        if len(key) < self.n_keys and self.obs_dim not in key and attrs.get(XSI_TYPE):
            key[self.obs_dim] = attrs[XSI_TYPE].rpartition(":")[2]  # 2.1 explicit measures: xsi:type="ns:CODE"
        action = None
        if self.version == "3.0" and "action" in own:
            action = _ACTIONS.get(own["action"].lower())
            if action:
                del own["action"]
        return Observation(key, measures, own, self._where(), action)

    # -- generic -------------------------------------------------------------------------------------
    def _generic_handlers(self) -> tuple[Start, End]:
        """Handlers for a generic data set: values are <Value id value/> children, so an observation is
        emitted at its end. Attributes come as ordered lists here too, elements as small codes; closures
        for speed, as in ``_specific_handlers``.

        With ``rows``, an observation of a series holding every other dimension, with its time, one value and
        at most one plain attribute, each written plainly, becomes a row of the open ObservationRows, in the
        structure-specific rows' layout (see ``_row_layouts``)."""
        p, emit, codes, columns, out = self.parser, self.out.append, self.codes, self.columns, self.out
        obs_dim, primary, dims = self.obs_dim, self.primary, self.dim_ids
        layouts = self._row_layouts(self._plain_attributes())
        batch = ObservationRows(layouts.get(None), [], 0)  # type: ignore[arg-type]  # never emitted empty
        cells: tuple[str, ...] | None = None  # the series' dimension values, when its observations may be rows
        plain = True  # whether the open observation's time and value were written plainly
        stack = [_DATASET]
        target: dict[str, str] = {}  # where the open value container's <Value>s go
        key: dict[str, str] = {}  # the open observation's
        measures: dict[str, str] = {}
        obs_attrs: dict[str, str] = {}
        obs_line = obs_column = 0
        series_key: dict[str, str] = {}
        series_has_obs = False
        leaf = False  # an element to ignore is open, not on the stack (pushed only if it has children)
        state = _GenericState()  # the rest, which is not on the observation path

        def start(name: str, a: list[str]) -> None:
            nonlocal target, key, measures, obs_attrs, obs_line, obs_column, series_has_obs, leaf, cells, plain
            if leaf:  # a child of what is ignored: ignore it too, which needs the parent on the stack
                stack.append(_IGNORED)
                leaf = False
            try:
                code = codes[name]
            except KeyError:
                code = self._learn(name)
            parent = stack[-1]
            if parent >= _VALUES:  # in SeriesKey, Attributes, ObsKey or GroupKey
                if code == _C_VALUE:
                    if len(a) == 4 and a[0] == "id" and a[2] == "value":
                        target[a[1]] = a[3]
                    elif len(a) == 4 and a[0] == "value" and a[2] == "id":
                        target[a[3]] = a[1]
                    else:
                        self._generic_value(target, a)
                leaf = True
            elif parent == _OBS:
                if code == _C_OBS_DIMENSION:
                    if len(a) == 2 and a[0] == "value":
                        key[obs_dim] = a[1]
                    else:
                        plain = False
                        attrs = _as_dict(a)
                        key[attrs.get("id") or obs_dim] = attrs.get("value", "")
                elif code == _C_OBS_VALUE:
                    if len(a) == 2 and a[0] == "value":
                        measures[primary] = a[1]
                    else:
                        plain = False
                        attrs = _as_dict(a)
                        if "value" in attrs:
                            measures[attrs.get("id") or primary] = attrs["value"]
                elif code == _C_ATTRIBUTES:  # the last <Attributes> counts, as before
                    target = obs_attrs = {}
                    stack.append(_OBS_ATTRS)
                    return
                elif code == _C_OBS_KEY:
                    plain = False
                    target = key
                    stack.append(_OBS_KEY)
                    return
                leaf = True
            elif code == _C_OBS and (parent == _SERIES or parent == _DATASET):
                if parent == _DATASET:  # flat
                    key, cells = {}, None
                else:
                    if not series_has_obs:
                        series_has_obs = True
                        state.emit_series(series_key, emit)
                        cells = (tuple(series_key[d] for d in dims) if self.rows_fit and len(series_key) == len(dims)
                                 and all(d in series_key for d in dims) else None)
                    # with cells, what the observation itself says (a row needs no copy of the series' key)
                    key = {} if cells is not None else series_key.copy()
                measures, obs_attrs, plain = {}, {}, True
                obs_line, obs_column = p.CurrentLineNumber, p.CurrentColumnNumber
                stack.append(_OBS)
            else:
                other(parent, code, name)

        def other(parent: int, code: int, name: str) -> None:
            """Any other start: series, group and data set level."""
            nonlocal target, series_key, series_has_obs, leaf
            if parent == _SERIES:
                kind = _SERIES_KEY if code == _C_SERIES_KEY else _SERIES_ATTRS if code == _C_ATTRIBUTES else _IGNORED
            elif parent == _GROUP:
                kind = _GROUP_KEY if code == _C_GROUP_KEY else _GROUP_ATTRS if code == _C_ATTRIBUTES else _IGNORED
            elif parent == _DATASET:
                kind = self._generic_child(code, name, state)
                if kind == _SERIES:
                    series_key, series_has_obs = {}, False
            else:
                kind = _IGNORED
            if kind == _IGNORED:
                leaf = True
                return
            if kind >= _VALUES:
                target = {}
                if kind == _SERIES_KEY:
                    series_key = target
            stack.append(kind)

        def end(name: str) -> None:
            nonlocal leaf
            if leaf:
                leaf = False
                return
            kind = stack.pop()
            if kind == _IGNORED or kind == _OBS_ATTRS:
                return
            if kind == _OBS:
                if (cells is not None and plain and obs_dim in key and len(measures) == 1 and primary in measures
                        and len(obs_attrs) <= 1):
                    if obs_attrs:
                        [(attribute, value)] = obs_attrs.items()
                        layout = layouts.get(attribute)
                        row = (obs_dim, key[obs_dim], primary, measures[primary], attribute, value, *cells,
                               obs_line, obs_column)
                    else:
                        layout = layouts[None]
                        row = (obs_dim, key[obs_dim], primary, measures[primary], *cells, obs_line, obs_column)
                    if layout is not None:
                        add_row(layout, row)
                        return
                emit(Observation({**series_key, **key} if cells is not None else key, measures, obs_attrs,
                                 f"line {obs_line}{columns[obs_column]}"))
            elif kind == _DATASET:
                p.ordered_attributes = False
                self._leave()
            else:
                state.ended(kind, target, series_key, series_has_obs, emit)

        def add_row(layout: RowLayout, row: tuple) -> None:
            nonlocal batch
            if out and out[-1] is batch and batch.layout is layout and len(batch.rows) < _BATCH_ROWS:
                batch.rows.append(row)
            else:
                batch = ObservationRows(layout, [row], 0)
                emit(batch)

        def holding() -> bool:  # the batch may grow with the next slice's observations
            return bool(out) and out[-1] is batch

        self.holding = holding
        p.ordered_attributes = True
        return start, end  # type: ignore[return-value]  # list attributes, see above

    def _learn(self, name: str) -> int:
        """A generic element's code, from its local name, on first sight of its expat name."""
        code = self.codes[name] = _CODES.get(self.names[name], _C_OTHER)
        return code

    def _generic_value(self, target: dict[str, str], a: list[str]) -> None:
        """A <Value> written otherwise than id and value alone."""
        attrs = _as_dict(a)
        id_, value = attrs.get("id"), attrs.get("value")
        if id_ is None or value is None:
            raise self._error(f"a generic <Value> lacks its {'id' if id_ is None else 'value'}")
        target[id_] = value

    def _generic_child(self, code: int, name: str, state: _GenericState) -> int:
        """A generic data set's child other than a flat observation: what it is."""
        where = self._where()
        if code == _C_SERIES:
            state.begin_series(where)
            return _SERIES
        if code == _C_GROUP:
            state.begin_group(where)
            return _GROUP
        if code == _C_ATTRIBUTES:
            state.dataset_where = where
            return _DATASET_ATTRS
        if code == _C_DATA_PROVIDER:
            return _IGNORED
        raise self._error(f"unexpected element <{self.names[name]}> in a generic data set")


def _never() -> bool:
    return False


def _as_dict(a: list[str]) -> dict[str, str]:
    """expat's ordered attributes [name, value, name, value, ...] as a dict."""
    return dict(zip(a[::2], a[1::2]))


class _GenericState:
    """What a generic data set remembers off the observation path: the series' attributes until its
    first observation (where the schema puts them), the group being read, where things began."""

    def __init__(self) -> None:
        self.series_attrs: dict[str, str] = {}  # not emitted yet
        self.series_where = ""
        self.group_key: dict[str, str] = {}
        self.group_attrs: dict[str, str] = {}
        self.group_where = ""
        self.dataset_where = ""

    def begin_series(self, where: str) -> None:
        self.series_attrs, self.series_where = {}, where

    def begin_group(self, where: str) -> None:
        self.group_key, self.group_attrs, self.group_where = {}, {}, where

    def emit_series(self, key: dict[str, str], emit: Callable[[DataEvent], None]) -> None:
        if self.series_attrs:
            emit(KeyAttributes(dict(key), self.series_attrs, "series", self.series_where))
            self.series_attrs = {}

    def ended(self, kind: int, values: dict[str, str], series_key: dict[str, str], has_obs: bool,
              emit: Callable[[DataEvent], None]) -> None:
        """An element other than an observation ended; ``values`` are the last value container's."""
        if kind == _SERIES_ATTRS:
            self.series_attrs = values
            if has_obs:  # attributes after observations: not as the schema has it, but not lost
                self.emit_series(series_key, emit)
        elif kind == _SERIES:
            self.emit_series(series_key, emit)
        elif kind == _GROUP_KEY:
            self.group_key = values
        elif kind == _GROUP_ATTRS:
            self.group_attrs = values
        elif kind == _GROUP and self.group_attrs:
            emit(KeyAttributes(self.group_key, self.group_attrs, "group", self.group_where))
        elif kind == _DATASET_ATTRS:
            emit(KeyAttributes({}, values, "dataset", self.dataset_where))


def _reference(ref_parent: _Node) -> tuple[str, str]:
    """The structure the header names: (URN or agency:id(version), kind)."""
    kind = {"Structure": "datastructure", "StructureUsage": "dataflow",
            "ProvisionAgrement": "provisionagreement", "ProvisionAgreement": "provisionagreement"}.get(
        ref_parent.local, "datastructure")
    for child in ref_parent.iter():
        if child.local == "URN" and child.text:
            return child.text.strip(), kind
        if child.local == "Ref":
            return f"{child.get('agencyID')}:{child.get('id')}({child.get('version', '1.0')})", kind
    if ref_parent.text and ref_parent.text.strip().startswith("urn:"):
        return ref_parent.text.strip(), kind
    return "", kind


def _item_id(elem: _Node) -> str | None:
    for child in elem.iter():
        if child.local == "Ref":
            return child.get("id")
        if child.local == "URN" and child.text:
            return child.text.strip().rpartition(".")[2]
    text = (elem.text or "").strip()
    return text.rpartition(".")[2] if text else None
