"""The release calendar: who may announce a release, the audited changes, and what the submission workflow does
to an entry when it schedules, applies or withdraws a release.

Public by the country's choice: a country announces a release (by hand, or by ticking "announce in the release
calendar" when it schedules an embargo), and the announcement says only which indicator, which periods and when;
never a figure. So an entry is shown to everyone, also for an indicator whose data the reader may not see: the
country chose to say that it will publish, and the date says nothing about the numbers.

Who may announce, move or cancel for country P and indicator F: a user of P holding ``manage_content`` (content
managers, country administrators) or ``release_data`` for F (approvers); system administrators for any country.
F must be an indicator P reports (a provision agreement of P for F).

States: announced (by hand; movable, cancellable) → scheduled (a validated submission's embargo; its date is the
embargo's, changed by releasing the submission at another time) → released (in the transaction that applies the
release), or cancelled. A scheduled submission that is returned (or whose embargoed release fails) gives its entry
back to announced, unlinked, at the same date: the country said it would publish then, and may still do so with
corrected figures; its manager moves or cancels it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection

from ..identity.actor import Actor
from ..sdmx.artefacts import parse_urn
from ..sdmx.errors import Forbidden, NotFound, SemanticError
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.audit_store import AuditStore
from ..storage.calendar_store import CalendarRow, CalendarStore

class Refused(SemanticError):
    """A calendar change refused for a reason the screens name (``reason``: periods, past, far, zone,
    not_reported, state)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


MAX_PERIODS = 100
MAX_AHEAD = timedelta(days=5 * 366)  # announcements further ahead are typing errors (year 2206)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def may_announce(actor: Actor, provider: str | None, dataflow_urn: str = "") -> bool:
    """Whether the actor may announce, move or cancel releases of ``provider`` (for ``dataflow_urn``; "" any)."""
    if actor.is_anonymous:
        return False
    if actor.can("administer_system"):
        return True
    if provider is None or actor.country != provider:
        return False
    if actor.can("manage_content"):
        return True
    if dataflow_urn:
        return actor.holds_for("release_data", dataflow_urn)
    return actor.can("release_data")


def may_announce_any(actor: Actor) -> bool:
    return may_announce(actor, actor.country) if not actor.can("administer_system") else True


def reports(store: ArtefactStore, provider: str, dataflow_urn: str) -> bool:
    """Whether ``provider`` reports this indicator: a provision agreement of it for the dataflow."""
    return any(pa["type"] == "provisionagreement" and pa.get("dataflow") == dataflow_urn
               and (parse_urn(pa["dataProvider"]).item_id or "") == provider
               for pa in store.referencing([dataflow_urn]) if pa.get("dataProvider"))


def clean_periods(text: str) -> str:
    """The periods covered, as written ("2026-Q3", "2025"): one line, at most MAX_PERIODS characters."""
    periods = " ".join((text or "").split())
    if not periods:
        raise Refused("say which periods the release covers (such as 2026-Q3 or 2025)", "periods")
    if len(periods) > MAX_PERIODS or _CONTROL.search(periods):
        raise Refused(f"the periods are one line of at most {MAX_PERIODS} characters", "periods")
    return periods


def _check_time(at: datetime, now: datetime) -> datetime:
    if at.tzinfo is None:
        raise Refused("a release time needs its time zone (UTC)", "zone")
    at = at.astimezone(timezone.utc)
    if at <= now:
        raise Refused(f"the release time {at.isoformat()} has passed: announce a future release", "past")
    if at > now + MAX_AHEAD:
        raise Refused(f"the release time {at.isoformat()} is more than five years ahead", "far")
    return at


def _check_indicator(store: ArtefactStore, provider: str, dataflow_urn: str) -> None:
    flow = store.get(dataflow_urn)
    if flow is None or flow.get("type") != "dataflow":
        raise NotFound(f"unknown indicator {dataflow_urn}")
    if not reports(store, provider, dataflow_urn):
        raise Refused(f"{provider} does not report {dataflow_urn} (no provision agreement)", "not_reported")


def announce(conn: Connection, actor: Actor, *, dataflow_urn: str, provider: str, periods: str,
             at: datetime) -> int:
    """A future release announced by hand; audited. Refused: another country's, an unknown indicator or one the
    country does not report, a time past or too far ahead."""
    if not may_announce(actor, provider, dataflow_urn):
        raise Forbidden(f"user {actor.username} may not announce releases of {provider} for {dataflow_urn}")
    _check_indicator(ArtefactStore(conn), provider, dataflow_urn)
    periods = clean_periods(periods)
    at = _check_time(at, utcnow())
    store = CalendarStore(conn)
    entry_id = store.add(dataflow_urn=dataflow_urn, provider_id=provider, periods=periods, release_at=at,
                         state="announced", by=actor.username or "?")
    AuditStore(conn).record(actor.username or "?", "calendar.announce", f"calendar:{entry_id}", country=provider,
                            details=store.get(entry_id).as_details())  # type: ignore[union-attr]
    return entry_id


