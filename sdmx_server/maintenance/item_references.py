"""What still refers to the items a replacement of an item scheme would take away.

maintenance.md: a non-final artefact may be replaced, but references must stay resolvable. An item scheme
that drops items is refused (409) while anything uses them: another artefact's reference (a DSD's concept,
a provision agreement's data provider, a categorisation's category), an agency maintaining artefacts,
a code in stored data (a dimension value or a coded attribute), a RepresentationMap's target value, a data
provider with data or submissions.
"""

from __future__ import annotations

from ..sdmx.artefacts import TYPES, Artefact, parse_urn, references, urn_of
from ..sdmx.data_structure import DataStructureInfo
from ..storage.artefact_store import ArtefactStore
from ..storage.usage_store import UsageStore

SHOWN = 5  # values named per finding; the rest are counted


def item_paths(scheme: Artefact) -> set[str]:
    """Every item's id as its URN names it: nested items (categories) by their dotted path."""
    key = TYPES[scheme["type"]].items_key
    out: set[str] = set()

    def walk(items: list[dict], prefix: str) -> None:
        for it in items:
            path = prefix + it["id"]
            out.add(path)
            walk(it.get(key or "", []) or [], path + ".")

    if key:
        walk(scheme.get(key, []), "")
    return out


def removed_items_in_use(store: ArtefactStore, stored: Artefact, new: Artefact) -> list[str]:
    """What uses items ``stored`` has and ``new`` (its replacement) lacks: one sentence per finding."""
    if not TYPES[stored["type"]].is_item_scheme:
        return []
    removed = item_paths(stored) - item_paths(new)
    if not removed:
        return []
    urn = urn_of(stored)
    found = []
    referrers = [a for a in store.by_urns(store.referrers_of(urn))]
    for art in referrers:
        used = set()
        for ref in references(art):
            try:
                u = parse_urn(ref)
            except ValueError:
                continue
            if u.maintainable == urn and u.item_id in removed:
                used.add(u.item_id)
        if art["type"] == "representationmap":
            used |= _map_targets(art, urn) & removed
        if used:
            found.append(f"{_label(urn_of(art))} refers to {_some(used)}")
    t = stored["type"]
    if t == "agencyscheme":
        # agencies of SDMX's scheme are top-level; those of an agency's own scheme are named under it
        prefix = "" if stored["agencyID"] == "SDMX" else stored["agencyID"] + "."
        for agency, urns in store.maintained_by(prefix + i for i in removed).items():
            found.append(f"agency {agency} maintains {', '.join(_label(u) for u in urns)}"
                         + (" and more" if len(urns) >= 5 else ""))
    elif t == "codelist":
        found += _codes_in_data(store, urn, removed, referrers)
    elif t == "dataproviderscheme":
        with_data = UsageStore(store.conn).providers_with_data(removed)
        if with_data:
            found.append(f"data providers {_some(with_data)} have data or submissions")
    return found


def _codes_in_data(store: ArtefactStore, codelist_urn: str, removed: set[str], referrers: list[Artefact]) -> list[str]:
    usage = UsageStore(store.conn)
    found = []
    for dsd in (a for a in referrers if a["type"] == "datastructure"):
        info = DataStructureInfo.from_artefact(dsd)
        flows = [u for u in store.referrers_of(urn_of(dsd)) if parse_urn(u).type == "dataflow"]
        if not flows:
            continue
        for position, dim in enumerate(info.dimensions):
            if _coded_by(dim.codelist, codelist_urn):
                used = usage.dimension_values(flows, position, removed)
                if used:
                    found.append(f"data of {_label(flows[0])}{' and others' if len(flows) > 1 else ''} "
                                 f"has {dim.id} = {_some(used)}")
        for attr in info.attributes:
            if _coded_by(attr.codelist, codelist_urn):
                used = usage.attribute_values(flows, attr.id, removed)
                if used:
                    found.append(f"data of {_label(flows[0])}{' and others' if len(flows) > 1 else ''} "
                                 f"has {attr.id} = {_some(used)}")
    return found


def _map_targets(rm: Artefact, codelist_urn: str) -> set[str]:
    """The codes a RepresentationMap writes into the codelist (its target values are codes, not URNs)."""
    positions = [j for j, t in enumerate(rm.get("target") or []) if isinstance(t, dict)
                 and t.get("codelist") == codelist_urn]
    return {m["targetValues"][j] for m in rm.get("representationMappings") or [] for j in positions
            if len(m.get("targetValues") or []) > j}


def _coded_by(enumeration: str | None, codelist_urn: str) -> bool:
    try:
        return bool(enumeration) and parse_urn(enumeration or "").maintainable == codelist_urn
    except ValueError:
        return False


def _some(values: set[str]) -> str:
    shown = sorted(values)[:SHOWN]
    more = len(values) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _label(urn: str) -> str:
    u = parse_urn(urn)
    return f"{u.urn_class.split('.')[-1]} {u.agency_id}:{u.id}({u.version})"
