"""What values a data message may hold for each component: its codelist's codes, narrowed by Allowed constraints.

Submission (validating a message) and schema queries (generating the XSD that validates one) both
read these rules from here, so the server and the schemas it hands out agree on what is valid.
Pure: artefacts come in through a ``get(urn)`` callable, so the caller decides where they live.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .artefacts import Artefact, parse_urn, urn_of
from .data_structure import Component
from .errors import SemanticError

Lookup = Callable[[str], Artefact | None]


def component_codes(components: Iterable[Component], get: Lookup) -> dict[str, frozenset[str]]:
    """The codes of each coded component's codelist (a 2.1 measure dimension's: its concept scheme's concepts)."""
    codes: dict[str, frozenset[str]] = {}
    for comp in components:
        if comp.codelist:
            codelist = get(parse_urn(comp.codelist).maintainable)
            if codelist is None:
                raise SemanticError(f"codelist {comp.codelist} of {comp.id} is not stored")
            codes[comp.id] = frozenset(c["id"] for c in scheme_items(codelist))
    return codes


def scheme_items(codelist: Artefact) -> list[dict]:
    """The codes of a codelist; a 2.1 measure dimension takes its values from a concept scheme's concepts."""
    return codelist.get("concepts" if codelist.get("type") == "conceptscheme" else "codes", [])


def allowed_by_constraints(constraints: Iterable[Artefact]) -> dict[str, frozenset[str]]:
    """Values each component may take by the Allowed data constraints given: included cube regions, intersected."""
    allowed: dict[str, frozenset[str]] = {}
    for art in constraints:
        if art.get("type") != "dataconstraint" or art.get("role", "Allowed") != "Allowed":
            continue
        for region in art.get("cubeRegions", []):
            if region.get("include", True) is False:
                continue
            for kv in region.get("keyValues", []):
                values = frozenset(v if isinstance(v, str) else v.get("value", "") for v in kv.get("values", []))
                allowed[kv["id"]] = allowed[kv["id"]] & values if kv["id"] in allowed else values
    return allowed


def constraint_values(constraints: Iterable[Artefact]) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    """Each component's values by constraint: (constraint URN, values its included cube regions allow), for
    Allowed data constraints. Intake checks against their intersection and names the constraint a value breaks."""
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for art in constraints:
        allowed = allowed_by_constraints([art])
        if allowed:
            urn = urn_of(art)
            for cid, values in allowed.items():
                out.setdefault(cid, []).append((urn, values))
    return {cid: tuple(entries) for cid, entries in out.items()}


def component_dicts(dsd: Artefact) -> list[dict]:
    """Every component of a canonical DSD (dimensions, time dimension, attributes, measures), as stored in it."""
    comps = dsd.get("dataStructureComponents", {})
    dl = comps.get("dimensionList", {})
    time = dl.get("timeDimensions") or dl.get("timeDimension") or []
    return [*dl.get("dimensions", []), *(time if isinstance(time, list) else [time]),
            *comps.get("attributeList", {}).get("attributes", []), *comps.get("measureList", {}).get("measures", [])]


def with_concept_representations(dsd: Artefact, get: Lookup) -> Artefact:
    """A copy of the DSD where every component without a local representation takes its concept's core one.

    SDMX gives a component the representation of its concept unless the DSD overrides it (ECB's
    sample DSDs code FREQ, EXR_TYPE... only in the concept scheme).
    """
    out = copy.deepcopy(dsd)
    for comp in component_dicts(out):
        if not comp.get("localRepresentation") and comp.get("conceptIdentity"):
            core = _concept_representation(comp["conceptIdentity"], get)
            if core:
                comp["localRepresentation"] = copy.deepcopy(core)
    return out


def _concept_representation(concept_urn: str, get: Lookup) -> dict | None:
    try:
        ref = parse_urn(concept_urn)
    except ValueError:
        return None
    scheme = get(ref.maintainable)
    for concept in (scheme or {}).get("concepts", []):
        if concept.get("id") == ref.item_id:
            return concept.get("coreRepresentation")
    return None


@dataclass(frozen=True)
class Enumeration:
    """The values a component may take in a context, in codelist order, with their names."""

    codes: tuple[tuple[str, dict[str, str]], ...]  # (id, names by language)
    codelist: str | None = None  # URN of the codelist, if the component is coded
    restricted: bool = False  # fewer than the codelist's codes: a constraint narrowed it


@dataclass(frozen=True)
class DataValidity:
    """What a data message for one context (DSD, dataflow or provision agreement) may hold."""

    context_urn: str
    structure: Artefact  # the DSD, concept representations filled in
    enumerations: dict[str, Enumeration] = field(default_factory=dict)  # component id -> allowed values
