"""SDMX-ML 2.1 StructureSpecificData and StructureSpecificTimeSeriesData from a DataMessage, streamed.

Text is built with f-strings, never an element per observation (one lxml element per observation is
about twice as slow, DESIGN.md section 9), and handed on in chunks of 16 KB or more. What the
SDMX-ML writers share lives here, the header and the escaping for instance: the generic 2.1 writer
imports it, and the 3.0 writer runs ``write_with`` with its own ``Dialect``.

Escaping: codes (components with a codelist) and time periods were validated on the way in, and
numbers of a numeric measure are numbers, so they are written as they are; any other value is
searched for ``& < " > TAB CR LF`` and escaped when one is there (a newline in an attribute value
would otherwise come back as a space).

Shapes: time series and cross-sections as ``<Series>`` of ``<Obs>``; AllDimensions as flat ``<Obs>``
carrying every dimension and, for each observation, the attributes of the SeriesOut it came in.
Attributes attached to a group are written once per group key, in ``<Group>`` elements before the
first series (retrieval gathers ``DataSetOut.groups`` before streaming series), and left off series
and observations, as the generated schemas require. SDMX-ML 2.1 knows one measure and single values: further measures are left out, and of a
complex (SDMX 3.0) attribute value the first value is written, a text in the caller's language.
The data set's provider is not written as a ``<DataProvider>`` element: sdmx1, a common client,
cannot read a data set that has one (NotImplementedError in its data reader).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from ..data_message import DataMessage, DataSetOut, GroupOut, SeriesOut
from ..data_structure import NUMERIC_TYPES
from ..errors import NotAcceptable

SDMX_21 = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CHUNK = 1 << 14  # characters: a chunk is handed on once its pieces hold at least this many
needs_escape = re.compile(r'[&<>"\t\n\r]').search


def escape(value: str) -> str:
    """An attribute value (or element text) as XML; ``safe`` calls it only when a value needs it."""
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))


def safe(value: str) -> str:
    """Escape only when needed: one regex search on the common path."""
    return escape(value) if needs_escape(value) else value


def first_value(value: object, pick: Callable[[dict], str | None]) -> str:
    """A complex (SDMX 3.0) attribute value for a format that holds one string: its first value,
    a multilingual one in the caller's language (``pick``)."""
    if isinstance(value, str):
        return value
    if not value:
        return ""
    first = value[0]  # type: ignore[index]
    return first if isinstance(first, str) else (pick(first) or "")


def timestamp(when: datetime | None) -> str:
    """xs:dateTime text; now (UTC) when not given."""
    return (when or datetime.now(timezone.utc)).isoformat(timespec="seconds")


def dataflow_ref(message: DataMessage) -> tuple[str, str, str]:
    df = message.dataflow
    return df["agencyID"], df["id"], df.get("version", "1.0")


def structure_id(message: DataMessage) -> str:
    """The header's structureID (an xs:ID, so an NCName): AGENCY_ID_1_0."""
    name = "_".join(dataflow_ref(message)).replace(".", "_")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return name if re.match(r"[A-Za-z_]", name) else f"S_{name}"


def namespace(message: DataMessage) -> str:
    """The data-structure-specific namespace, as generated schemas name it."""
    agency, id_, version = dataflow_ref(message)
    return (f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={agency}:{id_}({version})"
            f":ObsLevelDim:{message.dimension_at_observation}")


def require_time_series(message: DataMessage, what: str) -> None:
    """The *TimeSeries* messages carry TIME_PERIOD at observation level and nothing else."""
    time = message.structure.time_dimension
    if not time or message.dimension_at_observation != time:
        raise NotAcceptable(f"{what} carries time series only (dimensionAtObservation={time or 'TIME_PERIOD'}); "
                            f"dimensionAtObservation={message.dimension_at_observation} needs the "
                            f"non-time-series variant of the format")


def header(message: DataMessage, mes: str, structure: str) -> str:
    """``<mes:Header>`` with ID, Test, Prepared, Sender and the given ``<mes:Structure>``."""
    return (f"<{mes}:Header><{mes}:ID>{safe(message.id)}</{mes}:ID><{mes}:Test>false</{mes}:Test>"
            f"<{mes}:Prepared>{timestamp(message.prepared)}</{mes}:Prepared>"
            f'<{mes}:Sender id="{safe(message.sender)}"/>{structure}</{mes}:Header>\n')


def ref_21(message: DataMessage) -> str:
    """The dataflow as an SDMX-ML 2.1 reference."""
    agency, id_, version = (safe(v) for v in dataflow_ref(message))
    return f'<Ref agencyID="{agency}" id="{id_}" version="{version}"/>'


