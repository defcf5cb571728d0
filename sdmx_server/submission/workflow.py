"""The submit → verify → release workflow (DESIGN.md section 4), as plain functions on one connection.

A submission passes the automatic checks (intake.ingest) and is kept as ``pending`` with its message
(gzip) until an approver releases it: release applies the stored message, checked again against the
structures and data of that moment, at the release time, which becomes the figures' transaction
time (what updatedAfter, asOf and includeHistory read, so history is dissemination history).

Who may act on submission S of country P for dataflow F: a user of P holding ``verify_data`` (verify,
return) or ``release_data`` (release) for F; country and system administrators hold both.
Submissions another user may not act on or see do not exist for them (404), so guessing ids
reveals nothing. Every transition is recorded by SubmissionStore.move.

Four eyes (``FourEyes``): the verifier and the approver of a submission are never its submitter, country
administrators included, on every path (API, portal, ``release=now``), unless the submission's country
is listed in the ``four_eyes_waived`` setting (one-person offices); each step taken under the waiver is
recorded in the audit log. System administrators of the hosting organisation are not bound (they may
do everything, the waiver list included), but their own steps are recorded the same way.
"""

from __future__ import annotations

import gzip
import io
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import BinaryIO, Callable

from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import Unauthorized

from ..content import release_calendar
from ..identity.actor import Actor
from ..access.visibility import PENDING_PRIVILEGES
from ..sdmx.artefacts import parse_urn, urn_of
from ..sdmx.errors import BadInput, Conflict, Forbidden, NotFound, SdmxError
from ..settings import Config
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.audit_store import AuditStore
from ..storage.submission_store import Revision, SubmissionRow, SubmissionStore
from ..storage.subscription_store import SubscriptionStore
from .intake import DataflowContext, InputLimits, Provisional, Receipt, dataflow_context, ingest

log = logging.getLogger(__name__)
EMBARGO = "embargo"  # the actor recorded for releases the scheduler makes


@dataclass(frozen=True)
class IngestOptions:
    """The settings ingest takes, read once from the configuration."""

    max_errors: int = 100
    require_series_attributes: bool = True
    provisional: bool = True
    limits: InputLimits = InputLimits()

    @classmethod
    def from_config(cls, cfg: Config) -> IngestOptions:
        return cls(cfg.max_errors, cfg.require_series_attributes, cfg.provisional_current_year,
                   InputLimits(cfg.max_token_bytes, cfg.max_inflate_ratio))

    def provisional_rule(self, now: datetime) -> Provisional | None:
        return Provisional(year=now.year) if self.provisional else None


@dataclass(frozen=True)
class FourEyes:
    """The four-eyes rule and the countries (data providers) that waive it."""

    waived_for: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, cfg: Config) -> FourEyes:
        return cls(frozenset(cfg.four_eyes_waived))

    def check(self, conn, who: Actor, row: SubmissionRow, step: str) -> None:
        """Refuse (Forbidden) ``step`` ("verify", "release") by the submission's own submitter, unless waived,
        and then record the waiver in the audit log (in the caller's transaction, with the step)."""
        if who.username is None or who.username != row.submitted_by:
            return
        if not self.blocks(who, row):
            self.record(conn, who, step=step, provider=row.provider_id, submission_id=row.id)
            return
        raise Forbidden(f"four-eyes rule: {who.username} submitted submission {row.id} and may not {step} it too; "
                        f"another user of {row.provider_id} must (the rule is waived only for the countries of the "
                        f"four_eyes_waived setting)")

    def alone(self, who: Actor, provider: str | None, step: str) -> None:
        """Refuse a change one person makes on their own at once (``release=now``, deleting figures) unless the
        provider waives the rule; a system administrator is not bound. :meth:`record` it once done."""
        if who.can("administer_system") or provider in self.waived_for:
            return
        raise Forbidden(f"four-eyes rule: {step} would have {who.username} verify and release their own change; "
                        f"submit it without and let another verifier and approver of {provider} act (the rule is "
                        f"waived only for the countries of the four_eyes_waived setting)")

    def record(self, conn, who: Actor, *, step: str, provider: str, submission_id: int) -> None:
        reason = "system administrator" if provider not in self.waived_for else "four_eyes_waived"
        AuditStore(conn).record(who.username or "", "submission.four_eyes_waived", f"submission {submission_id}",
                                country=provider, details={"step": step, "reason": reason})

    def blocks(self, who: Actor, row: SubmissionRow) -> bool:
        """Whether the rule forbids this user the verify and release steps of this submission (for screens)."""
        return (who.username is not None and who.username == row.submitted_by
                and row.provider_id not in self.waived_for and not who.can("administer_system"))


