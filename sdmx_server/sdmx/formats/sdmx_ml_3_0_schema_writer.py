"""SDMX-ML 3.0 structure-specific schema (XSD) of a data structure in a context.

The rules are those of SDMX 2.1 (reused from :mod:`sdmx_ml_2_1_schema_writer`: layout, simple types,
groups, series and observations) with the 3.0 namespaces and three differences: no time-series base
types, a data set that mixes ``Atts``, ``Group`` and ``Series``/``Obs`` in any order, and the ``Atts``
element for attribute values at partial keys. ``deletion`` makes every dimension optional, since a
deletion message may name partial keys.
"""

from __future__ import annotations

from lxml import etree

from ..data_validity import DataValidity
from .sdmx_ml_2_1_schema_writer import (TIME_PERIOD, SchemaWriter, _element, _prohibit, _restriction, _sequence,
                                        _xs)


class SchemaWriter30(SchemaWriter):
    common_ns = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"
    dsd_ns = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/data/structurespecific"
    base_declares_year_start = False

    @property
    def time_series(self) -> bool:
        return False  # SDMX 3.0 derives every packaging from the same base types

    def complex_types(self) -> list[etree._Element]:
        out = [*super().complex_types(), self.atts_type()]
        for ct in out:  # series, observations, groups and Atts may hold complex values
            if ct.get("abstract") != "true" and ct.get("name") != "DataSetType":
                seq = ct.find(f"{_xs('complexContent')}/{_xs('restriction')}/{_xs('sequence')}")
                seq.insert(1, _comp_element())
        return [*out, *self.comp_types()]

    def comp_types(self) -> list[etree._Element]:
        """One ``{ID}_ATTRIBUTE`` (``{ID}_MEASURE``) type per component for its ``<Comp>`` (list or multilingual
        values), named as the generated schemas of the SDMX 3.0 specimens name them. The structures this server
        keeps do not say which components take several values, so every attribute and measure may, and a value
        is plain text or ``common:Text`` in several languages."""
        value, restriction = _restriction("ComplexValueType", "common:ValueType", mixed="true")
        choice = etree.SubElement(restriction, _xs("choice"), minOccurs="0")
        etree.SubElement(choice, _xs("element"), ref="common:Text", minOccurs="0", maxOccurs="unbounded")
        out = [value]
        kinds = [(a.id, "ATTRIBUTE") for a in self.info.attributes] + [(m.id, "MEASURE") for m in self.info.measures]
        for cid, kind in kinds:
            ct, restriction = _restriction(f"{cid}_{kind}", "dsd:CompType")
            _element(_sequence(restriction), "Value", "ComplexValueType", minOccurs="0", maxOccurs="unbounded")
            etree.SubElement(restriction, _xs("attribute"), name="id", type="common:NCNameIDType", use="required",
                             fixed=cid)
            out.append(ct)
        return out

    def dataset_type(self) -> etree._Element:
        ct, restriction = _restriction("DataSetType", "dsd:DataSetType")
        seq = _sequence(restriction)
        _element(seq, "DataProvider", "common:DataProviderReferenceType", minOccurs="0")
        choice = etree.SubElement(seq, _xs("choice"), minOccurs="0", maxOccurs="unbounded")
        _element(choice, "Atts", "AttsType")
        if self.info.groups:
            _element(choice, "Group", self.group_element_type())
        if self.layout.flat:
            _element(choice, "Obs", "ObsType")
        else:
            _element(choice, "Series", "SeriesType")
        self.attributes(restriction, self.layout.dataset_attributes, "optional")
        return ct

    def atts_type(self) -> etree._Element:
        """Attribute values for a partial key: any dimension may be given, any attribute reported."""
        ct, restriction = _restriction("AttsType", "dsd:AttsType")
        _sequence(restriction)
        self.attributes(restriction, self.info.dimension_ids, "optional")
        if self.time is None:
            _prohibit(restriction, TIME_PERIOD, "common:ObservationalTimePeriodType")
        else:
            self.attributes(restriction, [self.time], "optional")
        self.attributes(restriction, [a.id for a in self.info.attributes], "optional")
        return ct


def _comp_element() -> etree._Element:
    return etree.Element(_xs("element"), name="Comp", type="dsd:CompType", form="unqualified", minOccurs="0",
                         maxOccurs="unbounded")


def write_schema(validity: DataValidity, observation_dimension: str, *, deletion: bool = False,
                 schema_location: str = "") -> bytes:
    """The SDMX-ML 3.0 schema; ``schema_location`` prefixes the official schema files' names."""
    return SchemaWriter30(validity, observation_dimension, deletion=deletion, schema_location=schema_location).write()
