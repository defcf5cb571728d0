"""Canonical artefacts to SDMX-ML Structure messages, 2.1 or 3.0.

The two versions share their element shapes; they differ in namespaces, in how references
are written (2.1 a ``Ref`` element with attributes, 3.0 a URN as text), in a few names
(ContentConstraint / DataConstraint, PrimaryMeasure / Measure) and in the order of the
containers. One module with a version switch keeps those differences side by side; the
per-version writer modules are thin entry points over it.
"""

from __future__ import annotations

import re

import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from lxml import etree

from ..artefacts import TYPES, Artefact, data_types, parse_urn, references, urn_of
from ..versions import VERSION_2_1
from .sdmx1_structures import INCOMPLETE_TYPES
from .sdmx_ml_metadata_structures import REFUSAL

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_BASE = {"2.1": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/",
         "3.0": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/"}

# (container element, item element) per type and version; None = the version cannot carry it
_CONTAINERS: dict[str, dict[str, str | None]] = {
    "2.1": {
        "agencyscheme": "OrganisationSchemes", "dataproviderscheme": "OrganisationSchemes",
        "dataconsumerscheme": "OrganisationSchemes", "organisationunitscheme": "OrganisationSchemes",
        "dataflow": "Dataflows", "metadataflow": "Metadataflows", "categoryscheme": "CategorySchemes",
        "categorisation": "Categorisations", "codelist": "Codelists", "conceptscheme": "Concepts",
        "datastructure": "DataStructures", "dataconstraint": "Constraints",
        "provisionagreement": "ProvisionAgreements",
    },
    "3.0": {
        "agencyscheme": "AgencySchemes", "categorisation": "Categorisations", "categoryscheme": "CategorySchemes",
        "codelist": "Codelists", "conceptscheme": "ConceptSchemes", "dataconstraint": "DataConstraints",
        "dataconsumerscheme": "DataConsumerSchemes", "dataflow": "Dataflows",
        "dataproviderscheme": "DataProviderSchemes", "datastructure": "DataStructures",
        "metadataflow": "Metadataflows", "metadatastructure": "MetadataStructures",
        "metadataproviderscheme": "MetadataProviderSchemes",
        "organisationunitscheme": "OrganisationUnitSchemes", "provisionagreement": "ProvisionAgreements",
        "valuelist": "ValueLists", "representationmap": "RepresentationMaps", "structuremap": "StructureMaps",
    },
}
_ORDER = {
    "2.1": ["OrganisationSchemes", "Dataflows", "Metadataflows", "CategorySchemes", "Categorisations", "Codelists",
            "HierarchicalCodelists", "Concepts", "MetadataStructures", "DataStructures", "StructureSets",
            "ReportingTaxonomies", "Processes", "Constraints", "ProvisionAgreements"],
    # 3.0 allows any order (xs:all): referenced artefacts first, so readers meet them before their users
    "3.0": ["AgencySchemes", "OrganisationUnitSchemes", "DataProviderSchemes", "DataConsumerSchemes",
            "MetadataProviderSchemes", "Codelists", "ValueLists", "GeographicCodelists", "GeoGridCodelists",
            "ConceptSchemes", "CategorySchemes", "ReportingTaxonomies", "Hierarchies", "CustomTypeSchemes",
            "NamePersonalisationSchemes", "RulesetSchemes", "UserDefinedOperatorSchemes", "DataStructures",
            "MetadataStructures", "Dataflows", "Metadataflows", "VtlMappingSchemes", "TransformationSchemes",
            "HierarchyAssociations", "ProvisionAgreements", "MetadataProvisionAgreements", "DataConstraints",
            "MetadataConstraints", "Categorisations", "CategorySchemeMaps", "ConceptSchemeMaps",
            "OrganisationSchemeMaps", "ReportingTaxonomyMaps", "RepresentationMaps", "StructureMaps",
            "Processes"],
}
_ELEMENT = {  # artefact element name, where it is not the URN class name
    ("2.1", "dataconstraint"): "ContentConstraint",
    ("3.0", "dataconstraint"): "DataConstraint",
    ("2.1", "conceptscheme"): "ConceptScheme",
}
_ITEM_ELEMENT = {"agencyscheme": "Agency", "dataproviderscheme": "DataProvider", "dataconsumerscheme": "DataConsumer",
                 "organisationunitscheme": "OrganisationUnit", "metadataproviderscheme": "MetadataProvider",
                 "codelist": "Code", "conceptscheme": "Concept", "categoryscheme": "Category",
                 "valuelist": "ValueItem"}
# 2.1 fixes the id and version of organisation schemes
_V21_FIXED = {"agencyscheme": ("AGENCIES", "1.0"), "dataproviderscheme": ("DATA_PROVIDERS", "1.0"),
              "dataconsumerscheme": ("DATA_CONSUMERS", "1.0")}
# 3.0 organisation schemes have no version
_V30_UNVERSIONED = {"agencyscheme", "dataproviderscheme", "dataconsumerscheme", "metadataproviderscheme"}
_TEXT_FORMAT_ATTRS = {"isSequence": "isSequence", "isMultiLingual": "isMultiLingual", "interval": "interval", "startValue": "startValue",
                      "endValue": "endValue", "timeInterval": "timeInterval", "startTime": "startTime",
                      "endTime": "endTime", "minLength": "minLength", "maxLength": "maxLength",
                      "minValue": "minValue", "maxValue": "maxValue", "decimals": "decimals", "pattern": "pattern"}


def unsupported(artefacts: Iterable[Artefact], version: str) -> list[str]:
    """URNs of artefacts the version's Structure message has no (or no faithful) element for.

    A dataflow whose structure is left out of the same message is left out too: it would point
    at nothing the reader can find.
    """
    artefacts = list(artefacts)
    out = [urn_of(a) for a in artefacts if unsupported_reason(a, version)]
    left_out = set(out)
    for a in artefacts:
        if a["type"] in ("dataflow", "metadataflow") and a.get("structure") in left_out:
            out.append(urn_of(a))
    return out


def unsupported_reason(a: Artefact, version: str) -> str | None:
    """Why this artefact cannot be written faithfully in the version, or None when it can."""
    t = a["type"]
    if a.get(REFUSAL):
        return a[REFUSAL]
    if t not in _CONTAINERS[version] or t in INCOMPLETE_TYPES:
        return f"SDMX-ML {version} has no element for {t}"
    if version == "2.1":
        return _unsupported_2_1(a)
    if t == "datastructure" and any(d.get("isMeasureDimension") for d in _dimensions(a)):
        return "SDMX 3.0 has no measure dimension"
    if t == "metadataflow" and not a.get("targets") and not a.get("isExternalReference"):
        return "an SDMX-ML 3.0 Metadataflow needs at least one Target, and this one has none"
    if t not in _V30_UNVERSIONED and not _SEMVER_3_0.fullmatch(a.get("version", "")):
        return f"version {a.get('version')!r} is not a valid SDMX 3.0 version (major.minor[.patch][-extension])"
    return None


def _unsupported_2_1(a: Artefact) -> str | None:
    t = a["type"]
    if t in ("metadatastructure", "metadataflow"):
        # 2.1 metadata structures are built on metadata targets and report structures, and its
        # metadataflows have no Target: the standard gives no mapping from the 3.0 model back
        return (f"SDMX-ML 2.1 cannot represent an SDMX 3.0 {t} (the 2.1 model has metadata targets and report "
                "structures, no metadata attribute list, and metadataflows without targets)")
    if t in _V21_FIXED and (a["id"], a["version"]) != _V21_FIXED[t]:
        return f"SDMX-ML 2.1 fixes the id and version of a {t} to {'/'.join(_V21_FIXED[t])}"
    if not VERSION_2_1.fullmatch(a.get("version", "")):
        return f"version {a.get('version')!r} is not a valid SDMX 2.1 version (numbers separated by dots)"
    for urn in references(a):
        try:
            ref = parse_urn(urn)
        except ValueError:
            return f"{urn!r} is not an SDMX URN"
        if ref.type in ("valuelist", "hierarchy", "geographiccodelist", "geogridcodelist"):
            return f"SDMX-ML 2.1 cannot reference a {ref.type}, a 3.0 class ({urn})"
        if not VERSION_2_1.fullmatch(ref.version or ""):
            return f"the reference {urn} has version {ref.version!r}; SDMX-ML 2.1 references name one version"
    if t == "datastructure" and len(_measures(a)) > 1:
        return "SDMX-ML 2.1 allows one primary measure"
    if any(dt not in DATA_TYPES_2_1 for dt in data_types(a)):
        return "a data type SDMX-ML 2.1 does not know"
    if t == "provisionagreement" and not (a.get("dataflow") and a.get("dataProvider")):
        return "an SDMX-ML 2.1 provision agreement needs dataflow and dataProvider references"
    attachment = a.get("constraintAttachment") or {}
    if t == "dataconstraint" and len([k for k, v in attachment.items() if v]) > 1:
        return "an SDMX-ML 2.1 constraint attaches to one kind of artefact (its ConstraintAttachment is a choice)"
    return None


def _dimensions(a: Artefact) -> list[dict]:
    return a.get("dataStructureComponents", {}).get("dimensionList", {}).get("dimensions", [])


# SDMX 3.0 common:VersionType: legacy major.minor, or semantic major.minor.patch with an optional extension
_SEMVER_3_0 = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?|(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?")


def write(artefacts: list[Artefact], version: str, header: dict | None = None) -> bytes:
    """Callers leave out what ``unsupported`` names; writing it anyway is a programming error."""
    refused = unsupported(artefacts, version)
    if refused:
        raise ValueError(f"cannot be written as SDMX-ML {version}: {', '.join(refused)}")
    w = _Writer(version)
    return w.message(artefacts, header or {})


TIME_TYPES = {"ObservationalTimePeriod", "StandardTimePeriod", "BasicTimePeriod", "GregorianTimePeriod",
              "GregorianYear", "GregorianYearMonth", "GregorianDay", "ReportingTimePeriod", "ReportingYear",
              "ReportingSemester", "ReportingTrimester", "ReportingQuarter", "ReportingMonth", "ReportingWeek",
              "ReportingDay", "DateTime", "TimeRange"}
DATA_TYPES_2_1 = TIME_TYPES | {
    "String", "Alpha", "AlphaNumeric", "Numeric", "BigInteger", "Integer", "Long", "Short", "Decimal", "Float",
    "Double", "Boolean", "URI", "Count", "InclusiveValueRange", "ExclusiveValueRange", "Incremental",
    "Month", "MonthDay", "Day", "Time", "Duration", "XHTML", "KeyValues", "IdentifiableReference",
    "DataSetReference", "AttachmentConstraintReference"}


def _measures(a: Artefact) -> list[dict]:
    return a.get("dataStructureComponents", {}).get("measureList", {}).get("measures", [])


class _Writer:
    def __init__(self, version: str):
        self.v = version
        base = _BASE[version]
        self.mes, self.str, self.com = base + "message", base + "structure", base + "common"
        self.v21 = version == "2.1"

    # -- helpers -----------------------------------------------------------------------------
    def S(self, parent: etree._Element, name: str, **attrs: Any) -> etree._Element:
        return etree.SubElement(parent, f"{{{self.str}}}{name}", {k: _attr(v) for k, v in attrs.items()
                                                                   if v is not None})

    def C(self, parent: etree._Element, name: str, **attrs: Any) -> etree._Element:
        return etree.SubElement(parent, f"{{{self.com}}}{name}", {k: _attr(v) for k, v in attrs.items()
                                                                   if v is not None})

    def texts(self, parent: etree._Element, name: str, texts: dict[str, str] | None) -> None:
        for lang, text in (texts or {}).items():
            e = self.C(parent, name)
            e.set(XML_LANG, lang)
            e.text = text

    def annotations(self, parent: etree._Element, obj: dict) -> None:
        anns = obj.get("annotations")
        if not anns:
            return
        box = self.C(parent, "Annotations")
        for a in anns:
            e = self.C(box, "Annotation", id=a.get("id"))
            if a.get("title"):
                self.C(e, "AnnotationTitle").text = a["title"]
            if a.get("type"):
                self.C(e, "AnnotationType").text = a["type"]
            for link in a.get("links", []):
                if link.get("href"):
                    self.C(e, "AnnotationURL").text = link["href"]
                    break
            if a.get("value") and not self.v21:
                self.C(e, "AnnotationValue").text = a["value"]
            self.texts(e, "AnnotationText", a.get("texts"))

    def nameable(self, e: etree._Element, obj: dict) -> None:
        self.annotations(e, obj)
        self.texts(e, "Name", obj.get("names") or {"en": obj.get("id", "")})
        self.texts(e, "Description", obj.get("descriptions"))

    def ref(self, parent: etree._Element, name: str, urn: str, ns: str | None = None) -> etree._Element:
        """A reference element: 2.1 <name><Ref .../></name>, 3.0 <name>URN</name>."""
        e = etree.SubElement(parent, f"{{{ns or self.str}}}{name}")
        if self.v21:
            self.ref21(e, urn)
        else:
            e.text = urn
        return e

    def ref21(self, parent: etree._Element, urn: str) -> etree._Element:
        u = parse_urn(urn)
        package, cls = u.urn_class.split(".")
        if cls == "DataStructure":
            cls = "DataStructure"
        if cls == "Dataflow":
            cls = "Dataflow"
        if cls == "DataConstraint":
            cls = "ContentConstraint"
        if u.item_id is None:
            return etree.SubElement(parent, "Ref", agencyID=u.agency_id, id=u.id, version=u.version,
                                    **{"class": cls, "package": package})
        parent_id = u.id
        item_id = u.item_id
        if cls == "Category" and "." in item_id:  # nested categories: the path is the id in 2.1 refs
            pass
        return etree.SubElement(parent, "Ref", agencyID=u.agency_id, maintainableParentID=parent_id,
                                maintainableParentVersion=u.version, id=item_id,
                                **{"class": cls, "package": package})

    # -- message -----------------------------------------------------------------------------
    def message(self, artefacts: list[Artefact], header: dict) -> bytes:
        root = etree.Element(f"{{{self.mes}}}Structure",
                             nsmap={"mes": self.mes, "str": self.str, "com": self.com})
        h = etree.SubElement(root, f"{{{self.mes}}}Header")
        etree.SubElement(h, f"{{{self.mes}}}ID").text = header.get("id") or "IREF" + uuid.uuid4().hex[:12].upper()
        etree.SubElement(h, f"{{{self.mes}}}Test").text = "true" if header.get("test") in (True, "true") else "false"
        etree.SubElement(h, f"{{{self.mes}}}Prepared").text = header.get("prepared") or datetime.now(
            timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        etree.SubElement(h, f"{{{self.mes}}}Sender", id=header.get("sender") or "DSM")
        structures = etree.SubElement(root, f"{{{self.mes}}}Structures")
        by_container: dict[str, list[Artefact]] = {}
        for a in artefacts:
            container = _CONTAINERS[self.v].get(a["type"])
            if container is None:
                raise ValueError(f"SDMX-ML {self.v} cannot carry {urn_of(a)}")
            by_container.setdefault(container, []).append(a)
        for container in _ORDER[self.v]:
            if container in by_container:
                box = self.S(structures, container)
                for a in sorted(by_container[container], key=_sort_key):
                    self.artefact(box, a)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def artefact(self, box: etree._Element, a: Artefact) -> None:
        t = a["type"]
        name = _ELEMENT.get((self.v, t)) or TYPES[t].urn_class.split(".")[1]
        urn = urn_of(a).replace("registry.DataConstraint", "registry.ContentConstraint") if self.v21 else urn_of(a)
        version = None if not self.v21 and t in _V30_UNVERSIONED else a["version"]
        attrs: dict[str, Any] = {"id": a["id"], "urn": urn, "agencyID": a["agencyID"], "version": version}
        if a.get("isExternalReference"):
            attrs["isExternalReference"] = True
            attrs["structureURL"] = a.get("structureURL")
        if self.v21:
            attrs["isFinal"] = bool(a.get("isFinal")) if t not in _V21_FIXED else None
        if t == "dataconstraint":
            attrs["type" if self.v21 else "role"] = a.get("role", "Allowed")
        if t == "codelist" and not self.v21 and a.get("isPartial"):
            attrs["isPartial"] = True
        elif t in _ITEM_ELEMENT and a.get("isPartial"):
            attrs["isPartial"] = True
        e = self.S(box, name, **attrs, validFrom=a.get("validFrom"), validTo=a.get("validTo"))
        self.nameable(e, a)
        if a.get("isExternalReference") and t not in _STUB_BODIES:
            return  # a stub; the types of _STUB_BODIES keep their references, which their elements require
        body = _BODIES.get(t)
        if body:
            body(self, e, a)

    # -- item schemes -------------------------------------------------------------------------
    def items(self, e: etree._Element, a: Artefact) -> None:
        t = a["type"]
        key = TYPES[t].items_key
        for item in a.get(key, []):
            self.item(e, t, item)

    def item(self, parent: etree._Element, t: str, item: dict) -> None:
        attrs = {"id": item["id"]}
        e = self.S(parent, _ITEM_ELEMENT[t], **attrs)
        self.nameable(e, item)
        if t in ("codelist", "conceptscheme", "organisationunitscheme") and item.get("parent"):
            p = self.S(e, "Parent")
            if self.v21:
                etree.SubElement(p, "Ref", id=item["parent"])
            else:
                p.text = item["parent"]
        if t == "conceptscheme":
            rep = item.get("coreRepresentation")
            if rep:
                self.representation(e, "CoreRepresentation", rep)
            iso = item.get("isoConceptReference")
            if iso:
                ie = self.S(e, "ISOConceptReference")
                for name, key in (("ConceptAgency", "conceptAgency"), ("ConceptSchemeID", "conceptSchemeID"),
                                  ("ConceptID", "conceptID")):
                    self.S(ie, name).text = iso.get(key, "")
        if t in ("agencyscheme", "dataproviderscheme", "dataconsumerscheme", "organisationunitscheme"):
            for c in item.get("contacts", []):
                self.contact(e, c)
        for child in item.get("categories", []):
            self.item(e, t, child)

    def contact(self, parent: etree._Element, c: dict) -> None:
        e = self.S(parent, "Contact")
        self.texts(e, "Name", c.get("names"))
        for key, name in (("departments", "Department"), ("roles", "Role")):
            for lang, text in (c.get(key) or {}).items():
                d = self.S(e, name)
                d.set(XML_LANG, lang)
                d.text = text
        for key, name in (("telephones", "Telephone"), ("faxes", "Fax"), ("x400s", "X400"), ("uris", "URI"),
                          ("emails", "Email")):
            for v in c.get(key, []):
                self.S(e, name).text = v

    def representation(self, parent: etree._Element, name: str, rep: dict, *, time: bool = False) -> None:
        e = self.S(parent, name)
        if rep.get("enumeration"):
            self.ref(e, "Enumeration", rep["enumeration"])
            fmt = rep.get("enumerationFormat")
            if fmt:
                self.S(e, "EnumerationFormat", **self.format_attrs(fmt))
        elif rep.get("format"):
            attrs = self.format_attrs(rep["format"])
            if time and attrs.get("textType") not in TIME_TYPES:
                attrs.pop("textType", None)
            self.S(e, "TextFormat", **attrs)

    def format_attrs(self, fmt: dict) -> dict:
        out = {"textType" if self.v21 else "textType": fmt.get("dataType")}
        for key, attr in _TEXT_FORMAT_ATTRS.items():
            if key in fmt and not (self.v21 and key == "isMultiLingual"):
                out[attr] = fmt[key]
        return out

    # -- data structures ------------------------------------------------------------------------
    def datastructure(self, e: etree._Element, a: Artefact) -> None:
        comps = a.get("dataStructureComponents")
        if not comps or not comps.get("dimensionList", {}).get("dimensions"):
            return  # a stub: no components to write
        box = self.S(e, "DataStructureComponents")
        dl = comps.get("dimensionList", {})
        dlist = self.S(box, "DimensionList", id="DimensionDescriptor")
        self.annotations(dlist, dl)
        td = dl.get("timeDimension")
        dims = list(dl.get("dimensions", []))
        if td:  # 2.1 lets the time dimension stand at its position (or the first one free); 3.0 puts it last
            taken = {d["position"] for d in dims if isinstance(d.get("position"), int)}
            at = td.get("position")
            if not isinstance(at, int):
                at = next(i for i in range(len(dims) + 1) if i not in taken) if taken else len(dims)
                td = td | {"position": at}
            dims.insert(sum(1 for d in dims if d.get("position", 0) < at) if self.v21 else len(dims), td)
        for d in dims:
            if d is td:
                self.component(self.S(dlist, "TimeDimension", id=td["id"], **(_position(td) if self.v21 else {})),
                               td, time=True)
                continue
            kind = "MeasureDimension" if d.get("isMeasureDimension") else "Dimension"
            de = self.S(dlist, kind, id=d["id"], **_position(d))
            self.component(de, d)
            if not self.v21:
                for role in d.get("conceptRoles", []):
                    self.ref(de, "ConceptRole", role)
        for g in comps.get("groups", []):
            ge = self.S(box, "Group", id=g["id"])
            self.annotations(ge, g)
            for did in g.get("groupDimensions", []):
                gd = self.S(ge, "GroupDimension")
                if self.v21:
                    dr = self.S(gd, "DimensionReference")
                    etree.SubElement(dr, "Ref", id=did)
                else:
                    self.S(gd, "DimensionReference").text = did
        al = comps.get("attributeList")
        if al and al.get("attributes"):
            alist = self.S(box, "AttributeList", id="AttributeDescriptor")
            self.annotations(alist, al)
            for at in al["attributes"]:
                usage = at.get("usage", "optional")
                if self.v21:
                    ae = self.S(alist, "Attribute", id=at["id"],
                                assignmentStatus="Mandatory" if usage == "mandatory" else "Conditional")
                else:
                    ae = self.S(alist, "Attribute", id=at["id"], usage=usage)
                self.component(ae, at)
                if self.v21:
                    for role in at.get("conceptRoles", []):
                        self.ref(ae, "ConceptRole", role)
                self.relationship(ae, at.get("attributeRelationship", {}), comps)
                if not self.v21:
                    for role in at.get("conceptRoles", []):
                        pass
        ml = comps.get("measureList")
        if ml and ml.get("measures"):
            mlist = self.S(box, "MeasureList", id="MeasureDescriptor")
            self.annotations(mlist, ml)
            for m in ml["measures"]:
                if self.v21:
                    me = self.S(mlist, "PrimaryMeasure", id="OBS_VALUE")
                else:
                    me = self.S(mlist, "Measure", id=m["id"], usage=m.get("usage"))
                self.component(me, m)

    def component(self, e: etree._Element, c: dict, *, time: bool = False) -> None:
        self.annotations(e, c)
        if c.get("conceptIdentity"):
            self.ref(e, "ConceptIdentity", c["conceptIdentity"])
        rep = c.get("localRepresentation")
        if rep:
            self.representation(e, "LocalRepresentation", rep, time=time)

    def relationship(self, e: etree._Element, rel: dict, comps: dict) -> None:
        r = self.S(e, "AttributeRelationship")
        if "dimensions" in rel:
            for did in rel["dimensions"]:
                if self.v21:
                    etree.SubElement(self.S(r, "Dimension"), "Ref", id=did)
                else:
                    self.S(r, "Dimension").text = did
        elif "group" in rel:
            if self.v21:
                etree.SubElement(self.S(r, "Group"), "Ref", id=rel["group"])
            else:
                self.S(r, "Group").text = rel["group"]
        elif "observation" in rel:
            if self.v21:
                etree.SubElement(self.S(r, "PrimaryMeasure"), "Ref", id="OBS_VALUE")
            else:
                self.S(r, "Observation")
        else:
            self.S(r, "None" if self.v21 else "Dataflow")

    # -- other artefacts ----------------------------------------------------------------------
    def dataflow(self, e: etree._Element, a: Artefact) -> None:
        if a.get("structure"):
            self.ref(e, "Structure", a["structure"])

    def metadataflow(self, e: etree._Element, a: Artefact) -> None:
        """3.0 only (see _unsupported_2_1): the structure, then every target (one at least, the XSD says)."""
        if a.get("structure"):
            self.ref(e, "Structure", a["structure"])
        for target in a.get("targets", []):
            self.S(e, "Target").text = target

    def metadatastructure(self, e: etree._Element, a: Artefact) -> None:
        mal = a.get("metadataStructureComponents", {}).get("metadataAttributeList")
        if not mal or not mal.get("metadataAttributes"):
            return  # a stub
        components = self.S(e, "MetadataStructureComponents")
        lst = self.S(components, "MetadataAttributeList", id="MetadataAttributeDescriptor")
        self.annotations(lst, mal)
        for attribute in mal["metadataAttributes"]:
            self.metadata_attribute(lst, attribute)

    def metadata_attribute(self, parent: etree._Element, at: dict) -> None:
        e = self.S(parent, "MetadataAttribute", id=at["id"], minOccurs=at.get("minOccurs"),
                   maxOccurs=at.get("maxOccurs"), isPresentational=at.get("isPresentational"))
        self.component(e, at)
        for child in at.get("metadataAttributes", []):
            self.metadata_attribute(e, child)

    def categorisation(self, e: etree._Element, a: Artefact) -> None:
        if a.get("source"):
            self.ref(e, "Source", a["source"])
        if a.get("target"):
            self.ref(e, "Target", a["target"])

    def provisionagreement(self, e: etree._Element, a: Artefact) -> None:
        if a.get("dataflow"):
            self.ref(e, "StructureUsage" if self.v21 else "Dataflow", a["dataflow"])
        if a.get("dataProvider"):
            self.ref(e, "DataProvider", a["dataProvider"])

    def representationmap(self, e: etree._Element, a: Artefact) -> None:
        """3.0 only: sources, targets (codelists or data types), then the mappings (validity as xs:date)."""
        for side, prefix in (("source", "Source"), ("target", "Target")):
            for item in a.get(side, []):
                if item.get("codelist"):
                    self.S(e, prefix + "Codelist").text = item["codelist"]
                else:
                    self.S(e, prefix + "DataType").text = item.get("dataType", "String")
        if a.get("isExternalReference"):
            return
        for m in a.get("representationMappings", []):
            me = self.S(e, "RepresentationMapping", validFrom=_day(m.get("validFrom")), validTo=_day(m.get("validTo")))
            self.annotations(me, m)
            for sv in m.get("sourceValues", []):
                self.S(me, "SourceValue", isRegEx=sv.get("isRegEx"), startIndex=sv.get("startIndex"),
                       endIndex=sv.get("endIndex")).text = sv.get("value", "")
            for tv in m.get("targetValues", []):
                self.S(me, "TargetValue").text = tv

    def structuremap(self, e: etree._Element, a: Artefact) -> None:
        """3.0 only: source, target, component maps, fixed value maps (date maps are refused at intake)."""
        self.S(e, "Source").text = a.get("source", "")
        self.S(e, "Target").text = a.get("target", "")
        if a.get("isExternalReference"):
            return
        for cm in a.get("componentMaps", []):
            ce = self.S(e, "ComponentMap")
            self.annotations(ce, cm)
            for side, name in (("source", "Source"), ("target", "Target")):
                for cid in cm.get(side, []):
                    self.S(ce, name).text = cid
            if cm.get("representationMap"):
                self.S(ce, "RepresentationMap").text = cm["representationMap"]
        for fm in a.get("fixedValueMaps", []):
            fe = self.S(e, "FixedValueMap")
            self.annotations(fe, fm)
            if fm.get("source"):
                self.S(fe, "Source").text = fm["source"]
            else:
                self.S(fe, "Target").text = fm.get("target", "")
            for v in fm.get("values", []):
                self.S(fe, "Value").text = v

    def time_range(self, e: etree._Element, tr: dict, K: Callable) -> None:
        """A cube region's TimeRange: the periods a key value covers (availability's temporal coverage)."""
        for key, name in _TIME_RANGE.items():
            if key in tr:
                K(e, name, isInclusive=tr[key].get("isInclusive", True)).text = tr[key]["period"]

    def dataconstraint(self, e: etree._Element, a: Artefact) -> None:
        att = a.get("constraintAttachment")
        if att:
            ae = self.S(e, "ConstraintAttachment")
            if att.get("dataProvider"):
                self.ref(ae, "DataProvider", att["dataProvider"])
            for key, name in (("dataStructures", "DataStructure"), ("dataflows", "Dataflow"),
                              ("provisionAgreements", "ProvisionAgreement")):
                for urn in att.get(key, []):
                    self.ref(ae, name, urn)
        K = self.C if self.v21 else self.S  # 2.1 puts regions in common, 3.0 in structure
        for ks in a.get("dataKeySets", []):
            kse = self.S(e, "DataKeySet", isIncluded=ks.get("isIncluded", True))
            for key in ks.get("keys", []):
                ke = self.S(kse, "Key")
                for kv in key.get("keyValues", []):
                    K(K(ke, "KeyValue", id=kv["id"]), "Value").text = kv.get("value", "")
        for region in a.get("cubeRegions", []):
            re_ = self.S(e, "CubeRegion", include=region.get("include", True))
            for kv in region.get("keyValues", []):
                ke = K(re_, "KeyValue", id=kv["id"], include=kv.get("include"))
                for v in kv.get("values", []):
                    K(ke, "Value").text = v if isinstance(v, str) else v.get("value", "")
                if kv.get("timeRange"):
                    self.time_range(K(ke, "TimeRange"), kv["timeRange"], K)
            for cv in region.get("components", []):
                ce = K(re_, "Attribute" if self.v21 else "Component", id=cv["id"], include=cv.get("include"))
                for v in cv.get("values", []):
                    K(ce, "Value").text = v if isinstance(v, str) else v.get("value", "")


_TIME_RANGE = {"startPeriod": "StartPeriod", "endPeriod": "EndPeriod", "beforePeriod": "BeforePeriod",
               "afterPeriod": "AfterPeriod"}


def _position(d: dict) -> dict[str, str]:
    """The schemas fix the time dimension last; the 1-based position attribute keeps its real place."""
    return {"position": str(d["position"] + 1)} if isinstance(d.get("position"), int) else {}


def _day(text: str | None) -> str | None:
    """Canonical mapping validity is an SDMX-JSON date-time; SDMX-ML carries the xs:date."""
    return text[:10] if text else None


def _attr(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _sort_key(a: Artefact) -> tuple:
    return a["agencyID"], a["id"], a["version"]


_BODIES: dict[str, Callable[[_Writer, etree._Element, Artefact], None]] = {
    **{t: _Writer.items for t in _ITEM_ELEMENT},
    "datastructure": _Writer.datastructure,
    "dataflow": _Writer.dataflow,
    "metadataflow": _Writer.metadataflow,
    "metadatastructure": _Writer.metadatastructure,
    "categorisation": _Writer.categorisation,
    "provisionagreement": _Writer.provisionagreement,
    "dataconstraint": _Writer.dataconstraint,
    "representationmap": _Writer.representationmap,
    "structuremap": _Writer.structuremap,
}
# types whose stubs keep a body: their elements require references even with isExternalReference
_STUB_BODIES = frozenset({"provisionagreement", "categorisation", "representationmap", "structuremap"})
