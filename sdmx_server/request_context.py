"""Per-request resources: one database connection, the caller and what it may see (each resolved once)."""

from __future__ import annotations

import base64

from flask import current_app, g, request, session
from sqlalchemy import Connection
from werkzeug.exceptions import TooManyRequests, Unauthorized

from .access import login_throttle
from .access.access_cache import AccessReads
from .identity.actor import ANONYMOUS, Actor
from .identity.passwords import token_hash
from .access.visibility import Visibility, visibility_for
from .storage.artefact_store import utcnow
from .storage.database import begin_write, reads_without_transaction
from .storage.grant_store import GrantStore
from .storage.login_failure_store import LoginFailureStore
from .storage.user_store import UserStore, unexpired


def db() -> Connection:
    """The request's connection; committed or rolled back by the app's teardown."""
    if "conn" not in g:
        g.conn = current_app.extensions["sdmx_engine"].connect()
        reads_without_transaction(g.conn)
    return g.conn


def hand_over_connection() -> Connection:
    """Give the request's connection to a streamed response body, which must close it when done.

    Flask tears the request down when the view returns, before a streamed body is read; a body
    still reading from a cursor (a PostgreSQL server-side cursor lives in its transaction) would
    lose it. The body ends the transaction and closes the connection itself (see data_views).
    """
    conn = db()
    g.pop("conn")
    return conn


def write_transaction():
    """A fresh transaction for a write: committed when the block ends, rolled back on any error."""
    conn = db()
    if conn.in_transaction():
        conn.rollback()
    return begin_write(conn)


# The portal's signed session cookie holds [user id, username, session epoch] of whoever signed in, under this
# key. Only the views of SESSION_BLUEPRINTS (CSRF-protected, web_portal/) accept it: the API never authenticates
# by cookie. The epoch must still be the user's (user_account.session_epoch, checked on each request through the
# access cache): signing out, a new password, deactivation or a role change moves it, ending every copy of the
# cookie at once.
SESSION_USER = "signed_in"
SESSION_BLUEPRINTS = frozenset({"portal"})


def actor() -> Actor:
    if "actor" not in g:
        g.actor = _resolve_actor()
    return g.actor


def visibility() -> Visibility:
    """Whose data the caller may see, compiled once per request (access/visibility.py)."""
    if "visibility" not in g:
        who, reads = actor(), access_reads()
        grants = reads.grants(GrantStore(db()))
        g.visibility = reads.visibility(who, lambda: visibility_for(who, grants, current_app.extensions["sdmx_config"]))
    return g.visibility


def access_reads() -> AccessReads:
    """This process's cached access reads, checked against the database's access version once per request."""
    if "access_reads" not in g:
        g.access_reads = current_app.extensions["sdmx_access_cache"].sync(db())
    return g.access_reads


def presume_access() -> bool:
    """Take this process's access reads for the request as they are, without reading the access version
    first: a data query reads it in the statement that finds its data sets, one round trip fewer on
    PostgreSQL. Nothing drawn from them may be answered before :func:`confirm_access` holds. False when the
    request already has its reads, or the process has none yet."""
    if "access_reads" in g:
        return False
    held = current_app.extensions["sdmx_access_cache"].held()
    if held is None:
        return False
    g.access_reads = held
    return True


def confirm_access(version: tuple[int, int] | None) -> bool:
    """Whether the request's access reads are of ``version``, the access stamp a statement read after
    them. If not, the caller, what it may see and the reads are forgotten, and the next access read syncs."""
    if version is not None and g.access_reads.version == version:
        return True
    for name in ("access_reads", "actor", "visibility"):
        g.pop(name, None)
    return False


def _resolve_actor() -> Actor:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    users = UserStore(db(), current_app.extensions["sdmx_policy"])
    if scheme.lower() == "bearer" and value:
        digest = token_hash(value.strip())
        return unexpired(access_reads().token_holder(digest, lambda: users.token_holder(digest))) or _rejected()
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return _rejected()
        return check_password(username, password) or _rejected()
    if request.blueprint in SESSION_BLUEPRINTS:
        return _session_actor(users)
    return ANONYMOUS


def _session_actor(users: UserStore) -> Actor:
    """Whoever signed in to the portal, while the account exists, is active and its session epoch is the one
    the cookie was issued under."""
    held = session.get(SESSION_USER)
    if not (isinstance(held, list) and len(held) == 3):
        return ANONYMOUS  # includes cookies issued before epochs: they sign in again
    user_id, username, epoch = held
    if not (isinstance(user_id, int) and isinstance(username, str) and isinstance(epoch, int)):
        return ANONYMOUS

    def load() -> Actor | None:
        row = users.get(username)
        if row is None or row.id != user_id or not row.is_active or row.session_epoch != epoch:
            return None
        return users.actor_of(row)

    # cached under the access version, which every change of users and roles moves (no extra round trip)
    return access_reads().session_holder((user_id, username, epoch), load) or ANONYMOUS


def check_password(username: str, password: str) -> Actor | None:
    """A throttled password check for HTTP Basic and the portal's sign-in: the active user, or None; while a
    block runs even the right password gets 429 (TooManyRequests with retry_after)."""
    if not possible_username(username):
        return None  # no account has such a name: nothing to look up, count or throttle
    users = UserStore(db(), current_app.extensions["sdmx_policy"])
    address = request.remote_addr
    now = utcnow()
    wait = login_throttle.seconds_to_wait(LoginFailureStore(db()), username, address, now)
    if wait:
        raise TooManyRequests(f"too many failed logins: try again in {wait} seconds", retry_after=wait)
    found = users.actor_for_password(username, password)
    counter = login_throttle.username_key(username, address)
    failed_before = found is not None and LoginFailureStore(db()).failures(counter)
    rehash = found is not None and users.password_needs_rehash(found.user_id)
    if found is None or failed_before or rehash:
        # written on a connection of its own: it must commit even when this request fails or only reads
        with current_app.extensions["sdmx_engine"].connect() as conn, begin_write(conn):
            if found is None:
                login_throttle.record_failure(LoginFailureStore(conn), username, address, now)
            if failed_before:
                login_throttle.record_success(LoginFailureStore(conn), username, address)
            if rehash:
                UserStore(conn, users.policy).rehash_password(found.user_id, password)
    return found


MAX_USERNAME_LENGTH = 120  # the users.username column


def possible_username(username: str) -> bool:
    """Whether an account could have this name: not longer than the column holds, and without NUL (which
    PostgreSQL cannot compare); the rules for new names are the administration's (access/administration.py)."""
    return len(username) <= MAX_USERNAME_LENGTH and "\x00" not in username


def _rejected() -> Actor:
    raise Unauthorized("the credentials given are not valid (unknown, expired or revoked)")
