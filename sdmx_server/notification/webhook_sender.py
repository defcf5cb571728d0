"""Send queued webhook deliveries: each claimed by one process, checked against what its subscriber may see now,
signed, POSTed once within bounded timeouts, logged; retried with exponential backoff; failed after N attempts.

Releases never wait for this: they only queue rows (storage/subscription_store.py). Each server process runs
``start`` (a daemon thread, like the embargo checks); where none runs, ``sdmx-server send-webhooks`` from a timer.
A delivery is claimed by moving its next attempt time past a lease with a conditional UPDATE, so two processes
never send it at once; a process dying mid-send leaves it to be sent again once the lease ends (at least once:
receivers de-duplicate by the X-DSM-Delivery id).

The body (JSON) says what happened: the event, the dataflow, the provider, the submission, the periods it touched,
and the SDMX REST URL that fetches exactly that change (``updatedAfter`` just before it). Its signature,
``X-DSM-Signature: t=<unix time>,sha256=<hex>``, is HMAC-SHA256 with the subscription's secret over
``<unix time>.<body>``: a receiver recomputes it, and refuses old times to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, text

from ..access.visibility import visibility_for
from ..identity.policy import Policy
from ..interlink.bounded_http import HttpLimits, RemoteError, request
from ..periodic import Periodic, every
from ..sdmx.artefacts import parse_urn
from ..settings import Config
from ..storage.artefact_store import utcnow
from ..storage.database import begin_write
from ..storage.grant_store import GrantStore
from ..storage.submission_store import SubmissionStore
from ..storage.subscription_store import Delivery, Subscription, SubscriptionStore
from ..storage.tables import user_account
from ..storage.user_store import UserStore

log = logging.getLogger(__name__)
MAX_PERIODS = 1000
PRUNE_EVERY = timedelta(hours=1)
_pruned: list[datetime | None] = [None]  # when this process last forgot old deliveries


@dataclass(frozen=True)
class SenderOptions:
    attempts: int = 8  # then the delivery is marked failed
    first_retry_seconds: float = 30.0  # doubled after each failure ...
    max_retry_seconds: float = 6 * 3600.0  # ... up to this
    lease_seconds: float = 120.0  # how long a claim holds a delivery (longer than an attempt takes)
    limits: HttpLimits = HttpLimits(connect_seconds=5.0, read_seconds=10.0, total_seconds=20.0, max_bytes=64 << 10)
    public_url: str = ""

    @classmethod
    def from_config(cls, cfg: Config) -> SenderOptions:
        return cls(attempts=cfg.webhook_attempts, first_retry_seconds=cfg.webhook_retry_seconds,
                   public_url=cfg.public_url.rstrip("/"))


def sign(secret: str, at: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},sha256={mac}"


def send_due(engine: Engine, policy: Policy, cfg: Config, options: SenderOptions,
             now: datetime | None = None) -> dict[str, int]:
    """Send every delivery due now; returns how many were sent, retried, failed and withheld."""
    counts = {"sent": 0, "retried": 0, "failed": 0, "withheld": 0}
    periods: dict[int, list[str]] = {}
    with engine.connect() as conn:
        now = now or utcnow()
        if _pruned[0] is None or now - _pruned[0] >= PRUNE_EVERY:  # an hourly write, not one every round
            with begin_write(conn):
                SubscriptionStore(conn).prune(now)
            _pruned[0] = now
        due = SubscriptionStore(conn).due(now)
        conn.rollback()
        for delivery_id in due:
            with begin_write(conn):
                store = SubscriptionStore(conn)
                if not store.claim(delivery_id, now, timedelta(seconds=options.lease_seconds)):
                    continue  # another process has it
                d = store.delivery(delivery_id)
                sub = store.get(d.subscription_id) if d else None
                if d is None or sub is None:
                    continue
                if not _may_know(conn, policy, cfg, sub, d):
                    store.remove_delivery(d.id)  # never told, and nothing in its log says there was anything
                    counts["withheld"] += 1
                    continue
                if d.submission_id is not None and d.submission_id not in periods:
                    periods[d.submission_id] = _periods(conn, d)
                body = message(d, periods.get(d.submission_id or -1, []), options.public_url)
            status, error, ms = _post(sub, d, body, options)
            with begin_write(conn):
                store = SubscriptionStore(conn)
                store.log_attempt(d.id, status=status, error=error, milliseconds=ms)
                attempts = d.attempts  # the claim counted this one
                if status is not None and 200 <= status < 300:
                    store.finish(d.id, "sent")
                    counts["sent"] += 1
                elif attempts >= options.attempts:
                    store.finish(d.id, "failed")
                    counts["failed"] += 1
                    log.warning("webhook delivery %s to subscription %s failed after %s attempts: %s",
                                d.id, sub.id, attempts, error or status)
                else:
                    wait = min(options.first_retry_seconds * 2 ** (attempts - 1), options.max_retry_seconds)
                    store.retry_at(d.id, now + timedelta(seconds=wait))
                    counts["retried"] += 1
    return counts


def _may_know(conn, policy: Policy, cfg: Config, sub: Subscription, d: Delivery) -> bool:
    """Whether the subscriber, as they are now (active, roles, grants), may see what the delivery tells."""
    active = conn.execute(select(user_account.c.is_active).where(user_account.c.id == sub.user_id)).scalar()
    if not active:
        return False
    if d.event == "structure" or d.provider_id is None:
        return True  # structures are public
    who = UserStore(conn, policy).actor(sub.user_id)
    providers = visibility_for(who, GrantStore(conn), cfg).providers(d.dataflow_urn)
    return providers is None or d.provider_id in providers


def _periods(conn, d: Delivery) -> list[str]:
    """The periods the submission released or revised (its own rows in its data set, and what it deleted)."""
    found = set(conn.execute(text(
        "SELECT DISTINCT o.time_period FROM observation o JOIN series s ON s.id = o.series_id "
        "JOIN data_set ds ON ds.id = s.data_set_id "
        "WHERE ds.dataflow_urn = :f AND ds.provider_id = :p AND o.submission_id = :sid"),
        {"f": d.dataflow_urn, "p": d.provider_id, "sid": d.submission_id}).scalars())
    row = SubmissionStore(conn).get(d.submission_id) if d.submission_id is not None else None
    if row is not None and row.deleted:
        found |= {r.time_period for r in SubmissionStore(conn).revisions(row, limit=MAX_PERIODS) if r.new is None}
    return sorted(found)[:MAX_PERIODS]


def message(d: Delivery, periods: list[str], public_url: str) -> bytes:
    """The JSON body of a delivery (see the module)."""
    flow = parse_urn(d.dataflow_urn)
    since = (d.occurred_at - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = None
    if d.provider_id is not None:
        data = (f"{public_url}/rest/data/{flow.agency_id},{flow.id},{flow.version}/all/{d.provider_id}"
                f"?updatedAfter={since}")
    body = {"id": d.id, "event": d.event, "dataflow": d.dataflow_urn, "provider": d.provider_id,
            "submission": d.submission_id, "periods": periods, "occurredAt": d.occurred_at.isoformat(),
            "data": data,
            "structure": f"{public_url}/rest/dataflow/{flow.agency_id}/{flow.id}/{flow.version}?references=all"}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _post(sub: Subscription, d: Delivery, body: bytes, options: SenderOptions) -> tuple[int | None, str, int]:
    started = time.monotonic()
    at = int(time.time())
    headers = {"Content-Type": "application/json", "User-Agent": "sdmx-server-webhook",
               "X-DSM-Event": d.event, "X-DSM-Delivery": str(d.id), "X-DSM-Signature": sign(sub.secret, at, body)}
    try:
        answer = request("POST", sub.url, headers=headers, body=body, limits=options.limits)
        status, error = answer.status, "" if 200 <= answer.status < 300 else f"the receiver answered {answer.status}"
    except RemoteError as e:
        status, error = None, str(e)
    return status, error, int((time.monotonic() - started) * 1000)


def start(engine: Engine, policy: Policy, cfg: Config, interval: float) -> Periodic:
    """Start the daemon thread that sends the due deliveries every `interval` seconds."""
    options = SenderOptions.from_config(cfg)
    return every(interval, lambda: send_due(engine, policy, cfg, options), "webhook-sender",
                 "sending webhook deliveries")
