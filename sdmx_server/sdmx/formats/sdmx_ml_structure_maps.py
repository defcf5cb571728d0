"""SDMX-ML 3.0 StructureMaps and RepresentationMaps, read from the XML itself.

sdmx1 (2.28) neither reads nor writes these SDMX 3.0 classes, so the structure reader takes their
containers out of the (already safely parsed, XSD-valid) message before sdmx1 reads it, as it does
for metadata structures, and converts them here into canonical artefacts (SDMX-JSON 2.0 shape):

* representationmap: ``source``/``target`` lists of ``{"codelist": urn}`` or ``{"dataType": type}``,
  ``representationMappings`` of ``{sourceValues: [{value, isRegEx?, startIndex?, endIndex?}],
  targetValues: [str], validFrom?, validTo?}``. SDMX-ML carries validity as an xs:date, SDMX-JSON
  as a date-time: the canonical form is the JSON one (``YYYY-MM-DDT00:00:00Z``).
* structuremap: ``source``/``target`` URNs, ``componentMaps`` ``{source: [ids], target: [ids],
  representationMap?}``, ``fixedValueMaps`` ``{source|target: id, values: [str]}``. EpochMaps,
  DatePatternMaps and FrequencyFormatMappings are not kept: such a map is marked refused, naming them.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..artefacts import Artefact
from .sdmx_ml_metadata_structures import REFUSAL, _annotations, _nameable, take_out_containers

CONTAINERS = ("RepresentationMaps", "StructureMaps")
_TYPE = {"RepresentationMap": "representationmap", "StructureMap": "structuremap"}
_DATE_MAPS = ("EpochMap", "DatePatternMap", "FrequencyFormatMapping")


def take_out(root: etree._Element) -> list[Artefact]:
    """Canonical structure and representation maps of an SDMX-ML 3.x message, removed from ``root``."""
    return take_out_containers(root, CONTAINERS, _TYPE, _artefact)


def _artefact(e: etree._Element, t: str) -> Artefact:
    a: Artefact = {"type": t, "id": e.get("id", ""), "agencyID": e.get("agencyID", ""),
                   "version": e.get("version", "1.0")}
    a["isFinal"] = "-" not in a["version"]
    if e.get("isExternalReference") in ("true", "1"):
        a["isExternalReference"] = True
    for attr in ("validFrom", "validTo"):
        if e.get(attr):
            a[attr] = e.get(attr)
    _nameable(e, a)
    if t == "representationmap":
        _representation_map(e, a)
    else:
        _structure_map(e, a)
    return a


def _children(e: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in e if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _text(e: etree._Element) -> str:
    return (e.text or "").strip()


def _representation_map(e: etree._Element, a: Artefact) -> None:
    for side, prefix in (("source", "Source"), ("target", "Target")):
        items = []
        for c in e:
            if not isinstance(c.tag, str):
                continue
            name = etree.QName(c).localname
            if name == prefix + "Codelist":
                items.append({"codelist": _text(c)})
            elif name == prefix + "DataType":
                items.append({"dataType": _text(c)})
        if items:
            a[side] = items
    mappings = []
    for m in _children(e, "RepresentationMapping"):
        out: dict[str, Any] = {}
        _annotations(m, out)
        out["sourceValues"] = [_source_value(sv) for sv in _children(m, "SourceValue")]
        targets = [tv.text or "" for tv in _children(m, "TargetValue")]
        if targets:
            out["targetValues"] = targets
        for attr in ("validFrom", "validTo"):
            if m.get(attr):
                out[attr] = m.get(attr)[:10] + "T00:00:00Z"
        mappings.append(out)
    if mappings:
        a["representationMappings"] = mappings


def _source_value(sv: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {"value": sv.text or ""}
    if sv.get("isRegEx") is not None:
        out["isRegEx"] = sv.get("isRegEx") in ("true", "1")
    for attr in ("startIndex", "endIndex"):
        if sv.get(attr) is not None:
            out[attr] = int(sv.get(attr))
    return out


def _structure_map(e: etree._Element, a: Artefact) -> None:
    for side, name in (("source", "Source"), ("target", "Target")):
        found = _children(e, name)
        if found:
            a[side] = _text(found[0])
    date_maps = [n for n in _DATE_MAPS if _children(e, n)]
    if date_maps:
        a[REFUSAL] = (f"StructureMap {a['agencyID']}:{a['id']}({a['version']}) has {', '.join(date_maps)}, which this "
                      "server does not store or apply; leave them out (map dates with a ComponentMap)")
    cms = []
    for cm in _children(e, "ComponentMap"):
        out: dict[str, Any] = {}
        _annotations(cm, out)
        out["source"] = [_text(s) for s in _children(cm, "Source")]
        out["target"] = [_text(t) for t in _children(cm, "Target")]
        rm = _children(cm, "RepresentationMap")
        if rm:
            out["representationMap"] = _text(rm[0])
        cms.append(out)
    if cms:
        a["componentMaps"] = cms
    fvms = []
    for fm in _children(e, "FixedValueMap"):
        out = {}
        _annotations(fm, out)
        for name, key in (("Source", "source"), ("Target", "target")):
            found = _children(fm, name)
            if found:
                out[key] = _text(found[0])
        values = [v.text or "" for v in _children(fm, "Value")]
        if values:
            out["values"] = values
        fvms.append(out)
    if fvms:
        a["fixedValueMaps"] = fvms
