"""sdmx1's structure model to our canonical artefacts (SDMX-JSON 2.0 shape, see ``artefacts``).

sdmx1 already reads SDMX-ML 2.1 and 3.0 structure messages into one information model, so
both version readers hand their parse to this module: one converter instead of two parsers.
"""

from __future__ import annotations

from typing import Any, Callable

from sdmx.model import common
from sdmx.model import v21, v30

from ..artefacts import TYPES, Artefact, parse_urn, urn_for
from ..errors import UnsupportedArtefact

# sdmx1 class name -> our type
_TYPE_OF_CLASS = {
    "AgencyScheme": "agencyscheme", "DataProviderScheme": "dataproviderscheme",
    "DataConsumerScheme": "dataconsumerscheme", "OrganisationUnitScheme": "organisationunitscheme",
    "MetadataProviderScheme": "metadataproviderscheme",
    "Codelist": "codelist", "ValueList": "valuelist", "Hierarchy": "hierarchy",
    "HierarchicalCodelist": "hierarchicalcodelist", "ConceptScheme": "conceptscheme",
    "CategoryScheme": "categoryscheme", "ReportingTaxonomy": "reportingtaxonomy",
    "Categorisation": "categorisation", "DataStructureDefinition": "datastructure",
    "DataflowDefinition": "dataflow", "Dataflow": "dataflow",
    "MetadataStructureDefinition": "metadatastructure", "MetadataflowDefinition": "metadataflow",
    "Metadataflow": "metadataflow", "ProvisionAgreement": "provisionagreement",
    "ContentConstraint": "dataconstraint", "DataConstraint": "dataconstraint",
    "MetadataConstraint": "metadataconstraint", "StructureSet": "structureset",
    "TransformationScheme": "transformationscheme", "RulesetScheme": "rulesetscheme",
    "UserDefinedOperatorScheme": "userdefinedoperatorscheme", "CustomTypeScheme": "customtypescheme",
    "NamePersonalisationScheme": "namepersonalisationscheme", "VTLMappingScheme": "vtlmappingscheme",
}
# facet type field -> SDMX-JSON 2.0 format key
_FACETS = {"is_sequence": "isSequence", "min_length": "minLength", "max_length": "maxLength",
           "min_value": "minValue", "max_value": "maxValue", "start_value": "startValue", "end_value": "endValue",
           "interval": "interval", "time_interval": "timeInterval", "decimals": "decimals", "pattern": "pattern",
           "start_time": "startTime", "end_time": "endTime"}
_NUMERIC_FACETS = {"minLength", "maxLength", "decimals", "interval"}
_FLOAT_FACETS = {"minValue", "maxValue", "startValue", "endValue"}


# Types whose content this converter does not yet carry over beyond names and item ids: they are
# stored (a message holding them still loads) but writers refuse them rather than serve half.
INCOMPLETE_TYPES = frozenset({"transformationscheme", "rulesetscheme", "userdefinedoperatorscheme",
                              "customtypescheme", "namepersonalisationscheme", "vtlmappingscheme",
                              "structureset", "hierarchy", "hierarchicalcodelist"})
TIME_TYPES = frozenset({"ObservationalTimePeriod", "StandardTimePeriod", "BasicTimePeriod", "GregorianTimePeriod",
                        "GregorianYear", "GregorianYearMonth", "GregorianDay", "ReportingTimePeriod",
                        "ReportingYear", "ReportingSemester", "ReportingTrimester", "ReportingQuarter",
                        "ReportingMonth", "ReportingWeek", "ReportingDay", "DateTime", "TimeRange"})


def type_of(obj: Any) -> str | None:
    return _TYPE_OF_CLASS.get(type(obj).__name__)


def convert_message(objects: list[Any], is_v3: bool) -> list[Artefact]:
    """Canonical artefacts for every maintainable sdmx1 parsed (external references left out)."""
    out = []
    for obj in objects:
        if not isinstance(obj, common.MaintainableArtefact) or obj.is_external_reference or not obj.id:
            continue  # sdmx1 also lists what messages only refer to (and, for some VTL refs, without an id)
        t = type_of(obj)
        if t is None:
            raise UnsupportedArtefact(f"{type(obj).__name__} {obj.id} cannot be stored by this server")
        out.append(convert(obj, t, is_v3))
    return out


