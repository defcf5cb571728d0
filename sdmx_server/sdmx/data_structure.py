"""The facts about a data structure that data readers, validation and writers need, in one flat object.

Derived once from a canonical DSD (SDMX-JSON 2.0 shape), so the data paths never walk the
nested structure per observation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .artefacts import Artefact

# SDMX data types whose values are numbers (validation checks them; SDMX-CSV may write a decimal comma)
NUMERIC_TYPES = frozenset({"Double", "Float", "Decimal", "Integer", "Long", "Short", "BigInteger", "Count", "Numeric",
                           "Incremental", "InclusiveValueRange", "ExclusiveValueRange"})
INTEGER_TYPES = frozenset({"Integer", "Long", "Short", "BigInteger", "Count"})


@dataclass(frozen=True)
class Component:
    id: str
    codelist: str | None = None  # URN of the enumeration, if coded
    text_type: str | None = None  # SDMX data type of a non-coded value (String, Double, ObservationalTimePeriod...)
    mandatory: bool = False
    attachment: str = "observation"  # attributes: "dataset", "group", "series", "observation"
    attached_to: tuple[str, ...] = ()  # dimensions an attribute relates to (or the group's dimensions)
    group: str | None = None


@dataclass(frozen=True)
class DataStructureInfo:
    urn: str
    dimensions: tuple[Component, ...]  # in key order, without the time dimension
    time_dimension: str | None
    attributes: tuple[Component, ...]
    measures: tuple[Component, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every dimension id, time last: the full observation key."""
        return self.dimension_ids + ((self.time_dimension,) if self.time_dimension else ())

    @property
    def numeric_values(self) -> bool:
        """Whether the primary measure's values are numbers, so that ``1038.0`` and ``1038`` are the same figure:
        a non-coded measure with a numeric data type. Without one SDMX takes the value as a String (text)."""
        first = self.measures[0] if self.measures else None
        return bool(first and not first.codelist and first.text_type in NUMERIC_TYPES)

    def component(self, id_: str) -> Component | None:
        for c in self.dimensions + self.attributes + self.measures:
            if c.id == id_:
                return c
        return None

    @classmethod
    def from_artefact(cls, dsd: Artefact) -> DataStructureInfo:
        from .artefacts import urn_of

        comps = dsd.get("dataStructureComponents", {})
        dl = comps.get("dimensionList", {})
        dims = sorted(dl.get("dimensions", []), key=lambda d: d.get("position", 0))
        time = (dl.get("timeDimensions") or dl.get("timeDimension") or [None])
        time = time[0] if isinstance(time, list) else time
        groups = {g["id"]: tuple(g.get("groupDimensions", [])) for g in comps.get("groups", [])}
        dim_ids = tuple(d["id"] for d in dims)
        attrs = tuple(_attribute(a, dim_ids, groups) for a in comps.get("attributeList", {}).get("attributes", []))
        measures = tuple(_component(m, mandatory=True) for m in comps.get("measureList", {}).get("measures", []))
        return cls(urn_of(dsd), tuple(_component(d, mandatory=True) for d in dims),
                   time["id"] if time else None, attrs, measures, groups)


def _representation(c: dict) -> tuple[str | None, str | None]:
    rep = c.get("localRepresentation") or {}
    fmt = rep.get("format") or rep.get("textFormat") or {}
    return rep.get("enumeration"), fmt.get("dataType") or fmt.get("textType")


def _component(c: dict, *, mandatory: bool = False, **kw) -> Component:
    codelist, text_type = _representation(c)
    return Component(c["id"], codelist, text_type, mandatory, **kw)


def _attribute(a: dict, dim_ids: tuple[str, ...], groups: dict[str, tuple[str, ...]]) -> Component:
    rel = a.get("attributeRelationship") or {}
    usage = a.get("usage") or a.get("assignmentStatus") or "optional"
    mandatory = usage.lower() == "mandatory"
    if "dimensions" in rel:
        rel_dims = tuple(rel["dimensions"])
        level = "series" if set(rel_dims) == set(dim_ids) else "group"
        return _component(a, mandatory=mandatory, attachment=level, attached_to=rel_dims)
    if "group" in rel:
        return _component(a, mandatory=mandatory, attachment="group", group=rel["group"],
                          attached_to=groups.get(rel["group"], ()))
    if "observation" in rel or "primaryMeasure" in rel or "measures" in rel:
        return _component(a, mandatory=mandatory, attachment="observation")
    return _component(a, mandatory=mandatory, attachment="dataset")
