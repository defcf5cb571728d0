"""What a metadataflow's metadata sets must hold: its MSD's attributes, read from the structure store.

The MSDs and metadataflows are those stored (``init`` loads the seed files; the structure API stores
later ones), so an MSD replaced through the structure API is the one the checks, the Excel template and
the portal form use at once. Read per call: a handful of artefacts, each a JSON body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sdmx.artefacts import Artefact, urn_of
from ..storage.artefact_store import ArtefactStore


@dataclass(frozen=True)
class AttributeSpec:
    id: str
    min_occurs: int
    max_occurs: int | None  # None: unbounded
    codelist: str | None  # codelist URN of a coded attribute
    text_type: str | None  # e.g. String, GregorianDay
    multilingual: bool
    concept: str | None = None  # the concept URN whose names label the attribute


@dataclass(frozen=True)
class MetadataflowInfo:
    urn: str
    structure_urn: str
    attributes: dict[str, AttributeSpec]  # by id (dotted path when nested), in MSD order


def attributes_of(msd: Artefact) -> dict[str, AttributeSpec]:
    """The MSD's attributes (canonical artefact, SDMX-JSON 2.0 shape), nested ones under dotted paths."""
    out: dict[str, AttributeSpec] = {}
    lst = (msd.get("metadataStructureComponents") or {}).get("metadataAttributeList") or {}
    for a in lst.get("metadataAttributes") or []:
        _spec(a, "", out)
    return out


def _spec(a: dict[str, Any], prefix: str, out: dict[str, AttributeSpec]) -> None:
    path = f"{prefix}{a.get('id', '')}"
    rep = a.get("localRepresentation") or {}
    enum = rep.get("enumeration")
    fmt = rep.get("format")
    hi = a.get("maxOccurs", 1)
    out[path] = AttributeSpec(
        path, int(a.get("minOccurs", 1)), None if hi == "unbounded" else int(hi), enum or None,
        (fmt or {}).get("dataType", "String") if fmt is not None or not enum else None,
        not enum and (fmt is None or bool(fmt.get("isMultiLingual", True))), a.get("conceptIdentity"))
    for child in a.get("metadataAttributes") or []:
        _spec(child, f"{path}.", out)


def stored_definitions(store: ArtefactStore) -> dict[str, MetadataflowInfo]:
    """Stored metadataflows by URN, each with its stored MSD's attributes (flows whose MSD is missing are left
    out: their sets are refused as of an unknown metadataflow)."""
    out: dict[str, MetadataflowInfo] = {}
    msds: dict[str, Artefact | None] = {}
    for flow in store.candidates({"metadataflow"}, None, None):
        structure = flow.get("structure")
        if not structure:
            continue
        if structure not in msds:
            msds[structure] = store.get(structure)
        msd = msds[structure]
        if msd is not None and msd.get("type") == "metadatastructure":
            out[urn_of(flow)] = MetadataflowInfo(urn_of(flow), structure, attributes_of(msd))
    return out


def definitions(conn) -> dict[str, MetadataflowInfo]:
    """The stored definitions, on a connection."""
    return stored_definitions(ArtefactStore(conn))
