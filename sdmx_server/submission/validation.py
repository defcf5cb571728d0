"""Check submitted data against its structure, one event at a time, collecting every error.

Runs inside the streaming pass: each observation is checked and turned into a staged row,
or recorded as an error (the list is capped, the count is not). Nothing here touches the
database: the codes and constraints it checks against are handed in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import islice
from operator import itemgetter
from typing import Mapping

from ..sdmx.data_structure import INTEGER_TYPES, NUMERIC_TYPES, DataStructureInfo
from ..sdmx.formats.data_events import KeyAttributes, Observation, ObservationRows, RowLayout
from ..sdmx.time_periods import Period, matches_frequency, parse_period
from ..sdmx.xml_safety import XML_FORBIDDEN
from ..storage.observation_store import attributes_json

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
                 allowed: Mapping[str, frozenset[str]] | None = None, max_errors: int = 100,
                 deferred: frozenset[str] = frozenset(),
                 constraints: Mapping[str, tuple[tuple[str, frozenset[str]], ...]] | None = None):
        """``deferred``: mandatory observation attributes the server may fill in itself (provisional status);
        intake checks them after staging, period by period. ``constraints``: by component, the (URN, values)
        of the constraints that narrowed ``allowed``, to name the one a value breaks."""
        self.structure = structure
        self.codes = codes
        self.allowed = dict(allowed or {})
        self._constraints = {cid: list(entries) for cid, entries in (constraints or {}).items()}
        self.max_errors = max_errors
        self.errors: list[ValidationError] = []
        self.error_count = 0
        self._dims = structure.dimension_ids
        self._time = structure.time_dimension
        self._known = {c.id for c in structure.dimensions + structure.attributes + structure.measures}
        if self._time:
            self._known.add(self._time)
        self._mandatory_obs = [a.id for a in structure.attributes
                               if a.attachment == "observation" and a.mandatory and a.id not in deferred]
        self._measures = {m.id: m for m in structure.measures}
        first = structure.measures[0] if structure.measures else None
        self._primary = first.id if first else None
        # a primary measure whose only check is "a number" (the usual case) is checked inline
        self._primary_plain = bool(first and first.text_type in NUMERIC_TYPES - INTEGER_TYPES and not first.codelist)
        self._key_len = len(self._dims) + (1 if self._time else 0)
        self._freq = self._dims.index(FREQUENCY_DIMENSION) if FREQUENCY_DIMENSION in self._dims else None
        self._row = 0
        # what passed once (see observation())
        self._valid_series: dict[tuple, str] = {}  # dimension values -> series key
        self._valid_periods: dict[str, str | None] = {}  # period -> the FREQ it was last valid for
        self._valid_attributes: dict[bool, dict[tuple, str | None]] = {False: {}, True: {}}  # by "deleting"
        self.periods: dict[str, Period] = {}  # every valid period of the message, for staging
        self._reported_codes: set[tuple[str, str]] = set()  # (dimension, value) reported as bad
        self._unreported_codes: dict[tuple[str, str], str] = {}  # bad in an attachment key only, so far
        self._row_getters: dict[RowLayout, tuple] = {}
        self._valid_attribute_cells: dict[tuple, dict[tuple, str | None]] = {}  # (layout, action) -> cells -> JSON
        # observation() is the hot loop: what it reads on every call, fetched in one go
        self._hot = (self._dims, self._time or "", self._key_len, self._freq, self._primary, self._primary_plain,
                     self._valid_series, self._valid_periods)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, rule: str, message: str, **context: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(ValidationError(rule, message, **context))

    def restrict(self, constraints: Mapping[str, tuple[tuple[str, frozenset[str]], ...]]) -> None:
        """Narrow the allowed values by more constraints (the submitting provider's provision agreements').

        Intake calls it once the provider is known, normally before the first observation; series keys that
        passed before are checked again, so nothing outside the constraints slips through either way."""
        if not constraints:
            return
        for cid, entries in constraints.items():
            for urn, values in entries:
                self.allowed[cid] = self.allowed[cid] & values if cid in self.allowed else values
                self._constraints.setdefault(cid, []).append((urn, values))
        for values, series_key in list(self._valid_series.items()):
            bad = [(dim, value) for dim, value in zip(self._dims, values) if not self._code_ok(dim, value)]
            if bad:
                del self._valid_series[values]
                for dim, value in bad:
                    self._check_code(dim, value, f"series {series_key}")

    # -- events ------------------------------------------------------------------------------------
    def observation(self, obs: Observation, action: str) -> tuple | None:
        """The staging row (``ObservationStore.STAGING_COLUMNS``) of a valid observation, else None.

        A message repeats the same series keys, periods and attribute sets many times over, so what
        passed once is remembered and not checked again: that keeps validation off the ingest profile.
        Whatever failed is checked again each time, so every bad observation is reported.
        """
        self._row += 1
        before = self.error_count
        dims, time_id, key_len, freq_at, primary_id, plain, valid_series, valid_periods = self._hot
        deleting = action == "D"
        key = obs.key
        values = tuple(map(key.get, dims))
        series_key = valid_series.get(values)
        if series_key is None:
            series_key = self._series(obs, values)
        period_text = key.get(time_id, "")
        if len(key) != key_len or not period_text or self.error_count != before:
            self._key_shape(obs, series_key, period_text, deleting)
        if period_text:
            freq = values[freq_at] if freq_at is not None else None
            if valid_periods.get(period_text, _UNSEEN) != freq:
                self._period(obs, series_key, period_text, freq)
        measures = obs.measures
        primary = measures.get(primary_id)
        if primary is not None and len(measures) == 1:
            extra = None
            if not plain:
                self._check_primary(obs, series_key, period_text, primary)
            elif primary and primary != "NaN":
                try:
                    float(primary)
                except ValueError:
                    self._check_primary(obs, series_key, period_text, primary)
                else:  # float() takes padding that XML forbids (form feed, U+001C...): check padded ones
                    if primary[0] <= " " or primary[-1] <= " ":
                        self._check_primary(obs, series_key, period_text, primary)
        else:
            primary, extra = self._measures_of(obs, series_key, period_text, deleting)
        attrs = obs.attributes
        if extra:
            attributes = self._attributes(obs, series_key, period_text, deleting, extra)
        elif attrs or self._mandatory_obs:
            memo = self._valid_attributes[deleting]
            items: tuple | None = tuple(attrs.items())
            try:
                attributes = memo.get(items, _UNSEEN)
            except TypeError:  # a complex (list) value: not remembered, checked every time
                items, attributes = None, _UNSEEN
            if attributes is _UNSEEN:
                attributes = self._attributes(obs, series_key, period_text, deleting, {})
                if self.error_count == before and items is not None:
                    memo[items] = attributes
        else:
            attributes = None
        if self.error_count != before:
            return None
        return (self._row, series_key, period_text, primary, attributes, action, obs.where)

    def rows(self, event: ObservationRows, action: str) -> list[tuple]:
        """The staging rows of the valid rows of a batch; every other row is checked as an Observation.

        A row goes straight through when its series key, period and attribute cells are ones that
        passed before (as the same cells, so untrimmed cells take the long way) and its value is a
        number: for a flat file that is nearly every row. Its place is "row N" (SDMX-CSV) or the line and
        column the layout's cells give (SDMX-ML).
        """
        layout = event.layout
        getters = self._row_getters.get(layout)
        if getters is None:
            # attribute cells only key a memo of this layout: one cell may stand bare (no tuple, no lambda)
            positions = tuple(i for i, _ in layout.attributes)
            getters = self._row_getters[layout] = (_cells_getter(layout.dimensions),
                                                   itemgetter(*positions) if positions else _cells_getter(()))
        dims_of, attrs_of = getters
        time_at, value_at, to_observation = layout.time, layout.measure, layout.to_observation
        line_at, column_at = layout.line, layout.column
        valid_series, valid_periods, freq_at = self._valid_series, self._valid_periods, self._freq
        plain = self._primary_plain  # else the value needs more than float(): every row takes the long way
        attr_memo = self._valid_attribute_cells.setdefault((layout, action), {})
        out = []
        append = out.append
        row_no = event.first_row - 1
        staged_no = self._row
        for row in event.rows:
            row_no += 1
            values = dims_of(row)
            series_key = valid_series.get(values)
            period = row[time_at]
            value = row[value_at]
            cells = attrs_of(row)
            attributes = attr_memo.get(cells, _UNSEEN)
            fast = (plain and series_key is not None and attributes is not _UNSEEN and value
                    and valid_periods.get(period, _UNSEEN) == (values[freq_at] if freq_at is not None else None))
            if fast and value != "NaN":
                try:
                    float(value)
                except ValueError:
                    fast = False
            if fast and value.strip() is value:
                staged_no += 1
                append((staged_no, series_key, period, value, attributes, action,
                        (None if row_no == staged_no + 1 else f"row {row_no}") if line_at is None
                        else f"line {row[line_at]}, column {row[column_at] + 1}"))
                continue
            self._row = staged_no
            obs = to_observation(row, row_no)
            if obs is None:
                continue
            before = self.error_count
            staged = self.observation(obs, action)
            staged_no = self._row
            if staged is not None and self.error_count == before:
                attr_memo[cells] = staged[4]
                append(staged)
        self._row = staged_no
        return out

    def wildcard_delete(self, obs: Observation) -> tuple[list, str] | None:
        """A Delete that leaves dimensions empty (wildcards): (key filter, period or ""), if its values are valid.

        SDMX 3.0 lets a Delete name only part of a key; it deletes every matching observation.
        """
        before = self.error_count
        key = []
        for dim in self._dims:
            value = obs.key.get(dim) or None
            if value is not None:
                self._check_code(dim, value, _at(obs, dim))
            key.append(None if value is None else {value})
        period = obs.key.get(self._time, "") if self._time else ""
        if period:
            try:
                parse_period(period)
            except ValueError as e:
                self.error("period-format", str(e), where=_at(obs, self._time), component=self._time or "",
                           value=period)
        return (key, period) if self.error_count == before else None

    def duplicate(self, series_key: str, period: str, first: str, second: str) -> None:
        self.error("duplicate-key", f"the observation appears twice, at {first} and at {second}", where=second,
                   series_key=series_key, period=period)

    def _check_primary(self, obs: Observation, series_key: str, period: str, value: str) -> None:
        m = self._measures[self._primary]
        self._check_value(m.id, value, m.text_type, m.codelist, self._context(obs, series_key, period, m.id))

    def _context(self, obs: Observation, series_key: str, period: str, component: str | None = None) -> dict:
        return {"where": _at(obs, component), "series_key": series_key, "period": period}

    def _series(self, obs: Observation, values: tuple) -> str:
        """Check the dimension values of a series key not seen valid yet."""
        before = self.error_count
        parts = []
        for dim, value in zip(self._dims, values):
            if value is None or value == "":
                self.error("missing-dimension", f"dimension {dim} has no value", where=_at(obs, dim), component=dim)
                parts.append("")
                continue
            self._check_code(dim, value, _at(obs, dim))
            parts.append(value)
        series_key = ".".join(parts)
        if self.error_count == before:
            self._valid_series[values] = series_key
        return series_key

    def _key_shape(self, obs: Observation, series_key: str, period: str, deleting: bool) -> None:
        """Components the structure does not have; a missing period (allowed when deleting a series)."""
        context = self._context(obs, series_key, period)
        for cid in obs.key:
            if cid not in self._known:
                self.error("unknown-component", f"{cid} is not a component of {self.structure.urn}",
                           component=cid, **context)
        if not period and not deleting and self._time:
            self.error("missing-period", f"the observation has no {self._time}", component=self._time, **context)

    def _period(self, obs: Observation, series_key: str, text: str, freq: str | None) -> None:
        context = {"series_key": series_key, "period": text, "component": self._time or "", "value": text}
        try:
            period = parse_period(text)
        except ValueError as e:
            self.error("period-format", str(e), where=_at(obs, self._time), **context)
            return
        if freq and not matches_frequency(period, freq):
            self.error("period-frequency", f"period {text!r} does not match frequency {freq}", where=obs.where,
                       **context)
            return
        self._valid_periods[text] = freq
        self.periods[text] = period

    def _measures_of(self, obs: Observation, series_key: str, period: str,
                     deleting: bool) -> tuple[str | None, dict[str, str]]:
        """Several measures, or none: the primary one is stored as the value, the others with the attributes."""
        extra: dict[str, str] = {}
        primary = None
        for mid, value in obs.measures.items():
            m = self._measures.get(mid)
            if m is None:
                self.error("unknown-component", f"{mid} is not a measure of {self.structure.urn}", component=mid,
                           **self._context(obs, series_key, period))
                continue
            self._check_value(m.id, value, m.text_type, m.codelist, self._context(obs, series_key, period, mid))
            if primary is None and mid == self._primary:
                primary = value
            else:
                extra[mid] = value
        # SDMX lets an observation go without a value (a missing one, flagged by its attributes, say
        # OBS_STATUS="M"); one that carries nothing at all is a mistake
        if not deleting and primary is None and not obs.measures and not obs.attributes and self.structure.measures:
            self.error("missing-measure", f"the observation has no {self._primary} and no attribute",
                       **self._context(obs, series_key, period))
        return primary, extra

    def _attributes(self, obs: Observation, series_key: str, period: str, deleting: bool,
                    extra: dict[str, str]) -> str | None:
        """The observation's attribute values (and further measures) as stored, after checking them."""
        values = dict(extra)
        for aid, value in obs.attributes.items():
            a = self.structure.component(aid) if aid in self._known else None
            if a is None:
                self.error("unknown-component", f"{aid} is not a component of {self.structure.urn}",
                           component=aid, **self._context(obs, series_key, period))
                continue
            self._check_value(aid, value, a.text_type, a.codelist, self._context(obs, series_key, period, aid))
            values[aid] = value
        if not deleting:
            for aid in self._mandatory_obs:
                if aid not in obs.attributes:
                    self.error("missing-attribute", f"mandatory attribute {aid} is missing", component=aid,
                               **self._context(obs, series_key, period))
        return attributes_json(values)

    def key_attributes(self, event: KeyAttributes) -> bool:
        """Whether the attachment's key and values are valid. A bad code in its key is reported by the
        observations of that key, at their own cell, or else by ``finish``: once, either way."""
        before = self.error_count
        key_ok = True
        for cid, value in event.key.items():
            if cid in self._dims:
                if not self._code_ok(cid, value):
                    key_ok = False
                    if (cid, value) not in self._reported_codes:
                        self._unreported_codes.setdefault((cid, value), event.where)
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
        return key_ok and self.error_count == before

    def finish(self) -> None:
        """Report the bad codes of attachment keys that no observation reported."""
        for (cid, value), where in self._unreported_codes.items():
            self._check_code(cid, value, where)
        self._unreported_codes.clear()

    def key_of(self, key: Mapping[str, str]) -> str:
        """The stored key of an attachment: dimension values in order, "" where the attachment fixes none."""
        return ".".join(key.get(d, "") for d in self._dims)

    # -- value checks --------------------------------------------------------------------------------
    def _code_ok(self, cid: str, value: str) -> bool:
        codes, allowed = self.codes.get(cid), self.allowed.get(cid)
        return ((value in codes if codes is not None else not XML_FORBIDDEN.search(value))
                and (allowed is None or value in allowed))

    def _check_code(self, cid: str, value: str, where: str) -> None:
        if self._code_ok(cid, value):
            return
        if cid not in self.codes and self._bad_character(cid, value, {"where": where}):
            return
        self._reported_codes.add((cid, value))
        self._unreported_codes.pop((cid, value), None)
        codes = self.codes.get(cid)
        if codes is not None and value not in codes:
            self.error("unknown-code", f"{value!r} is not a code of {cid}'s codelist", where=where, component=cid,
                       value=value)
        else:
            urns = [urn for urn, values in self._constraints.get(cid, ()) if value not in values]
            named = [f"the content constraint {u}" if u.startswith("urn:") else u for u in urns]
            self.error("constraint", f"{value!r} is not allowed for {cid} by "
                       f"{' and '.join(named) or 'the content constraint of the dataflow'}", where=where,
                       component=cid, value=value)

    def _check_value(self, cid: str, value: str | list, text_type: str | None, codelist: str | None,
                     context: dict[str, str]) -> None:
        if type(value) is not str:
            self._check_values(cid, value, text_type, codelist, context)
            return
        if codelist:
            if cid not in self.codes:
                self._bad_character(cid, value, context)
            elif value not in self.codes[cid]:
                self.error("unknown-code", f"{value!r} is not a code of {cid}'s codelist", component=cid,
                           value=value, **context)
            return
        if self._bad_character(cid, value, context):
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

    def _bad_character(self, cid: str, value: str, context: dict[str, str]) -> bool:
        """Refuse a character XML 1.0 forbids (NUL, most control characters, lone surrogates): stored, it would
        make every SDMX-ML answer holding it unreadable."""
        found = XML_FORBIDDEN.search(value)
        if found is None:
            return False
        self.error("bad-character", f"{cid} holds character U+{ord(found.group()):04X} at position "
                   f"{found.start() + 1}, which XML 1.0 forbids", component=cid, value=value, **context)
        return True

    def _check_values(self, cid: str, values: object, text_type: str | None, codelist: str | None,
                      context: dict[str, str]) -> None:
        """A complex value (SDMX-ML 3.0 <Comp>): a list of strings, each checked as a value, or of
        multilingual {lang: text} values, which are text whatever the representation says."""
        if not isinstance(values, list) or not values:
            self.error("bad-value", f"{cid} has a value of an unknown kind", component=cid, **context)
            return
        for n, value in enumerate(values, 1):
            if isinstance(value, str):
                place = f"value {n} of {len(values)}"
                where = context.get("where")
                self._check_value(cid, value, text_type, codelist,
                                  {**context, "where": f"{where}, {place}" if where else place})
            elif not (isinstance(value, dict) and value and not codelist and text_type not in NUMERIC_TYPES
                      and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
                self.error("bad-value", f"{cid} value {n} must be a code or number, not multilingual text"
                           if isinstance(value, dict) else f"{cid} value {n} is of an unknown kind",
                           component=cid, **context)
            else:
                for lang, text in value.items():
                    self._bad_character(cid, f"{lang} {text}", context)


class RepeatedKeys:
    """Finds an observation given twice in one message without holding the message in memory.

    Within the run of one series the periods seen are kept (a series is short); a series that comes
    back after another one has started cannot be checked here, so ``needs_full_check`` asks the
    caller to compare the staged rows in SQL (flat and cross-sectional messages do that).
    It also keeps the staged series keys in message order (``added``), which spares staging a
    GROUP BY over every staged row to find the series to create.
    """

    def __init__(self) -> None:
        self._series: str | None = None
        self._seen: dict[tuple[str, str], tuple] = {}  # (period, action) -> its first staged row
        self.series: dict[str, bool] = {}  # every staged series key, first seen first -> has an "M" row
        self.needs_full_check = False
        self._taken = 0  # how many of ``series`` take_added has looked at

    @property
    def added(self) -> list[str]:
        """The keys of the series that the message adds to or updates, in message order."""
        return [key for key, adds in self.series.items() if adds]

    def take_added(self) -> list[str]:
        """The keys ``added`` has gained since the last call, to create the series while the message goes on.
        The last key looked at is looked at again (its run may have gone on to add rows); a series that comes
        back later is not (``needs_full_check`` tells: then only ``added`` is complete)."""
        start = max(self._taken - 1, 0)
        self._taken = len(self.series)
        return [key for key, adds in islice(self.series.items(), start, None) if adds]

    def first_of(self, row: tuple) -> tuple | None:
        """The staged row that ``row`` repeats, if it does in this series' run (one observation's ``repeats``)."""
        key = row[1]
        if key != self._series:
            if key in self.series:  # the series comes back after another one
                self.needs_full_check = True
            else:
                self.series[key] = False
            self._series = key
            self._seen = {}
        if row[5] == "M":
            self.series[key] = True
        first = self._seen.setdefault((row[2], row[5]), row)
        return None if first is row else first

    def repeats(self, staged: list[tuple]) -> list[tuple[tuple, tuple]]:
        """(first, second) staged rows of each observation given twice, as ``first_of`` finds them, for
        a batch of staged rows of one action (``ObservationStore.STAGING_COLUMNS``): one loop, no place
        formatted."""
        found: list[tuple[tuple, tuple]] = []
        if not staged:
            return found
        adds = staged[0][5] == "M"
        series = self.series
        current, seen = self._series, self._seen
        if adds and current is not None and staged[0][1] == current:
            series[current] = True
        for row in staged:
            key = row[1]
            if key != current:
                if key in series:
                    self.needs_full_check = True
                    if adds:
                        series[key] = True
                else:
                    series[key] = adds
                current, seen = key, {}
            first = seen.setdefault((row[2], row[5]), row)
            if first is not row:
                found.append((first, row))
        self._series, self._seen = current, seen
        return found


_UNSEEN = object()


def _cells_getter(positions: tuple[int, ...]):
    """A function giving the cells at ``positions`` as a tuple (itemgetter alone gives a bare cell for one)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda row: (row[only],)
    return itemgetter(*positions) if positions else (lambda row: ())


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