def managed_entry(conn: Connection, actor: Actor, entry_id: int) -> CalendarRow:
    entry = CalendarStore(conn).get(entry_id)
    if entry is None:
        raise NotFound(f"no release calendar entry {entry_id}")
    if not may_announce(actor, entry.provider_id, entry.dataflow_urn):
        raise Forbidden(f"the release calendar entry {entry_id} is another country's")
    return entry


def move(conn: Connection, actor: Actor, entry_id: int, *, at: datetime, periods: str) -> bool:
    """Move an announced release to another time, or correct its periods; audited. False when nothing changed."""
    entry = managed_entry(conn, actor, entry_id)
    if entry.state != "announced":
        raise Refused(f"a {entry.state} release cannot be moved by hand"
                      + (": release its submission at another time" if entry.state == "scheduled" else ""), "state")
    periods = clean_periods(periods)
    at = _check_time(at, utcnow())
    if (at, periods) == (entry.release_at, entry.periods):
        return False
    store = CalendarStore(conn)
    store.change(entry_id, release_at=at, periods=periods)
    AuditStore(conn).record(actor.username or "?", "calendar.move", f"calendar:{entry_id}", country=entry.provider_id,
                            details={"before": entry.as_details(),
                                     "after": store.get(entry_id).as_details()})  # type: ignore[union-attr]
    return True


def cancel(conn: Connection, actor: Actor, entry_id: int) -> bool:
    """Cancel an announced release (it stays listed, marked cancelled, and calendars drop it); audited."""
    entry = managed_entry(conn, actor, entry_id)
    if entry.state == "cancelled":
        return False
    if entry.state != "announced":
        raise Refused(f"a {entry.state} release cannot be cancelled"
                      + (": return its submission instead" if entry.state == "scheduled" else ""), "state")
    CalendarStore(conn).change(entry_id, state="cancelled")
    AuditStore(conn).record(actor.username or "?", "calendar.cancel", f"calendar:{entry_id}", country=entry.provider_id,
                            details=entry.as_details())
    return True


# -- what the submission workflow does, in its own transaction ------------------------------------------------

def scheduled(conn: Connection, *, submission_id: int, dataflow_urn: str, provider: str, at: datetime, actor: str,
              announce_periods: str | None) -> int | None:
    """A validated submission's release is set for ``at``. Its entry (if any) follows the new time; else, when the
    country chose to announce it (``announce_periods`` given), the first announced entry of that indicator and
    country is linked (and moved), or a new one made. Returns the entry's id, None when nothing is announced."""
    store = CalendarStore(conn)
    entry = store.of_submission(submission_id)
    if entry is None and announce_periods is None:
        return None
    periods = clean_periods(announce_periods) if announce_periods and announce_periods.strip() else None
    if entry is None:
        waiting = store.announced(dataflow_urn, provider)
        entry = waiting[0] if waiting else None
    if entry is None:
        if periods is None:
            raise Refused("say which periods the announced release covers", "periods")
        entry_id = store.add(dataflow_urn=dataflow_urn, provider_id=provider, periods=periods, release_at=at,
                             state="scheduled", submission_id=submission_id, by=actor)
        action, before = "calendar.schedule", None
    else:
        entry_id, before = entry.id, entry.as_details()
        store.change(entry.id, release_at=at, state="scheduled", submission_id=submission_id,
                     periods=periods or entry.periods)
        action = "calendar.schedule"
    AuditStore(conn).record(actor, action, f"calendar:{entry_id}", country=provider,
                            details={"before": before, "after": store.get(entry_id).as_details()})  # type: ignore
    return entry_id


def released(conn: Connection, submission_id: int, at: datetime) -> bool:
    """The submission's release was applied at ``at``: its scheduled entry says released (same transaction)."""
    return CalendarStore(conn).mark_released(submission_id, at)


def unscheduled(conn: Connection, submission_id: int, actor: str) -> bool:
    """The submission will not be released (returned, or its release failed): its scheduled entry goes back to
    announced, unlinked, at the same time."""
    store = CalendarStore(conn)
    entry = store.of_submission(submission_id)
    if entry is None or entry.state != "scheduled":
        return False
    store.change(entry.id, state="announced", submission_id=None)
    AuditStore(conn).record(actor, "calendar.unschedule", f"calendar:{entry.id}", country=entry.provider_id,
                            details={**entry.as_details(), "state": "announced"})
    return True
