"""Take one data message from a stream into the database: read, validate, stage, apply; all or nothing.

The caller owns the transaction: any exception raised here must roll it back, which leaves the
database exactly as it was (the staging table is temporary and goes with the transaction).
"""

from __future__ import annotations

import importlib
import io
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import BinaryIO, Mapping, Sequence

from ..sdmx.artefacts import Artefact, parse_urn, urn_of
from ..sdmx.data_keys import parse_key
from ..sdmx.data_structure import DataStructureInfo
from ..sdmx.data_validity import allowed_by_constraints, component_codes, constraint_values
from ..sdmx.errors import InvalidData, NotFound, SemanticError
from ..sdmx.formats.data_events import DataSetStart, KeyAttributes, Observation, ObservationRows
from ..sdmx.formats.input_limits import MAX_INFLATE_RATIO, MAX_TOKEN
from ..sdmx.media_types import submitted_media_type
from ..sdmx.time_periods import Period
from ..sdmx.versions import parse_version_query, select
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.subscription_store import SubscriptionStore
from ..storage.observation_store import (BATCH, ApplyCounts, ObservationStore, PreparedRows, StagedObservation,
                                         staged_place)
from .apply_ahead import ApplyAhead
from .validation import RepeatedKeys, Validator

# while the message is read, the staged rows are applied this many at a time (ApplyAhead); the reader buffers
# up to AHEAD_BUFFER rows meanwhile
APPLY_CHUNK = 50_000
AHEAD_BUFFER = 6 * BATCH
Constrained = tuple[tuple[str, frozenset[str]], ...]  # (constraint URN, values it allows) for one component