def convert(obj: Any, t: str, is_v3: bool) -> Artefact:
    a: Artefact = {"type": t, "id": obj.id, "agencyID": _agency(obj), "version": str(obj.version or "1.0")}
    a["isFinal"] = _is_final(obj, a["version"], is_v3)
    _nameable(obj, a)
    if obj.valid_from:
        a["validFrom"] = str(obj.valid_from)
    if obj.valid_to:
        a["validTo"] = str(obj.valid_to)
    spec = TYPES[t]
    if spec.is_item_scheme and isinstance(obj, common.ItemScheme):
        if getattr(obj, "is_partial", None):
            a["isPartial"] = True
        items = _items(obj, t)
        if items:
            a[spec.items_key] = items
    body = _BODIES.get(t)
    if body:
        body(obj, a)
    return a


# -- common parts --------------------------------------------------------------------------------

def _agency(obj: Any) -> str:
    m = getattr(obj, "maintainer", None)
    return m.id if m is not None else "SDMX"


def _is_final(obj: Any, version: str, is_v3: bool) -> bool:
    if is_v3:
        return "-" not in version
    return bool(getattr(obj, "is_final", False))


def _text(s: Any) -> dict[str, str]:
    return {k: v for k, v in (getattr(s, "localizations", None) or {}).items() if v is not None}


def _nameable(obj: Any, out: dict) -> None:
    names = _text(getattr(obj, "name", None))
    if names:
        out["names"] = names
    desc = _text(getattr(obj, "description", None))
    if desc:
        out["descriptions"] = desc
    anns = [_annotation(x) for x in getattr(obj, "annotations", [])]
    if anns:
        out["annotations"] = anns


def _annotation(a: Any) -> dict:
    out: dict[str, Any] = {}
    if a.id:
        out["id"] = a.id
    if a.title:
        out["title"] = a.title
    if a.type:
        out["type"] = a.type
    value = getattr(a, "value", None)
    if value:
        out["value"] = value
    texts = _text(a.text)
    if texts:
        out["texts"] = texts
    if a.url:
        out["links"] = [{"href": str(a.url), "rel": "self"}]
    return out


def urn_of_obj(obj: Any) -> str:
    """URN of any sdmx1 maintainable (even an external reference without one)."""
    t = type_of(obj)
    if t is None:
        if getattr(obj, "urn", None):
            return obj.urn
        raise UnsupportedArtefact(f"cannot refer to a {type(obj).__name__} ({obj.id})")
    return urn_for(t, _agency(obj), obj.id, str(obj.version or "1.0"))


def item_urn(item: Any) -> str:
    """URN of an item: its scheme's URN plus its id path (nested categories: A.B.C)."""
    scheme = item.get_scheme() if hasattr(item, "get_scheme") else None
    path = [item.id]
    parent = item.parent
    nested = type(item).__name__ in ("Category", "ReportingCategory")
    while nested and isinstance(parent, common.Item):
        path.insert(0, parent.id)
        parent = parent.parent
    if scheme is None or not isinstance(scheme, common.MaintainableArtefact):
        if getattr(item, "urn", None):
            return item.urn
        raise UnsupportedArtefact(f"item {item.id} has no scheme to refer to")
    t = type_of(scheme)
    return urn_for(t, _agency(scheme), scheme.id, str(scheme.version or "1.0"), ".".join(path))


def _items(scheme: Any, t: str) -> list[dict]:
    nested = t in ("categoryscheme", "reportingtaxonomy")
    items = [i for i in scheme.items.values() if not (nested and isinstance(i.parent, common.Item))]
    return [_item(i, t, nested) for i in items]


def _item(item: Any, t: str, nested: bool) -> dict:
    out: dict[str, Any] = {"id": item.id}
    _nameable(item, out)
    if nested:
        children = [_item(c, t, True) for c in item.child]
        if children:
            out["categories" if t == "categoryscheme" else "reportingCategories"] = children
    elif isinstance(item.parent, common.Item):
        out["parent"] = item.parent.id
    if t == "conceptscheme":
        rep = _representation(getattr(item, "core_representation", None))
        if rep:
            out["coreRepresentation"] = rep
    contacts = getattr(item, "contact", None)
    if contacts:
        out["contacts"] = [_contact(c) for c in contacts]
    return out


def _contact(c: Any) -> dict:
    out: dict[str, Any] = {}
    names = _text(getattr(c, "name", None))
    if names:
        out["names"] = names
    for attr, key in (("email", "emails"), ("telephone", "telephones"), ("fax", "faxes"), ("uri", "uris")):
        v = getattr(c, attr, None)
        if v:
            out[key] = [str(x) for x in v] if isinstance(v, (list, tuple, set)) else [str(v)]
    for attr, key in (("org_unit", "department"), ("responsibility", "role")):
        v = _text(getattr(c, attr, None))
        if v:
            out[key + "s"] = v
    return out


