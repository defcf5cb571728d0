"""SDMX-ML metadata structures and metadataflows, read from the XML itself.

sdmx1 (2.28) cannot read an SDMX-ML 3.0 Metadataflow (it fails on the ``Structure`` reference)
and keeps little of a metadata structure, so the structure reader takes these two types out of
the message before sdmx1 reads it and converts them here into canonical artefacts (SDMX-JSON 2.0
shape: ``metadataStructureComponents.metadataAttributeList.metadataAttributes``, nested; a
metadataflow's ``structure`` and ``targets``).

SDMX-ML 2.1 describes metadata differently (metadata targets and report structures); the server
keeps the SDMX 3.0 model only, so 2.1 ones come back as refusals naming what to send instead.
"""

from __future__ import annotations

from typing import Any, Callable

from lxml import etree

from ..artefacts import Artefact

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTAINERS = ("MetadataStructures", "Metadataflows")
_TYPE = {"MetadataStructure": "metadatastructure", "Metadataflow": "metadataflow"}
# TextFormat attributes -> SDMX-JSON 2.0 format keys (textType is dataType there)
_INT = {"minLength", "maxLength", "decimals", "interval"}
_FLOAT = {"minValue", "maxValue", "startValue", "endValue"}
_BOOL = {"isSequence", "isMultiLingual"}
REFUSAL = "refusedAtIntake"  # canonical key carrying why an artefact read cannot be stored


def take_out(root: etree._Element, version: str) -> list[Artefact]:
    """Canonical metadata structures and metadataflows of the message, removed from ``root``."""
    return take_out_containers(root, CONTAINERS, _TYPE, lambda e, t: _artefact(e, t, version))


def take_out_containers(root: etree._Element, containers: tuple[str, ...], types: dict[str, str],
                        convert: Callable[[etree._Element, str], Artefact]) -> list[Artefact]:
    """What sdmx1 cannot read, converted by ``convert`` (element, our type) and removed from ``root`` first, so
    sdmx1 reads the rest of the message."""
    out: list[Artefact] = []
    structures = next((c for c in root if etree.QName(c).localname == "Structures"), None)
    if structures is None:
        return out
    for box in [c for c in structures if etree.QName(c).localname in containers]:
        for e in box:
            t = types.get(etree.QName(e).localname)
            if t is not None:
                out.append(convert(e, t))
        structures.remove(box)
    return out


def _artefact(e: etree._Element, t: str, version: str) -> Artefact:
    a: Artefact = {"type": t, "id": e.get("id", ""), "agencyID": e.get("agencyID", ""),
                   "version": e.get("version", "1.0")}
    a["isFinal"] = e.get("isFinal") == "true" if version == "2.1" else "-" not in a["version"]
    if e.get("isExternalReference") == "true":
        a["isExternalReference"] = True
    for attr, key in (("validFrom", "validFrom"), ("validTo", "validTo")):
        if e.get(attr):
            a[key] = e.get(attr)
    _nameable(e, a)
    if version == "2.1":
        a[REFUSAL] = (f"SDMX-ML 2.1 {etree.QName(e).localname}s (metadata targets, report structures) are not "
                      "converted to the SDMX 3.0 model this server keeps; submit it as SDMX-ML 3.0 or SDMX-JSON 2.0")
        return a
    if t == "metadataflow":
        structure = _text(e, "Structure")
        if structure:
            a["structure"] = structure
        targets = [(x.text or "").strip() for x in e.iterfind("{*}Target")]
        if targets:
            a["targets"] = targets
        return a
    comps = e.find("{*}MetadataStructureComponents")
    mal = comps.find("{*}MetadataAttributeList") if comps is not None else None
    if mal is not None:
        lst: dict[str, Any] = {"id": "MetadataAttributeDescriptor"}
        _annotations(mal, lst)
        lst["metadataAttributes"] = [_attribute(x) for x in mal.iterfind("{*}MetadataAttribute")]
        a["metadataStructureComponents"] = {"metadataAttributeList": lst}
    return a


def _attribute(e: etree._Element) -> dict:
    out: dict[str, Any] = {"id": e.get("id", "")}
    _annotations(e, out)
    concept = _text(e, "ConceptIdentity")
    if concept:
        out["conceptIdentity"] = concept
    rep = e.find("{*}LocalRepresentation")
    if rep is not None:
        r = _representation(rep)
        if r:
            out["localRepresentation"] = r
    out["minOccurs"] = int(e.get("minOccurs", "1"))
    max_occurs = e.get("maxOccurs", "1")
    out["maxOccurs"] = max_occurs if max_occurs == "unbounded" else int(max_occurs)
    if e.get("isPresentational") in ("true", "1"):
        out["isPresentational"] = True
    children = [_attribute(x) for x in e.iterfind("{*}MetadataAttribute")]
    if children:
        out["metadataAttributes"] = children
    return out


def _representation(rep: etree._Element) -> dict:
    enum = _text(rep, "Enumeration")
    if enum:
        out: dict[str, Any] = {"enumeration": enum}
        fmt = rep.find("{*}EnumerationFormat")
        if fmt is not None:
            out["enumerationFormat"] = _format(fmt)
        return out
    fmt = rep.find("{*}TextFormat")
    return {"format": _format(fmt)} if fmt is not None else {}


def _format(e: etree._Element) -> dict:
    out: dict[str, Any] = {}
    for k, v in e.attrib.items():
        key = "dataType" if k == "textType" else k
        if k in _INT:
            out[key] = int(v)
        elif k in _FLOAT:
            out[key] = float(v)
        elif k in _BOOL:
            out[key] = v in ("true", "1")
        else:
            out[key] = v
    return out


def _text(e: etree._Element, name: str) -> str | None:
    x = e.find(f"{{*}}{name}")
    return (x.text or "").strip() or None if x is not None else None


def _texts(e: etree._Element, name: str) -> dict[str, str]:
    return {x.get(XML_LANG, "en"): x.text or "" for x in e.iterfind(f"{{*}}{name}")}


def _nameable(e: etree._Element, out: dict) -> None:
    _annotations(e, out)
    for name, key in (("Name", "names"), ("Description", "descriptions")):
        texts = _texts(e, name)
        if texts:
            out[key] = texts


def _annotations(e: etree._Element, out: dict) -> None:
    box = e.find("{*}Annotations")
    if box is None:
        return
    anns = []
    for a in box.iterfind("{*}Annotation"):
        ann: dict[str, Any] = {}
        if a.get("id"):
            ann["id"] = a.get("id")
        for name, key in (("AnnotationTitle", "title"), ("AnnotationType", "type"), ("AnnotationValue", "value")):
            v = a.findtext(f"{{*}}{name}")
            if v:
                ann[key] = v
        url = a.findtext("{*}AnnotationURL")
        if url:
            ann["links"] = [{"href": url, "rel": "self"}]
        texts = _texts(a, "AnnotationText")
        if texts:
            ann["texts"] = texts
        anns.append(ann)
    if anns:
        out["annotations"] = anns
