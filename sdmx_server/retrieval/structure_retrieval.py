"""Answer a structure query: match artefacts, resolve references, apply the detail level.

Works on any :class:`ArtefactSource` (the database or a list), so the same rules
serve the REST API, the portal and seeding; the writer for the negotiated format
turns the result into bytes.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..sdmx.artefacts import TYPES, Artefact, maintainable_references, parse_urn, references, urn_of
from ..sdmx.rest_query import StructureQuery, structure_url
from ..sdmx.versions import select
from .artefact_source import ArtefactSource

_NESTED_ITEMS = ("categories", "reportingCategories")
_STUB_KEYS = ("type", "id", "agencyID", "version", "isFinal", "names", "urn")
_COMPLETE_STUB_KEYS = _STUB_KEYS + ("descriptions", "annotations", "validFrom", "validTo")
# references a stub keeps because the type's SDMX-ML element requires them (2.1: StructureUsage, Source...)
_STUB_REFERENCES = {"provisionagreement": ("dataflow", "dataProvider"), "categorisation": ("source", "target"),
                    "structuremap": ("source", "target"), "representationmap": ("source", "target")}


@dataclass
class StructureResult:
    artefacts: list[Artefact] = field(default_factory=list)
    matched: int = 0  # how many of the artefacts answer the query itself (the rest are references)


def retrieve_structures(query: StructureQuery, source: ArtefactSource,
                        base_url: str | None = None) -> StructureResult:
    """Answer ``query``; with ``base_url`` (the service's root) stubs point at their full artefact."""
    matched = match(query, source)
    if query.item_ids is not None:
        matched = [p for a in matched if (p := only_items(a, query.item_ids)) is not None]
    referenced = resolve_references(matched, query.references, source, items_only=query.item_ids is not None)
    out = [_with_detail(a, query.detail, is_reference=False) for a in matched]
    if query.detail == "referencepartial":
        referenced = partial_references(matched + referenced, referenced)
    out += [_with_detail(a, query.detail, is_reference=True) for a in referenced]
    if base_url is not None:
        for a in out:
            if a.get("isExternalReference"):
                a["structureURL"] = structure_url(query.api, base_url, a)
    return StructureResult(out, len(matched))


def match(query: StructureQuery, source: ArtefactSource) -> list[Artefact]:
    """The artefacts the path names, each version chosen by the version query."""
    found = source.candidates(set(query.types) if query.types is not None else None,
                              list(query.agencies) if query.agencies else None,
                              list(query.ids) if query.ids else None)
    if query.constraint_role:
        found = [a for a in found if a.get("role") == query.constraint_role]
    groups: dict[tuple[str, str, str], dict[str, Artefact]] = defaultdict(dict)
    for a in found:
        groups[(a["type"], a["agencyID"], a["id"])][a["version"]] = a
    out = []
    for key in sorted(groups):
        by_version = groups[key]
        out.extend(by_version[v] for v in select(query.versions, by_version))
    return out


def only_items(scheme: Artefact, item_ids: Iterable[str]) -> Artefact | None:
    """The scheme with only the asked items (nested ones with their ancestors), or None if none match."""
    t = TYPES[scheme["type"]]
    key = t.items_key
    if key is None or key not in scheme:
        return None
    wanted = set(item_ids)
    if key in _NESTED_ITEMS:
        items = _nested_only(scheme[key], wanted, "")
    else:
        items = [i for i in scheme[key] if i.get("id") in wanted]
    if not items:
        return None
    partial = {k: v for k, v in scheme.items() if k != key}
    partial[key] = items
    partial["isPartial"] = True
    return partial


def _nested_only(items: list[dict], wanted: set[str], prefix: str) -> list[dict]:
    out = []
    for item in items:
        path = prefix + item["id"]
        if path in wanted:
            out.append({k: v for k, v in item.items() if k != "categories" and k != "reportingCategories"})
        else:
            below = _nested_only(item.get("categories") or item.get("reportingCategories") or [], wanted, path + ".")
            if below:
                child_key = "categories" if "categories" in item else "reportingCategories"
                out.append({**item, child_key: below})
    return out


def resolve_references(matched: list[Artefact], modes: tuple[str, ...], source: ArtefactSource, *,
                       items_only: bool = False) -> list[Artefact]:
    """The artefacts the ``references`` parameter adds, without those already matched.

    A concrete type asks for the artefacts of that type one step away (referencing or referenced):
    going further is what parents, ancestors, children and descendants are for. With ``items_only``
    (an item query) the matched schemes stand for their returned items: a parent counts only if it
    refers to one of them or to the scheme itself, not to another item of the scheme.
    """
    if modes == ("none",) or not matched:
        return []
    seen = {urn_of(a) for a in matched}

    def children(arts: list[Artefact]) -> list[Artefact]:
        urns = set().union(*(maintainable_references(a) for a in arts)) if arts else set()
        return source.by_urns(urns)

    def parents(arts: list[Artefact]) -> list[Artefact]:
        return source.referencing({urn_of(a) for a in arts}) if arts else []

    def first_parents(arts: list[Artefact]) -> list[Artefact]:
        found = parents(arts)
        return [p for p in found if _refers_to_returned_items(p, arts)] if items_only else found

    found: dict[str, Artefact] = {}
    for mode in modes:
        if mode == "children":
            got = children(matched)
        elif mode == "descendants":
            got = _closure(matched, children)
        elif mode == "parents":
            got = first_parents(matched)
        elif mode == "ancestors":
            first = first_parents(matched)
            got = first + _closure(first, parents)
        elif mode == "parentsandsiblings":
            p = first_parents(matched)
            got = p + children(p)
        elif mode == "all":
            p = first_parents(matched)
            got = p + children(p) + _closure(matched, children)
        else:  # a structure type (v1 constraints may add @role): the related artefacts of that type
            type_, _, role = mode.partition("@")
            got = [a for a in first_parents(matched) + children(matched)
                   if a["type"] == type_ and (not role or a.get("role") == role)]
        for a in got:
            found.setdefault(urn_of(a), a)
    return [found[u] for u in sorted(found, key=lambda u: _order_key(found[u])) if u not in seen]


def _refers_to_returned_items(parent: Artefact, schemes: list[Artefact]) -> bool:
    """Whether ``parent`` refers to one of the items the (partial) schemes hold, or to a scheme as a whole."""
    wanted: dict[str, set[str]] = {urn_of(s): _item_paths(s) for s in schemes}
    for urn in references(parent):
        try:
            u = parse_urn(urn)
        except ValueError:
            continue
        items = wanted.get(u.maintainable)
        if items is not None and (u.item_id is None or u.item_id in items):
            return True
    return False


def _item_paths(scheme: Artefact) -> set[str]:
    """Ids of a scheme's items, nested ones as dotted paths (A, A.A1), as item URNs name them."""
    key = TYPES[scheme["type"]].items_key
    out: set[str] = set()

    def walk(items: list[dict], prefix: str) -> None:
        for item in items:
            out.add(prefix + item["id"])
            walk(item.get("categories") or item.get("reportingCategories") or [], prefix + item["id"] + ".")

    walk(scheme.get(key, []) if key else [], "")
    return out


def _closure(start: list[Artefact], step: Callable[[list[Artefact]], list[Artefact]]) -> list[Artefact]:
    seen = {urn_of(a) for a in start}
    out: list[Artefact] = []
    frontier = start
    while frontier:
        nxt = [a for a in step(frontier) if urn_of(a) not in seen]
        seen.update(urn_of(a) for a in nxt)
        out += nxt
        frontier = nxt
    return out


def _order_key(a: Artefact) -> tuple[str, str, str, str]:
    return a["type"], a["agencyID"], a["id"], a["version"]


def partial_references(returned: list[Artefact], referenced: list[Artefact]) -> list[Artefact]:
    """detail=referencepartial: referenced item schemes keep only the items the answer uses.

    An item is used when a returned artefact refers to it by URN (a concept of a DSD), or when a
    returned data constraint lists it as a value of a component coded by that scheme. A scheme
    referenced only as a whole (a codelist enumerating a dimension, no constraint) stays whole.
    """
    used: dict[str, set[str]] = defaultdict(set)
    for a in returned:
        for urn in references(a):
            u = parse_urn(urn)
            if u.item_id:
                used[u.maintainable].add(u.item_id)
    for scheme_urn, codes in _constrained_codes(returned).items():
        used[scheme_urn] |= codes
    out = []
    for a in referenced:
        items = used.get(urn_of(a))
        out.append(only_items(a, items) or a if items and TYPES[a["type"]].is_item_scheme else a)
    return out


def _constrained_codes(returned: list[Artefact]) -> dict[str, set[str]]:
    """Codelist URN -> codes that returned data constraints include, via the returned DSDs' components."""
    codelist_of: dict[str, str] = {}
    for dsd in (a for a in returned if a["type"] == "datastructure"):
        comps = dsd.get("dataStructureComponents", {})
        for lst in (comps.get("dimensionList", {}).get("dimensions", []),
                    comps.get("attributeList", {}).get("attributes", [])):
            for c in lst:
                enum = c.get("localRepresentation", {}).get("enumeration")
                if enum:
                    codelist_of[c["id"]] = enum
    out: dict[str, set[str]] = defaultdict(set)
    for con in (a for a in returned if a["type"] == "dataconstraint"):
        for region in con.get("cubeRegions", []):
            if region.get("include", True) is False:
                continue
            for kv in region.get("keyValues", []) + region.get("components", []):
                cl = codelist_of.get(kv.get("id", ""))
                if cl:
                    out[cl].update(v if isinstance(v, str) else v.get("value", "") for v in kv.get("values", []))
    return out


def _with_detail(a: Artefact, detail: str, *, is_reference: bool) -> Artefact:
    if detail == "allstubs" or (detail == "referencestubs" and is_reference):
        return stub(a, _STUB_KEYS)
    if detail == "allcompletestubs" or (detail == "referencecompletestubs" and is_reference):
        return stub(a, _COMPLETE_STUB_KEYS)
    return a


def stub(a: Artefact, keys: tuple[str, ...]) -> Artefact:
    """The artefact's identification (and the references its element cannot go without), marked external."""
    keys = keys + _STUB_REFERENCES.get(a["type"], ())
    out = {k: copy.deepcopy(a[k]) for k in keys if k in a}
    out["isExternalReference"] = True
    return out