def _representation(rep: Any) -> dict | None:
    if rep is None:
        return None
    if rep.enumerated is not None:
        return {"enumeration": urn_of_obj(rep.enumerated)}
    fmt = _format(rep.non_enumerated)
    return {"format": fmt} if fmt else None


def _format(facets: list[Any]) -> dict:
    out: dict[str, Any] = {}
    for f in facets or []:
        if f.value_type is not None:
            out["dataType"] = _data_type(f.value_type.name)
        for attr, key in _FACETS.items():
            v = getattr(f.type, attr, None)
            if v is None:
                continue
            if key in _NUMERIC_FACETS:
                v = int(v)
            elif key in _FLOAT_FACETS:
                v = float(v)
            elif key == "isSequence":
                v = bool(v)
            else:
                v = str(v)
            out[key] = v
    return out


def _data_type(name: str) -> str:
    """sdmx1's FacetValueType names (snake) to SDMX data type names."""
    special = {"uri": "URI", "xhtml": "XHTML", "gday": "GregorianDay", "gmonth": "GregorianMonth",
               "gmonth_day": "MonthDay", "gyear": "GregorianYear", "gyear_month": "GregorianYearMonth",
               "big_integer": "BigInteger", "date_time": "DateTime", "keyValues": "KeyValues"}
    if name in special:
        return special[name]
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


# -- bodies of the non-scheme artefacts -----------------------------------------------------------

def _datastructure(dsd: Any, out: Artefact) -> None:
    comps: dict[str, Any] = {}
    dims, time_dims = [], []
    for pos, d in enumerate(dsd.dimensions.components):
        c = _component(d)
        # 0-based; the message's 1-based position attribute wins over document order
        c["position"] = d.order - 1 if isinstance(getattr(d, "order", None), int) and d.order > 0 else pos
        if isinstance(d, common.TimeDimension):
            fmt = c.setdefault("localRepresentation", {}).setdefault("format", {})
            if fmt.get("dataType") not in TIME_TYPES:  # sdmx1 defaults facets to String; time never is
                fmt["dataType"] = "ObservationalTimePeriod"
            time_dims.append(c)
        else:
            if type(d).__name__ == "MeasureDimension":
                c["isMeasureDimension"] = True  # SDMX 2.1 only; 3.0 has no such dimension
                enum = c.get("localRepresentation", {}).get("enumeration")
                if enum:  # a 2.1 measure dimension enumerates a concept scheme
                    u = parse_urn(enum)
                    c["localRepresentation"]["enumeration"] = urn_for("conceptscheme", u.agency_id, u.id, u.version)
            roles = [urn for urn in _roles(d)]
            if roles:
                c["conceptRoles"] = roles
            dims.append(c)
    if not dims and not time_dims:
        return  # a stub: no components
    dl: dict[str, Any] = {"id": "DimensionDescriptor", "dimensions": dims}
    if time_dims:
        dl["timeDimension"] = time_dims[0]
    comps["dimensionList"] = dl
    groups = []
    for gid, g in dsd.group_dimensions.items():
        groups.append({"id": gid, "groupDimensions": [d.id for d in g.components]})
    if groups:
        comps["groups"] = groups
    attrs = []
    for a in dsd.attributes.components:
        c = _component(a)
        usage = getattr(a, "usage_status", None)
        c["usage"] = "mandatory" if usage is not None and usage.name == "mandatory" else "optional"
        c["attributeRelationship"] = _relationship(a.related_to)
        roles = [urn for urn in _roles(a)]
        if roles:
            c["conceptRoles"] = roles
        attrs.append(c)
    if attrs:
        comps["attributeList"] = {"id": "AttributeDescriptor", "attributes": attrs}
    measures = [_component(m) for m in dsd.measures.components]
    if measures:
        comps["measureList"] = {"id": "MeasureDescriptor", "measures": measures}
    out["dataStructureComponents"] = comps
    msd = getattr(dsd, "metadata", None) or getattr(dsd, "metadata_structure", None)
    if isinstance(msd, common.MaintainableArtefact):
        out["metadata"] = urn_of_obj(msd)


def _component(c: Any) -> dict:
    out: dict[str, Any] = {"id": c.id}
    _nameable(c, out)
    out.pop("names", None)
    out.pop("descriptions", None)
    if c.concept_identity is not None:
        out["conceptIdentity"] = item_urn(c.concept_identity)
    rep = _representation(c.local_representation)
    if rep:
        out["localRepresentation"] = rep
    return out


def _roles(c: Any) -> list[str]:
    roles = getattr(c, "concept_role", None)
    if not roles:
        return []
    roles = roles if isinstance(roles, (list, tuple)) else [roles]
    return [item_urn(r) for r in roles if isinstance(r, common.Item)]


