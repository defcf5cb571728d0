"""Answer a schema query (data validity, doc/schema.md): the context, its DSD, its constraints, allowed values.

The context decides which constraints apply: a DSD's own; for a dataflow, the dataflow's and its DSD's;
for a provision agreement, those and the agreement's. What each component may then take is computed
by :mod:`sdmx_server.sdmx.data_validity`, the same rules submission validates with. Works on any
:class:`ArtefactSource`, so the rules can be tested without a database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping

from ..sdmx.artefacts import TYPES, Artefact, maintainable_references, parse_urn, urn_of
from ..sdmx.data_structure import DataStructureInfo
from ..sdmx.data_validity import (DataValidity, Enumeration, allowed_by_constraints, component_codes,
                                  component_dicts, scheme_items, with_concept_representations)
from ..sdmx.errors import BadInput, NotFound, NotImplementedQuery, SemanticError
from ..sdmx.rest_query import AGENCY_ID, RESOURCE_ID
from ..sdmx.versions import parse_version_query, select
from .artefact_source import ArtefactSource
from .structure_retrieval import only_items

ALL_DIMENSIONS = "AllDimensions"
CONTEXTS = {"v1": ("datastructure", "metadatastructure", "dataflow", "metadataflow", "provisionagreement"),
            "v2": ("datastructure", "metadatastructure", "dataflow", "metadataflow", "provisionagreement",
                   "metadataprovisionagreement")}
_DATA_CONTEXTS = ("datastructure", "dataflow", "provisionagreement")
_PARAMETERS = {"v1": {"dimensionAtObservation", "explicitMeasure"},
               "v2": {"dimensionAtObservation", "deletion", "asOf"}}
_NEGOTIATION = {"format", "formatVersion", "lang", "compression"}
_NCNAME_ID = re.compile(r"^[A-Za-z][A-Za-z\d_-]*$")


@dataclass(frozen=True)
class SchemaQuery:
    api: str
    context: str  # datastructure, dataflow or provisionagreement
    agency_id: str
    resource_id: str
    version: str
    dimension_at_observation: str | None = None  # None: TIME_PERIOD, or AllDimensions without a time dimension
    deletion: bool = False
    explicit_measure: bool = False


def parse_schema_query(api: str, context: str, agency_id: str, resource_id: str, version: str | None,
                       args: Mapping[str, str]) -> SchemaQuery:
    """Validate the path and parameters; BadInput (400) names what is wrong, as the spec asks."""
    if context not in CONTEXTS[api]:
        raise BadInput(f"unknown schema context {context!r}; use one of {', '.join(CONTEXTS[api])}")
    if context not in _DATA_CONTEXTS:
        raise NotImplementedQuery(f"schemas for the {context} context (reference metadata) are not supported")
    for what, value, pattern in (("agencyID", agency_id, AGENCY_ID), ("resourceID", resource_id, RESOURCE_ID)):
        if value in ("*", "all") or not pattern.match(value):
            raise BadInput(f"{what} {value!r} is not one identifier: a schema describes one artefact")
    version = version or ("latest" if api == "v1" else "~")
    parse_version_query(version, api)  # BadInput for a malformed version
    for name in args:
        if name not in _PARAMETERS[api] and name not in _NEGOTIATION:
            raise BadInput(f"unknown query parameter {name!r} for a schema query")
    if "asOf" in args:
        raise NotImplementedQuery("asOf (time travel) is not supported: this server keeps only the current "
                                  "state of each artefact")
    dim = args.get("dimensionAtObservation") or None
    if dim is not None and not _NCNAME_ID.match(dim):
        raise BadInput(f"dimensionAtObservation={dim!r} is not a dimension identifier")
    return SchemaQuery(api, context, agency_id, resource_id, version, dim,
                       _boolean(args, "deletion"), _boolean(args, "explicitMeasure"))


def _boolean(args: Mapping[str, str], name: str) -> bool:
    value = args.get(name, "false").strip().lower()
    if value not in ("true", "false"):
        raise BadInput(f"{name}={args[name]!r} must be true or false")
    return value == "true"


@dataclass(frozen=True)
class SchemaResult:
    """What the writers need: the validity rules, the packaging, and the artefacts they came from."""

    validity: DataValidity
    observation_dimension: str
    context: Artefact
    structure: Artefact  # the DSD as stored
    constraints: tuple[Artefact, ...]


class _Lookup:
    """``get(urn)`` over a source, each artefact fetched once per query."""

    def __init__(self, source: ArtefactSource):
        self.source = source
        self.seen: dict[str, Artefact | None] = {}

    def __call__(self, urn: str) -> Artefact | None:
        if urn not in self.seen:
            found = self.source.by_urns([urn])
            self.seen[urn] = found[0] if found else None
        return self.seen[urn]

    def prefetch(self, urns: set[str]) -> None:
        """Fetch in one round trip what the DSD refers to (its concept schemes and codelists)."""
        wanted = urns - self.seen.keys()
        found = {urn_of(a): a for a in self.source.by_urns(wanted)} if wanted else {}
        self.seen.update({u: found.get(u) for u in wanted})


def retrieve_schema(query: SchemaQuery, source: ArtefactSource) -> SchemaResult:
    get = _Lookup(source)
    context = _find(query, source)
    chain = [context]  # the context and what it stands on, down to the DSD
    if context["type"] == "provisionagreement":
        chain.append(_required(get, context.get("dataflow"), f"the dataflow of {urn_of(context)}"))
    if chain[-1]["type"] == "dataflow":
        chain.append(_required(get, chain[-1].get("structure"), f"the data structure of {urn_of(chain[-1])}"))
    structure = chain[-1]
    constraints = tuple(a for a in source.referencing([urn_of(a) for a in chain]) if a["type"] == "dataconstraint")
    get.prefetch(maintainable_references(structure))
    filled = with_concept_representations(structure, get)
    get.prefetch(maintainable_references(filled))
    info = DataStructureInfo.from_artefact(filled)
    dim = observation_dimension(query.dimension_at_observation, info)
    if query.explicit_measure and dim != ALL_DIMENSIONS and _is_measure_dimension(info, dim):
        raise NotImplementedQuery("explicitMeasure=true (one observation type per measure) is not supported")
    validity = DataValidity(urn_of(context), filled, enumerations(info, get, constraints))
    return SchemaResult(validity, dim, context, structure, constraints)


def _find(query: SchemaQuery, source: ArtefactSource) -> Artefact:
    candidates = {a["version"]: a for a in source.candidates({query.context}, [query.agency_id],
                                                             [query.resource_id])}
    chosen = select(parse_version_query(query.version, query.api), candidates)
    if not chosen:
        raise NotFound(f"{query.context} {query.agency_id}:{query.resource_id}({query.version}) does not exist")
    return candidates[chosen[-1]]


def _required(get: _Lookup, urn: str | None, what: str) -> Artefact:
    found = get(urn) if urn else None
    if found is None:
        raise SemanticError(f"{what} ({urn}) is not stored")
    return found


def observation_dimension(asked: str | None, info: DataStructureInfo) -> str:
    """The dimension at the observation level: as asked, else TIME_PERIOD (AllDimensions without time)."""
    if asked is None:
        return info.time_dimension or ALL_DIMENSIONS
    if asked != ALL_DIMENSIONS and asked not in info.key_ids:
        raise BadInput(f"dimensionAtObservation={asked} is not a dimension of {info.urn}; use one of "
                       f"{', '.join(info.key_ids)} or {ALL_DIMENSIONS}")
    return asked


def _is_measure_dimension(info: DataStructureInfo, dim: str) -> bool:
    comp = info.component(dim)
    return bool(comp and comp.codelist and parse_urn(comp.codelist).type == "conceptscheme")


def enumerations(info: DataStructureInfo, get: _Lookup, constraints: tuple[Artefact, ...]) -> dict[str, Enumeration]:
    """The values each component may take: its codelist's codes (in codelist order) that the constraints allow."""
    comps = info.dimensions + info.attributes + info.measures
    codes = component_codes(comps, get)
    allowed = allowed_by_constraints(constraints)
    out: dict[str, Enumeration] = {}
    for comp in comps:
        allow = allowed.get(comp.id)
        if comp.id in codes:
            items = scheme_items(get(parse_urn(comp.codelist or "").maintainable) or {})
            keep = codes[comp.id] if allow is None else codes[comp.id] & allow
            out[comp.id] = Enumeration(tuple((i["id"], i.get("names", {})) for i in items if i["id"] in keep),
                                       comp.codelist, keep != codes[comp.id])
        elif allow is not None:
            out[comp.id] = Enumeration(tuple((v, {}) for v in sorted(allow)), None, True)
    if info.time_dimension in allowed:
        out[info.time_dimension] = Enumeration(tuple((v, {}) for v in sorted(allowed[info.time_dimension])),
                                               None, True)
    return out