class _Tee(io.RawIOBase):
    """Reads a stream while keeping a gzip copy of what was read, for the pending submission's payload."""

    def __init__(self, source: BinaryIO, sink: BinaryIO):
        self.source = source
        self.copy = gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=5)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.copy.write(data)
        return n


def submit(conn, body: BinaryIO, ctx: DataflowContext, who: Actor, *, provider: str | None, replace: bool,
           content_type: str | None, options: IngestOptions, release_now: bool = False,
           four_eyes: FourEyes = FourEyes()) -> Receipt:
    """Check a message and keep it as pending; with ``release_now`` (for callers who may do every step, in a
    country that waives the four-eyes rule) apply it at once, recording pending → validated → released."""
    if release_now:
        require_all_steps(who, ctx)
        four_eyes.alone(who, provider or who.country, "release=now")
        now = utcnow()
        receipt = ingest(conn, body, ctx, content_type=content_type, provider=provider, replace=replace,
                         submitted_by=who.username, max_errors=options.max_errors,
                         require_series_attributes=options.require_series_attributes,
                         provisional=options.provisional_rule(now), limits=options.limits)
        store = SubmissionStore(conn)
        for before, after in ((None, "pending"), ("pending", "validated"), ("validated", "released")):
            store.record(receipt.submission_id, before, after, actor=who.username or "", at=now,
                         comment="released on submission")
        four_eyes.record(conn, who, step="release on submission", provider=receipt.provider,
                         submission_id=receipt.submission_id)
        queue_notices(conn, receipt, ctx, now)
        return receipt
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as copy:
        tee = io.BufferedReader(_Tee(body, copy), 1 << 16)
        receipt = ingest(conn, tee, ctx, content_type=content_type, provider=provider, replace=replace,
                         submitted_by=who.username, max_errors=options.max_errors,
                         require_series_attributes=options.require_series_attributes, pending=True,
                         limits=options.limits)
        while not tee.closed and tee.read(1 << 16):  # a reader may stop before the end: keep the whole message
            pass
        tee.raw.copy.close()
        copy.seek(0)
        store = SubmissionStore(conn)
        store.save_payload(receipt.submission_id, copy.read())
        store.record(receipt.submission_id, None, "pending", actor=who.username or "", at=utcnow())
    return receipt


def may_submit(who: Actor, flow_urn: str) -> bool:
    return not who.is_anonymous and who.holds_for("submit_data", flow_urn)


def submitting_as(who: Actor, ctx: DataflowContext, provider: str | None) -> str | None:
    """May this caller submit to this dataflow, as which provider? Country-bound users only as their own.
    The one submit rule of the API and the portal."""
    if who.is_anonymous:
        raise Unauthorized("submitting data needs a token (Authorization: Bearer ...) or HTTP Basic credentials")
    flow = urn_of(ctx.dataflow)
    if not may_submit(who, flow):
        raise HTTPForbidden(f"user {who.username} may not submit data to {flow}")
    if who.country is not None:
        if provider and provider != who.country:
            raise HTTPForbidden(f"user {who.username} submits for {who.country}, not for {provider}")
        return who.country
    return provider


