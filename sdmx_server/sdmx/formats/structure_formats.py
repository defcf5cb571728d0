"""Which structure formats can represent an artefact: one answer for intake (refuse what no format
serves) and for content negotiation (a 406 lists the formats that can)."""

from __future__ import annotations

from ..artefacts import TYPES, Artefact, urn_of
from ..media_types import STRUCTURE_JSON_10, STRUCTURE_JSON_20, STRUCTURE_ML_21, STRUCTURE_ML_30, MediaType
from ..structure_maps import intake_problem as map_problem
from .sdmx_ml_metadata_structures import REFUSAL
from .sdmx_ml_structure_writing import unsupported_reason

STRUCTURE_FORMATS: tuple[MediaType, ...] = (STRUCTURE_ML_30, STRUCTURE_JSON_20, STRUCTURE_ML_21, STRUCTURE_JSON_10)


def formats_for(artefacts: list[Artefact]) -> list[MediaType]:
    """The structure formats that can write every one of ``artefacts``."""
    out = []
    for media in STRUCTURE_FORMATS:
        if not media.writer_module().unsupported(artefacts):
            out.append(media)
    return out


def refusal(a: Artefact) -> str | None:
    """Why the server refuses to store ``a`` (no format it serves could give it back), or None."""
    if a.get(REFUSAL):
        return a[REFUSAL]
    if a["type"] in ("structuremap", "representationmap"):
        problem = map_problem(a)  # a map that could never be applied (broken regex, unknown data type...)
        if problem:
            return problem
    try:
        missing = _missing_components(a)
        servable = formats_for([a])
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as e:  # a shape the writers do not know
        return f"its content does not have the shape an SDMX-JSON 2.0 {a['type']} needs ({type(e).__name__}: {e})"
    if missing:
        return missing
    if not servable:
        why = unsupported_reason(a, "3.0")
        return (f"no structure format this server writes (SDMX-ML 2.1 or 3.0, SDMX-JSON 1.0 or 2.0) can give this "
                f"{TYPES[a['type']].urn_class.split('.')[-1]} back whole, so it is not stored"
                + (f" (SDMX-ML 3.0: {why})" if why else ""))
    return None


def _missing_components(a: Artefact) -> str | None:
    if a["type"] != "datastructure" or a.get("isExternalReference"):
        return None
    comps = a.get("dataStructureComponents") or {}
    dims = comps.get("dimensionList") or {}
    if not dims.get("dimensions") and not dims.get("timeDimension"):
        return "a data structure needs at least one dimension; this one has none"
    if not (comps.get("measureList") or {}).get("measures"):
        return "a data structure needs at least one measure for this server to store observations; this one has none"
    return None


def not_acceptable_message(media: MediaType, refused: list[Artefact]) -> str:
    """A 406 text that names what cannot be written and the formats that can write it (never the asked one)."""
    urns = ", ".join(sorted(urn_of(a) for a in refused))
    can = [m.mime for m in formats_for(refused) if m.mime != media.mime]
    if can:
        return f"{media.mime} cannot represent {urns}; ask for {' or '.join(can)}"
    return f"{media.mime} cannot represent {urns}, and neither can any other structure format this server writes"
