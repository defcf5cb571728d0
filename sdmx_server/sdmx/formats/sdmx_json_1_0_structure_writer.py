"""SDMX-JSON 1.0 structure messages: the SDMX 2.1 model (primary measure, content constraints, textFormat)."""

from __future__ import annotations

from typing import Any, Iterable

from ..artefacts import Artefact, data_types, parse_urn, references, urn_for, urn_of
from ..versions import VERSION_2_1
from .sdmx1_structures import INCOMPLETE_TYPES
from .sdmx_json_common import annotations, envelope, languages_used, single_texts
from .sdmx_ml_structure_writing import DATA_TYPES_2_1

SCHEMA = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/structure-message/tools/schemas/1.0/sdmx-json-structure-schema.json"
_COLLECTIONS = {
    "agencyscheme": "agencySchemes", "dataproviderscheme": "dataProviderSchemes",
    "dataconsumerscheme": "dataConsumerSchemes", "organisationunitscheme": "organisationUnitSchemes",
    "codelist": "codelists", "conceptscheme": "conceptSchemes", "categoryscheme": "categorySchemes",
    "categorisation": "categorisations", "datastructure": "dataStructures", "dataflow": "dataflows",
    "metadataflow": "metadataflows", "provisionagreement": "provisionAgreements",
    "dataconstraint": "contentConstraints",
}
_ITEMS = {"agencyscheme": "agencies", "dataproviderscheme": "dataProviders", "dataconsumerscheme": "dataConsumers",
          "organisationunitscheme": "organisationUnits", "codelist": "codes", "conceptscheme": "concepts",
          "categoryscheme": "categories"}


def unsupported(artefacts: Iterable[Artefact]) -> list[str]:
    """3.0-only types and constructs, and versions (own or referenced) the 2.1 model cannot write."""
    out = []
    for a in artefacts:
        comps = a.get("dataStructureComponents", {})
        if (a["type"] not in _COLLECTIONS or a["type"] in INCOMPLETE_TYPES or a["type"] == "metadataflow"
                or len(comps.get("measureList", {}).get("measures", [])) > 1
                or any(dt not in DATA_TYPES_2_1 for dt in data_types(a))
                or not _constraint_fits_2_1(a)
                or any(_is_3_0_representation(r) for r in _representations(a))
                or (a["type"] == "provisionagreement" and not (a.get("dataflow") and a.get("dataProvider")))
                or not VERSION_2_1.fullmatch(a["version"])
                or any(not VERSION_2_1.fullmatch(_version(r)) for r in references(a))):
            out.append(urn_of(a))
    return out


def _representations(node: Any) -> Iterable[dict]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("localRepresentation", "coreRepresentation") and isinstance(v, dict):
                yield v
            else:
                yield from _representations(v)
    elif isinstance(node, list):
        for v in node:
            yield from _representations(v)


def _is_3_0_representation(rep: dict) -> bool:
    """Multiple values per attribute (maxOccurs) and sentinel values are SDMX 3.0 only."""
    fmt = rep.get("format") or {}
    return rep.get("maxOccurs", 1) != 1 or bool(fmt.get("sentinelValues"))


def _version(urn: str) -> str:
    try:
        return parse_urn(urn).version
    except ValueError:
        return "0"  # not a URN we can judge: let it through


def write_structure_message(artefacts: list[Artefact], header: dict | None = None, *,
                            languages: list[str] | None = None) -> bytes:
    used = languages_used(artefacts)
    langs = [*(languages or []), *[lang for lang in used if lang not in (languages or [])]]
    data: dict[str, list] = {}
    for a in artefacts:
        data.setdefault(_COLLECTIONS[a["type"]], []).append(_Writer(langs).artefact(a))
    return envelope(data, [lang for lang in langs if lang in used] or ["en"], SCHEMA, header)


