"""Subscriptions, their queued webhook deliveries and the delivery log (storage/subscription_tables.py).

Queuing is one INSERT ... SELECT in the transaction of the event (a release): it costs the release one
statement whatever the number of subscribers, and a release rolled back queues nothing. Sending happens later,
elsewhere (notification/webhook_sender.py), each delivery claimed by one process with a conditional UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, func, insert, literal, or_, select, update

from .artefact_store import as_utc, utcnow
from .subscription_tables import subscription as sub
from .subscription_tables import webhook_attempt as wa
from .subscription_tables import webhook_delivery as wd

EVENTS = ("structure", "release", "revision")
MAX_SUBSCRIPTIONS = 100  # per user
KEEP_LOG = timedelta(days=90)  # finished deliveries and their attempts are kept this long


@dataclass(frozen=True)
class Subscription:
    id: int
    user_id: int
    dataflow_urn: str
    provider_id: str | None
    events: tuple[str, ...]
    url: str
    secret: str
    created_at: datetime
    active: bool


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: int
    event: str
    dataflow_urn: str
    provider_id: str | None
    submission_id: int | None
    occurred_at: datetime
    state: str
    attempts: int
    next_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status: int | None
    error: str
    milliseconds: int


class TooManySubscriptions(Exception):
    """The user has MAX_SUBSCRIPTIONS already."""


def _subscription(r) -> Subscription:
    return Subscription(r.id, r.user_id, r.dataflow_urn, r.provider_id, tuple(e for e in r.events.split(",") if e),
                        r.url, r.secret, as_utc(r.created_at), bool(r.active))


def _delivery(r) -> Delivery:
    return Delivery(r.id, r.subscription_id, r.event, r.dataflow_urn, r.provider_id, r.submission_id,
                    as_utc(r.occurred_at), r.state, r.attempts, as_utc(r.next_at), as_utc(r.finished_at))


class SubscriptionStore:
    """One connection's view; every user-facing read and write names the user, so ids reveal nothing."""

    def __init__(self, conn: Connection):
        self.conn = conn

    # -- subscriptions ---------------------------------------------------------------------------

    def add(self, user_id: int, *, dataflow_urn: str, provider_id: str | None, events: tuple[str, ...], url: str,
            secret: str) -> Subscription:
        count = self.conn.execute(select(func.count()).select_from(sub).where(sub.c.user_id == user_id)).scalar()
        if count >= MAX_SUBSCRIPTIONS:
            raise TooManySubscriptions()
        new_id = self.conn.execute(insert(sub).values(
            user_id=user_id, dataflow_urn=dataflow_urn, provider_id=provider_id, events=",".join(events), url=url,
            secret=secret, created_at=utcnow(), active=True)).inserted_primary_key[0]
        return self.get(new_id)  # type: ignore[return-value]

    def get(self, subscription_id: int, user_id: int | None = None) -> Subscription | None:
        if not 0 < subscription_id < 2**31:  # no such id: PostgreSQL's 32-bit id column could not even hold it
            return None
        q = select(sub).where(sub.c.id == subscription_id)
        if user_id is not None:
            q = q.where(sub.c.user_id == user_id)
        r = self.conn.execute(q).first()
        return _subscription(r) if r else None

    def of_user(self, user_id: int) -> list[Subscription]:
        return [_subscription(r) for r in self.conn.execute(select(sub).where(sub.c.user_id == user_id)
                                                            .order_by(sub.c.id))]

    def set_active(self, user_id: int, subscription_id: int, active: bool) -> bool:
        return self.conn.execute(update(sub).where(sub.c.id == subscription_id, sub.c.user_id == user_id)
                                 .values(active=active)).rowcount == 1

    def remove(self, user_id: int, subscription_id: int) -> bool:
        if not 0 < subscription_id < 2**31:
            return False
        return self.conn.execute(delete(sub).where(sub.c.id == subscription_id, sub.c.user_id == user_id)
                                 ).rowcount == 1

    # -- queuing (in the event's transaction) ----------------------------------------------------

    def queue(self, event: str, dataflow_urn: str, *, provider_id: str | None = None,
              submission_id: int | None = None, at: datetime | None = None) -> int:
        """Queue one delivery for every active subscription to this dataflow (and provider) asking for ``event``.
        Whether the subscriber may see it is decided at delivery time, with the grants of that moment."""
        at = at or utcnow()
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        wanted = and_(sub.c.active.is_(True), sub.c.dataflow_urn == dataflow_urn,
                      ("," + sub.c.events + ",").like(f"%,{event},%"))
        if provider_id is not None:
            wanted = and_(wanted, or_(sub.c.provider_id.is_(None), sub.c.provider_id == provider_id))
        rows = select(sub.c.id, literal(event), literal(dataflow_urn), literal(provider_id),
                      literal(submission_id), literal(at), literal("pending"), literal(0), literal(at)).where(wanted)
        done = self.conn.execute(insert(wd).from_select(
            ["subscription_id", "event", "dataflow_urn", "provider_id", "submission_id", "occurred_at", "state",
             "attempts", "next_at"], rows).returning(wd.c.id))  # psycopg counts no rows of an INSERT ... SELECT
        return len(done.all())

    # -- sending ----------------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 100) -> list[int]:
        return list(self.conn.execute(select(wd.c.id).where(wd.c.state == "pending", wd.c.next_at <= now)
                                      .order_by(wd.c.next_at, wd.c.id).limit(limit)).scalars())

    def claim(self, delivery_id: int, now: datetime, lease: timedelta) -> bool:
        """Take one due delivery for ``lease`` (its next_at moves past the attempt): the conditional UPDATE lets
        exactly one of several processes win it."""
        return self.conn.execute(update(wd).where(wd.c.id == delivery_id, wd.c.state == "pending",
                                                  wd.c.next_at <= now)
                                 .values(next_at=now + lease, attempts=wd.c.attempts + 1)).rowcount == 1

    def delivery(self, delivery_id: int) -> Delivery | None:
        r = self.conn.execute(select(wd).where(wd.c.id == delivery_id)).first()
        return _delivery(r) if r else None

    def log_attempt(self, delivery_id: int, *, status: int | None, error: str, milliseconds: int) -> None:
        self.conn.execute(insert(wa).values(delivery_id=delivery_id, attempted_at=utcnow(), status=status,
                                            error=error[:2000], milliseconds=milliseconds))

    def finish(self, delivery_id: int, state: str) -> None:
        """sent, failed (attempts used up) or withheld (the subscriber may not see it, or is gone)."""
        self.conn.execute(update(wd).where(wd.c.id == delivery_id).values(state=state, finished_at=utcnow()))

    def retry_at(self, delivery_id: int, at: datetime) -> None:
        self.conn.execute(update(wd).where(wd.c.id == delivery_id, wd.c.state == "pending").values(next_at=at))

    def deliveries(self, subscription_id: int, limit: int = 100) -> list[Delivery]:
        return [_delivery(r) for r in self.conn.execute(select(wd).where(wd.c.subscription_id == subscription_id)
                                                        .order_by(wd.c.id.desc()).limit(limit))]

    def attempts(self, delivery_id: int) -> list[Attempt]:
        return [Attempt(as_utc(r.attempted_at), r.status, r.error, r.milliseconds)
                for r in self.conn.execute(select(wa).where(wa.c.delivery_id == delivery_id).order_by(wa.c.id))]

    def remove_delivery(self, delivery_id: int) -> None:
        self.conn.execute(delete(wd).where(wd.c.id == delivery_id))

    def prune(self, now: datetime) -> int:
        """Forget finished deliveries (and their attempts) older than KEEP_LOG; next_at is the last claim's end, so
        the (state, next_at) index finds them."""
        return self.conn.execute(delete(wd).where(wd.c.state.in_(("sent", "failed")),
                                                  wd.c.next_at < now - KEEP_LOG)).rowcount or 0
