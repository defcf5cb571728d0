"""Names of a dataflow's components and codes, in every language, for labelled and SDMX-JSON answers."""

from __future__ import annotations

from ..sdmx.artefacts import Artefact, parse_urn
from ..sdmx.data_message import StructureLabels
from ..sdmx.data_structure import DataStructureInfo
from ..storage.artefact_store import ArtefactStore


def concepts_of(dsd: Artefact) -> dict[str, str]:
    """Component id -> the URN of its concept (the canonical DSD keeps the time dimension as one object)."""
    comps = dsd.get("dataStructureComponents", {})
    dims = comps.get("dimensionList", {})
    out = {}
    for group in (dims.get("dimensions", []), dims.get("timeDimension") or dims.get("timeDimensions") or [],
                  comps.get("attributeList", {}).get("attributes", []),
                  comps.get("measureList", {}).get("measures", [])):
        for c in group if isinstance(group, list) else [group]:
            if c.get("conceptIdentity"):
                out[c["id"]] = c["conceptIdentity"]
    return out


def structure_labels(store: ArtefactStore, info: DataStructureInfo, dataflow: Artefact,
                     languages: list[str]) -> StructureLabels:
    dsd = store.get(info.urn) or {}
    cache: dict[str, Artefact | None] = {}

    def load(urn: str) -> Artefact | None:
        key = parse_urn(urn).maintainable
        if key not in cache:
            cache[key] = store.get(key)
        return cache[key]

    component_names = {}
    for cid, urn in concepts_of(dsd).items():
        scheme = load(urn) or {}
        item = parse_urn(urn).item_id
        concept = next((c for c in scheme.get("concepts", []) if c["id"] == item), None)
        if concept and concept.get("names"):
            component_names[cid] = concept["names"]
    code_names = {}
    for comp in info.dimensions + info.attributes + info.measures:
        if comp.codelist:
            items = load(comp.codelist) or {}
            code_names[comp.id] = {c["id"]: c.get("names", {}) for c in items.get("codes", items.get("concepts", []))}
    return StructureLabels(languages, dataflow.get("names", {}), component_names, code_names)
