"""Structure query paths and parameters (REST v1 and v2) turned into one plain query object.

Both API versions land in the same :class:`StructureQuery`, so retrieval knows nothing of
URLs: v1's ``all``/``latest``/``contentconstraint`` spellings are translated here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from .artefacts import TYPES
from .errors import BadInput, NotImplementedQuery
from .versions import VersionQuery, parse_version_query

DETAILS = {
    "v1": ("full", "allstubs", "referencestubs", "allcompletestubs", "referencecompletestubs", "referencepartial"),
    "v2": ("full", "allstubs", "referencestubs", "allcompletestubs", "referencecompletestubs", "referencepartial",
           "raw"),
}
REFERENCE_MODES = ("none", "parents", "parentsandsiblings", "ancestors", "children", "descendants", "all")
ORGANISATION_SCHEMES = frozenset({"agencyscheme", "dataproviderscheme", "dataconsumerscheme", "organisationunitscheme",
                                  "metadataproviderscheme"})
# v1 names for a type, or a set of types, that v2 spells differently
_V1_TYPES: dict[str, frozenset[str] | None] = {
    "structure": None,
    "organisationscheme": ORGANISATION_SCHEMES,
    "contentconstraint": frozenset({"dataconstraint"}),
    "actualconstraint": frozenset({"dataconstraint"}),
    "allowedconstraint": frozenset({"dataconstraint"}),
    "attachmentconstraint": frozenset({"dataconstraint"}),
}
# SDMX 3.0 classes with no SDMX 2.1 counterpart: not among the resources of the 2.1 REST API (v1)
V2_ONLY_TYPES = frozenset({"structuremap", "representationmap", "conceptschememap", "categoryschememap",
                           "organisationschememap", "reportingtaxonomymap"})
# references= values naming types by an older (v1) name: the modes that stand for them
# (``type@role`` keeps only constraints of that role)
_REFERENCE_TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "contentconstraint": ("dataconstraint",),
    "attachmentconstraint": ("dataconstraint",),
    "actualconstraint": ("dataconstraint@Actual",),
    "allowedconstraint": ("dataconstraint@Allowed",),
    "organisationscheme": tuple(sorted(ORGANISATION_SCHEMES)),
}
# query parameters that content negotiation, not the query, reads
_NEGOTIATION_PARAMS = {"format", "formatVersion", "lang", "compression"}
AGENCY_ID = re.compile(r"^[A-Za-z][A-Za-z\d_-]*(\.[A-Za-z][A-Za-z\d_-]*)*$")
RESOURCE_ID = re.compile(r"^[A-Za-z\d_@$-]+$")
_ITEM = re.compile(r"^[A-Za-z\d_@$\-.]+$")


@dataclass(frozen=True)
class StructureQuery:
    api: str
    types: frozenset[str] | None  # None: every type
    agencies: tuple[str, ...] | None  # None: any
    ids: tuple[str, ...] | None
    versions: tuple[VersionQuery, ...]
    item_ids: tuple[str, ...] | None
    detail: str = "full"
    references: tuple[str, ...] = ("none",)
    constraint_role: str | None = None  # v1 actualconstraint / allowedconstraint

    @property
    def single_type(self) -> str | None:
        return next(iter(self.types)) if self.types and len(self.types) == 1 else None


def parse_structure_query(api: str, path: Mapping[str, str | None], args: Mapping[str, str]) -> StructureQuery:
    """Validate a structure query; BadInput names the offending part, as the spec's 400 asks."""
    wildcard = "all" if api == "v1" else "*"
    types, role = _types(api, path["structure_type"] or wildcard)
    lists = "+," if api == "v1" else ","  # REST 1.3+ separates with +; v2 with ,
    agencies = id_list(path.get("agency_id"), wildcard, AGENCY_ID, "agencyID", separators=lists)
    ids = id_list(path.get("resource_id"), wildcard, RESOURCE_ID, "resourceID", separators=lists)
    version = path.get("version") or ("latest" if api == "v1" else "~")
    versions = tuple(parse_version_query(version, api))
    item_ids = id_list(path.get("item_id"), wildcard, _ITEM, "itemID", separators=lists)
    if item_ids is not None and types is not None and not any(TYPES[t].is_item_scheme or t == "valuelist"
                                                              for t in types):
        raise BadInput(f"itemID is only valid for item schemes, not for {path['structure_type']}")
    for name in args:
        if name not in ("detail", "references", "asOf") and name not in _NEGOTIATION_PARAMS:
            raise BadInput(f"unknown query parameter {name!r} for a structure query")
    detail = args.get("detail", "full")
    if detail not in DETAILS[api]:
        raise BadInput(f"detail={detail!r} is not one of {', '.join(DETAILS[api])}")
    references = _references(api, args.get("references", "none"))
    if "asOf" in args:
        raise NotImplementedQuery("asOf (time travel) is not supported for structure queries: "
                                  "this server keeps only the current state of each artefact")
    return StructureQuery(api, types, agencies, ids, versions, item_ids, detail, references, role)