# -- the "communication" form: the structures, narrowed to the context -------------------------------

def communication_artefacts(result: SchemaResult, source: ArtefactSource) -> list[Artefact]:
    """The DSD, its codelists with only the allowed codes, its concept schemes with only the concepts it uses,
    the agency schemes with only the agencies maintaining these, and (when components sharing a codelist
    allow different codes) the constraints that say which (doc/schema.md, "Response types")."""
    get = _Lookup(source)
    enums = result.validity.enumerations
    by_codelist: dict[str, set[str]] = defaultdict(set)
    sets_by_codelist: dict[str, set[frozenset[str]]] = defaultdict(set)
    for enum in enums.values():
        if enum.codelist:
            urn = parse_urn(enum.codelist).maintainable
            ids = frozenset(code for code, _ in enum.codes)
            by_codelist[urn] |= ids
            sets_by_codelist[urn].add(ids)
    concepts: dict[str, set[str]] = defaultdict(set)
    for comp in component_dicts(result.validity.structure):
        try:
            ref = parse_urn(comp.get("conceptIdentity", ""))
        except ValueError:
            continue
        if ref.item_id:
            concepts[ref.maintainable].add(ref.item_id)
    get.prefetch(set(by_codelist) | set(concepts))
    out: list[Artefact] = [result.structure]
    for urn in sorted(by_codelist):
        scheme = get(urn)
        if scheme is not None:
            out.append(_narrowed(scheme, by_codelist[urn]))
    for urn in sorted(concepts):
        scheme = get(urn)
        if scheme is not None:
            out.append(only_items(scheme, concepts[urn]) or scheme)
    out += _agency_schemes(out, source)
    if any(len(sets) > 1 for sets in sets_by_codelist.values()):
        out += [c for c in result.constraints if c.get("role", "Allowed") == "Allowed"]
    return out


def _narrowed(scheme: Artefact, keep: set[str]) -> Artefact:
    """The scheme with only ``keep`` (whole if that is all of it); parents left out are no longer named."""
    key = TYPES[scheme["type"]].items_key or "codes"
    if {i["id"] for i in scheme.get(key, [])} <= keep:
        return scheme
    partial = only_items(scheme, keep) or {**scheme, key: [], "isPartial": True}
    partial[key] = [{k: v for k, v in i.items() if k != "parent" or v in keep} for i in partial[key]]
    return partial


def _agency_schemes(artefacts: list[Artefact], source: ArtefactSource) -> list[Artefact]:
    """Agency schemes holding the agencies that maintain the artefacts, with only those agencies.

    A top-level agency (ECB) is an item of SDMX:AGENCIES; a sub-agency (ECB.DISS) of its parent's scheme.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for a in artefacts:
        parent, _, item = a["agencyID"].rpartition(".")
        wanted[parent or "SDMX"].add(item)
    out = []
    for scheme in source.candidates({"agencyscheme"}, sorted(wanted), None):
        items = {i["id"] for i in scheme.get("agencies", [])} & wanted[scheme["agencyID"]]
        if items:
            out.append(only_items(scheme, items) or scheme)
    return out