def revision_notices(conn, sees: Callable[[str], frozenset[str] | None], *, dataflow_urn: str | None = None,
                     limit: int = 200, per_submission: int = 1000) -> list[tuple[SubmissionRow, list[Revision]]]:
    """Released submissions (newest first, among the last ``limit``) that changed or deleted figures released
    before, with what they revised; only those whose data the caller sees (``sees``: a dataflow's visible
    providers, None for all). The one source of the API's notices and feed, and the portal's."""
    store = SubmissionStore(conn)
    out = []
    for row in store.list(None, state="released", dataflow_urn=dataflow_urn, limit=limit):
        if not (row.updated or row.deleted):
            continue
        providers = sees(row.dataflow_urn)
        if providers is not None and row.provider_id not in providers:
            continue
        revisions = store.revisions(row, limit=per_submission)
        if revisions:
            out.append((row, revisions))
    return out


def require_all_steps(who: Actor, ctx: DataflowContext) -> None:
    flow = urn_of(ctx.dataflow)
    if not all(who.holds_for(p, flow) for p in PENDING_PRIVILEGES):
        raise Forbidden(f"releasing on submission needs submit, verify and release privileges on {flow}; "
                        f"submit without release=now and let the workflow run")


def visible(who: Actor, row: SubmissionRow | None, privileges: tuple[str, ...] = PENDING_PRIVILEGES) -> bool:
    """Whether the caller may see this submission (and act on it, for the given privileges)."""
    if row is None or who.is_anonymous:
        return False
    if who.can("view_all_data"):
        return True
    return who.country == row.provider_id and any(who.holds_for(p, row.dataflow_urn) for p in privileges)


def scope(who: Actor) -> list[tuple[str, str | None]] | None:
    """(dataflow URN or "", provider) pairs of the submissions the caller may list; None = all."""
    if who.can("view_all_data"):
        return None
    if who.is_anonymous or who.country is None:
        return []
    flows: set[str] = set()
    for p in PENDING_PRIVILEGES:
        if who.can(p):
            flows |= who.indicator_privileges.get(p, frozenset({""}))
    return [("" if "" in flows else f, who.country) for f in (flows if "" not in flows else {""})]


def get(conn, who: Actor, submission_id: int) -> SubmissionRow:
    row = SubmissionStore(conn).get(submission_id)
    if not visible(who, row):
        raise NotFound(f"submission {submission_id} does not exist or is not yours to see")
    return row  # type: ignore[return-value]


def _acting(conn, who: Actor, submission_id: int, privilege: str) -> tuple[SubmissionStore, SubmissionRow]:
    store = SubmissionStore(conn)
    row = get(conn, who, submission_id)
    if not visible(who, row, (privilege,)):
        raise Forbidden(f"user {who.username} lacks {privilege} on {row.dataflow_urn}")
    return store, row


def _moved(ok: bool, row: SubmissionRow, wanted: str) -> None:
    if not ok:
        raise Conflict(f"submission {row.id} is {row.state}; it cannot become {wanted} from there")


def verify(conn, who: Actor, submission_id: int, comment: str = "", *,
           four_eyes: FourEyes = FourEyes()) -> SubmissionRow:
    store, row = _acting(conn, who, submission_id, "verify_data")
    _moved(row.state == "pending", row, "validated")  # a state that moved on says so before whose step it is
    four_eyes.check(conn, who, row, "verify")
    _moved(store.move(row.id, ("pending",), "validated", actor=who.username or "", at=utcnow(), comment=comment),
           row, "validated")
    return store.get(row.id)  # type: ignore[return-value]


def return_(conn, who: Actor, submission_id: int, comment: str) -> SubmissionRow:
    """Back to its country with a comment. Its message is kept, so the submitter reads the figures they sent,
    downloads them, corrects them and sends them again (a new submission); only a release drops it."""
    if not comment.strip():
        raise BadInput("returning a submission needs a comment saying what to fix")
    store, row = _acting(conn, who, submission_id, "verify_data")
    _moved(store.move(row.id, ("pending", "validated"), "returned", actor=who.username or "", at=utcnow(),
                      comment=comment, release_at=None), row, "returned")
    release_calendar.unscheduled(conn, row.id, who.username or "")
    return store.get(row.id)  # type: ignore[return-value]


