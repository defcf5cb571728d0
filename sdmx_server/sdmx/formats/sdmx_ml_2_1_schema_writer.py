"""SDMX-ML 2.1 structure-specific schema (XSD) of a data structure in a context: DSD, dataflow or provision agreement.

Follows the standard's rules for DSD-specific schemas (SDMX 2.1 section 3A, part IV): the data set,
group, series and observation types restrict the structure-specific base types, every component
becomes an XML attribute of the level it is reported at, and coded components get a simple type
that enumerates only the codes the context's constraints allow. A message validated by this schema
(plus the official ones) therefore has only allowed codes. :class:`SchemaWriter` is subclassed by
the SDMX 3.0 writer, which differs in namespaces and in the data set's content model.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..artefacts import parse_urn
from ..data_structure import DataStructureInfo
from ..data_validity import DataValidity, Enumeration, component_dicts

XS = "http://www.w3.org/2001/XMLSchema"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ALL_DIMENSIONS = "AllDimensions"
TIME_PERIOD = "TIME_PERIOD"

#: SDMX data type -> XML Schema type (section 3A, "Simple / Primitive Type Determination")
TEXT_TYPES: dict[str, str] = {
    "String": "xs:string", "AlphaNumeric": "common:AlphaNumericType", "Alpha": "common:AlphaType",
    "Numeric": "common:NumericType", "BigInteger": "xs:integer", "Integer": "xs:int", "Long": "xs:long",
    "Short": "xs:short", "Decimal": "xs:decimal", "Float": "xs:float", "Double": "xs:double",
    "Boolean": "xs:boolean", "URI": "xs:anyURI", "Count": "xs:integer", "InclusiveValueRange": "xs:decimal",
    "ExclusiveValueRange": "xs:decimal", "Incremental": "xs:decimal",
    "ObservationalTimePeriod": "common:ObservationalTimePeriodType",
    "StandardTimePeriod": "common:StandardTimePeriodType", "BasicTimePeriod": "common:BasicTimePeriodType",
    "GregorianTimePeriod": "common:GregorianTimePeriodType", "GregorianYear": "xs:gYear",
    "GregorianYearMonth": "xs:gYearMonth", "GregorianDay": "xs:date",
    "ReportingTimePeriod": "common:ReportingTimePeriodType", "ReportingYear": "common:ReportingYearType",
    "ReportingSemester": "common:ReportingSemesterType", "ReportingTrimester": "common:ReportingTrimesterType",
    "ReportingQuarter": "common:ReportingQuarterType", "ReportingMonth": "common:ReportingMonthType",
    "ReportingWeek": "common:ReportingWeekType", "ReportingDay": "common:ReportingDayType",
    "DateTime": "xs:dateTime", "TimeRange": "common:TimeRangeType", "Month": "xs:gMonth",
    "MonthDay": "xs:gMonthDay", "Day": "xs:gDay", "Time": "xs:time", "Duration": "xs:duration",
}
_LENGTH_BASES = frozenset({"xs:string", "common:AlphaNumericType", "common:AlphaType", "common:NumericType",
                           "xs:anyURI"})
_VALUE_BASES = frozenset({"xs:decimal", "xs:integer", "xs:int", "xs:long", "xs:short", "xs:float", "xs:double"})
_DECIMAL_BASES = frozenset({"xs:decimal", "xs:integer", "xs:int", "xs:long", "xs:short"})
# the time types a TIME_PERIOD XML attribute may take: the base types declare ObservationalTimePeriodType
_TIME_BASES = frozenset({"common:ObservationalTimePeriodType", "common:StandardTimePeriodType",
                         "common:BasicTimePeriodType", "common:GregorianTimePeriodType",
                         "common:ReportingTimePeriodType", "common:TimeRangeType"})
# XML attributes the base types declare themselves: a DSD component of that name cannot retype them
REPORTING_YEAR_START_DAY = "REPORTING_YEAR_START_DAY"
_RESERVED = frozenset({"type", REPORTING_YEAR_START_DAY})


@dataclass(frozen=True)
class Layout:
    """Where each component is reported when ``observation_dimension`` is at the observation level."""

    observation_dimension: str
    series_dimensions: tuple[str, ...]
    observation_dimensions: tuple[str, ...]
    dataset_attributes: tuple[str, ...]
    group_attributes: dict[str, tuple[str, ...]]
    series_attributes: tuple[str, ...]
    observation_attributes: tuple[str, ...]

    @property
    def flat(self) -> bool:
        return self.observation_dimension == ALL_DIMENSIONS


def layout(info: DataStructureInfo, observation_dimension: str) -> Layout:
    """Attributes of a group go in the group; attributes relating to dimensions go on the series unless one of
    those dimensions is at the observation level (or all are: AllDimensions), then on the observation."""
    keys = info.key_ids
    flat = observation_dimension == ALL_DIMENSIONS
    series_dims = () if flat else tuple(k for k in keys if k != observation_dimension)
    obs_dims = keys if flat else (observation_dimension,)
    dataset, series, obs = [], [], []
    groups: dict[str, list[str]] = {g: [] for g in info.groups}
    for a in info.attributes:
        if a.id in _RESERVED:
            continue
        if a.attachment == "dataset":
            dataset.append(a.id)
        elif a.attachment == "group" and a.group in groups:
            groups[a.group].append(a.id)
        elif a.attachment == "observation" or flat or observation_dimension in a.attached_to:
            obs.append(a.id)
        else:
            series.append(a.id)
    return Layout(observation_dimension, series_dims, tuple(obs_dims), tuple(dataset),
                  {g: tuple(v) for g, v in groups.items()}, tuple(series), tuple(obs))


def namespace(validity: DataValidity, observation_dimension: str) -> str:
    """The target namespace the standard gives the schema: the context's URN and the observation dimension."""
    return f"{validity.context_urn}:ObsLevelDim:{observation_dimension}"


