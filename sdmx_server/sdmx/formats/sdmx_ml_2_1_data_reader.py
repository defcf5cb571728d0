"""Streaming SDMX-ML 2.1 data messages (generic and structure-specific, any dimensionAtObservation) into events.

lxml's iterparse walks the document once; each series is cleared as soon as it has been
turned into events, so memory holds one series at most, whatever the message size. The two
SDMX-ML versions share this machinery: 3.0 structure-specific data is 2.1's with other
namespaces and actions, and no generic format (sdmx_ml_3_0_data_reader reuses ``_Reader``).
The reader checks the message's shape only; codes are validation's business.
"""

from __future__ import annotations

from typing import BinaryIO, Iterator

from lxml import etree

from ..data_structure import DataStructureInfo
from ..errors import BadInput
from ..xml_safety import check_no_doctype
from .data_events import DataEvent, DataSetStart, KeyAttributes, Observation

_MES = {"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message": "2.1",
        "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message": "3.0",
        "http://www.sdmx.org/resources/sdmxml/schemas/v3_1/message": "3.0"}
_ROOTS = {"GenericData", "GenericTimeSeriesData", "StructureSpecificData", "StructureSpecificTimeSeriesData"}
_ACTIONS = {"append": "Append", "replace": "Replace", "delete": "Delete", "information": "Information",
            "merge": "Merge"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _ns(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def read_data(stream: BinaryIO, structure: DataStructureInfo) -> Iterator[DataEvent]:
    """Events of an SDMX-ML 2.1 data message (GenericData, StructureSpecificData and their TimeSeries forms)."""
    return read_versioned(stream, structure, ("2.1",))


def read_versioned(stream: BinaryIO, structure: DataStructureInfo, versions: tuple[str, ...]) -> Iterator[DataEvent]:
    """The shared loop: refuse DTDs, then stream; ``versions`` are the SDMX-ML versions the caller accepts."""
    if hasattr(stream, "peek"):
        head = stream.peek(4096)[:4096]
    else:  # no peek (BytesIO, sockets): read the head and put it back in front
        head = stream.read(4096)
        stream = _Prefixed(head, stream)
    check_no_doctype(head)
    reader = _Reader(structure, versions)
    try:
        yield from reader.run(stream)
    except etree.XMLSyntaxError as e:
        line, column = e.position if e.position else (None, None)
        msg = e.msg
        if "DOCTYPE" in (msg or "") or "ntity" in (msg or ""):
            msg = f"DTDs and entity declarations are not accepted ({msg})"
        raise BadInput(f"the data message is not well-formed XML: {msg}", line=line, column=column) from None


class _Prefixed:
    """A read()-only stream: ``head`` first, then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = head, stream

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = (self.head, b"") if n < 0 or n >= len(self.head) else (self.head[:n], self.head[n:])
            return out
        return self.stream.read(n)


class _Reader:
    def __init__(self, structure: DataStructureInfo, versions: tuple[str, ...] = ("2.1",)):
        self.s = structure
        self.versions = versions
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

    # -- the document --------------------------------------------------------------------------
    def run(self, stream: BinaryIO) -> Iterator[DataEvent]:
        events = etree.iterparse(stream, events=("start", "end"), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=True, remove_comments=True)
        _, root = next(events)
        self._check_root(root)
        depth = 0
        for event, elem in events:
            if event == "start":
                depth += 1
                if depth == 1 and _local(elem.tag) == "DataSet":
                    yield from self._dataset(elem, events)
                    depth -= 1
                continue
            depth -= 1
            if depth == 0 and _local(elem.tag) == "Header":
                self._header(elem)
                elem.clear()

    def _check_root(self, root: etree._Element) -> None:
        ns, local = _ns(root.tag), _local(root.tag)
        version = _MES.get(ns)
        if (version is None or version not in self.versions or local not in _ROOTS
                or (version == "3.0" and local != "StructureSpecificData")):
            wanted = " or ".join(self.versions)
            raise BadInput(f"expected an SDMX-ML {wanted} data message (GenericData or StructureSpecificData), "
                           f"found <{local}> in namespace {ns or '(none)'}", line=root.sourceline)
        self.version = version
        self.generic = local.startswith("Generic")

    def _header(self, header: etree._Element) -> None:
        for child in header:
            if _local(child.tag) == "Structure":
                dim = child.get("dimensionAtObservation")
                if dim:
                    self.obs_dim = dim
                    self.series_dims = set(self.key_ids) - {dim}
                ref = next(iter(child), None)
                if ref is not None:
                    self.header["structure"], self.header["structure_kind"] = _reference(ref)
                    self.structures[child.get("structureID", "")] = (self.header["structure"],
                                                                     self.header["structure_kind"])
            elif _local(child.tag) == "DataProvider":
                self.header["provider"] = _item_id(child)
            elif _local(child.tag) == "DataSetAction" and child.text:
                self.header["action"] = child.text.strip()

    # -- data sets -------------------------------------------------------------------------------
    def _dataset(self, ds: etree._Element, events) -> Iterator[DataEvent]:
        attrs = {_local(k): v for k, v in ds.attrib.items()}
        action = _ACTIONS.get((attrs.get("action") or self.header.get("action", "")).lower(), "Information")
        own = {k: v for k, v in ds.attrib.items() if not k.startswith("{") and k not in (
            "action", "structureRef", "dataScope", "setID", "reportingBeginDate", "reportingEndDate",
            "validFromDate", "validToDate", "publicationYear", "publicationPeriod", "dataProviderID")}
        structure, kind = self.structures.get(attrs.get("structureRef", ""), (
            self.header.get("structure"), self.header.get("structure_kind")))
        yield DataSetStart(action=action, structure=structure, structure_kind=kind,
                           provider=attrs.get("dataProviderID") or self.header.get("provider"),
                           dimension_at_observation=self.obs_dim, where=f"line {ds.sourceline}",
                           extra={k: v for k, v in attrs.items() if k in ("validFromDate", "reportingBeginDate")})
        if own and not self.generic:  # structure-specific: data set attributes are XML attributes
            yield KeyAttributes({}, own, "dataset", f"line {ds.sourceline}")
        handler = self._generic_child if self.generic else self._specific_child
        depth = 0
        for event, elem in events:
            if event == "start":
                depth += 1
                continue
            if depth == 0:  # the DataSet's own end
                ds.clear()
                return
            depth -= 1
            if depth == 0:
                yield from handler(elem)
                elem.clear()
                parent = elem.getparent()
                if parent is not None:
                    parent.remove(elem)

    # -- structure-specific ------------------------------------------------------------------------
    def _specific_child(self, elem: etree._Element) -> Iterator[DataEvent]:
        local = _local(elem.tag)
        where = f"line {elem.sourceline}"
        if local == "Series":
            series_key: dict[str, str] = {}
            series_attrs: dict[str, str] = {}
            for k, v in elem.attrib.items():
                if k in self.key_ids:
                    series_key[k] = v
                elif not k.startswith("{"):
                    series_attrs[k] = v
            missing = self.series_dims - series_key.keys()
            if missing:
                raise BadInput(f"a series lacks the dimension(s) {', '.join(sorted(missing))}",
                               line=elem.sourceline)
            if series_attrs:  # key: the series key as written (time included in a cross-section)
                yield KeyAttributes(dict(series_key), series_attrs, "series", where)
            for obs in elem:
                tag = obs.tag
                if tag == "Obs" or _local(tag) == "Obs":
                    if len(obs):
                        _no_complex(obs)
                    yield self._specific_obs(obs, series_key)
                elif _local(tag) == "Comp":
                    _no_complex(elem)
        elif local == "Obs":  # flat: every dimension on the observation
            yield self._specific_obs(elem, {})
        elif local == "Group":
            key = {k: v for k, v in elem.attrib.items() if k in self.dims}
            attrs = {k: v for k, v in elem.attrib.items() if k not in self.dims and not k.startswith("{")}
            if attrs:
                yield KeyAttributes(key, attrs, "group", where)
        elif local == "DataProvider":
            pass
        else:
            raise BadInput(f"unexpected element <{local}> in a structure-specific data set", line=elem.sourceline)

    def _specific_obs(self, obs: etree._Element, series_key: dict[str, str]) -> Observation:
        key = dict(series_key)
        measures: dict[str, str] = {}
        attrs: dict[str, str] = {}
        targets = (key, measures, attrs)
        kinds = self.kinds
        for k, v in obs.items():  # items(), not .attrib: no proxy object per observation
            kind = kinds.get(k)
            if kind is None:  # first sight of this XML attribute name: classify once
                kind = kinds[k] = (0 if k in self.key_ids else 1 if k in self.measures
                                   else -1 if k[0] == "{" else 2)
            if kind >= 0:
                targets[kind][k] = v
        if len(key) < self.n_keys and self.obs_dim not in key and obs.get(XSI_TYPE):
            key[self.obs_dim] = obs.get(XSI_TYPE).rpartition(":")[2]  # 2.1 explicit measures: xsi:type="ns:CODE"
        action = None
        if self.version == "3.0" and "action" in attrs:
            action = _ACTIONS.get(attrs["action"].lower())
            if action:
                del attrs["action"]
        return Observation(key, measures, attrs, f"line {obs.sourceline}", action)

    # -- generic -------------------------------------------------------------------------------------
    def _generic_child(self, elem: etree._Element) -> Iterator[DataEvent]:
        local = _local(elem.tag)
        where = f"line {elem.sourceline}"
        if local == "Series":
            key: dict[str, str] = {}
            attrs: dict[str, str] = {}
            observations = []
            for child in elem:
                cl = _local(child.tag)
                if cl == "SeriesKey":
                    key = _values(child)
                elif cl == "Attributes":
                    attrs = _values(child)
                elif cl == "Obs":
                    observations.append(child)
            if attrs:
                yield KeyAttributes(dict(key), attrs, "series", where)
            for obs in observations:
                yield self._generic_obs(obs, key)
        elif local == "Obs":  # flat
            yield self._generic_obs(elem, {})
        elif local == "Group":
            key, attrs = {}, {}
            for child in elem:
                if _local(child.tag) == "GroupKey":
                    key = _values(child)
                elif _local(child.tag) == "Attributes":
                    attrs = _values(child)
            if attrs:
                yield KeyAttributes(key, attrs, "group", where)
        elif local == "Attributes":
            yield KeyAttributes({}, _values(elem), "dataset", where)
        elif local == "DataProvider":
            pass
        else:
            raise BadInput(f"unexpected element <{local}> in a generic data set", line=elem.sourceline)

    def _generic_obs(self, obs: etree._Element, series_key: dict[str, str]) -> Observation:
        key = dict(series_key)
        measures: dict[str, str] = {}
        attrs: dict[str, str] = {}
        for child in obs:
            cl = _local(child.tag)
            if cl == "ObsDimension":
                key[child.get("id") or self.obs_dim] = child.get("value", "")
            elif cl == "ObsKey":
                key.update(_values(child))
            elif cl == "ObsValue":
                value = child.get("value")
                if value is not None:
                    measures[child.get("id") or self.primary] = value
            elif cl == "Attributes":
                attrs = _values(child)
        return Observation(key, measures, attrs, f"line {obs.sourceline}")


def _no_complex(elem: etree._Element) -> None:
    """SDMX 3.0 complex (multi-valued, multilingual) attribute values: refused rather than dropped."""
    for child in elem:
        if _local(child.tag) == "Comp":
            raise BadInput(f"complex attribute values (<Comp id=\"{child.get('id')}\">) are not supported yet",
                           line=child.sourceline)


def _values(elem: etree._Element) -> dict[str, str]:
    out = {}
    for v in elem:
        if _local(v.tag) == "Value":
            id_, value = v.get("id"), v.get("value")
            if id_ is None or value is None:
                raise BadInput(f"a generic <Value> lacks its {'id' if id_ is None else 'value'}", line=v.sourceline)
            out[id_] = value
    return out


def _reference(ref_parent: etree._Element) -> tuple[str, str]:
    """The structure the header names: (URN or agency:id(version), kind)."""
    kind = {"Structure": "datastructure", "StructureUsage": "dataflow",
            "ProvisionAgrement": "provisionagreement", "ProvisionAgreement": "provisionagreement"}.get(
        _local(ref_parent.tag), "datastructure")
    for child in ref_parent.iter():
        if _local(child.tag) == "URN" and child.text:
            return child.text.strip(), kind
        if _local(child.tag) == "Ref":
            return f"{child.get('agencyID')}:{child.get('id')}({child.get('version', '1.0')})", kind
    if ref_parent.text and ref_parent.text.strip().startswith("urn:"):
        return ref_parent.text.strip(), kind
    return "", kind


def _item_id(elem: etree._Element) -> str | None:
    for child in elem.iter():
        if _local(child.tag) == "Ref":
            return child.get("id")
        if _local(child.tag) == "URN" and child.text:
            return child.text.strip().rpartition(".")[2]
    text = (elem.text or "").strip()
    return text.rpartition(".")[2] if text else None
