"""Failed password logins slow down and then stop further attempts, per username from one client address
and per client address.

After ``free_failures`` failures in a row, each further failure blocks the key for twice as long as
the one before (1 s, 2 s, 4 s ... up to ``max_block``), even for the right password; failures are
forgotten ``forget_after`` the last one, and a successful login clears its username's count from that
address. The counters live in the database (storage/login_failure_store.py), so every worker process
sees them. The address limit is looser: many people may share one address (an office behind NAT).

A username is counted per source address, never on its own: otherwise anyone could lock its owner out
of HTTP Basic by failing on purpose from anywhere. Guessing one password from many addresses is slowed
per address instead (5 free tries each, then doubling blocks), and argon2id makes each guess costly.
API tokens are never throttled: a valid token always passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..identity.usernames import username_key as same_username
from ..storage.login_failure_store import LoginFailureStore


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int
    max_block: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def block_for(self, failures: int) -> timedelta | None:
        """How long the key is blocked after its ``failures``-th failure in a row (None: not at all)."""
        if failures < self.free_failures:
            return None
        return min(timedelta(seconds=2 ** min(failures - self.free_failures, 20)), self.max_block)


PER_USERNAME = ThrottleRule(free_failures=5)
PER_ADDRESS = ThrottleRule(free_failures=20)


def username_key(username: str, address: str | None) -> str:
    """The counter of one username tried from one address (look-alike spellings count together)."""
    return f"user:{(address or '-')[:60]}:{same_username(username)[:200]}"


def _keys(username: str, address: str | None) -> list[tuple[str, ThrottleRule]]:
    keys = [(username_key(username, address), PER_USERNAME)]
    if address:
        keys.append(("address:" + address[:250], PER_ADDRESS))
    return keys


def seconds_to_wait(store: LoginFailureStore, username: str, address: str | None, now: datetime) -> int:
    """Seconds until a login for this username from this address may be tried again (0: now)."""
    until = store.blocked_until([k for k, _ in _keys(username, address)], now)
    return 0 if until is None else max(1, math.ceil((until - now).total_seconds()))


def record_failure(store: LoginFailureStore, username: str, address: str | None, now: datetime) -> None:
    for key, rule in _keys(username, address):
        store.record_failure(key, now, forget_after=rule.forget_after, block_for=rule.block_for)


def record_success(store: LoginFailureStore, username: str, address: str | None) -> None:
    """A right password clears its username's failures from this address (not the address's own: one known
    account must not let an address go on guessing others')."""
    store.forget(username_key(username, address))
