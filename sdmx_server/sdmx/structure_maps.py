"""SDMX 3.0 StructureMaps and RepresentationMaps, compiled once and applied to national rows.

A national system keeps its own tables (columns GRAZHDANSTVO, POL, ...) and its own codes
("м", "Россия", ...). The correspondence with a dataflow is held as SDMX's own artefacts: a
StructureMap (national columns -> DSD components, fixed values) and RepresentationMaps (national
codes -> codelist codes). This module turns those canonical artefacts (SDMX-JSON 2.0 shaped
dicts, see ``artefacts``) into a plain, dependency-free translator the interlinking engine calls
for every row, and judges at intake whether a map could ever be applied (bad regex, unknown type).

Rules (SDMX 3.0 Section 2, 10.3, as this server reads them):

* A regular expression source value (``isRegEx``) must match the WHOLE value (``re.fullmatch``);
  its target values may name its groups (``\\1``, ``\\g<name>``). Patterns are at most
  :data:`MAX_REGEX_LENGTH` characters and are tried only on values of at most
  :data:`MAX_MATCHED_LENGTH` characters, which bounds the time one value can take.
* ``startIndex``/``endIndex`` take a part of the value before comparing: 0-based, ``endIndex``
  inclusive (an absent one means "to the end").
* Exact (non-regex, whole-value) mappings win over regex and substring ones; among the latter the
  first in document order wins.
* ``validFrom``/``validTo`` (dates, inclusive) limit when a mapping applies; ``when=None`` ignores
  validity (the first mapping that matches applies).
* A ComponentMap without a RepresentationMap copies the value as it is.
* A FixedValueMap on a target component sets it on every row; on a source component it is the
  value a row that lacks the column takes.
* EpochMaps, DatePatternMaps and FrequencyFormatMappings are not applied: :func:`compile_maps`
  refuses a StructureMap that has them, naming them.
"""

from __future__ import annotations

import re
import re._constants as _regex_constants  # the stdlib's own parser, to judge a pattern's shape before use
import re._parser as _regex_parser
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping

MAX_REGEX_LENGTH = 200  # characters of one pattern
MAX_MATCHED_LENGTH = 500  # longer values are never tried against patterns (they stay unmapped)
_CACHE_SIZE = 4096  # distinct (values, date) answers a compiled RepresentationMap remembers

#: SDMX 3.0 DataType (the SDMX-JSON 2.0 schema's enumeration, the same as SDMX-ML 3.0 common:DataType)
DATA_TYPES = frozenset({
    "String", "Alpha", "AlphaNumeric", "Numeric", "BigInteger", "Integer", "Long", "Short", "Decimal", "Float",
    "Double", "Boolean", "URI", "Count", "InclusiveValueRange", "ExclusiveValueRange", "Incremental",
    "ObservationalTimePeriod", "StandardTimePeriod", "BasicTimePeriod", "GregorianTimePeriod", "GregorianYear",
    "GregorianYearMonth", "GregorianDay", "ReportingTimePeriod", "ReportingYear", "ReportingSemester",
    "ReportingTrimester", "ReportingQuarter", "ReportingMonth", "ReportingWeek", "ReportingDay", "DateTime",
    "TimeRange", "Month", "MonthDay", "Day", "Time", "Duration", "GeospatialInformation", "XHTML", "KeyValues",
    "IdentifiableReference", "DataSetReference"})
#: StructureMap parts this module does not apply (kept out at intake, refused by compile_maps)
DATE_MAP_KEYS = ("epochMaps", "datePatternMaps", "frequencyFormatMappings")
_STRUCTURE_MAP_PREFIX = "urn:sdmx:org.sdmx.infomodel.structuremapping.StructureMap="
_REPRESENTATION_MAP_PREFIX = "urn:sdmx:org.sdmx.infomodel.structuremapping.RepresentationMap="


class MapError(ValueError):
    """A map that cannot be applied, or a row it cannot translate; the message names what and where."""

    def __init__(self, message: str, *, value: str | None = None, column: str | None = None,
                 map_urn: str | None = None):
        super().__init__(message)
        self.value = value
        self.column = column
        self.map_urn = map_urn


class UnmappedValue(MapError):
    """A national code no mapping of the RepresentationMap translates (on that date)."""