def _types(api: str, text: str) -> tuple[frozenset[str] | None, str | None]:
    if text == "*" or (api == "v1" and text in ("all", "structure")):
        return None, None
    out: set[str] = set()
    role = None
    for name in text.split(","):
        if api == "v1" and name in _V1_TYPES:
            mapped = _V1_TYPES[name]
            if mapped is None:
                return None, None
            out |= mapped
            role = {"actualconstraint": "Actual", "allowedconstraint": "Allowed"}.get(name, role)
        elif api == "v1" and name in V2_ONLY_TYPES:
            raise BadInput(_v2_only(name))
        elif name in TYPES:
            out.add(name)
        else:
            raise BadInput(f"unknown structure type {name!r}")
    return frozenset(out), role


def _v2_only(name: str) -> str:
    return (f"{name} is not a resource of the SDMX 2.1 REST API (/rest/...): SDMX 2.1 has no such class; "
            f"ask /rest/v2/structure/{name}/...")


def id_list(text: str | None, wildcard: str, pattern: re.Pattern, what: str,
            separators: str = ",") -> tuple[str, ...] | None:
    """A list of identifiers, each checked; None for the wildcard (or *).

    v2 separates with ``,``; v1 lists use ``+`` (REST 1.3+), which we accept there beside ``,``.
    """
    if text is None or text in (wildcard, "*"):
        return None
    values = tuple(v.strip() for v in re.split("[" + re.escape(separators) + "]", text))
    for v in values:
        if not pattern.match(v):
            raise BadInput(f"{what} {v!r} is not a valid identifier")
    return values


def _references(api: str, text: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(","))
    if api == "v1" and len(values) > 1:
        raise BadInput("references takes one value in REST v1")
    out: list[str] = []
    for v in values:
        if api == "v1" and v in V2_ONLY_TYPES:
            raise BadInput(_v2_only(v))
        if v in _REFERENCE_TYPE_ALIASES:
            out.extend(_REFERENCE_TYPE_ALIASES[v])
        elif v in REFERENCE_MODES or v in TYPES:
            out.append(v)
        else:
            raise BadInput(f"references={v!r} is not one of {', '.join(REFERENCE_MODES)} or a structure type")
    if "none" in out and len(out) > 1:
        raise BadInput("references=none cannot be combined with other values")
    return tuple(out)


def structure_url(api: str, base_url: str, a: Mapping) -> str:
    """The query answering with the full artefact ``a``, in the API version asked (a stub's structureURL)."""
    type_ = a["type"]
    if api == "v1":
        path = f"{'contentconstraint' if type_ == 'dataconstraint' else type_}"
    else:
        path = f"v2/structure/{type_}"
    return f"{base_url.rstrip('/')}/rest/{path}/{a['agencyID']}/{a['id']}/{a['version']}"
