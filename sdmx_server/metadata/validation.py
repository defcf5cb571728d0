"""Does a metadata set fit its metadataflow, its target and its submitter? Every failure named with its place.

Checked: the metadataflow is known; the target names a stored dataflow and a data provider with a
provision agreement for it; a country-bound submitter documents only its own country; every
attribute is one of the MSD's; coded values are codes of the attribute's codelist; text attributes
carry text (in at least one language), coded ones values; dates are days; no attribute is repeated
beyond its maxOccurs; every mandatory attribute is present. All errors are collected (up to
``max_errors``) and raised together as InvalidData (422); nothing is stored before this passes.
"""

from __future__ import annotations

import re
from typing import Callable

from ..sdmx.artefacts import Artefact, parse_urn
from ..sdmx.data_validity import scheme_items
from ..sdmx.errors import InvalidData
from ..sdmx.metadata_set import MetadataSet
from .structure import AttributeSpec, MetadataflowInfo

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Errors:
    def __init__(self, max_errors: int):
        self.max_errors = max_errors
        self.items: list[dict[str, str]] = []
        self.count = 0

    def add(self, rule: str, message: str, where: str = "", **context: str) -> None:
        self.count += 1
        if len(self.items) < self.max_errors:
            self.items.append({"rule": rule, "message": message, "where": where, **context})

    def raise_if_any(self) -> None:
        if self.count:
            first = self.items[0]
            raise InvalidData(f"the metadata message was rejected: {self.count} error(s); first: "
                              f"{first['where'] + ': ' if first['where'] else ''}{first['message']}",
                              self.items, self.count)


def check_sets(sets: list[MetadataSet], flows: dict[str, MetadataflowInfo], get: Callable[[str], Artefact | None],
               providers_of: Callable[[str], frozenset[str]], country: str | None, *,
               max_errors: int = 100) -> None:
    """Raise InvalidData listing every problem of ``sets``; ``country`` is the submitter's (None: any)."""
    errors = Errors(max_errors)
    codes_cache: dict[str, frozenset[str] | None] = {}
    seen_targets: set[tuple[str, str, str]] = set()
    for s in sets:
        where = s.extra.get("where", "")
        flow = flows.get(s.metadataflow_urn)
        if flow is None:
            errors.add("unknown-metadataflow", f"metadata set {s.set_id}: metadataflow {s.metadataflow_urn} does "
                       f"not exist (known: {', '.join(sorted(flows)) or 'none'})", where, metadataset=s.set_id)
            continue
        _check_target(s, where, get, providers_of, country, errors)
        target = (s.metadataflow_urn, s.dataflow_urn, s.provider_id)
        if target in seen_targets:
            errors.add("duplicate-target", f"metadata set {s.set_id}: a second set for dataflow {s.dataflow_urn} "
                       f"and provider {s.provider_id} in one message", where, metadataset=s.set_id)
        seen_targets.add(target)
        _check_values(s, flow, get, codes_cache, errors)
    errors.raise_if_any()


def _check_target(s: MetadataSet, where: str, get, providers_of, country: str | None, errors: Errors) -> None:
    ctx = {"metadataset": s.set_id}
    if not s.dataflow_urn:
        errors.add("missing-target", f"metadata set {s.set_id} names no dataflow: add a Target "
                   "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=AGENCY:ID(VERSION)", where, **ctx)
    elif get(s.dataflow_urn) is None:
        errors.add("unknown-target", f"metadata set {s.set_id}: dataflow {s.dataflow_urn} does not exist", where, **ctx)
    if not s.provider_id:
        errors.add("missing-target", f"metadata set {s.set_id} names no data provider: add a Target "
                   "urn:sdmx:org.sdmx.infomodel.base.DataProvider=DSM:DATA_PROVIDERS(1.0).ID", where, **ctx)
        return
    if country is not None and s.provider_id != country:
        errors.add("foreign-target", f"metadata set {s.set_id} documents data provider {s.provider_id}; a user of "
                   f"{country} documents only {country}", where, **ctx)
    elif s.dataflow_urn and get(s.dataflow_urn) is not None and s.provider_id not in providers_of(s.dataflow_urn):
        errors.add("no-provision-agreement", f"metadata set {s.set_id}: data provider {s.provider_id} has no provision "
                   f"agreement for dataflow {s.dataflow_urn}", where, **ctx)


def _codes(spec: AttributeSpec, get, cache: dict[str, frozenset[str] | None]) -> frozenset[str] | None:
    urn = spec.codelist or ""
    if urn not in cache:
        cl = get(parse_urn(urn).maintainable)
        cache[urn] = frozenset(c["id"] for c in scheme_items(cl)) if cl is not None else None
    return cache[urn]


def _check_values(s: MetadataSet, flow: MetadataflowInfo, get, cache, errors: Errors) -> None:
    counts: dict[str, int] = {}
    for v in s.values:
        ctx = {"metadataset": s.set_id, "attribute": v.attribute}
        spec = flow.attributes.get(v.attribute)
        if spec is None:
            errors.add("unknown-attribute", f"{v.attribute} is not an attribute of {flow.structure_urn}", v.where, **ctx)
            continue
        counts[v.attribute] = counts.get(v.attribute, 0) + 1
        if v.value is not None and v.texts is not None:
            kind = "a code" if spec.codelist else "text" if spec.multilingual else "a value"
            errors.add("value-and-text", f"{v.attribute} takes {kind}; an answer gives both a value and text",
                       v.where, **ctx)
            continue
        if spec.codelist:
            if v.value is None:
                errors.add("coded-attribute-text", f"{v.attribute} takes codes of {spec.codelist} as Value, not text",
                           v.where, **ctx)
                continue
            codes = _codes(spec, get, cache)
            if codes is None:
                errors.add("codelist-missing", f"codelist {spec.codelist} of {v.attribute} is not stored", v.where, **ctx)
            elif v.value not in codes:
                errors.add("unknown-code", f"{v.attribute}: {v.value!r} is not a code of {spec.codelist} "
                           f"(codes: {', '.join(sorted(codes))})", v.where, **ctx)
        elif spec.multilingual:
            if v.texts is None or not any(t.strip() for t in v.texts.values()):
                errors.add("missing-text", f"{v.attribute} takes text (com:Text with xml:lang), and none is given",
                           v.where, **ctx)
        else:
            if v.value is None or not v.value:
                errors.add("missing-value", f"{v.attribute} takes a Value of type {spec.text_type}", v.where, **ctx)
            elif spec.text_type == "GregorianDay" and not DAY.match(v.value):
                errors.add("value-format", f"{v.attribute}: {v.value!r} is not a day (YYYY-MM-DD)", v.where, **ctx)
    for aid, n in counts.items():
        spec = flow.attributes[aid]
        if spec.max_occurs is not None and n > spec.max_occurs:
            errors.add("too-many-values", f"{aid} is given {n} times; {flow.structure_urn} allows {spec.max_occurs}",
                       s.extra.get("where", ""), metadataset=s.set_id, attribute=aid)
    for aid, spec in flow.attributes.items():
        if spec.min_occurs > counts.get(aid, 0):
            errors.add("missing-attribute", f"metadata set {s.set_id}: mandatory attribute {aid} is missing",
                       s.extra.get("where", ""), metadataset=s.set_id, attribute=aid)