def urn_of_map(artefact: Mapping[str, Any]) -> str:
    """The URN of a StructureMap or RepresentationMap dict (canonical artefacts carry none)."""
    prefix = _STRUCTURE_MAP_PREFIX if artefact.get("type") == "structuremap" else _REPRESENTATION_MAP_PREFIX
    return f"{prefix}{artefact.get('agencyID')}:{artefact.get('id')}({artefact.get('version')})"


# -- representation maps ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceValue:
    """One SourceValue: a whole value, a part of it (indexes) or a pattern."""

    value: str
    is_regex: bool = False
    start: int | None = None
    end: int | None = None  # inclusive
    pattern: re.Pattern[str] | None = None

    @property
    def is_exact(self) -> bool:
        return not self.is_regex and self.start is None and self.end is None

    def part(self, text: str) -> str:
        if self.start is None and self.end is None:
            return text
        return text[self.start or 0:None if self.end is None else self.end + 1]

    def match(self, text: str) -> re.Match[str] | bool | None:
        part = self.part(text)
        if self.pattern is not None:
            return self.pattern.fullmatch(part) if len(part) <= MAX_MATCHED_LENGTH else None
        return part == self.value


@dataclass(frozen=True)
class ValueMapping:
    sources: tuple[SourceValue, ...]
    targets: tuple[str, ...]
    valid_from: date | None = None
    valid_to: date | None = None
    index: int = 0  # position in the RepresentationMap, for messages

    def valid_on(self, when: date | None) -> bool:
        if when is None:
            return True
        return (self.valid_from is None or self.valid_from <= when) and (self.valid_to is None or when <= self.valid_to)