class _Writer:
    def __init__(self, langs: list[str]):
        self.langs = langs

    def nameable(self, obj: dict, out: dict) -> dict:
        single_texts(obj, self.langs, out)
        anns = annotations(obj, self.langs)
        if anns:
            out["annotations"] = anns
        return out

    def artefact(self, a: Artefact) -> dict:
        t = a["type"]
        out: dict[str, Any] = {"id": a["id"], "urn": urn_of(a), "agencyID": a["agencyID"], "version": a["version"],
                               "isFinal": bool(a.get("isFinal"))}
        for k in ("isExternalReference", "isPartial", "validFrom", "validTo"):
            if k in a:
                out[k] = a[k]
        self.nameable(a, out)
        if a.get("isExternalReference"):
            if t in ("categorisation", "provisionagreement"):  # references the 1.0 schema wants even in stubs
                getattr(self, t)(a, out)
            return out
        if t in _ITEMS and a.get(_ITEMS[t]):
            out[_ITEMS[t]] = [self.item(t, a, i) for i in a[_ITEMS[t]]]
        body = getattr(self, t, None)
        if body:
            body(a, out)
        return out

    def item(self, t: str, scheme: Artefact, item: dict) -> dict:
        out: dict[str, Any] = {"id": item["id"]}
        self.nameable(item, out)
        if item.get("parent"):
            out["parent"] = (urn_for("conceptscheme", scheme["agencyID"], scheme["id"], scheme["version"],
                                     item["parent"]) if t == "conceptscheme" else item["parent"])
        if item.get("coreRepresentation"):
            out["coreRepresentation"] = self.representation(item["coreRepresentation"])
        if item.get("contacts"):
            out["contacts"] = item["contacts"]
        if item.get("categories"):
            out["categories"] = [self.item(t, scheme, c) for c in item["categories"]]
        return out

    def representation(self, rep: dict, *, time: bool = False) -> dict:
        if rep.get("enumeration"):
            return {"enumeration": rep["enumeration"]}
        fmt = dict(rep.get("format", {}))
        if "dataType" in fmt:
            fmt["textType"] = fmt.pop("dataType")
        if time and fmt.get("textType") is None:
            fmt["textType"] = "ObservationalTimePeriod"
        return {"textFormat": fmt}

    def component(self, c: dict, **extra: Any) -> dict:
        out: dict[str, Any] = {"id": c["id"], **extra}
        if c.get("annotations"):
            out["annotations"] = annotations(c, self.langs)
        out["conceptIdentity"] = c.get("conceptIdentity")
        if c.get("conceptRoles"):
            out["conceptRoles"] = c["conceptRoles"]
        if c.get("localRepresentation"):
            out["localRepresentation"] = self.representation(c["localRepresentation"])
        return out

    def datastructure(self, a: Artefact, out: dict) -> None:
        comps = a.get("dataStructureComponents")
        if not comps:
            return
        dl = comps.get("dimensionList", {})
        dims = [self.component(d, position=d.get("position", i) + 1, type="Dimension")
                for i, d in enumerate(dl.get("dimensions", [])) if not d.get("isMeasureDimension")]
        mdims = [self.component(d, position=d.get("position", i) + 1, type="MeasureDimension")
                 for i, d in enumerate(dl.get("dimensions", [])) if d.get("isMeasureDimension")]
        dlist: dict[str, Any] = {"id": "DimensionDescriptor", "dimensions": dims}
        if mdims:
            dlist["measureDimensions"] = mdims
        td = dl.get("timeDimension")
        if td:
            t = self.component(td, position=td.get("position", len(dl.get("dimensions", []))) + 1,
                               type="TimeDimension")  # SDMX positions are 1-based, canonical 0-based
            t["localRepresentation"] = self.representation(td.get("localRepresentation", {}), time=True)
            dlist["timeDimensions"] = [t]
        c: dict[str, Any] = {"dimensionList": dlist}
        if comps.get("groups"):
            c["groups"] = comps["groups"]
        attrs = comps.get("attributeList", {}).get("attributes", [])
        if attrs:
            c["attributeList"] = {"id": "AttributeDescriptor", "attributes": [
                self.component(x, assignmentStatus="Mandatory" if x.get("usage") == "mandatory" else "Conditional",
                               attributeRelationship=_relationship(x.get("attributeRelationship", {})))
                for x in attrs]}
        measures = comps.get("measureList", {}).get("measures", [])
        if measures:
            c["measureList"] = {"id": "MeasureDescriptor",
                                "primaryMeasure": self.component({**measures[0], "id": "OBS_VALUE"})}
        out["dataStructureComponents"] = c

    def dataflow(self, a: Artefact, out: dict) -> None:
        if a.get("structure"):
            out["structure"] = a["structure"]

    metadataflow = dataflow

    def categorisation(self, a: Artefact, out: dict) -> None:
        for k in ("source", "target"):
            if a.get(k):
                out[k] = a[k]

    def provisionagreement(self, a: Artefact, out: dict) -> None:
        if a.get("dataflow"):
            out["structureUsage"] = a["dataflow"]
        if a.get("dataProvider"):
            out["dataProvider"] = a["dataProvider"]

    def dataconstraint(self, a: Artefact, out: dict) -> None:
        out["type"] = a.get("role", "Allowed")
        if a.get("constraintAttachment"):
            out["constraintAttachment"] = {k: v for k, v in a["constraintAttachment"].items() if k in _ATTACHMENTS}
        regions = []
        for r in a.get("cubeRegions", []):
            region: dict[str, Any] = {"isIncluded": r.get("include", True)}
            if r.get("keyValues"):
                region["keyValues"] = [_value_set(kv) for kv in r["keyValues"]]
            if r.get("components"):
                region["attributes"] = [_value_set(kv) for kv in r["components"]]
            regions.append(region)
        if regions:
            out["cubeRegions"] = regions
        key_sets = [{"isIncluded": ks.get("isIncluded", True),
                     "keys": [{"keyValues": [{"id": kv["id"], "value": kv["value"]} for kv in k.get("keyValues", [])]}
                              for k in ks.get("keys", [])]}
                    for ks in a.get("dataKeySets", [])]
        if key_sets:
            out["dataKeySets"] = key_sets


