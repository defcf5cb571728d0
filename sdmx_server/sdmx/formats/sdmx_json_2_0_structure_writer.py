"""SDMX-JSON 2.0 structure messages: the canonical form is already this model, so little changes."""

from __future__ import annotations

from typing import Any, Iterable

from ..artefacts import TYPES, Artefact, urn_of
from .sdmx1_structures import INCOMPLETE_TYPES
from .sdmx_ml_metadata_structures import REFUSAL
from .sdmx_json_common import envelope, languages_used, pick, single_texts

SCHEMA = "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/v2.0.0/structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json"
_NAMED_NODES = ("codes", "concepts", "categories", "agencies", "dataProviders", "dataConsumers",
                "organisationUnits", "metadataProviders", "reportingCategories", "valueItems", "transformations",
                "rulesets", "userDefinedOperators", "customTypes", "namePersonalisations", "vtlMappings",
                "hierarchicalCodes", "contacts")


def unsupported(artefacts: Iterable[Artefact]) -> list[str]:
    """2.1-only constructs (a measure dimension) have no JSON 2.0 form. Types the sdmx1-based ML reader
    carries only in part (INCOMPLETE_TYPES) are refused by the lead's policy, though JSON 2.0 could hold them."""
    out = []
    for a in artefacts:
        if a["type"] in INCOMPLETE_TYPES or a.get(REFUSAL):  # REFUSAL: a 2.1 metadata structure, read in name only
            out.append(urn_of(a))
            continue
        dims = a.get("dataStructureComponents", {}).get("dimensionList", {}).get("dimensions", [])
        if any(d.get("isMeasureDimension") for d in dims):
            out.append(urn_of(a))
    return out


def write_structure_message(artefacts: list[Artefact], header: dict | None = None, *,
                            languages: list[str] | None = None) -> bytes:
    langs = [*(languages or []), *[lang for lang in languages_used(artefacts) if lang not in (languages or [])]]
    data: dict[str, list] = {}
    for a in artefacts:
        data.setdefault(TYPES[a["type"]].json_key, []).append(_artefact(a, langs))
    used = languages_used(artefacts)
    content = [lang for lang in langs if lang in used] or ["en"]
    return envelope(data, content, SCHEMA, header)


def _artefact(a: Artefact, langs: list[str]) -> dict:
    out = _node("", {k: v for k, v in a.items() if k not in ("type", "isFinal")}, langs)
    single_texts(a, langs, out)
    out["urn"] = urn_of(a)
    _one_based(out.get("dataStructureComponents"))
    return {k: out[k] for k in _ordered(out)}


def _node(key: str, value: Any, langs: list[str]) -> Any:
    """Adds the single-language name/description/text next to every map of them, at any depth."""
    if isinstance(value, list):
        return [_node(key, v, langs) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _node(k, v, langs) for k, v in value.items() if k != "isMeasureDimension"}
    if "names" in value or (key in _NAMED_NODES and "id" in value and "code" not in value):
        single_texts(value, langs, out)
    elif "descriptions" in value:
        out["description"] = pick(value["descriptions"], langs)
    if "texts" in value:
        out["text"] = pick(value["texts"], langs)
    return out


def _one_based(comps: Any) -> None:
    """Canonical dimension positions are 0-based; SDMX writes them 1-based (as SDMX-ML does)."""
    dl = comps.get("dimensionList") if isinstance(comps, dict) else None
    if not isinstance(dl, dict):
        return
    for d in [*dl.get("dimensions", []), dl.get("timeDimension") or {}]:
        if isinstance(d.get("position"), int):
            d["position"] += 1


def _ordered(d: dict) -> list[str]:
    first = ["id", "urn", "agencyID", "version", "isExternalReference", "isPartial", "name", "names",
             "description", "descriptions", "annotations"]
    return [k for k in first if k in d] + [k for k in d if k not in first]


__all__ = ["write_structure_message", "unsupported", "pick"]
