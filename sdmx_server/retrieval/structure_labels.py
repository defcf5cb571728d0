"""Names of a dataflow's components and codes, in every language, for labelled and SDMX-JSON answers."""

from __future__ import annotations

from ..sdmx.artefacts import Artefact, concepts_of, parse_urn
from ..sdmx.data_message import StructureLabels
from ..sdmx.data_structure import DataStructureInfo
from ..storage.artefact_store import ArtefactStore


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