@dataclass
class CompiledRepresentationMap:
    urn: str
    source_count: int
    target_count: int
    target_codelists: tuple[str | None, ...]  # per target: the codelist URN, or None for a data type
    exact: dict[tuple[str, ...], list[ValueMapping]] = field(default_factory=dict)
    patterns: list[ValueMapping] = field(default_factory=list)
    _cache: dict[tuple[tuple[str, ...], date | None], tuple[str, ...] | None] = field(default_factory=dict)

    def lookup(self, values: tuple[str, ...], when: date | None = None,
               columns: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The target values for ``values`` (one per source); UnmappedValue names code, column and map."""
        key = (values, when)
        found = self._cache.get(key, False)
        if found is False:
            found = self._find(values, when)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        if found is None:
            shown = ", ".join(f"{v!r}" + (f" (column {c})" if c else "")
                              for v, c in zip(values, columns or ("",) * len(values)))
            on = f" valid on {when.isoformat()}" if when else ""
            raise UnmappedValue(f"national code {shown} has no mapping{on} in RepresentationMap {self.urn}",
                                value=values[0] if len(values) == 1 else " ".join(values),
                                column=columns[0] if len(columns) == 1 else ",".join(columns) or None,
                                map_urn=self.urn)
        return found

    def _find(self, values: tuple[str, ...], when: date | None) -> tuple[str, ...] | None:
        for m in self.exact.get(values, ()):
            if m.valid_on(when):
                return m.targets
        for m in self.patterns:
            if not m.valid_on(when):
                continue
            matches = [s.match(v) for s, v in zip(m.sources, values)]
            if all(matches):
                return tuple(_expand(t, matches) for t in m.targets)
        return None


def _expand(target: str, matches: list) -> str:
    """Capture groups of the first regex source may appear in a target value (\\1, \\g<name>)."""
    for m in matches:
        if isinstance(m, re.Match) and m.re.groups and "\\" in target:
            try:
                return m.expand(target)
            except (re.error, IndexError):
                return target
    return target


def compile_representation_map(rm: Mapping[str, Any]) -> CompiledRepresentationMap:
    """Check and compile one RepresentationMap (canonical dict); MapError names the mapping at fault."""
    urn = urn_of_map({**rm, "type": "representationmap"})
    sources = _sides(rm, "source", urn)
    targets = _sides(rm, "target", urn)
    out = CompiledRepresentationMap(urn, len(sources), len(targets),
                                    tuple(t.get("codelist") for t in targets))
    mappings = rm.get("representationMappings") or []
    if not isinstance(mappings, list):
        raise MapError(f"RepresentationMap {urn}: representationMappings must be a list", map_urn=urn)
    for i, m in enumerate(mappings):
        where = f"RepresentationMap {urn}, mapping {i + 1}"
        if not isinstance(m, dict):
            raise MapError(f"{where} is not an object", map_urn=urn)
        svs = m.get("sourceValues") or []
        if not isinstance(svs, list) or len(svs) != len(sources):
            raise MapError(f"{where} has {len(svs) if isinstance(svs, list) else 'no'} source values for "
                           f"{len(sources)} source(s)", map_urn=urn)
        tvs = m.get("targetValues") or []
        if not isinstance(tvs, list) or not all(isinstance(t, str) for t in tvs):
            raise MapError(f"{where}: targetValues must be a list of strings", map_urn=urn)
        if tvs and len(tvs) != len(targets):
            raise MapError(f"{where} has {len(tvs)} target values for {len(targets)} target(s)", map_urn=urn)
        vm = ValueMapping(tuple(_source_value(sv, f"{where}, source value {j + 1}", urn) for j, sv in enumerate(svs)),
                          tuple(tvs), _date(m.get("validFrom"), f"{where}: validFrom", urn),
                          _date(m.get("validTo"), f"{where}: validTo", urn), i)
        if vm.valid_from and vm.valid_to and vm.valid_to < vm.valid_from:
            raise MapError(f"{where}: validTo {vm.valid_to} is before validFrom {vm.valid_from}", map_urn=urn)
        if not tvs:
            continue  # a source value with no target: SDMX allows it, it maps to nothing (stays unmapped)
        if all(s.is_exact for s in vm.sources):
            out.exact.setdefault(tuple(s.value for s in vm.sources), []).append(vm)
        else:
            out.patterns.append(vm)
    return out


def _sides(rm: Mapping[str, Any], side: str, urn: str) -> list[dict]:
    items = rm.get(side)
    if not isinstance(items, list) or not items:
        raise MapError(f"RepresentationMap {urn} needs at least one {side} (a codelist or a data type)", map_urn=urn)
    for i, it in enumerate(items):
        if not isinstance(it, dict) or len([k for k in ("codelist", "dataType") if it.get(k)]) != 1:
            raise MapError(f"RepresentationMap {urn}: {side} {i + 1} must name one codelist or one data type",
                           map_urn=urn)
        if it.get("dataType") and it["dataType"] not in DATA_TYPES:
            raise MapError(f"RepresentationMap {urn}: {side} {i + 1} has the unknown data type {it['dataType']!r} "
                           f"(SDMX 3.0 data types: String, Integer, ...)", map_urn=urn)
    return items


def _source_value(sv: Any, where: str, urn: str) -> SourceValue:
    if not isinstance(sv, dict) or not isinstance(sv.get("value"), str):
        raise MapError(f"{where} needs a value (string)", map_urn=urn)
    value = sv["value"]
    start, end = sv.get("startIndex"), sv.get("endIndex")
    for name, n in (("startIndex", start), ("endIndex", end)):
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
            raise MapError(f"{where}: {name} must be a whole number >= 0, not {n!r}", map_urn=urn)
    if start is not None and end is not None and end < start:
        raise MapError(f"{where}: endIndex {end} is before startIndex {start}", map_urn=urn)
    if not sv.get("isRegEx"):
        return SourceValue(value, False, start, end)
    if len(value) > MAX_REGEX_LENGTH:
        raise MapError(f"{where}: the regular expression is {len(value)} characters long; at most "
                       f"{MAX_REGEX_LENGTH} are accepted", value=value[:50], map_urn=urn)
    try:
        pattern = re.compile(value)
        nested = _nested_repeat(_regex_parser.parse(value))
    except re.error as e:
        raise MapError(f"{where}: {value!r} is not a valid regular expression ({e})", value=value,
                       map_urn=urn) from None
    if nested:
        raise MapError(f"{where}: {value!r} repeats a group that itself repeats ({nested}); such a pattern can take "
                       "exponential time on a long value, write it without the nested repetition", value=value,
                       map_urn=urn)
    return SourceValue(value, True, start, end, pattern)


_REPEATS = {_regex_constants.MAX_REPEAT, _regex_constants.MIN_REPEAT, getattr(_regex_constants, "POSSESSIVE_REPEAT",
                                                                               _regex_constants.MAX_REPEAT)}


def _nested_repeat(parsed: Any, inside: bool = False) -> str | None:
    """The first repetition inside a repetition ("(a+)+", "(a*)*"): the shape of catastrophic backtracking."""
    for op, av in parsed:
        if op in _REPEATS:
            low, high, body = av
            if inside and high != low:
                return "a variable repetition inside another"
            found = _nested_repeat(body, inside or high > 1)
            if found:
                return found
        elif op is _regex_constants.SUBPATTERN:
            found = _nested_repeat(av[-1], inside)
            if found:
                return found
        elif op is _regex_constants.BRANCH:
            for branch in av[1]:
                found = _nested_repeat(branch, inside)
                if found:
                    return found
    return None


def _date(text: Any, where: str, urn: str) -> date | None:
    """Mapping validity: SDMX-ML carries an xs:date, SDMX-JSON a date-time; the day is what counts."""
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        raise MapError(f"{where} {text!r} is not a date", map_urn=urn) from None


# -- structure maps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ComponentRule:
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    representation_map: CompiledRepresentationMap | None = None


@dataclass
class CompiledMap:
    """A StructureMap ready to translate rows: ``translate(row, when)`` -> {target component: value}."""

    urn: str
    source: str  # URN of the source structure or dataflow
    target: str  # URN of the target structure or dataflow
    rules: tuple[ComponentRule, ...]
    fixed_targets: dict[str, str]
    fixed_sources: dict[str, str]

    @property
    def source_columns(self) -> tuple[str, ...]:
        """National columns the map reads, in map order (each once)."""
        return tuple(dict.fromkeys(c for r in self.rules for c in r.sources))

    @property
    def target_components(self) -> tuple[str, ...]:
        """Target components the map gives a value, fixed ones first."""
        return tuple(dict.fromkeys([*self.fixed_targets, *(t for r in self.rules for t in r.targets)]))

    def __post_init__(self) -> None:
        # one-column-to-one-component rules (nearly all) take a short path: no lists, no tuples built per row
        self._simple = [(r.sources[0], r.targets[0], r.representation_map) for r in self.rules
                        if len(r.sources) == 1 and len(r.targets) == 1]
        self._general = [r for r in self.rules if len(r.sources) != 1 or len(r.targets) != 1]

    def translate(self, row: Mapping[str, str], when: date | None = None) -> dict[str, str]:
        """One national row to {target component id: code}.

        A value that is not a string (an int or a date from a database driver) is read as ``str(value)``;
        format floats before, if their ``str`` is not the national code. Raises MapError for a column the
        row lacks and UnmappedValue (a MapError) for a national code no mapping translates; both name
        the column, the code and the map."""
        out = self.fixed_targets.copy()
        for col, target, rm in self._simple:
            v = row.get(col)
            if v is None:
                v = self._missing(col)
            elif v.__class__ is not str:
                v = str(v)
            if rm is None:
                out[target] = v
            else:
                found = rm._cache.get(((v,), when))
                out[target] = found[0] if found is not None else rm.lookup((v,), when, (col,))[0]
        for rule in self._general:
            values = tuple(self._missing(col) if (v := row.get(col)) is None else v if v.__class__ is str else str(v)
                           for col in rule.sources)
            if rule.representation_map is None:
                copies = values if len(values) == len(rule.targets) else values * len(rule.targets)  # one to many
                for t, v in zip(rule.targets, copies):
                    out[t] = v
            else:
                for t, v in zip(rule.targets, rule.representation_map.lookup(values, when, rule.sources)):
                    out[t] = v
        return out

    def _missing(self, col: str) -> str:
        v = self.fixed_sources.get(col)
        if v is None:
            targets = [t for r in self.rules if col in r.sources for t in r.targets]
            raise MapError(f"the row has no column {col}, which StructureMap {self.urn} maps to {', '.join(targets)}",
                           column=col, map_urn=self.urn)
        return v


def representation_map_urns(structure_map: Mapping[str, Any]) -> list[str]:
    """The RepresentationMaps a StructureMap names (each once, in map order): what to fetch for compile_maps."""
    return list(dict.fromkeys(cm["representationMap"] for cm in structure_map.get("componentMaps") or []
                              if isinstance(cm, dict) and isinstance(cm.get("representationMap"), str)))


def compile_maps(structure_map: Mapping[str, Any], representation_maps: Mapping[str, Mapping[str, Any]]) -> CompiledMap:
    """Compile a StructureMap with the RepresentationMaps it names (URN -> canonical dict).

    Everything is checked here, once: a RepresentationMap missing from ``representation_maps``,
    source/target counts that do not agree, a broken or overlong regular expression, date maps."""
    urn = urn_of_map({**structure_map, "type": "structuremap"})
    present = [k for k in DATE_MAP_KEYS if structure_map.get(k)]
    if present:
        raise MapError(f"StructureMap {urn} has {', '.join(present)}, which this server does not apply; map dates "
                       "with a ComponentMap (and a RepresentationMap if their spelling differs)", map_urn=urn)
    for side in ("source", "target"):
        if not isinstance(structure_map.get(side), str):
            raise MapError(f"StructureMap {urn} needs a {side} (the URN of a structure or dataflow)", map_urn=urn)
    compiled: dict[str, CompiledRepresentationMap] = {}
    rules = []
    for i, cm in enumerate(structure_map.get("componentMaps") or []):
        where = f"StructureMap {urn}, component map {i + 1}"
        sources, targets = _ids(cm, "source", where, urn), _ids(cm, "target", where, urn)
        rm_urn = cm.get("representationMap")
        rm = None
        if rm_urn:
            if rm_urn not in compiled:
                if rm_urn not in representation_maps:
                    raise MapError(f"{where} ({', '.join(sources)} -> {', '.join(targets)}) names RepresentationMap "
                                   f"{rm_urn}, which was not given", map_urn=rm_urn)
                compiled[rm_urn] = compile_representation_map(representation_maps[rm_urn])
            rm = compiled[rm_urn]
            if (rm.source_count, rm.target_count) != (len(sources), len(targets)):
                raise MapError(f"{where} maps {len(sources)} source(s) to {len(targets)} target(s) but "
                               f"RepresentationMap {rm_urn} has {rm.source_count} source(s) and {rm.target_count} target(s)",
                               map_urn=urn)
        elif len(sources) != len(targets) and len(sources) != 1:
            raise MapError(f"{where} maps {len(sources)} sources to {len(targets)} targets without a "
                           "RepresentationMap; only one-to-one (or one-to-many copies) can be applied", map_urn=urn)
        rules.append(ComponentRule(sources, targets, rm))
    fixed_targets: dict[str, str] = {}
    fixed_sources: dict[str, str] = {}
    for i, fm in enumerate(structure_map.get("fixedValueMaps") or []):
        where = f"StructureMap {urn}, fixed value map {i + 1}"
        values = fm.get("values") or []
        if len(values) != 1 or not isinstance(values[0], str):
            raise MapError(f"{where} must give exactly one value to be applied (it gives {len(values)})", map_urn=urn)
        if fm.get("target"):
            fixed_targets[fm["target"]] = values[0]
        elif fm.get("source"):
            fixed_sources[fm["source"]] = values[0]
        else:
            raise MapError(f"{where} names neither a source nor a target component", map_urn=urn)
    if not rules and not fixed_targets:
        raise MapError(f"StructureMap {urn} has no component map and no fixed target value: it maps nothing",
                       map_urn=urn)
    return CompiledMap(urn, structure_map["source"], structure_map["target"], tuple(rules), fixed_targets,
                       fixed_sources)


def _ids(cm: Any, side: str, where: str, urn: str) -> tuple[str, ...]:
    ids = cm.get(side) if isinstance(cm, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(x, str) and x for x in ids):
        raise MapError(f"{where} needs a list of {side} component ids", map_urn=urn)
    return tuple(ids)


def intake_problem(artefact: Mapping[str, Any]) -> str | None:
    """Why a StructureMap or RepresentationMap could never be applied (so is not stored), or None.

    Stubs (isExternalReference) carry no mappings and are not judged. A StructureMap is judged on
    its own parts; its RepresentationMaps are references, checked to exist like any other."""
    if artefact.get("isExternalReference"):
        return None
    try:
        if artefact.get("type") == "representationmap":
            compile_representation_map(artefact)
        elif artefact.get("type") == "structuremap":
            _check_structure_map(artefact)
    except MapError as e:
        return str(e)
    return None


def _check_structure_map(sm: Mapping[str, Any]) -> None:
    """compile_maps without the RepresentationMaps' counts (they are checked when compiled for use)."""
    urn = urn_of_map({**sm, "type": "structuremap"})
    present = [k for k in DATE_MAP_KEYS if sm.get(k)]
    if present:
        raise MapError(f"StructureMap {urn} has {', '.join(present)}, which this server does not store or apply; "
                       "leave them out", map_urn=urn)
    for i, cm in enumerate(sm.get("componentMaps") or []):
        where = f"StructureMap {urn}, component map {i + 1}"
        _ids(cm, "source", where, urn)
        _ids(cm, "target", where, urn)
    for i, fm in enumerate(sm.get("fixedValueMaps") or []):
        if not isinstance(fm, dict) or not (fm.get("source") or fm.get("target")):
            raise MapError(f"StructureMap {urn}, fixed value map {i + 1} names neither a source nor a target",
                           map_urn=urn)


# -- consistency with the structures and codelists the maps name -------------------------------------

def component_ids(dsd: Mapping[str, Any]) -> set[str]:
    """Every component id of a canonical data structure (dimensions, time dimension, attributes, measures)."""
    comps = dsd.get("dataStructureComponents") or {}
    dl = comps.get("dimensionList") or {}
    out = {d.get("id") for d in dl.get("dimensions") or []}
    td = dl.get("timeDimension")
    if isinstance(td, dict):
        out.add(td.get("id"))
    out |= {a.get("id") for a in (comps.get("attributeList") or {}).get("attributes") or []}
    out |= {m.get("id") for m in (comps.get("measureList") or {}).get("measures") or []}
    return {i for i in out if isinstance(i, str)}


def reference_problems(artefact: Mapping[str, Any], resolve: Callable[[str], Mapping[str, Any] | None]) -> list[str]:
    """What a map names inside the artefacts it refers to that is not there.

    ``resolve`` gives the canonical artefact of a URN (or None). A StructureMap's component ids must
    be components of its source and target data structures (a dataflow stands for its structure;
    metadata structures are not checked); a RepresentationMap's target values must be codes of its
    target codelists (a value naming a regex group, ``\\1``, is not checked)."""
    if artefact.get("isExternalReference"):
        return []
    out: list[str] = []
    if artefact.get("type") == "structuremap":
        fixed = artefact.get("fixedValueMaps") or []
        for side in ("source", "target"):
            dsd = _structure_of(artefact.get(side), resolve)
            if dsd is None:
                continue
            ids = component_ids(dsd)
            named = [c for cm in artefact.get("componentMaps") or [] for c in cm.get(side) or []]
            named += [f[side] for f in fixed if isinstance(f, dict) and f.get(side)]
            unknown = sorted(set(named) - ids)
            if unknown:
                out.append(f"its {side} components {', '.join(unknown)} are not components of "
                           f"{dsd.get('agencyID')}:{dsd.get('id')}({dsd.get('version')})")
    elif artefact.get("type") == "representationmap":
        targets = artefact.get("target") or []
        for j, t in enumerate(targets):
            scheme = resolve(t["codelist"]) if isinstance(t, dict) and t.get("codelist") else None
            if scheme is None:
                continue
            codes = {c.get("id") for c in scheme.get("codes") or scheme.get("valueItems") or []}
            used = {m["targetValues"][j] for m in artefact.get("representationMappings") or []
                    if isinstance(m, dict) and len(m.get("targetValues") or []) > j}
            unknown = sorted(v for v in used - codes if "\\" not in v)
            if unknown:
                out.append(f"its target values {', '.join(map(repr, unknown[:5]))}"
                           f"{f' (and {len(unknown) - 5} more)' if len(unknown) > 5 else ''} are not codes of "
                           f"{scheme.get('agencyID')}:{scheme.get('id')}({scheme.get('version')})")
    return out


def _structure_of(urn: Any, resolve: Callable[[str], Mapping[str, Any] | None]) -> Mapping[str, Any] | None:
    if not isinstance(urn, str):
        return None
    found = resolve(urn)
    if found is not None and found.get("type") == "dataflow" and isinstance(found.get("structure"), str):
        found = resolve(found["structure"])
    if found is None or found.get("type") != "datastructure" or found.get("isExternalReference"):
        return None
    return found
