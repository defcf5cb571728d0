"""National rows to SDMX codes through a StructureMap and its RepresentationMaps (SDMX-JSON 2.0 shape).

A private, small translator so that links do not wait for sdmx/structure_maps.py (issue 20 item 1); it reads
the same canonical dicts: ``componentMaps`` (national columns -> components, optionally through a
RepresentationMap by URN) and ``fixedValueMaps`` (a constant for a component). Representation mappings match
exactly, or as a regular expression (``isRegEx``, whole value; targets may name groups as ``\\1``), within
their ``validFrom``/``validTo`` when given. Column names match case-insensitively: SQL engines fold them.
Translations are cached per distinct national value, so millions of rows cost a dictionary look-up each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

MAX_PATTERN = 1000  # a regular expression in a map longer than this is refused (bounded input)


class MapError(ValueError):
    """A map that cannot be used as written (names what and where)."""


class Unmapped(LookupError):
    """A national value no mapping rule of the named RepresentationMap translates."""

    def __init__(self, columns: tuple[str, ...], values: tuple[str, ...], map_urn: str, targets: tuple[str, ...]):
        self.columns, self.values, self.map_urn, self.targets = columns, values, map_urn, targets
        shown = ", ".join(f"{c}={v!r}" for c, v in zip(columns, values))
        super().__init__(f"national code {shown} has no mapping to {'/'.join(targets)} in {map_urn}")


def _day(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MapError(f"validity date {value!r} is not a date (YYYY-MM-DD...)") from None


@dataclass(frozen=True)
class _Rule:
    sources: tuple[str | re.Pattern, ...]
    targets: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None

    def valid(self, when: date) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (self.valid_to is None or when <= self.valid_to)

    def match(self, values: tuple[str, ...]) -> tuple[str, ...] | None:
        found = None
        for source, value in zip(self.sources, values):
            if isinstance(source, str):
                if source != value:
                    return None
            else:
                m = source.fullmatch(value)
                if m is None:
                    return None
                found = found or m
        return tuple(found.expand(t) for t in self.targets) if found else self.targets


@dataclass
class _RepresentationTable:
    urn: str
    exact: dict[tuple[str, ...], list[_Rule]] = field(default_factory=dict)
    patterns: list[_Rule] = field(default_factory=list)

    def lookup(self, values: tuple[str, ...], when: date) -> tuple[str, ...] | None:
        for rule in self.exact.get(values, ()):
            if rule.valid(when):
                return rule.targets
        for rule in self.patterns:
            if rule.valid(when) and (out := rule.match(values)) is not None:
                return out
        return None


def _representation_table(urn: str, rm: Mapping[str, Any]) -> _RepresentationTable:
    table = _RepresentationTable(urn)
    for i, mapping in enumerate(rm.get("representationMappings") or []):
        where = f"{urn}, representationMappings[{i}]"
        sources: list[str | re.Pattern] = []
        for sv in mapping.get("sourceValues") or []:
            value = sv.get("value") if isinstance(sv, dict) else sv
            if not isinstance(value, str):
                raise MapError(f"{where}: a source value must be text")
            if isinstance(sv, dict) and sv.get("isRegEx"):
                if len(value) > MAX_PATTERN:
                    raise MapError(f"{where}: the regular expression is longer than {MAX_PATTERN} characters")
                try:
                    sources.append(re.compile(value))
                except re.error as e:
                    raise MapError(f"{where}: {value!r} is not a regular expression ({e})") from None
            else:
                sources.append(value)
        targets = tuple(str(t.get("value") if isinstance(t, dict) else t) for t in mapping.get("targetValues") or [])
        if not sources or not targets:
            raise MapError(f"{where}: a mapping needs source and target values")
        rule = _Rule(tuple(sources), targets, _day(mapping.get("validFrom")), _day(mapping.get("validTo")))
        if all(isinstance(s, str) for s in sources):
            table.exact.setdefault(tuple(sources), []).append(rule)  # type: ignore[arg-type]
        else:
            table.patterns.append(rule)
    return table


@dataclass
class _ComponentMap:
    sources: tuple[str, ...]  # national columns, upper case
    targets: tuple[str, ...]
    table: _RepresentationTable | None
    cache: dict = field(default_factory=dict)  # national value(s) -> target codes, for the day of ``CompiledMap``


def _text(v: Any) -> str:
    """A national value as SDMX text: stripped; whole-number floats (Excel's) without ".0"; dates ISO."""
    if type(v) is str:
        return v.strip()
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v).strip()


CACHE = 100_000  # distinct national values kept per component map