def release(conn, who: Actor, submission_id: int, *, at: datetime | None, options: IngestOptions,
            comment: str = "", four_eyes: FourEyes = FourEyes(), announce_periods: str | None = None) -> SubmissionRow:
    """Release now (``at`` None or past) or schedule it for ``at`` (the embargo). A scheduled release moves its
    release calendar entry with it; ``announce_periods`` (the country's choice) announces it there."""
    store, row = _acting(conn, who, submission_id, "release_data")
    now = utcnow()
    if row.state != "validated":
        raise Conflict(f"submission {row.id} is {row.state}; only a validated submission can be released")
    four_eyes.check(conn, who, row, "release")
    if at is not None and at > now:
        said = comment or f"release scheduled for {at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
        _moved(store.move(row.id, ("validated",), "validated", actor=who.username or "", at=now, release_at=at,
                          comment=said), row, "scheduled")
        release_calendar.scheduled(conn, submission_id=row.id, dataflow_urn=row.dataflow_urn, provider=row.provider_id,
                                   at=at, actor=who.username or "", announce_periods=announce_periods)
    else:
        apply_release(conn, row, actor=who.username or "", options=options, comment=comment)
    return store.get(row.id)  # type: ignore[return-value]


def apply_release(conn, row: SubmissionRow, *, actor: str, options: IngestOptions, comment: str = "") -> Receipt:
    """Apply the stored message now: checked again, then written with this moment as its transaction time."""
    store = SubmissionStore(conn)
    payload = store.payload(row.id)
    if payload is None:
        raise Conflict(f"submission {row.id} has no stored message to release")
    flow = parse_urn(row.dataflow_urn)
    ctx = dataflow_context(ArtefactStore(conn), flow.agency_id, flow.id, flow.version)
    now = utcnow()
    if not store.move(row.id, ("validated",), "released", actor=actor, at=now, comment=comment, released_at=now):
        raise Conflict(f"submission {row.id} is no longer validated (released or returned meanwhile)")
    release_calendar.released(conn, row.id, now)  # in the transaction that wins the release: once
    with gzip.GzipFile(fileobj=io.BytesIO(payload)) as body:
        receipt = ingest(conn, body, ctx, content_type=row.content_type, provider=row.provider_id,
                         replace=row.replace, submitted_by=row.submitted_by, max_errors=options.max_errors,
                         require_series_attributes=options.require_series_attributes, release_of=row.id, now=now,
                         provisional=options.provisional_rule(now))
    store.drop_payload(row.id)
    queue_notices(conn, receipt, ctx, now)
    return receipt


def queue_notices(conn, receipt: Receipt, ctx: DataflowContext, at: datetime) -> None:
    """Queue the subscribers' webhook deliveries in the release's own transaction (one statement; sent later by
    notification/webhook_sender.py): a revision when it changed or deleted figures released before."""
    kind = "revision" if receipt.counts.updated or receipt.counts.deleted else "release"
    SubscriptionStore(conn).queue(kind, urn_of(ctx.dataflow), provider_id=receipt.provider,
                                  submission_id=receipt.submission_id, at=at)


def release_due(connect: Callable, options: IngestOptions, now: datetime | None = None) -> list[int]:
    """Release every validated submission whose embargo has passed, each in its own transaction. Safe to run
    from several processes at once: the conditional state change lets one of them win each submission."""
    from ..storage.database import begin_write

    released = []
    with connect() as conn:
        ids = SubmissionStore(conn).due(now or utcnow())
        conn.rollback()
        for sid in ids:
            try:
                with begin_write(conn):
                    row = SubmissionStore(conn).get(sid)
                    if row is None or row.state != "validated":
                        continue
                    apply_release(conn, row, actor=EMBARGO, options=options,
                                  comment=f"released at its embargo time {row.release_at}")
                    released.append(sid)
            except Conflict:
                continue
            except SdmxError as e:  # no longer valid (structures changed?): back to its country, with the reason
                log.warning("embargoed release of submission %s failed: %s", sid, e)
                with begin_write(conn):
                    SubmissionStore(conn).move(sid, ("validated",), "returned", actor=EMBARGO, at=utcnow(),
                                               comment=f"the release at its embargo time failed: {e}")
                    release_calendar.unscheduled(conn, sid, EMBARGO)
    return released
