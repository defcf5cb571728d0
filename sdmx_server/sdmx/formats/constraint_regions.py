"""Constraints' cube regions as the SDMX-ML message writes them, where sdmx1 lost them.

sdmx1 (2.28) resolves a cube region's KeyValue ids against the constrained structure; a constraint attached
to provision agreements or a data provider gives it none ("Not implemented: constraints attached to
ProvisionAgreement"), so it drops every value. Those are the constraints that bind what a provider may
submit, so the regions are read from the XML itself for them.
"""

from __future__ import annotations

from lxml import etree

_CONSTRAINTS = ("ContentConstraint", "DataConstraint")


def restore_cube_regions(root: etree._Element, artefacts: list) -> None:
    """Fill in the cube regions sdmx1 read without their values (key values, attributes or components)."""
    regions: dict[tuple[str, str, str], list[dict]] = {}
    for tag in _CONSTRAINTS:
        for con in root.iter(f"{{*}}{tag}"):
            regions[(con.get("agencyID", ""), con.get("id", ""), con.get("version", "1.0"))] = [
                _region(r) for r in con.iterfind("{*}CubeRegion")]
    for a in artefacts:
        if a.get("type") != "dataconstraint":
            continue
        found = regions.get((a["agencyID"], a["id"], a["version"]))
        read = a.get("cubeRegions", [])
        if not found or len(found) != len(read):
            continue
        for have, wanted in zip(read, found):
            for key in ("keyValues", "components"):
                if wanted.get(key) and not have.get(key):
                    have[key] = wanted[key]


def _region(e: etree._Element) -> dict:
    out: dict = {"include": e.get("include", "true") in ("true", "1")}
    for key, tags in (("keyValues", ("KeyValue",)), ("components", ("Attribute", "Component"))):
        members = []
        for tag in tags:
            for m in e.iterfind(f"{{*}}{tag}"):
                entry: dict = {"id": m.get("id", "")}
                if m.get("include") in ("false", "0"):
                    entry["include"] = False
                values = sorted((v.text or "").strip() for v in m.iterfind("{*}Value"))
                if values:
                    entry["values"] = values
                    members.append(entry)
        if members:
            out[key] = members
    return out
