"""A signed-in user's subscriptions: create (the signing secret shown this once), list, read, delete, and the
delivery log. The one set of rules for the management API (rest_api/subscription_views.py).

A subscription names a dataflow (structures are public: anyone may follow one) and optionally a provider; what a
delivery may tell is decided when it is sent, with the subscriber's grants of that moment (webhook_sender.py).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from ..identity.actor import Actor
from ..interlink.bounded_http import RemoteError, check_url
from ..sdmx.artefacts import parse_urn
from ..sdmx.errors import BadInput, Forbidden, NotFound
from ..storage.artefact_store import ArtefactStore
from ..storage.subscription_store import (EVENTS, Attempt, Delivery, Subscription, SubscriptionStore,
                                          TooManySubscriptions, MAX_SUBSCRIPTIONS)

PROVIDER_ID = re.compile(r"^[A-Za-z0-9_@$-]{1,200}$")


@dataclass(frozen=True)
class Created:
    subscription: Subscription
    secret: str  # shown once, in the answer to the creation


def _user(who: Actor) -> int:
    if who.is_anonymous or who.user_id is None:
        raise Forbidden("subscriptions belong to a signed-in user: send a token")
    return who.user_id


def create(conn, who: Actor, *, dataflow: str, provider: str | None, events: list[str], url: str) -> Created:
    user_id = _user(who)
    try:
        ref = parse_urn(dataflow)
    except ValueError:
        ref = None
    if ref is None or ref.type != "dataflow" or ref.item_id:
        raise BadInput(f"dataflow {dataflow!r}: give a dataflow's URN, e.g. "
                       "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_STOCK_FOREIGNERS(1.0)")
    if ArtefactStore(conn).get(dataflow) is None:
        raise NotFound(f"dataflow {dataflow} does not exist")
    if provider is not None and not PROVIDER_ID.match(provider):
        raise BadInput(f"provider {provider!r}: a data provider id (letters, digits, _ @ $ -), or null for all")
    if not events or len(set(events)) != len(events) or any(e not in EVENTS for e in events):
        raise BadInput(f"events {events!r}: one or more of {', '.join(EVENTS)}, each once")
    try:
        check_url(url, "the webhook URL")
    except RemoteError as e:
        raise BadInput(str(e)) from None
    secret = secrets.token_urlsafe(32)
    try:
        made = SubscriptionStore(conn).add(user_id, dataflow_urn=dataflow, provider_id=provider,
                                           events=tuple(e for e in EVENTS if e in events), url=url, secret=secret)
    except TooManySubscriptions:
        raise BadInput(f"you have {MAX_SUBSCRIPTIONS} subscriptions already; delete one first") from None
    return Created(made, secret)


def mine(conn, who: Actor) -> list[Subscription]:
    return SubscriptionStore(conn).of_user(_user(who))


def one(conn, who: Actor, subscription_id: int) -> Subscription:
    found = SubscriptionStore(conn).get(subscription_id, _user(who))
    if found is None:
        raise NotFound(f"subscription {subscription_id} does not exist or is not yours")
    return found


def remove(conn, who: Actor, subscription_id: int) -> None:
    if not SubscriptionStore(conn).remove(_user(who), subscription_id):
        raise NotFound(f"subscription {subscription_id} does not exist or is not yours")


def delivery_log(conn, who: Actor, subscription_id: int, limit: int = 100) -> list[tuple[Delivery, list[Attempt]]]:
    one(conn, who, subscription_id)
    store = SubscriptionStore(conn)
    return [(d, store.attempts(d.id)) for d in store.deliveries(subscription_id, limit)]