class SchemaWriter:
    """Builds the schema document; the 3.0 writer overrides the namespaces and the container types."""

    common_ns = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
    dsd_ns = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
    common_file = "SDMXCommon.xsd"
    dsd_file = "SDMXDataStructureSpecific.xsd"
    # the 2.1 base types declare REPORTING_YEAR_START_DAY everywhere; derived types must prohibit it
    # where the DSD does not report it (the base schema's documentation says so); 3.0 has no such attribute
    base_declares_year_start = True

    def __init__(self, validity: DataValidity, observation_dimension: str, *, deletion: bool = False,
                 schema_location: str = ""):
        self.validity = validity
        self.info = DataStructureInfo.from_artefact(validity.structure)
        self.layout = layout(self.info, observation_dimension)
        self.deletion = deletion
        self.schema_location = schema_location
        self.components = {c["id"]: c for c in component_dicts(validity.structure)}
        self.time = self.info.time_dimension
        self._simple: dict[str, etree._Element] = {}  # simple types by name, in first-use order
        self._refs: dict[str, str] = {}  # component id -> type reference

    # -- the document ---------------------------------------------------------------------------
    def write(self) -> bytes:
        ns = namespace(self.validity, self.layout.observation_dimension)
        root = etree.Element(_xs("schema"), nsmap={None: ns, "xs": XS, "common": self.common_ns, "dsd": self.dsd_ns},
                             targetNamespace=ns, elementFormDefault="qualified", attributeFormDefault="unqualified")
        for uri, name in ((self.common_ns, self.common_file), (self.dsd_ns, self.dsd_file)):
            etree.SubElement(root, _xs("import"), namespace=uri, schemaLocation=self.schema_location + name)
        complex_types = self.complex_types()  # first: they decide which simple types are used
        root.extend(self._simple.values())
        root.extend(complex_types)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def complex_types(self) -> list[etree._Element]:
        out = [self.dataset_type(), *self.group_types()]
        if not self.layout.flat:
            out.append(self.series_type())
        out.append(self.observation_type())
        return out

    @property
    def time_series(self) -> bool:
        """SDMX 2.1 has base types of their own for TIME_PERIOD at the observation level."""
        return self.time is not None and self.layout.observation_dimension == self.time

    # -- container types -------------------------------------------------------------------------
    def dataset_type(self) -> etree._Element:
        ct, restriction = _restriction("DataSetType", "dsd:TimeSeriesDataSetType" if self.time_series
                                       else "dsd:DataSetType")
        seq = _sequence(restriction)
        _element(seq, "DataProvider", "common:DataProviderReferenceType", minOccurs="0")
        if self.info.groups:
            _element(seq, "Group", self.group_element_type(), minOccurs="0", maxOccurs="unbounded")
        choice = etree.SubElement(seq, _xs("choice"), minOccurs="0")
        if self.layout.flat:
            _element(choice, "Obs", "ObsType", maxOccurs="unbounded")
        else:
            _element(choice, "Series", "SeriesType", maxOccurs="unbounded")
        self.attributes(restriction, self.layout.dataset_attributes, "optional")
        self.year_start(restriction, self.layout.dataset_attributes)
        return ct

    def group_element_type(self) -> str:
        return "GroupType" if len(self.info.groups) > 1 else next(iter(self.info.groups))

    def group_types(self) -> list[etree._Element]:
        """One type per group, named after it; with several groups, an abstract GroupType above them."""
        if not self.info.groups:
            return []
        out = []
        parent = "dsd:GroupType"
        if len(self.info.groups) > 1:
            ct, restriction = _restriction("GroupType", parent, abstract="true")
            _sequence(restriction)
            self.year_start(restriction, [a for ids in self.layout.group_attributes.values() for a in ids])
            etree.SubElement(restriction, _xs("anyAttribute"), namespace="##local")
            out.append(ct)
            parent = "GroupType"
        for gid, dims in self.info.groups.items():
            ct, restriction = _restriction(gid, parent)
            _sequence(restriction)
            etree.SubElement(restriction, _xs("attribute"), name="type", type="common:IDType", use="optional",
                             fixed=gid)
            self.attributes(restriction, dims, self.dimension_use())
            self.attributes(restriction, self.layout.group_attributes.get(gid, ()), "optional")
            self.year_start(restriction, self.layout.group_attributes.get(gid, ()))
            out.append(ct)
        return out

    def series_type(self) -> etree._Element:
        ct, restriction = _restriction("SeriesType", "dsd:TimeSeriesType" if self.time_series else "dsd:SeriesType")
        seq = _sequence(restriction)
        _element(seq, "Obs", "ObsType", minOccurs="0", maxOccurs="unbounded")
        self.attributes(restriction, self.layout.series_dimensions, self.dimension_use())
        if self.time is None:
            _prohibit(restriction, TIME_PERIOD, "common:ObservationalTimePeriodType")
        self.attributes(restriction, self.layout.series_attributes, "optional")
        self.year_start(restriction, self.layout.series_attributes)
        return ct

    def observation_type(self) -> etree._Element:
        ct, restriction = _restriction("ObsType", "dsd:TimeSeriesObsType" if self.time_series else "dsd:ObsType")
        _sequence(restriction)
        if not self.time_series:
            _prohibit(restriction, "type", "common:IDType")
        self.attributes(restriction, self.layout.observation_dimensions, self.dimension_use())
        if TIME_PERIOD not in self.layout.observation_dimensions and not self.time_series:
            _prohibit(restriction, TIME_PERIOD, "common:ObservationalTimePeriodType")
        self.attributes(restriction, [m.id for m in self.info.measures], "optional")
        self.attributes(restriction, self.layout.observation_attributes, "optional")
        self.year_start(restriction, self.layout.observation_attributes)
        return ct

    def year_start(self, restriction: etree._Element, attribute_ids) -> None:
        """Prohibit the base type's REPORTING_YEAR_START_DAY where the DSD reports no such attribute."""
        if self.base_declares_year_start and REPORTING_YEAR_START_DAY not in attribute_ids:
            _prohibit(restriction, REPORTING_YEAR_START_DAY, "xs:gMonthDay")

    def dimension_use(self) -> str:
        return "optional" if self.deletion else "required"

    # -- XML attributes and their simple types ---------------------------------------------------
    def attributes(self, parent: etree._Element, ids, use: str) -> None:
        for cid in ids:
            if cid not in _RESERVED:
                etree.SubElement(parent, _xs("attribute"), name=cid, type=self.type_of(cid), use=use)

    def type_of(self, cid: str) -> str:
        """The type reference for a component's XML attribute, creating its simple type on first use."""
        if cid not in self._refs:
            self._refs[cid] = self._make_type(cid)
        return self._refs[cid]

    def _make_type(self, cid: str) -> str:
        fmt = _format(self.components.get(cid, {}))
        base = TEXT_TYPES.get(fmt.get("dataType") or fmt.get("textType") or "String", "xs:string")
        if cid == self.time and base not in _TIME_BASES:
            base = "common:ObservationalTimePeriodType"
        enum = self.validity.enumerations.get(cid)
        if enum is not None:
            name = _enumeration_name(cid, enum)
            if name not in self._simple:
                self._simple[name] = _enumerated(name, "xs:string" if enum.codelist else base, enum)
            return name
        facets = [] if cid == self.time else _facets(fmt, base)
        if not facets:
            return base
        name = f"{cid}.Type"
        st = etree.Element(_xs("simpleType"), name=name)
        restriction = etree.SubElement(st, _xs("restriction"), base=base)
        for facet, value in facets:
            etree.SubElement(restriction, _xs(facet), value=value)
        self._simple[name] = st
        return name