def action_21(action: str) -> str:
    """2.1 has no Merge; its Replace is the observation-level update that 3.x calls Merge."""
    return "Replace" if action == "Merge" else action


class Chunks:
    """Pieces of text, joined and handed on once they hold ``CHUNK`` characters (counted once per series,
    not per piece, to keep the count off the per-observation path)."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return text


@dataclass(frozen=True)
class Dialect:
    """What distinguishes SDMX-ML versions of structure-specific data."""

    base: str  # namespace base, ending in "/"
    data_scope: str | None  # 2.1 requires ss:dataScope on the data set
    complex_values: bool  # <Comp> for list and multilingual values (3.0)
    action: Callable[[str], str]  # DataSetOut.action as the version's ActionType spells it
    structure_usage: Callable[[DataMessage], str]  # content of <common:StructureUsage>


V21 = Dialect(SDMX_21, "Dataflow", False, action_21, ref_21)


def write_data_message(message: DataMessage, variant: str = "") -> Iterator[str]:
    """StructureSpecificData, or StructureSpecificTimeSeriesData for ``variant`` "timeseries"."""
    if variant == "timeseries":
        require_time_series(message, "StructureSpecificTimeSeriesData")
        return write_with(message, V21, "StructureSpecificTimeSeriesData")
    return write_with(message, V21, "StructureSpecificData")


def write_with(message: DataMessage, dialect: Dialect, root: str) -> Iterator[str]:
    """The whole message, in chunks; nothing happens until the first chunk is asked for."""
    ns = namespace(message)
    sid = structure_id(message)
    base = dialect.base
    structure = (f'<message:Structure structureID="{sid}" namespace="{safe(ns)}" '
                 f'dimensionAtObservation="{message.dimension_at_observation}">'
                 f"<common:StructureUsage>{dialect.structure_usage(message)}</common:StructureUsage>"
                 f"</message:Structure>")
    out = Chunks()
    out.parts.append(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<message:{root} xmlns:message="{base}message" '
        f'xmlns:common="{base}common" xmlns:ss="{base}data/structurespecific" xmlns:xsi="{XSI}" '
        f'xmlns:ns1="{safe(ns)}">\n{header(message, "message", structure)}')
    writer = SeriesWriter(message, dialect.complex_values)
    for ds in message.data_sets:
        out.parts.append(_dataset_start(message, ds, dialect, sid, writer))
        if message.with_attributes:
            out.parts.extend(writer.group(g) for g in ds.groups)
        yield from writer.write(ds, out)
        out.parts.append("</message:DataSet>\n")
    out.parts.append(f"</message:{root}>\n")
    yield out.take()


def _dataset_start(message: DataMessage, ds: DataSetOut, dialect: Dialect, sid: str, writer: SeriesWriter) -> str:
    scope = f' ss:dataScope="{dialect.data_scope}"' if dialect.data_scope else ""
    valid = ""
    if ds.valid_from:
        valid += f' ss:validFromDate="{timestamp(ds.valid_from)}"'
    if ds.valid_to:
        valid += f' ss:validToDate="{timestamp(ds.valid_to)}"'
    inline, comps = writer.attributes(ds.attributes) if message.with_attributes else ("", "")
    atts = f"<Atts>{comps}</Atts>" if comps else ""  # 3.0: complex data-set-level values
    return (f'<message:DataSet ss:structureRef="{sid}" xsi:type="ns1:DataSetType"{scope} '
            f'ss:action="{dialect.action(ds.action)}"{valid}{inline}>{atts}\n')


class SeriesWriter:
    """Series and observations as text. Built once per message: what is worked out here (which values
    may need escaping, which components are measures) stays off the per-observation path."""

    def __init__(self, message: DataMessage, complex_values: bool):
        s = message.structure
        self.message = message
        self.complex_values = complex_values
        self.with_attributes = message.with_attributes
        self.pick = message.labels.pick
        self.primary = s.measures[0].id if s.measures else "OBS_VALUE"
        self.series_dims = message.series_dimensions
        self.obs_dims = message.obs_dimensions
        components = s.dimensions + s.attributes + s.measures
        # codes and time periods were validated on the way in; numbers of a numeric measure are numbers
        self.trusted = frozenset({c.id for c in components if c.codelist}
                                 | ({s.time_dimension} if s.time_dimension else set()))
        primary = s.measures[0] if s.measures else None
        self.value_trusted = bool(primary and primary.text_type in NUMERIC_TYPES)
        # measures beyond the first travel in the observation's attribute dict
        self.extra_measures = frozenset(m.id for m in s.measures[1:])
        self.comp_types = {c.id: "MEASURE" for c in s.measures} | {c.id: "ATTRIBUTE" for c in s.attributes}
        # attributes of a DSD group go in <Group> elements only
        self.group_only = frozenset(a.id for a in s.attributes if a.attachment == "group" and a.group in s.groups)
        # what ``plain`` leaves to ``attributes``
        self.slow = (frozenset() if complex_values else self.extra_measures) | self.group_only
        self.flat_key, self.flat_key_trusted = self.key_template(self.obs_dims, ' {d}="{{}}"')
        # a series' observations whose dimension value and measure are written as they are take the fast path
        self.fast = bool(self.series_dims and self.obs_dims) and self.obs_dims[0] in self.trusted and self.value_trusted
        # what follows an observation's value, per attribute dict: retrieval hands every observation with the
        # same stored attributes the same dict (and never changes one), so it is made once per distinct value
        self.ends: dict[int, str] = {id(None): "/>\n"}
        self.ends_of: dict[int, dict] = {}  # the dicts ``ends`` is keyed by, kept alive so no id is reused

    # -- attributes ------------------------------------------------------------------------------
    def attributes(self, attrs: dict | None, measures_too: bool = False, in_group: bool = False) -> tuple[str, str]:
        """(XML attributes text, <Comp> elements) for component values. ``measures_too``: the dict may hold
        further measures, which 3.0 writes and 2.1 leaves out; without attributes only they remain.
        Group attributes are written only ``in_group``."""
        if not attrs:
            return "", ""
        extra = self.extra_measures
        group_only = frozenset() if in_group else self.group_only
        keep_measures = measures_too and self.complex_values
        inline: list[str] = []
        comps: list[str] = []
        trusted = self.trusted
        for k, v in attrs.items():
            if k in extra:
                if not keep_measures:
                    continue
            elif not self.with_attributes or k in group_only:
                continue
            if v.__class__ is not str:
                if self.complex_values:
                    comps.append(self.comp(k, v))
                    continue
                v = first_value(v, self.pick)
            inline.append(f' {k}="{v if k in trusted else safe(v)}"')
        return "".join(inline), "".join(comps)

    def comp(self, cid: str, values: list) -> str:
        """An SDMX 3.0 complex value; its xsi:type follows the generated schemas' ID_ATTRIBUTE naming."""
        kind = self.comp_types.get(cid, "ATTRIBUTE")
        inner = []
        for v in values:
            if isinstance(v, dict):
                texts = "".join(f'<common:Text xml:lang="{safe(lang)}">{safe(text)}</common:Text>'
                                for lang, text in v.items())
                inner.append(f"<Value>{texts}</Value>")
            else:
                inner.append(f"<Value>{safe(str(v))}</Value>")
        return f'<Comp id="{cid}" xsi:type="ns1:{cid}_{kind}">{"".join(inner)}</Comp>'

    def group(self, g: GroupOut) -> str:
        """One ``<Group>``: its type (the group's id, as generated schemas name it), key and attributes."""
        inline, comps = self.attributes(g.attributes, in_group=True)
        head = f'<Group xsi:type="ns1:{g.id}"{self.key_text(tuple(g.key), tuple(g.key.values()))}{inline}'
        return f"{head}>{comps}</Group>\n" if comps else f"{head}/>\n"

    def plain(self, attrs: dict) -> str | None:
        """XML attributes text of an observation's values when all are plain strings to write (the common
        case, kept lean); None when ``attributes`` must sort them (complex values, measures 2.1 leaves out,
        no attributes wanted)."""
        if not self.with_attributes:
            return None
        trusted, slow, needs = self.trusted, self.slow, needs_escape
        text = ""
        for k, v in attrs.items():
            if v.__class__ is not str or k in slow:
                return None
            text += f' {k}="{v}"' if k in trusted or not needs(v) else f' {k}="{escape(v)}"'
        return text

    def key_text(self, dims: tuple[str, ...], values: tuple[str, ...]) -> str:
        trusted = self.trusted
        return "".join(f' {d}="{v if d in trusted else safe(v)}"' for d, v in zip(dims, values))

    def key_template(self, dims: tuple[str, ...], template: str) -> tuple[str, bool]:
        """A str.format template writing ``dims`` (``template`` formats one with {d} and {{}}), and whether
        their values are all codes or time periods, which the template can take as they are."""
        return "".join(template.format(d=d) for d in dims), all(d in self.trusted for d in dims)

    # -- series ------------------------------------------------------------------------------------
    def write(self, ds: DataSetOut, out: Chunks) -> Iterator[str]:
        """The data set's series (or flat observations) into ``out``; yields whenever it is full."""
        write = self.flat if not self.series_dims else self.series
        parts = out.parts
        for series in ds.series:
            start = len(parts)
            write(series, parts)
            out.size += sum(map(len, parts[start:]))
            if out.size >= CHUNK:
                yield out.take()

    def series(self, series: SeriesOut, parts: list[str]) -> None:
        inline, comps = self.attributes(series.attributes) if self.with_attributes else ("", "")
        head = f"<Series{self.key_text(self.series_dims, series.key)}{inline}"
        if not series.observations:
            parts.append(f"{head}>{comps}</Series>\n" if comps else f"{head}/>\n")
            return
        parts.append(f"{head}>{comps}\n")
        obs_dim = self.obs_dims[0]
        trusted_dim = obs_dim in self.trusted
        pre = f"<Obs {obs_dim}=\""
        mid = f'" {self.primary}="'
        if self.fast:  # one f-string per observation, its end looked up by the attribute dict's identity
            ends, end, obs = self.ends, self.obs_end, series.observations
            common = obs[0][2]  # most observations of a series share their attributes: compared first
            tail = ends.get(id(common)) or end(common)
            parts += [f'{pre}{ov[0]}{mid}{value}"{tail if attrs is common else ends.get(id(attrs)) or end(attrs)}'
                      if value is not None
                      else f'{pre}{ov[0]}"{tail if attrs is common else ends.get(id(attrs)) or end(attrs)}'
                      for ov, value, attrs in obs]
            parts.append("</Series>\n")
            return
        value_trusted, needs = self.value_trusted, needs_escape
        check = self.extra_measures or self.with_attributes
        plain, attributes = self.plain, self.attributes
        append = parts.append
        for ov, value, attrs in series.observations:
            at = ov[0] if trusted_dim else safe(ov[0])
            if value is not None and not value_trusted and needs(value):
                value = escape(value)
            if not attrs or not check:
                append(f"{pre}{at}\"/>\n" if value is None else f"{pre}{at}{mid}{value}\"/>\n")
                continue
            inline = plain(attrs)
            if inline is None:
                inline, comps = attributes(attrs, True)
                end = f">{comps}</Obs>\n" if comps else "/>\n"
            else:
                end = "/>\n"
            append(f"{pre}{at}\"{inline}{end}" if value is None else f"{pre}{at}{mid}{value}\"{inline}{end}")
        append("</Series>\n")

    def obs_end(self, attrs: dict | None) -> str:
        """The text of an ``<Obs>`` after its value: attributes and the element's end (remembered in ``ends``)."""
        if not attrs or not (self.extra_measures or self.with_attributes):
            return "/>\n"
        inline = self.plain(attrs)
        if inline is None:
            inline, comps = self.attributes(attrs, True)
            text = f"{inline}>{comps}</Obs>\n" if comps else f"{inline}/>\n"
        else:
            text = f"{inline}/>\n"
        if len(self.ends_of) >= 4096:  # many distinct dicts (attributes merged per observation): start again
            self.ends_of.clear()
            self.ends.clear()  # in place: a caller may hold it
            self.ends[id(None)] = "/>\n"
        self.ends[id(attrs)] = text
        self.ends_of[id(attrs)] = attrs
        return text

    def flat(self, series: SeriesOut, parts: list[str]) -> None:
        """AllDimensions: every dimension on each observation, with the SeriesOut's attributes on each."""
        shared = series.attributes if self.with_attributes else None
        shared_inline, shared_comps = self.attributes(shared) if shared else ("", "")
        key, key_trusted, dims = self.flat_key, self.flat_key_trusted, self.obs_dims
        primary, value_trusted, needs = self.primary, self.value_trusted, needs_escape
        check = self.extra_measures or self.with_attributes
        plain, attributes, append = self.plain, self.attributes, parts.append
        for ov, value, attrs in series.observations:
            text = key.format(*ov) if key_trusted else self.key_text(dims, ov)
            if value is not None:
                text += f' {primary}="{value if value_trusted or not needs(value) else escape(value)}"'
            inline, comps = shared_inline, shared_comps
            if attrs and check:
                own = plain(attrs) if not shared or shared.keys().isdisjoint(attrs) else None
                if own is None:
                    inline, comps = attributes({**shared, **attrs} if shared else attrs, True)
                else:
                    inline += own
            append(f"<Obs{text}{inline}>{comps}</Obs>\n" if comps else f"<Obs{text}{inline}/>\n")