# What a 2.1 content constraint can be attached to (JSON 1.0 ContentConstraintAttachmentType, plural keys).
_ATTACHMENTS = ("dataProvider", "dataStructures", "dataflows", "provisionAgreements")


def _value_set(kv: dict) -> dict:
    out: dict[str, Any] = {"id": kv["id"]}
    if kv.get("values"):
        out["values"] = [v if isinstance(v, str) else v.get("value", "") for v in kv["values"]]
    if kv.get("timeRange"):
        out["timeRange"] = kv["timeRange"]
    return out


def _constraint_fits_2_1(a: Artefact) -> bool:
    """Per-value include flags, key components, other attachments and releaseCalendar are 3.0 only."""
    if a["type"] != "dataconstraint":
        return True
    if set(a.get("constraintAttachment", {})) - set(_ATTACHMENTS):
        return False
    sets = [kv for r in a.get("cubeRegions", []) for kv in [*r.get("keyValues", []), *r.get("components", [])]]
    keys = [k for ks in a.get("dataKeySets", []) for k in ks.get("keys", [])]
    return (all(kv.get("include", True) and not kv.get("removePrefix") for kv in sets)
            and all(not k.get("components") and k.get("keyValues")
                    and all(kv.get("include", True) for kv in k["keyValues"]) for k in keys)
            and all(isinstance(v, str) or not v.get("cascadeValues") for kv in sets for v in kv.get("values", [])))


def _relationship(rel: dict) -> dict:
    if "dimensions" in rel:
        return {"dimensions": rel["dimensions"]}
    if "group" in rel:
        return {"group": rel["group"]}
    if "observation" in rel:
        return {"primaryMeasure": "OBS_VALUE"}
    return {"none": {}}


__all__ = ["write_structure_message", "unsupported", "parse_urn"]
