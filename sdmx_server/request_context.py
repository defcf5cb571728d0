"""Per-request resources: one database connection, and the caller (resolved once)."""

from __future__ import annotations

import base64

from flask import current_app, g, request
from sqlalchemy import Connection

from .access.actor import ANONYMOUS, Actor
from .storage.database import begin_write
from .storage.user_store import UserStore


def db() -> Connection:
    """The request's connection; committed or rolled back by the app's teardown."""
    if "conn" not in g:
        g.conn = current_app.extensions["sdmx_engine"].connect()
    return g.conn


def write_transaction():
    """A fresh transaction for a write: committed when the block ends, rolled back on any error."""
    conn = db()
    if conn.in_transaction():
        conn.rollback()
    return begin_write(conn)


def actor() -> Actor:
    if "actor" not in g:
        g.actor = _resolve_actor()
    return g.actor


def _resolve_actor() -> Actor:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    users = UserStore(db(), current_app.extensions["sdmx_policy"])
    if scheme.lower() == "bearer" and value:
        return users.actor_for_token(value.strip()) or _rejected()
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return _rejected()
        return users.actor_for_password(username, password) or _rejected()
    return ANONYMOUS


def _rejected() -> Actor:
    from werkzeug.exceptions import Unauthorized

    raise Unauthorized("the credentials given are not valid (unknown, expired or revoked)")