@dataclass
class CompiledMap:
    """A StructureMap ready to translate rows: ``translate(row, when)`` -> {target component: code}."""

    urn: str
    components: list[_ComponentMap]
    fixed: dict[str, str]
    _day: date | None = None
    _plans: dict = field(default_factory=dict)  # a row's keys -> where each component map's columns are in it

    @property
    def source_columns(self) -> set[str]:
        return {c for cm in self.components for c in cm.sources}

    @property
    def target_components(self) -> list[str]:
        return [t for cm in self.components for t in cm.targets] + list(self.fixed)

    def _plan(self, keys: tuple) -> list[tuple[_ComponentMap, tuple]]:
        """For rows with these keys: each component map with the row's keys of its columns (None: absent)."""
        upper = {str(k).upper(): k for k in keys}
        plan = [(cm, tuple(upper.get(c) for c in cm.sources)) for cm in self.components]
        if len(self._plans) < 100:
            self._plans[keys] = plan
        return plan

    def translate(self, row: Mapping[str, Any], when: date | datetime) -> dict[str, str]:
        """``row``: national column (any case) -> value. Raises Unmapped naming the value and the map."""
        day = when if type(when) is date else (_day(when) or date.today())
        if day != self._day:  # the cached translations hold for one day (validity periods)
            self._day = day
            for cm in self.components:
                cm.cache.clear()
        keys = tuple(row)
        plan = self._plans.get(keys) or self._plan(keys)
        out = dict(self.fixed)
        for cm, columns in plan:
            if len(columns) == 1:
                column = columns[0]
                value = _text(row[column]) if column is not None else ""
                if cm.table is None or not value:  # identity (a figure, a period already coded), or empty
                    for t in cm.targets:
                        out[t] = value
                    continue
                found = cm.cache.get(value)
                if found is None:
                    found = cm.table.lookup((value,), day)
                    if found is None:
                        raise Unmapped(cm.sources, (value,), cm.table.urn, cm.targets)
                    if len(cm.cache) < CACHE:
                        cm.cache[value] = found
            else:
                values = tuple(_text(row[c]) if c is not None else "" for c in columns)
                if cm.table is None or not any(values):
                    for i, t in enumerate(cm.targets):
                        out[t] = values[i] if i < len(values) else values[-1]
                    continue
                found = cm.cache.get(values)
                if found is None:
                    found = cm.table.lookup(values, day)
                    if found is None:
                        raise Unmapped(cm.sources, values, cm.table.urn, cm.targets)
                    if len(cm.cache) < CACHE:
                        cm.cache[values] = found
            for t, v in zip(cm.targets, found):
                out[t] = v
        return out


def compile_maps(structure_map: Mapping[str, Any], representation_maps: Mapping[str, Mapping[str, Any]],
                 urn: str = "") -> CompiledMap:
    """Compile a StructureMap with the RepresentationMaps it names (URN -> map); MapError if one is missing."""
    components = []
    for i, cm in enumerate(structure_map.get("componentMaps") or []):
        sources = tuple(str(s).upper() for s in cm.get("source") or [])
        targets = tuple(str(t) for t in cm.get("target") or [])
        if not sources or not targets:
            raise MapError(f"{urn or 'the structure map'}, componentMaps[{i}]: a component map needs a source and "
                           f"a target")
        rm_urn = cm.get("representationMap")
        table = None
        if rm_urn:
            rm = representation_maps.get(rm_urn)
            if rm is None:
                raise MapError(f"{urn or 'the structure map'}, componentMaps[{i}] ({'/'.join(sources)} -> "
                               f"{'/'.join(targets)}): the representation map {rm_urn} is not stored")
            table = _representation_table(rm_urn, rm)
        components.append(_ComponentMap(sources, targets, table))
    fixed = {str(f["target"]): str(f["value"]) for f in structure_map.get("fixedValueMaps") or []
             if isinstance(f, dict) and "target" in f and "value" in f}
    return CompiledMap(urn, components, fixed)


def load_compiled(structure_map_urn: str, get: Callable[[str], Mapping[str, Any] | None]) -> CompiledMap:
    """The StructureMap stored under ``structure_map_urn`` with its RepresentationMaps, compiled (``get``: the
    artefact store's look-up by URN)."""
    sm = get(structure_map_urn)
    if sm is None:
        raise MapError(f"the structure map {structure_map_urn} is not stored: load it first (sdmx-server load)")
    reps = {}
    for cm in sm.get("componentMaps") or []:
        rm_urn = cm.get("representationMap")
        if rm_urn and rm_urn not in reps and (rm := get(rm_urn)) is not None:
            reps[rm_urn] = rm
    return compile_maps(sm, reps, structure_map_urn)