def write_schema(validity: DataValidity, observation_dimension: str, *, deletion: bool = False,
                 schema_location: str = "") -> bytes:
    """The SDMX-ML 2.1 schema; ``deletion`` does not apply to SDMX 2.1 (its time series keep TIME_PERIOD
    required) and is accepted for a uniform signature. ``schema_location`` prefixes the official files' names."""
    return SchemaWriter(validity, observation_dimension, schema_location=schema_location).write()


# -- helpers shared with the 3.0 writer ------------------------------------------------------------

def _xs(name: str) -> str:
    return f"{{{XS}}}{name}"


def _restriction(name: str, base: str, **attrs: str) -> tuple[etree._Element, etree._Element]:
    ct = etree.Element(_xs("complexType"), name=name, **attrs)
    content = etree.SubElement(ct, _xs("complexContent"))
    return ct, etree.SubElement(content, _xs("restriction"), base=base)


def _sequence(restriction: etree._Element) -> etree._Element:
    seq = etree.SubElement(restriction, _xs("sequence"))
    etree.SubElement(seq, _xs("element"), ref="common:Annotations", minOccurs="0")
    return seq


def _element(parent: etree._Element, name: str, type_: str, **occurs: str) -> etree._Element:
    return etree.SubElement(parent, _xs("element"), name=name, type=type_, form="unqualified", **occurs)