@dataclass
class Receipt:
    submission_id: int
    dataflow: str
    provider: str
    action: str
    format: str
    observations_read: int
    counts: ApplyCounts
    key_attributes_changed: int
    seconds: float
    state: str = "released"

    def as_json(self) -> dict:
        return {"submission": self.submission_id, "dataflow": self.dataflow, "provider": self.provider,
                "action": self.action, "format": self.format, "state": self.state,
                "observations": {"read": self.observations_read, "inserted": self.counts.inserted,
                                 "updated": self.counts.updated, "deleted": self.counts.deleted},
                "keyAttributesChanged": self.key_attributes_changed, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class InputLimits:
    """How large one piece of a message (settings max_token_bytes) and its inflation (max_inflate_ratio) may be."""

    max_token: int = MAX_TOKEN
    max_inflate_ratio: int = MAX_INFLATE_RATIO


@dataclass(frozen=True)
class DataflowContext:
    """Everything validation needs about one dataflow, looked up once per message."""

    dataflow: Artefact
    structure: DataStructureInfo
    codes: dict[str, frozenset[str]]
    allowed: dict[str, frozenset[str]]
    providers: frozenset[str]  # data providers with a provision agreement for the dataflow
    # component -> ((constraint URN, values allowed), ...): the dataflow's own Allowed constraints, and those
    # attached to each provider's provision agreements (SDMX: a provider submits only inside them)
    constraints: Mapping[str, Constrained] = field(default_factory=dict)
    provider_constraints: Mapping[str, Mapping[str, Constrained]] = field(default_factory=dict)

    def allowed_for(self, provider: str | None) -> dict[str, frozenset[str]]:
        """The values each component may take in this provider's data (the dataflow's, narrowed by its own)."""
        allowed = dict(self.allowed)
        for cid, entries in self.provider_constraints.get(provider or "", {}).items():
            for _urn, values in entries:
                allowed[cid] = allowed[cid] & values if cid in allowed else values
        return allowed


PERIODICITY = "PERIODICITY"  # a dataflow annotation: its text says the periodicity, its title the FREQ code(s)
FREQUENCY = "FREQ"


def frequencies(flow: Artefact) -> frozenset[str] | None:
    """The FREQ codes a dataflow is collected at, by its PERIODICITY annotation's title ("S", or "A,Q");
    None when it names none."""
    for a in flow.get("annotations") or []:
        if PERIODICITY in (a.get("type"), a.get("id")) and a.get("title"):
            return frozenset(c.strip() for c in a["title"].split(",") if c.strip())
    return None


def periodicity_constraint(ctx: DataflowContext) -> dict[str, tuple[tuple[str, frozenset[str]], ...]]:
    """FREQ bound to the frequencies the dataflow is collected at (its PERIODICITY annotation), as a constraint
    for Validator.restrict, named in words where a URN would be: a half-yearly indicator takes no annual
    figures. Empty when the dataflow names none or its structure has no FREQ."""
    collected = frequencies(ctx.dataflow)
    if not collected or FREQUENCY not in ctx.structure.dimension_ids:
        return {}
    return {FREQUENCY: ((f"the dataflow's PERIODICITY annotation (it is collected at {', '.join(sorted(collected))})",
                         frozenset(collected)),)}


def dataflow_context(store: ArtefactStore, agency: str, id_: str, version: str) -> DataflowContext:
    candidates = {a["version"]: a for a in store.candidates({"dataflow"}, [agency], [id_])}
    chosen = select(parse_version_query(version), candidates)
    if not chosen:
        raise NotFound(f"dataflow {agency}:{id_}({version}) does not exist")
    flow = candidates[chosen[-1]]
    flow_urn = urn_of(flow)
    dsd = store.get(flow.get("structure", ""))
    if dsd is None:
        raise SemanticError(f"dataflow {flow_urn} has no data structure stored ({flow.get('structure')})")
    info = DataStructureInfo.from_artefact(dsd)
    codes = component_codes(info.dimensions + info.attributes + info.measures, store.get)
    constraints: list[Artefact] = []
    providers: set[str] = set()
    provider_of: dict[str, str] = {}  # provision agreement URN -> its data provider
    for art in store.referencing([flow_urn]):
        if art["type"] == "provisionagreement" and art.get("dataflow") == flow_urn and art.get("dataProvider"):
            provider_of[urn_of(art)] = parse_urn(art["dataProvider"]).item_id or ""
        elif art["type"] == "dataconstraint":
            constraints.append(art)
    providers.update(provider_of.values())
    by_provider: dict[str, list[Artefact]] = {}
    for art in store.referencing(provider_of):
        if art["type"] == "dataconstraint":
            for pa in (art.get("constraintAttachment") or {}).get("provisionAgreements", []):
                if pa in provider_of:
                    by_provider.setdefault(provider_of[pa], []).append(art)
    return DataflowContext(flow, info, codes, allowed_by_constraints(constraints), frozenset(providers),
                           constraint_values(constraints),
                           {p: constraint_values(arts) for p, arts in by_provider.items()})


def submitting_provider(message_provider: str | None, requested: str | None) -> str | None:
    """Which data provider a submission is for. The one place that decides it (access rules bind it later)."""
    if requested and message_provider and requested != message_provider:
        raise SemanticError(f"the message is for data provider {message_provider} but the request names {requested}")
    return requested or message_provider


def reader_for(stream: io.BufferedReader, content_type: str | None):
    from ..sdmx.formats.data_format_detection import detect_data_format

    name = detect_data_format(stream.peek(4096)[:4096], content_type)
    return name, importlib.import_module(f"sdmx_server.sdmx.formats.{name}")


def _kind(action: str) -> str:
    """What an SDMX action does to what it names: "D" deletes, "M" (every other action) adds or updates."""
    return "D" if action == "Delete" else "M"


@dataclass(frozen=True)
class Provisional:
    """Observations of periods from ``year`` on get ``attribute`` = ``code`` when the message gives none
    (DESIGN.md: during the calendar year figures are provisional)."""

    attribute: str = "OBS_STATUS"
    code: str = "P"
    year: int = 0

    def applies_to(self, ctx: DataflowContext) -> bool:
        comp = ctx.structure.component(self.attribute)
        return (comp is not None and comp.attachment == "observation"
                and (self.attribute not in ctx.codes or self.code in ctx.codes[self.attribute]))


def ingest(conn, stream: BinaryIO, ctx: DataflowContext, *, content_type: str | None = None,
           provider: str | None = None, replace: bool = False, submitted_by: str | None = None,
           max_errors: int = 100, require_series_attributes: bool = True, pending: bool = False,
           release_of: int | None = None, now: datetime | None = None,
           provisional: Provisional | None = None, limits: InputLimits = InputLimits()) -> Receipt:
    """Validate one message and store it: applied to the observations (released), or, with ``pending``, only
    recorded as a pending submission, the caller keeping the message. ``release_of`` applies the stored
    message of that submission at ``now``. InvalidData (422) or BadInput (400) leave the caller to roll back."""
    started = time.perf_counter()
    ahead = ApplyAhead()
    try:
        receipt = _ingest(conn, stream, ctx, ahead, content_type=content_type, provider=provider, replace=replace,
                          submitted_by=submitted_by, max_errors=max_errors, pending=pending,
                          require_series_attributes=require_series_attributes, release_of=release_of, now=now,
                          provisional=provisional, limits=limits)
    except BaseException:
        ahead.close(failing=True)
        raise
    ahead.close(failing=False)
    receipt.seconds = time.perf_counter() - started
    return receipt


def _ingest(conn, stream: BinaryIO, ctx: DataflowContext, ahead: ApplyAhead, *, content_type: str | None,
            provider: str | None, replace: bool, submitted_by: str | None, max_errors: int,
            require_series_attributes: bool, pending: bool, release_of: int | None, now: datetime | None,
            provisional: Provisional | None, limits: InputLimits) -> Receipt:
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream, 1 << 16)
    format_name, reader = reader_for(buffered, content_type)
    # kept with the submission and served back with it: only ever one of the reader's canonical types
    stored_type = submitted_media_type(format_name, content_type, buffered.peek(4096)[:4096])
    observations = ObservationStore(conn)
    observations.start_staging(numeric_values=ctx.structure.numeric_values)
    marking = provisional if provisional is not None and provisional.applies_to(ctx) else None
    since = datetime(marking.year, 1, 1, tzinfo=timezone.utc) if marking else None
    validator = Validator(ctx.structure, ctx.codes, ctx.allowed, max_errors,
                          frozenset({marking.attribute}) if marking else frozenset(), ctx.constraints)
    bound_to: str | None = None  # the provider whose provision agreements' constraints the validator holds

    def bind(provider_id: str | None) -> None:
        nonlocal bound_to
        if provider_id and bound_to is None:
            bound_to = provider_id
            validator.restrict(ctx.provider_constraints.get(provider_id, {}))

    validator.restrict(periodicity_constraint(ctx))
    bind(provider)
    flow_urn = urn_of(ctx.dataflow)
    action = "Information"
    message_provider: str | None = None
    key_changes: list[tuple[str, str, dict[str, str], str]] = []
    batch: list[StagedObservation] = []
    read = 0
    observation = validator.observation
    repeated = RepeatedKeys()
    obs_action = "M"
    dimension_ids = ctx.structure.dimension_ids
    wildcard_deletes: list[tuple[list, str]] = []  # Deletes of partial keys: few, applied after the rest
    target: tuple[int, int, datetime] | None = None  # data set id, submission id, transaction time (open_target)

    def open_target(provider_id: str) -> tuple[int, int, datetime]:
        """Lock the data set and record the submission: once, before the first row is applied."""
        nonlocal target
        if target is None:
            data_set = observations.data_set_id(flow_urn, provider_id, ctx.structure.urn)
            at = now or utcnow()  # after the data set's lock: transaction times follow commit order
            submission_id = release_of if release_of is not None else observations.add_submission(
                dataflow_urn=flow_urn, provider_id=provider_id, action=action, state="released", format=format_name,
                submitted_by=submitted_by, submitted_at=at, replace=replace, content_type=stored_type,
                observations_read=0, released_at=at)
            target = (data_set, submission_id, at)
        return target

    def apply_staged(provider_id: str, periods: dict[str, Period], new_series: list[str]) -> None:
        data_set, submission_id, at = open_target(provider_id)
        observations.stage_periods(periods)
        if marking is not None:
            observations.mark_provisional(marking.attribute, marking.code, since)
        observations.apply_added(data_set, submission_id, at, new_series)

    ready: list[PreparedRows] = []  # formatted batches the database thread has not staged yet (formats_apart)

    def provider_so_far() -> str | None:
        """The submitting provider as the message has named it so far; None while that is not settled."""
        try:
            return submitting_provider(message_provider, provider)
        except SemanticError:  # the message and the request disagree: the end of the message says so
            return None

    def keep(staged: Sequence[StagedObservation]) -> None:
        """Stage valid observations, a batch at a time, unless some error already dooms the message; once a
        chunk is staged, apply it on the database thread when only an error further on (which rolls everything
        back) could stop it: a series that comes back later could repeat an applied observation, so from then
        on rows wait for the duplicate check at the end. While the thread is busy, read on (up to
        AHEAD_BUFFER rows). Where the store formats apart (PostgreSQL), the thread stages too."""
        if validator.error_count:
            return
        batch.extend(staged)
        if len(batch) < BATCH:
            return
        work = []
        if observations.formats_apart:
            ready.append(observations.prepare(batch))
            batch.clear()
            if ahead.busy and len(ready) * BATCH < AHEAD_BUFFER:
                return
            work.append(partial(observations.stage_prepared, ready.copy()))
            ready.clear()
        else:
            if ahead.busy and len(batch) < AHEAD_BUFFER:
                return
            ahead.wait()
            observations.stage(batch)
            batch.clear()
        if (observations.unapplied >= APPLY_CHUNK and not pending and validator.ok and not repeated.needs_full_check
                and (provider_id := provider_so_far()) in ctx.providers):
            work.append(partial(apply_staged, provider_id, dict(validator.periods), repeated.take_added()))
        if work:
            ahead.submit(*work)

    def take(staged: StagedObservation) -> None:
        first = repeated.first_of(staged)
        if first is not None:
            validator.duplicate(staged[1], staged[2], staged_place(first), staged_place(staged))
        else:
            keep((staged,))

    def take_rows(staged: list[StagedObservation]) -> None:
        """``take`` for the valid rows of a batch, in one go."""
        for first, second in repeated.repeats(staged):
            validator.duplicate(second[1], second[2], staged_place(first), staged_place(second))
        keep(staged)

    # the SDMX-ML readers send plain observations as rows only when asked: ingest validates them as such
    bounds: dict = {"max_token": limits.max_token}
    if format_name.startswith("sdmx_ml"):
        bounds["rows"] = True
    elif format_name == "excel_data_reader":
        bounds["max_inflate_ratio"] = limits.max_inflate_ratio
    events = reader.read_data(buffered, ctx.structure, **bounds)
    for event in events:
        if type(event) is Observation:
            read += 1
            act = obs_action if event.action is None else _kind(event.action)
            if act == "D" and not all(event.key.get(d) for d in dimension_ids):
                wildcard = validator.wildcard_delete(event)
                if wildcard is not None:
                    wildcard_deletes.append(wildcard)
                continue
            staged = observation(event, act)
            if staged is not None:
                take(staged)
        elif type(event) is ObservationRows:
            read += len(event.rows)
            take_rows(validator.rows(event, obs_action))
        elif isinstance(event, KeyAttributes):
            if validator.key_attributes(event):
                key_changes.append((event.level, validator.key_of(event.key), event.attributes,
                                    _kind(event.action or action)))
        elif isinstance(event, DataSetStart):
            action = event.action or action
            obs_action = _kind(action)
            if event.provider:
                if message_provider and event.provider != message_provider:
                    validator.error("one-provider", f"the message holds data sets of providers {message_provider} "
                                    f"and {event.provider}; send one message per provider", where=event.where)
                message_provider = event.provider
                bind(provider_so_far())
    ahead.wait()
    if ready:
        observations.stage_prepared(ready)
    observations.stage(batch)
    validator.finish()
    provider_id = submitting_provider(message_provider, provider)
    if provider_id is None:
        validator.error("no-provider", "the message names no data provider; add one to the header "
                        "(DataSetStart dataProvider) or to the request (provider=...)")
    elif provider_id not in ctx.providers:
        validator.error("no-provision-agreement",
                        f"data provider {provider_id} has no provision agreement for dataflow {flow_urn}")
    if validator.ok and repeated.needs_full_check:
        for key, period, first, second in observations.duplicates(max_errors):
            validator.duplicate(key, period, first, second)
    if validator.ok and require_series_attributes:
        _check_mandatory_series_attributes(validator, observations, ctx, key_changes, flow_urn, provider_id,
                                           replace)
    if validator.ok:
        observations.stage_periods(validator.periods)
    if validator.ok and marking is not None:
        observations.mark_provisional(marking.attribute, marking.code, since)
        if any(a.id == marking.attribute and a.mandatory for a in ctx.structure.attributes):
            for where, key, period in observations.lacking(marking.attribute, max_errors):
                validator.error("missing-attribute", f"mandatory attribute {marking.attribute} is missing (only "
                                f"figures of {marking.year} and later are marked provisional when it is)",
                                where=where, series_key=key, period=period, component=marking.attribute)
    if not validator.ok:
        raise InvalidData(f"{validator.error_count} error(s) in the submitted data; nothing was stored",
                          [e.as_dict() for e in validator.errors], validator.error_count)
    if pending:
        submission_id = observations.add_submission(
            dataflow_urn=flow_urn, provider_id=provider_id, action=action, state="pending", format=format_name,
            submitted_by=submitted_by, submitted_at=utcnow(), replace=replace, content_type=stored_type,
            observations_read=read)
        return Receipt(submission_id, flow_urn, provider_id, action, format_name, read, ApplyCounts(), 0, 0.0,
                       "pending")
    data_set, submission_id, at = open_target(provider_id)
    # every action but Delete adds or updates whole observations (what SDMX 3.x calls Replace, at
    # observation level); only PUT replaces whole series
    counts = observations.apply(data_set, submission_id, at, replace_series=replace,
                                added_series=repeated.added if repeated.needs_full_check else repeated.take_added())
    for key_filter, period in wildcard_deletes:
        counts.deleted += observations.delete_matching(data_set, key_filter, at, period)
    changed = observations.apply_key_attributes(data_set, submission_id, at, key_changes, replace=replace)
    # the submission may have been recorded while the message was still read (open_target)
    observations.finish_submission(submission_id, counts, **({} if release_of else {"action": action,
                                                                                     "observations_read": read}))
    return Receipt(submission_id, flow_urn, provider_id, action, format_name, read, counts, changed, 0.0, "released")


