"""Access reads cached in each process while the database's access stamp stays the same.

Triggers bump ``access_version`` on every change to users, roles, tokens, grants and publicity
(migration 0005), and every change of released data records a released submission (RELEASES_SQL). One
read of both per request, the access stamp, tells whether what this process holds is still true: a revoked
token, a deactivated user or a withdrawn grant takes effect on the next request, in every worker, and so does
a country's first (or last) released data on an indicator (the reciprocity condition). A data query reads
the stamp in the statement that finds its data sets instead, and is answered only when that matches the
reads it used (request_context.presume_access). What a caller may see is compiled once per user and stamp.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import Connection

from ..identity.actor import Actor
from ..storage.grant_store import GrantStore
from ..storage.tables import access_version

if TYPE_CHECKING:
    from .visibility import Visibility

MAX_TOKENS = 10_000  # valid tokens remembered; beyond that the cache starts afresh (no unbounded growth)


def read_access_version(conn: Connection) -> int:
    """The access version alone (migration 0005)."""
    return _read(conn, f"SELECT n FROM {access_version.name} WHERE id = 1")[0]


def read_access_stamp(conn: Connection) -> tuple[int, int]:
    """(access version, released submissions): what the cached reads are filed under."""
    return tuple(_read(conn, f"SELECT n, releases FROM {access_version.name} WHERE id = 1"))


def _read(conn: Connection, sql: str) -> tuple:
    """On the driver's own cursor, SQL the same in both dialects: this runs on every request that needs the
    caller, and SQLAlchemy's execution costs several times the query."""
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql)
        return cur.fetchone()
    finally:
        cur.close()


class AccessCache:
    """One per app (process): the access reads of the newest access version seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = AccessReads(None)

    def held(self) -> AccessReads | None:
        """The reads of the newest stamp seen, unconfirmed; None before the first :meth:`sync`."""
        current = self._current
        return current if current.version is not None else None

    def sync(self, conn: Connection) -> AccessReads:
        """Once per request, before any access read. The stamp is read before the reads it will hold, so
        what is cached is at least as new as the stamp it is filed under; a request still holding an older
        generation fills only that one, which nobody asks again."""
        version = read_access_stamp(conn)
        with self._lock:
            if self._current.version != version:
                self._current = AccessReads(version)
            return self._current


class AccessReads:
    """The cached access reads of one access stamp, (access version, released submissions)."""

    def __init__(self, version: tuple[int, int] | None):
        self.version = version
        self._tokens: dict[str, tuple[Actor, datetime]] = {}
        self._sessions: dict[tuple, Actor] = {}
        self._public: list[tuple[str, str]] | None = None
        self._granted: dict[str, list[tuple[str, str]]] = {}
        self._released: dict[str, frozenset[str]] = {}
        self._visibility: dict[tuple, Visibility] = {}

    def visibility(self, actor: Actor, compile: Callable[[], Visibility]) -> Visibility:
        """What ``actor`` may see, compiled once per country and privileges (the public's once): under one
        stamp the grants, publicity and where each country has released data are the same, and the rule
        (access/visibility.py) reads nothing else of the caller."""
        key = (actor.country, actor.privileges, tuple(sorted(actor.indicator_privileges.items())))
        found = self._visibility.get(key)
        if found is None:
            if len(self._visibility) >= MAX_TOKENS:
                self._visibility.clear()
            found = self._visibility[key] = compile()
        return found

    def token_holder(self, digest: str, load: Callable[[], tuple[Actor, datetime] | None]
                     ) -> tuple[Actor, datetime] | None:
        """The (actor, expiry) of a token, by its hash; ``load()`` reads it when not cached. Unknown and revoked
        tokens are not remembered: anyone may send any number of them."""
        return _remembered(self._tokens, digest, load)

    def session_holder(self, key: tuple, load: Callable[[], Actor | None]) -> Actor | None:
        """The actor of a portal session, by (user id, username, session epoch); ``load()`` reads it when not
        cached. Every change of the user's row (its epoch, activity) or roles moves the access version, so a
        session ended on any node is read afresh on the next request. Ended sessions are not remembered."""
        return _remembered(self._sessions, key, load)

    def public_pairs(self, store: GrantStore) -> list[tuple[str, str]]:
        if self._public is None:
            self._public = store.public_pairs()
        return self._public

    def granted_to(self, store: GrantStore, grantee: str) -> list[tuple[str, str]]:
        found = self._granted.get(grantee)
        if found is None:
            found = self._granted[grantee] = store.granted_to(grantee)
        return found

    def released_dataflows(self, store: GrantStore, provider: str) -> frozenset[str]:
        found = self._released.get(provider)
        if found is None:
            found = self._released[provider] = store.released_dataflows(provider)
        return found

    def grants(self, store: GrantStore) -> CachedGrants:
        return CachedGrants(self, store)


class CachedGrants:
    """GrantStore's reads for the visibility rule (access/visibility.py), the access-versioned ones cached."""

    def __init__(self, reads: AccessReads, store: GrantStore):
        self._reads, self._store = reads, store

    def public_pairs(self) -> list[tuple[str, str]]:
        return self._reads.public_pairs(self._store)

    def granted_to(self, grantee: str) -> list[tuple[str, str]]:
        return self._reads.granted_to(self._store, grantee)

    def released_dataflows(self, provider: str) -> frozenset[str]:
        return self._reads.released_dataflows(self._store, provider)


def _remembered(cache: dict, key: Any, load: Callable[[], Any]) -> Any:
    """``cache[key]``, loaded when absent; a miss (None) is not remembered, and a full cache starts afresh."""
    found = cache.get(key)
    if found is None:
        found = load()
        if found is not None:
            if len(cache) >= MAX_TOKENS:
                cache.clear()
            cache[key] = found
    return found