def _relationship(rel: Any) -> dict:
    name = type(rel).__name__
    if name == "DimensionRelationship":
        out: dict[str, Any] = {"dimensions": [d.id for d in rel.dimensions]}
        if getattr(rel, "group_key", None) is not None:
            out = {"group": rel.group_key.id}
        return out
    if name == "GroupRelationship":
        return {"group": rel.group_key.id}
    if name in ("PrimaryMeasureRelationship", "ObservationRelationship", "MeasureRelationship"):
        return {"observation": {}}
    return {"dataflow": {}}


def _dataflow(df: Any, out: Artefact) -> None:
    if df.structure is not None and not _is_empty_ref(df.structure):
        out["structure"] = urn_of_obj(df.structure)


def _is_empty_ref(obj: Any) -> bool:
    return not getattr(obj, "id", None)


def _metadataflow(mf: Any, out: Artefact) -> None:
    s = getattr(mf, "structure", None)
    if s is not None and not _is_empty_ref(s):
        out["structure"] = urn_of_obj(s)


def _categorisation(c: Any, out: Artefact) -> None:
    if c.artefact is not None:
        out["source"] = urn_of_obj(c.artefact) if type_of(c.artefact) else c.artefact.urn
    if c.category is not None:
        out["target"] = item_urn(c.category)


def _provisionagreement(pa: Any, out: Artefact) -> None:
    usage = getattr(pa, "structure_usage", None)
    if usage is not None:
        out["dataflow"] = urn_of_obj(usage)
    provider = getattr(pa, "data_provider", None)
    if provider is not None:
        out["dataProvider"] = item_urn(provider)


def _dataconstraint(c: Any, out: Artefact) -> None:
    role = getattr(getattr(c, "role", None), "role", None)
    out["role"] = "Actual" if role is not None and role.name == "actual" else "Allowed"
    attachment: dict[str, list[str]] = {}
    for obj in getattr(c, "content", set()) or set():
        t = type_of(obj)
        key = {"dataflow": "dataflows", "datastructure": "dataStructures",
               "provisionagreement": "provisionAgreements"}.get(t or "")
        if key:
            attachment.setdefault(key, []).append(urn_of_obj(obj))
        elif isinstance(obj, common.Item) and type(obj).__name__ == "DataProvider":
            attachment["dataProvider"] = item_urn(obj)  # type: ignore[assignment]
    if attachment:
        out["constraintAttachment"] = {k: sorted(v) if isinstance(v, list) else v for k, v in attachment.items()}
    regions = []
    for r in getattr(c, "data_content_region", None) or []:
        region: dict[str, Any] = {"include": bool(r.included)}
        keys, comps = [], []
        for component, sel in r.member.items():
            entry: dict[str, Any] = {"id": component.id}
            if not getattr(sel, "included", True):
                entry["include"] = False
            values = sorted(str(v.value) for v in sel.values if hasattr(v, "value"))
            if values:
                entry["values"] = values
            (keys if isinstance(component, common.DimensionComponent) else comps).append(entry)
        if keys:
            region["keyValues"] = keys
        if comps:
            region["components"] = comps
        regions.append(region)
    if regions:
        out["cubeRegions"] = regions
    # DataKeySets: sdmx1 keeps one set per constraint (and reads isIncluded as text); the SDMX-ML
    # reader takes them from the XML instead (sdmx_ml_structure_reader._data_key_sets)


def _hierarchicalcodelist(hcl: Any, out: Artefact) -> None:
    hierarchies = []
    for h in getattr(hcl, "hierarchy", []) or []:
        entry: dict[str, Any] = {"id": h.id}
        _nameable(h, entry)
        entry["hierarchicalCodes"] = [_hcode(c) for c in getattr(h, "codes", {}).values()
                                      if not isinstance(getattr(c, "parent", None), common.Item)]
        hierarchies.append(entry)
    if hierarchies:
        out["hierarchies"] = hierarchies


def _hcode(c: Any) -> dict:
    out: dict[str, Any] = {"id": c.id}
    code = getattr(c, "code", None)
    if code is not None:
        out["code"] = item_urn(code)
    children = [_hcode(x) for x in getattr(c, "child", [])]
    if children:
        out["hierarchicalCodes"] = children
    return out


_BODIES: dict[str, Callable[[Any, Artefact], None]] = {
    "datastructure": _datastructure, "dataflow": _dataflow, "metadataflow": _metadataflow,
    "categorisation": _categorisation, "provisionagreement": _provisionagreement,
    "dataconstraint": _dataconstraint, "hierarchicalcodelist": _hierarchicalcodelist,
}

__all__ = ["convert_message", "convert", "urn_of_obj", "item_urn", "v21", "v30"]
