"""Users, their roles and their API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from ..access.actor import Actor
from ..access.passwords import hash_password, new_token, token_hash, verify_password
from ..access.policy import Policy
from .artefact_store import as_utc, utcnow
from .tables import api_token, user_account, user_role


class UserError(ValueError):
    """A user operation that breaks a rule (duplicate name, unknown role, missing country)."""


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    country: str | None
    display_name: str
    is_active: bool
    roles: tuple[tuple[str, str], ...]  # (role, dataflow URN or "")


class UserStore:
    def __init__(self, conn: Connection, policy: Policy):
        self.conn = conn
        self.policy = policy

    def add(self, username: str, password: str, *, roles: list[str], country: str | None,
            display_name: str = "", indicators: list[str] | None = None) -> int:
        if not username or not password:
            raise UserError("a user needs a username and a password")
        for r in roles:
            if r not in self.policy.roles:
                raise UserError(f"unknown role {r!r}; roles: {', '.join(self.policy.roles)}")
        bound = any(self.policy.roles[r].country_bound for r in roles)
        if bound and not country:
            raise UserError(f"role(s) {', '.join(roles)} belong to a country: give --country")
        if self.conn.execute(select(user_account.c.id).where(user_account.c.username == username)).first():
            raise UserError(f"user {username!r} exists already")
        uid = self.conn.execute(insert(user_account).values(
            username=username, password_hash=hash_password(password), country=country,
            display_name=display_name, is_active=True, created_at=utcnow())).inserted_primary_key[0]
        scope = indicators or [""]
        self.conn.execute(insert(user_role), [
            {"user_id": uid, "role": r, "dataflow_urn": d} for r in roles for d in scope])
        return uid

    def exists(self, username: str) -> bool:
        return self.conn.execute(select(user_account.c.id).where(user_account.c.username == username)).first() is not None

    def list(self) -> list[UserRow]:
        users = self.conn.execute(select(user_account).order_by(user_account.c.username)).all()
        roles: dict[int, list[tuple[str, str]]] = {}
        for uid, role, df in self.conn.execute(select(user_role.c.user_id, user_role.c.role, user_role.c.dataflow_urn)
                                               .order_by(user_role.c.role, user_role.c.dataflow_urn)):
            roles.setdefault(uid, []).append((role, df))
        return [UserRow(u.id, u.username, u.country, u.display_name, u.is_active, tuple(roles.get(u.id, ())))
                for u in users]

    def create_token(self, username: str, *, days: int, label: str = "") -> tuple[str, datetime]:
        row = self.conn.execute(select(user_account.c.id).where(user_account.c.username == username)).first()
        if not row:
            raise UserError(f"no user {username!r}")
        token = new_token()
        expires = utcnow() + timedelta(days=days)
        self.conn.execute(insert(api_token).values(user_id=row.id, token_hash=token_hash(token), label=label,
                                                   created_at=utcnow(), expires_at=expires))
        return token, expires

    def revoke_token(self, token: str) -> bool:
        return bool(self.conn.execute(update(api_token).where(api_token.c.token_hash == token_hash(token))
                                      .values(revoked_at=utcnow())).rowcount)

    def actor_for_token(self, token: str) -> Actor | None:
        q = (select(user_account.c.id, api_token.c.expires_at, api_token.c.revoked_at)
             .join(api_token, api_token.c.user_id == user_account.c.id)
             .where(api_token.c.token_hash == token_hash(token), user_account.c.is_active.is_(True)))
        row = self.conn.execute(q).first()
        if not row or row.revoked_at is not None or as_utc(row.expires_at) <= utcnow():
            return None
        return self.actor(row.id)

    def actor_for_password(self, username: str, password: str) -> Actor | None:
        row = self.conn.execute(select(user_account.c.id, user_account.c.password_hash)
                                .where(user_account.c.username == username, user_account.c.is_active.is_(True))).first()
        if not row or not verify_password(row.password_hash, password):
            return None
        return self.actor(row.id)

    def actor(self, user_id: int) -> Actor:
        u = self.conn.execute(select(user_account).where(user_account.c.id == user_id)).one()
        held: dict[str, set[str]] = {}
        for role, df in self.conn.execute(select(user_role.c.role, user_role.c.dataflow_urn)
                                          .where(user_role.c.user_id == user_id)):
            if role not in self.policy.roles:
                continue
            for p in self.policy.roles[role].privileges:
                held.setdefault(p, set()).add(df if p in self.policy.per_indicator else "")
        return Actor(u.id, u.username, u.country, frozenset(held),
                     {p: frozenset(v) for p, v in held.items()})
