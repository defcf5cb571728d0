"""Users, their roles and their API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Select, delete, insert, select, update

from ..identity.actor import Actor, actor_from_roles
from ..identity.passwords import (hash_password, needs_rehash, new_token, spend_verification_time, token_hash,
                                verify_password)
from ..identity.policy import Policy
from ..identity.usernames import username_key, username_problem
from ..sdmx.errors import SemanticError
from .artefact_store import as_utc, utcnow
from .tables import api_token, user_account, user_role


class UserError(SemanticError):
    """A user operation that breaks a rule (unknown role, missing country...): 422 over HTTP."""


class DuplicateUser(UserError):
    status = 409


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    country: str | None
    display_name: str
    is_active: bool
    roles: tuple[tuple[str, str], ...]  # (role, dataflow URN or "")
    session_epoch: int = 0  # a portal session started under another epoch has ended


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_id: int
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


def unexpired(holder: tuple[Actor, datetime] | None) -> Actor | None:
    return holder[0] if holder is not None and holder[1] > utcnow() else None


class UserStore:
    def __init__(self, conn: Connection, policy: Policy):
        self.conn = conn
        self.policy = policy

    # -- accounts -----------------------------------------------------------------------------
    def add(self, username: str, password: str, *, roles: list[str], country: str | None,
            display_name: str = "", indicators: list[str] | None = None, password_hash: str | None = None) -> int:
        """A new active user holding each role for every indicator listed (every indicator when none).
        ``password_hash``, when given, is the password's hash already made (many accounts, one password)."""
        if not username or not password:
            raise UserError("a user needs a username and a password")
        if problem := username_problem(username):
            raise UserError(problem)
        scope = indicators or [""]
        assignments = [(r, d) for r in roles for d in scope]
        self.check_roles(assignments, country)
        if same := self.same_name(username):
            raise DuplicateUser(f"user {username!r} exists already" if same == username else
                                f"username {username!r} is taken: it reads the same as the existing user {same!r}")
        uid = self.conn.execute(insert(user_account).values(
            username=username, username_key=username_key(username),
            password_hash=password_hash or hash_password(password), country=country,
            display_name=display_name, is_active=True, created_at=utcnow())).inserted_primary_key[0]
        self._insert_roles(uid, assignments)
        return uid

    def set_roles(self, user_id: int, assignments: list[tuple[str, str]]) -> None:
        """Replace every role of the user by these (role, dataflow URN or "") pairs."""
        country = self.conn.execute(select(user_account.c.country).where(user_account.c.id == user_id)).scalar()
        self.check_roles(assignments, country)
        self.conn.execute(delete(user_role).where(user_role.c.user_id == user_id))
        self._insert_roles(user_id, assignments)
        self.end_sessions(user_id)

    def set_active(self, user_id: int, active: bool) -> None:
        """Deactivating also revokes every token and ends every session, so reactivating brings neither back."""
        self.conn.execute(update(user_account).where(user_account.c.id == user_id)
                          .values(is_active=active, session_epoch=user_account.c.session_epoch + 1))
        if not active:
            self.conn.execute(update(api_token).where(api_token.c.user_id == user_id, api_token.c.revoked_at.is_(None))
                              .values(revoked_at=utcnow()))

    def set_password(self, user_id: int, password: str) -> None:
        """A new password ends every session started with the old one."""
        self.conn.execute(update(user_account).where(user_account.c.id == user_id)
                          .values(password_hash=hash_password(password),
                                  session_epoch=user_account.c.session_epoch + 1))

    def rehash_password(self, user_id: int, password: str) -> None:
        """The same password under today's hash parameters: sessions go on."""
        self.conn.execute(update(user_account).where(user_account.c.id == user_id)
                          .values(password_hash=hash_password(password)))

    def end_sessions(self, user_id: int) -> None:
        """End every portal session of the user (request_context compares the epoch on each request)."""
        self.conn.execute(update(user_account).where(user_account.c.id == user_id)
                          .values(session_epoch=user_account.c.session_epoch + 1))

    def set_display_name(self, user_id: int, display_name: str) -> None:
        self.conn.execute(update(user_account).where(user_account.c.id == user_id).values(display_name=display_name))

    def exists(self, username: str) -> bool:
        """Whether this name, or one that reads the same (identity/usernames.py), is taken."""
        return self.same_name(username) is not None

    def same_name(self, username: str) -> str | None:
        """The existing username that is the same as this one under NFKC and casefold, if any."""
        q = select(user_account.c.username).where(user_account.c.username_key == username_key(username))
        return self.conn.execute(q).scalar()

    def get(self, username: str) -> UserRow | None:
        rows = self._rows(select(user_account).where(user_account.c.username == username))
        return rows[0] if rows else None

    def list(self, country: str | None = None) -> list[UserRow]:
        """Every user, or the users of one country."""
        q = select(user_account).order_by(user_account.c.username)
        if country is not None:
            q = q.where(user_account.c.country == country)
        return self._rows(q)

    # -- tokens -------------------------------------------------------------------------------
    def create_token(self, username: str, *, days: int, label: str = "") -> tuple[str, datetime]:
        row = self.conn.execute(select(user_account.c.id).where(user_account.c.username == username)).first()
        if not row:
            raise UserError(f"no user {username!r}")
        token, stored = self.issue_token(row.id, days=days, label=label)
        return token, stored.expires_at

    def issue_token(self, user_id: int, *, days: int, label: str = "") -> tuple[str, TokenRow]:
        """A new token (returned once, stored only as its hash) valid for ``days``."""
        token = new_token()
        now = utcnow()
        expires = now + timedelta(days=days)
        tid = self.conn.execute(insert(api_token).values(user_id=user_id, token_hash=token_hash(token), label=label,
                                                         created_at=now, expires_at=expires)).inserted_primary_key[0]
        return token, TokenRow(tid, user_id, label, now, expires, None)

    def tokens(self, user_id: int) -> list[TokenRow]:
        q = select(api_token).where(api_token.c.user_id == user_id).order_by(api_token.c.id)
        return [TokenRow(r.id, r.user_id, r.label, as_utc(r.created_at), as_utc(r.expires_at), as_utc(r.revoked_at))
                for r in self.conn.execute(q)]

    def revoke_token(self, token: str) -> bool:
        return bool(self.conn.execute(update(api_token).where(api_token.c.token_hash == token_hash(token),
                                                              api_token.c.revoked_at.is_(None))
                                      .values(revoked_at=utcnow())).rowcount)

    def revoke_token_id(self, user_id: int, token_id: int) -> bool:
        """Revoke one of the user's tokens; False when the user has no such unrevoked token."""
        q = (update(api_token).values(revoked_at=utcnow())
             .where(api_token.c.id == token_id, api_token.c.user_id == user_id, api_token.c.revoked_at.is_(None)))
        return bool(self.conn.execute(q).rowcount)

    # -- authentication -----------------------------------------------------------------------
    def actor_for_token(self, token: str) -> Actor | None:
        """The token's user, unless the token is unknown, revoked or expired, or the user inactive."""
        return unexpired(self.token_holder(token_hash(token)))

    def token_holder(self, digest: str) -> tuple[Actor, datetime] | None:
        """The user of a token (by its hash) and when the token expires; None when unknown, revoked or the
        user inactive. Expiry is left to the caller (``unexpired``), so the answer may be cached until the
        access version moves (access/access_cache.py)."""
        q = (select(user_account.c.id, api_token.c.expires_at)
             .join(api_token, api_token.c.user_id == user_account.c.id)
             .where(api_token.c.token_hash == digest, api_token.c.revoked_at.is_(None),
                    user_account.c.is_active.is_(True)))
        row = self.conn.execute(q).first()
        return (self.actor(row.id), as_utc(row.expires_at)) if row else None

    def actor_for_password(self, username: str, password: str) -> Actor | None:
        """The active user with this password. Unknown names cost as much time as wrong passwords, so
        timing does not tell which names exist."""
        row = self.conn.execute(select(user_account.c.id, user_account.c.password_hash)
                                .where(user_account.c.username == username, user_account.c.is_active.is_(True))).first()
        if not row:
            spend_verification_time(password)
            return None
        if not verify_password(row.password_hash, password):
            return None
        return self.actor(row.id)

    def actor_of(self, row: UserRow) -> Actor:
        """The actor of a user row already read (its roles included): no further query."""
        return actor_from_roles(self.policy, row.id, row.username, row.country, row.roles)

    def password_needs_rehash(self, user_id: int) -> bool:
        """Whether the stored hash predates today's KDF parameters (rehash it while the password is at hand)."""
        stored = self.conn.execute(select(user_account.c.password_hash).where(user_account.c.id == user_id)).scalar()
        return stored is not None and needs_rehash(stored)

    def actor(self, user_id: int) -> Actor:
        u = self.conn.execute(select(user_account).where(user_account.c.id == user_id)).one()
        q = select(user_role.c.role, user_role.c.dataflow_urn).where(user_role.c.user_id == user_id)
        return actor_from_roles(self.policy, u.id, u.username, u.country, [(r, d) for r, d in self.conn.execute(q)])

    # -- helpers ------------------------------------------------------------------------------
    def check_roles(self, assignments: list[tuple[str, str]], country: str | None) -> None:
        """Known roles, and a country exactly when the roles belong to one."""
        roles = {r for r, _ in assignments}
        for r in sorted(roles):
            if r not in self.policy.roles:
                raise UserError(f"unknown role {r!r}; roles: {', '.join(self.policy.roles)}")
        bound = {r for r in roles if self.policy.roles[r].country_bound}
        if bound and not country:
            raise UserError(f"role(s) {', '.join(sorted(bound))} belong to a country: give --country")
        if country and roles - bound:
            raise UserError(f"role(s) {', '.join(sorted(roles - bound))} belong to no country: "
                            f"a user of {country} cannot hold them")

    def _insert_roles(self, user_id: int, assignments: list[tuple[str, str]]) -> None:
        unique = sorted(set(assignments))
        if unique:
            self.conn.execute(insert(user_role),
                              [{"user_id": user_id, "role": r, "dataflow_urn": d} for r, d in unique])

    def _rows(self, q: Select) -> list[UserRow]:
        users = self.conn.execute(q).all()
        if not users:
            return []
        roles: dict[int, list[tuple[str, str]]] = {}
        rq = (select(user_role.c.user_id, user_role.c.role, user_role.c.dataflow_urn)
              .where(user_role.c.user_id.in_([u.id for u in users]))
              .order_by(user_role.c.role, user_role.c.dataflow_urn))
        for uid, role, df in self.conn.execute(rq):
            roles.setdefault(uid, []).append((role, df))
        return [UserRow(u.id, u.username, u.country, u.display_name, u.is_active, tuple(roles.get(u.id, ())),
                        u.session_epoch)
                for u in users]
