"""Access reads cached in each process while the database's access version stays the same.

Triggers bump ``access_version`` on every change to users, roles, tokens, grants and publicity
(migration 0005), so one read of that counter per request tells whether what this process holds is
still true: a revoked token, a deactivated user or a withdrawn grant takes effect on the next request,
in every worker. A data query reads the counter in the statement that finds its data sets instead, and is
answered only when that matches the reads it used (request_context.presume_access). Only what the counter
covers is cached; whether a country has released data of its own (the reciprocity condition) depends on
data and is always read.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Callable

from sqlalchemy import Connection

from ..storage.grant_store import GrantStore
from ..storage.tables import access_version
from ..identity.actor import Actor

MAX_TOKENS = 10_000  # valid tokens remembered; beyond that the cache starts afresh (no unbounded growth)


def read_access_version(conn: Connection) -> int:
    """On the driver's own cursor, SQL the same in both dialects: this runs on every request that needs the
    caller, and SQLAlchemy's execution costs several times the query."""
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(f"SELECT n FROM {access_version.name} WHERE id = 1")
        return cur.fetchone()[0]
    finally:
        cur.close()


class AccessCache:
    """One per app (process): the access reads of the newest access version seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = AccessReads(-1)

    def held(self) -> AccessReads | None:
        """The reads of the newest version seen, unconfirmed; None before the first :meth:`sync`."""
        current = self._current
        return current if current.version >= 0 else None

    def sync(self, conn: Connection) -> AccessReads:
        """Once per request, before any access read. The version is read before the reads it will hold, so
        what is cached is at least as new as the version it is filed under; a request still holding an older
        generation fills only that one, which nobody asks again."""
        version = read_access_version(conn)
        with self._lock:
            if self._current.version != version:
                self._current = AccessReads(version)
            return self._current


class AccessReads:
    """The cached access reads of one access version."""

    def __init__(self, version: int):
        self.version = version
        self._tokens: dict[str, tuple[Actor, datetime]] = {}
        self._sessions: dict[tuple, Actor] = {}
        self._public: list[tuple[str, str]] | None = None
        self._granted: dict[str, list[tuple[str, str]]] = {}

    def token_holder(self, digest: str, load: Callable[[], tuple[Actor, datetime] | None]
                     ) -> tuple[Actor, datetime] | None:
        """The (actor, expiry) of a token, by its hash; ``load()`` reads it when not cached. Unknown and revoked
        tokens are not remembered: anyone may send any number of them."""
        found = self._tokens.get(digest)
        if found is None:
            found = load()
            if found is not None:
                if len(self._tokens) >= MAX_TOKENS:
                    self._tokens.clear()
                self._tokens[digest] = found
        return found

    def session_holder(self, key: tuple, load: Callable[[], Actor | None]) -> Actor | None:
        """The actor of a portal session, by (user id, username, session epoch); ``load()`` reads it when not
        cached. Every change of the user's row (its epoch, activity) or roles moves the access version, so a
        session ended on any node is read afresh on the next request. Ended sessions are not remembered."""
        found = self._sessions.get(key)
        if found is None:
            found = load()
            if found is not None:
                if len(self._sessions) >= MAX_TOKENS:
                    self._sessions.clear()
                self._sessions[key] = found
        return found

    def public_pairs(self, store: GrantStore) -> list[tuple[str, str]]:
        if self._public is None:
            self._public = store.public_pairs()
        return self._public

    def granted_to(self, store: GrantStore, grantee: str) -> list[tuple[str, str]]:
        found = self._granted.get(grantee)
        if found is None:
            found = self._granted[grantee] = store.granted_to(grantee)
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
        return self._store.released_dataflows(provider)