def _prohibit(parent: etree._Element, name: str, type_: str) -> None:
    etree.SubElement(parent, _xs("attribute"), name=name, type=type_, use="prohibited")


def _format(component: dict) -> dict:
    rep = component.get("localRepresentation") or {}
    return rep.get("format") or rep.get("textFormat") or {}


def _facets(fmt: dict, base: str) -> list[tuple[str, str]]:
    """The XML Schema facets of an SDMX text format that the base type admits."""
    out: list[tuple[str, str]] = []
    if base in _LENGTH_BASES:
        out += [(facet, str(fmt[key])) for key, facet in (("minLength", "minLength"), ("maxLength", "maxLength"))
                if key in fmt]
    if base in _VALUE_BASES:
        exclusive = fmt.get("dataType") == "ExclusiveValueRange"
        for key, inclusive, strict in (("minValue", "minInclusive", "minExclusive"),
                                       ("maxValue", "maxInclusive", "maxExclusive")):
            if key in fmt:
                out.append((strict if exclusive else inclusive, _number(fmt[key])))
    if base in _DECIMAL_BASES and "decimals" in fmt:
        out.append(("fractionDigits", str(fmt["decimals"])))
    if "pattern" in fmt and (base in _LENGTH_BASES or base in _VALUE_BASES):
        out.append(("pattern", str(fmt["pattern"])))
    return out


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _enumeration_name(cid: str, enum: Enumeration) -> str:
    """Codelist-wide types share the codelist's name (AGENCY.ID.VERSION, as ECB names them); a list narrowed
    for one component adds the component's id. Dots keep these apart from group ids and the fixed type names."""
    if enum.codelist is None:
        return f"{cid}.Type"
    u = parse_urn(enum.codelist)
    name = f"{u.agency_id}.{u.id}.{u.version}"
    return f"{name}.{cid}" if enum.restricted else name


def _enumerated(name: str, base: str, enum: Enumeration) -> etree._Element:
    st = etree.Element(_xs("simpleType"), name=name)
    restriction = etree.SubElement(st, _xs("restriction"), base=base)
    if not enum.codes:  # a constraint that allows nothing: a type no value has
        etree.SubElement(restriction, _xs("pattern"), value=r"[^\s\S]")
    for code, names in enum.codes:
        e = etree.SubElement(restriction, _xs("enumeration"), value=code)
        if names:
            doc = etree.SubElement(e, _xs("annotation"))
            for lang in sorted(names):
                d = etree.SubElement(doc, _xs("documentation"))
                d.set(XML_LANG, lang)
                d.text = names[lang]
    return st
