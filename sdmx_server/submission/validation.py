"""Check submitted data against its structure, one event at a time, collecting every error.

Runs inside the streaming pass: each observation is checked and turned into a staged row,
or recorded as an error (the list is capped, the count is not). Nothing here touches the
database: the codes and constraints it checks against are handed in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

from ..sdmx.data_structure import DataStructureInfo
from ..sdmx.formats.data_events import KeyAttributes, Observation
from ..sdmx.time_periods import matches_frequency, parse_period
from ..storage.observation_store import StagedObservation, attributes_json

NUMERIC_TYPES = {"Double", "Float", "Decimal", "Integer", "Long", "Short", "BigInteger", "Count", "Numeric",
                 "Incremental", "InclusiveValueRange", "ExclusiveValueRange"}
INTEGER_TYPES = {"Integer", "Long", "Short", "BigInteger", "Count"}
FREQUENCY_DIMENSION = "FREQ"


@dataclass(frozen=True)
class ValidationError:
    rule: str  # short name of the rule broken: unknown-code, period-format, ...
    message: str
    where: str = ""
    series_key: str = ""
    period: str = ""
    component: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    def __str__(self) -> str:
        return describe(self.as_dict())


class Validator:
    """Validates events of one data set; ``errors`` keeps the first ``max_errors``, ``error_count`` all."""

    def __init__(self, structure: DataStructureInfo, codes: Mapping[str, frozenset[str]],
                 allowed: Mapping[str, frozenset[str]] | None = None, max_errors: int = 100):
        self.structure = structure
        self.codes = codes
        self.allowed = allowed or {}
        self.max_errors = max_errors
        self.errors: list[ValidationError] = []
        self.error_count = 0
        self._dims = structure.dimension_ids
        self._time = structure.time_dimension
        self._known = {c.id for c in structure.dimensions + structure.attributes + structure.measures}
        if self._time:
            self._known.add(self._time)
        self._obs_attrs = {a.id: a for a in structure.attributes if a.attachment == "observation"}
        self._mandatory_obs = [a.id for a in self._obs_attrs.values() if a.mandatory]
        self._measures = {m.id: m for m in structure.measures}
        self._row = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, rule: str, message: str, **context: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(ValidationError(rule, message, **context))

    # -- events ------------------------------------------------------------------------------------
    def observation(self, obs: Observation, action: str) -> StagedObservation | None:
        """The staged row for a valid observation; None (and errors recorded) otherwise."""
        self._row += 1
        before = self.error_count
        deleting = action == "D"
        series_values = []
        for dim in self._dims:
            value = obs.key.get(dim)
            if value is None or value == "":
                self.error("missing-dimension", f"dimension {dim} has no value", where=_at(obs, dim), component=dim)
                series_values.append("")
                continue
            self._check_code(dim, value, _at(obs, dim))
            series_values.append(value)
        series_key = ".".join(series_values)
        period_text = obs.key.get(self._time, "") if self._time else ""
        context = {"where": obs.where, "series_key": series_key, "period": period_text}
        for cid in obs.key:
            if cid not in self._known:
                self.error("unknown-component", f"{cid} is not a component of {self.structure.urn}",
                           component=cid, **context)
        period = None
        if period_text:
            try:
                period = parse_period(period_text)
            except ValueError as e:
                self.error("period-format", str(e), component=self._time or "", value=period_text,
                           **{**context, "where": _at(obs, self._time)})
            else:
                freq = obs.key.get(FREQUENCY_DIMENSION)
                if freq and not matches_frequency(period, freq):
                    self.error("period-frequency", f"period {period_text!r} does not match frequency {freq}",
                               component=self._time or "", value=period_text, **context)
        elif not deleting and self._time:
            self.error("missing-period", f"the observation has no {self._time}", component=self._time, **context)
        extra: dict[str, str] = {}
        primary = None
        for mid, value in obs.measures.items():
            m = self._measures.get(mid)
            if m is None:
                self.error("unknown-component", f"{mid} is not a measure of {self.structure.urn}", component=mid,
                           **context)
                continue
            self._check_value(m.id, value, m.text_type, m.codelist, {**context, "where": _at(obs, mid)})
            if primary is None and mid == self.structure.measures[0].id:
                primary = value
            else:
                extra[mid] = value
        for aid, value in obs.attributes.items():
            if aid not in self._known:
                self.error("unknown-component", f"{aid} is not a component of {self.structure.urn}",
                           component=aid, **context)
                continue
            a = self.structure.component(aid)
            self._check_value(aid, value, a.text_type if a else None, a.codelist if a else None,
                              {**context, "where": _at(obs, aid)})
            extra[aid] = value
        if not deleting:
            if primary is None and not obs.measures and self.structure.measures:
                self.error("missing-measure", f"the observation has no {self.structure.measures[0].id}", **context)
            for aid in self._mandatory_obs:
                if aid not in obs.attributes:
                    self.error("missing-attribute", f"mandatory attribute {aid} is missing", component=aid,
                               **context)
        if self.error_count != before:
            return None
        return StagedObservation(self._row, series_key, period_text, period.start if period else None,
                                 period.end if period else None, primary, attributes_json(extra),
                                 action, obs.where)

    def key_attributes(self, event: KeyAttributes) -> bool:
        before = self.error_count
        for cid, value in event.key.items():
            if cid in self._dims:
                self._check_code(cid, value, event.where)
            elif cid == self._time:
                # a cross-section's section names its period: its attributes are stored for the
                # partial key the section fixes, as a group's are
                try:
                    parse_period(value)
                except ValueError as e:
                    self.error("period-format", str(e), where=event.where, component=cid, value=value)
            else:
                self.error("unknown-component", f"{cid} is not a dimension of {self.structure.urn}",
                           where=event.where, component=cid)
        for aid, value in event.attributes.items():
            a = self.structure.component(aid)
            if a is None:
                self.error("unknown-component", f"{aid} is not a component of {self.structure.urn}",
                           where=event.where, component=aid)
                continue
            self._check_value(aid, value, a.text_type, a.codelist, {"where": event.where})
        return self.error_count == before

    def key_of(self, key: Mapping[str, str]) -> str:
        """The stored key of an attachment: dimension values in order, "" where the attachment fixes none."""
        return ".".join(key.get(d, "") for d in self._dims)

    def mandatory_key_attributes(self) -> Iterable[str]:
        return [a.id for a in self.structure.attributes if a.mandatory and a.attachment in ("series", "dataset")]

    # -- value checks --------------------------------------------------------------------------------
    def _check_code(self, cid: str, value: str, where: str) -> None:
        codes = self.codes.get(cid)
        if codes is not None and value not in codes:
            self.error("unknown-code", f"{value!r} is not a code of {cid}'s codelist", where=where, component=cid,
                       value=value)
            return
        allowed = self.allowed.get(cid)
        if allowed is not None and value not in allowed:
            self.error("constraint", f"{value!r} is outside the dataflow's content constraint for {cid}",
                       where=where, component=cid, value=value)

    def _check_value(self, cid: str, value: str, text_type: str | None, codelist: str | None,
                     context: dict[str, str]) -> None:
        if codelist:
            if cid in self.codes and value not in self.codes[cid]:
                self.error("unknown-code", f"{value!r} is not a code of {cid}'s codelist", component=cid,
                           value=value, **context)
            return
        if text_type in NUMERIC_TYPES and value not in ("NaN", ""):
            try:
                number = float(value)
            except ValueError:
                self.error("not-a-number", f"{cid} must be a number ({text_type}), not {value!r}",
                           component=cid, value=value, **context)
                return
            if text_type in INTEGER_TYPES and not number.is_integer():
                self.error("not-an-integer", f"{cid} must be a whole number ({text_type}), not {value!r}",
                           component=cid, value=value, **context)


def _at(obs: Observation, component: str | None) -> str:
    """The value's own place: its cell when the reader says, its CSV column (named by component id) for a row."""
    if obs.cells:
        return obs.cells.get(component or "", obs.where)
    if component and obs.where.startswith("row "):
        return f"{obs.where}, column {component}"
    return obs.where


def describe(error: Mapping[str, str]) -> str:
    """One line a person can act on: where, what, which series and period."""
    at = f"{error['where']}: " if error.get("where") else ""
    key = ""
    if error.get("series_key"):
        key = f" [series {error['series_key']}" + (f", period {error['period']}" if error.get("period") else "") + "]"
    return f"{at}{error['message']}{key} ({error['rule']})"