def _check_mandatory_series_attributes(validator: Validator, observations: ObservationStore, ctx: DataflowContext,
                                       key_changes: list, flow_urn: str, provider_id: str | None,
                                       replace: bool) -> None:
    """Every series the message adds to has its mandatory series attributes: from the message (as a
    series attribute or on its observations) or, unless the series is replaced, already stored."""
    mandatory = [a.id for a in ctx.structure.attributes if a.mandatory and a.attachment == "series"]
    if not mandatory:
        return
    given: dict[str, set[str]] = {}
    for level, key, values, action in key_changes:
        if level == "series" and action == "M":
            given.setdefault(key, set()).update(values)
    stored = {} if replace or provider_id is None else observations.series_attributes(flow_urn, provider_id)
    for series_key, (where, on_observations) in observations.staged_series().items():
        have = given.get(series_key, set()) | on_observations | stored.get(series_key, set())
        for aid in mandatory:
            if aid not in have:
                validator.error("missing-attribute", f"mandatory attribute {aid} of the series is missing",
                                where=where, series_key=series_key, component=aid)


def delete_keys(conn, ctx: DataflowContext, key: str, *, provider: str | None,
                submitted_by: str | None = None) -> Receipt:
    """DELETE of a key (wildcards allowed): closes the matching series' current observations."""
    started = time.perf_counter()
    key_filter = parse_key(key, ctx.structure.dimension_ids)
    flow_urn = urn_of(ctx.dataflow)
    if provider is None:
        raise SemanticError("name the data provider whose data to delete (provider=...)")
    if provider not in ctx.providers:
        raise SemanticError(f"data provider {provider} has no provision agreement for dataflow {flow_urn}")
    observations = ObservationStore(conn)
    now = utcnow()
    data_set = observations.data_set_id(flow_urn, provider, ctx.structure.urn)
    submission_id = observations.add_submission(
        dataflow_urn=flow_urn, provider_id=provider, action="Delete", state="released", format="rest-key",
        submitted_by=submitted_by, submitted_at=now, released_at=now)
    counts = ApplyCounts(deleted=observations.delete_matching(data_set, key_filter, now))
    observations.finish_submission(submission_id, counts)
    if counts.deleted:  # released at once: the subscribers' revision notices, in this transaction (issue 20)
        SubscriptionStore(conn).queue("revision", flow_urn, provider_id=provider, submission_id=submission_id, at=now)
    return Receipt(submission_id, flow_urn, provider, "Delete", "rest-key", 0, counts, 0, time.perf_counter() - started)
