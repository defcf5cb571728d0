"""Delegated administration and sharing, as plain functions under both the management API and the CLI.

Each operation first asks a named rule (``can_manage_user``, ``can_give``, ``can_manage_sharing``,
``can_read_audit``), then changes the stores and records the change in the audit log, all in the
caller's transaction. The rule of delegation: a country administrator acts on their own country
only and never gives more than they hold; system administrators (``administer_system``) may do
everything. Errors are domain errors (sdmx.errors) that rest_api/errors.py maps to HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ..sdmx.artefacts import urn_of
from ..sdmx.errors import Forbidden, NotFound, SemanticError
from ..storage.artefact_store import ArtefactStore
from ..storage.audit_store import AuditEntry, AuditStore
from ..storage.grant_store import GrantStore
from ..storage.user_store import TokenRow, UserError, UserRow, UserStore
from ..identity.actor import Actor
from ..identity.passwords import new_password
from ..identity.policy import Policy

PASSWORD_MIN_LENGTH = 10
MAX_TOKEN_DAYS = 366


@dataclass(frozen=True)
class RoleAssignment:
    """A role held for one dataflow (its per-indicator privileges limited to it) or, with "", for all."""

    role: str
    dataflow_urn: str = ""

    def as_pair(self) -> tuple[str, str]:
        return self.role, self.dataflow_urn


@dataclass(frozen=True)
class Stores:
    """The stores one administrative operation works on, sharing one connection and transaction."""

    users: UserStore
    grants: GrantStore
    audit: AuditStore
    artefacts: ArtefactStore

    @classmethod
    def on(cls, conn: Connection, policy: Policy) -> "Stores":
        return cls(UserStore(conn, policy), GrantStore(conn), AuditStore(conn), ArtefactStore(conn))

    @property
    def policy(self) -> Policy:
        return self.users.policy


# -- named rules (pure) ---------------------------------------------------------------------------

def is_system_administrator(actor: Actor) -> bool:
    return actor.can("administer_system")


def can_give(actor: Actor, policy: Policy, assignments: list[RoleAssignment]) -> bool:
    """Never more than one holds: every privilege of every role, for the same indicators."""
    return not ungivable(actor, policy, assignments)


def ungivable(actor: Actor, policy: Policy, assignments: list[RoleAssignment]) -> list[str]:
    """Why each assignment may not be given by this actor (empty: all may)."""
    if is_system_administrator(actor):
        return []
    reasons = []
    for a in assignments:
        role = policy.roles.get(a.role)
        if role is None:
            continue  # unknown roles are a 422 of the store, not a refusal
        if not role.country_bound:
            reasons.append(f"role {a.role} belongs to the hosting organisation")
            continue
        missing = sorted(p for p in role.privileges
                         if not actor.holds_for(p, a.dataflow_urn if p in policy.per_indicator else ""))
        if missing:
            where = f" for {a.dataflow_urn}" if a.dataflow_urn else " for every indicator"
            reasons.append(f"role {a.role}{where} needs {', '.join(missing)}, which {actor.username} does not hold")
    return reasons


def can_manage_users(actor: Actor) -> bool:
    return is_system_administrator(actor) or (actor.can("manage_country_users") and actor.country is not None)


def can_manage_user(actor: Actor, policy: Policy, target: UserRow) -> bool:
    """Own country only, and only users who hold no more than the actor."""
    if is_system_administrator(actor):
        return True
    return (can_manage_users(actor) and target.country == actor.country
            and can_give(actor, policy, [RoleAssignment(r, d) for r, d in target.roles]))


def can_manage_sharing(actor: Actor, owner: str) -> bool:
    return is_system_administrator(actor) or (actor.can("manage_sharing") and actor.country == owner)


def can_read_audit(actor: Actor, country: str | None) -> bool:
    """System administrators read everything; country administrators their country's entries."""
    if is_system_administrator(actor):
        return True
    return (country is not None and country == actor.country
            and (actor.can("manage_country_users") or actor.can("manage_sharing")))


# -- users ----------------------------------------------------------------------------------------

def list_users(s: Stores, actor: Actor, country: str | None = None) -> list[UserRow]:
    """Users of the actor's country; a system administrator's: every user, or one country's."""
    if not can_manage_users(actor):
        raise Forbidden(f"user {actor.username} may not manage users")
    if not is_system_administrator(actor):
        if country not in (None, actor.country):
            raise Forbidden(f"user {actor.username} manages users of {actor.country} only")
        country = actor.country
    return s.users.list(country)


def get_user(s: Stores, actor: Actor, username: str) -> UserRow:
    """A user the actor may see: others' users are "not found", as if they did not exist."""
    if not can_manage_users(actor):
        raise Forbidden(f"user {actor.username} may not manage users")
    target = s.users.get(username)
    if target is None or not (is_system_administrator(actor) or target.country == actor.country):
        raise NotFound(f"no user {username!r}" + (f" in {actor.country}" if actor.country else ""))
    return target


def create_user(s: Stores, actor: Actor, *, username: str, password: str, roles: list[RoleAssignment],
                country: str | None = None, display_name: str = "") -> UserRow:
    if not can_manage_users(actor):
        raise Forbidden(f"user {actor.username} may not manage users")
    if not is_system_administrator(actor):
        if country not in (None, actor.country):
            raise Forbidden(f"user {actor.username} creates users of {actor.country} only, not of {country}")
        country = actor.country
    if country is not None:
        _require_provider(s, country, "country")
    _check_password(password)
    _check_assignments(s, actor, roles)
    s.users.check_roles([a.as_pair() for a in roles], country)
    s.users.add(username, password, roles=[], country=country, display_name=display_name)
    target = s.users.get(username)
    assert target is not None
    s.users.set_roles(target.id, [a.as_pair() for a in roles])
    _audit(s, actor, "user.create", username, country, {"roles": _pairs(roles), "displayName": display_name})
    return _reload(s, username)


def set_roles(s: Stores, actor: Actor, username: str, roles: list[RoleAssignment]) -> UserRow:
    target = _manageable(s, actor, username)
    _check_assignments(s, actor, roles)
    s.users.set_roles(target.id, [a.as_pair() for a in roles])
    _audit(s, actor, "user.set_roles", username, target.country,
           {"before": [list(r) for r in target.roles], "after": _pairs(roles)})
    return _reload(s, username)


def set_active(s: Stores, actor: Actor, username: str, active: bool) -> UserRow:
    """Deactivate (revoking every token) or reactivate a user; nobody deactivates themselves."""
    target = _manageable(s, actor, username)
    if not active and target.id == actor.user_id:
        raise SemanticError("you cannot deactivate yourself: ask another administrator")
    if target.is_active != active:
        s.users.set_active(target.id, active)
        _audit(s, actor, "user.activate" if active else "user.deactivate", username, target.country)
    return _reload(s, username)


def set_display_name(s: Stores, actor: Actor, username: str, display_name: str) -> UserRow:
    target = _manageable(s, actor, username)
    if target.display_name != display_name:
        s.users.set_display_name(target.id, display_name)
        _audit(s, actor, "user.rename", username, target.country,
               {"before": target.display_name, "after": display_name})
    return _reload(s, username)


def reset_password(s: Stores, actor: Actor, username: str, password: str | None = None) -> str:
    """Set the given password, or a random one; returns it (the only time it is shown)."""
    target = _manageable(s, actor, username)
    password = password or new_password()
    _check_password(password)
    s.users.set_password(target.id, password)
    _audit(s, actor, "user.reset_password", username, target.country)
    return password


# -- tokens (one's own) ---------------------------------------------------------------------------

def my_tokens(s: Stores, actor: Actor) -> list[TokenRow]:
    return s.users.tokens(_signed_in(actor))


def create_my_token(s: Stores, actor: Actor, *, days: int, label: str = "") -> tuple[str, TokenRow]:
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise SemanticError(f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}")
    token, row = s.users.issue_token(_signed_in(actor), days=days, label=label)
    _audit(s, actor, "token.create", f"{actor.username}#{row.id}", actor.country,
           {"label": label, "expires": row.expires_at.isoformat()})
    return token, row


def revoke_my_token(s: Stores, actor: Actor, token_id: int) -> None:
    # an id beyond the id column's integers names no token (PostgreSQL's are 32-bit; the databases would raise)
    if not (0 < token_id < 2**31 and s.users.revoke_token_id(_signed_in(actor), token_id)):
        raise NotFound(f"you have no unrevoked token {token_id}")
    _audit(s, actor, "token.revoke", f"{actor.username}#{token_id}", actor.country)


# -- sharing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorSharing:
    dataflow_urn: str
    is_public: bool
    grantees: tuple[str, ...]


def sharing_of(s: Stores, actor: Actor, owner: str) -> list[IndicatorSharing]:
    """Every stored dataflow (and any other one with a setting) with its publicity and grantees."""
    _require_sharing(s, actor, owner)
    flows = {urn_of(a) for a in s.artefacts.candidates({"dataflow"}, None, None)}
    grantees: dict[str, list[str]] = {}
    for g in s.grants.grants_of(owner):
        grantees.setdefault(g.dataflow_urn, []).append(g.grantee)
    public = {p.dataflow_urn for p in s.grants.publicity_of(owner) if p.is_public}
    return [IndicatorSharing(f, f in public, tuple(grantees.get(f, ())))
            for f in sorted(flows | set(grantees) | public)]


def grant_access(s: Stores, actor: Actor, owner: str, dataflow_urn: str, grantee: str) -> bool:
    """Let the grantee country see the owner's released data on the dataflow; False if it already could."""
    _require_sharing(s, actor, owner)
    _require_dataflow(s, dataflow_urn)
    _require_provider(s, grantee, "grantee")
    if grantee == owner:
        raise SemanticError(f"{owner} always sees its own data: grant another country")
    changed = s.grants.grant(owner, dataflow_urn, grantee, by=actor.username)
    if changed:
        _audit(s, actor, "sharing.grant", dataflow_urn, owner, {"grantee": grantee})
    return changed


def withdraw_access(s: Stores, actor: Actor, owner: str, dataflow_urn: str, grantee: str) -> bool:
    """Withdraw a grant (the dataflow need not exist any more); False if there was none."""
    _require_sharing(s, actor, owner)
    changed = s.grants.withdraw(owner, dataflow_urn, grantee)
    if changed:
        _audit(s, actor, "sharing.withdraw", dataflow_urn, owner, {"grantee": grantee})
    return changed


def set_public(s: Stores, actor: Actor, owner: str, dataflow_urn: str, public: bool) -> bool:
    _require_sharing(s, actor, owner)
    if public:
        _require_dataflow(s, dataflow_urn)
    changed = s.grants.set_public(owner, dataflow_urn, public, by=actor.username)
    if changed:
        _audit(s, actor, "sharing.publish" if public else "sharing.unpublish", dataflow_urn, owner)
    return changed


# -- audit ----------------------------------------------------------------------------------------

def audit_entries(s: Stores, actor: Actor, *, country: str | None = None, before: int | None = None,
                  limit: int = 100) -> list[AuditEntry]:
    """Newest first. System administrators: every entry, or one country's; others their country's."""
    if is_system_administrator(actor):
        return s.audit.entries(country=country, all_countries=country is None, before=before, limit=limit)
    country = country or actor.country
    if not can_read_audit(actor, country):
        raise Forbidden(f"user {actor.username} may not read the audit log" +
                        (f" of {country}" if country and actor.country else ""))
    return s.audit.entries(country=country, before=before, limit=limit)


# -- helpers --------------------------------------------------------------------------------------

def known_providers(artefacts: ArtefactStore) -> frozenset[str]:
    """Ids of the data providers of every stored DataProviderScheme: the countries there are."""
    return frozenset(p["id"] for scheme in artefacts.candidates({"dataproviderscheme"}, None, None)
                     for p in scheme.get("dataProviders", []))


def _signed_in(actor: Actor) -> int:
    if actor.user_id is None:
        raise Forbidden("sign in first")
    return actor.user_id


def _manageable(s: Stores, actor: Actor, username: str) -> UserRow:
    target = get_user(s, actor, username)
    if not can_manage_user(actor, s.policy, target):
        raise Forbidden(f"user {actor.username} may not manage {username}, who holds more than they do")
    return target


def _check_assignments(s: Stores, actor: Actor, roles: list[RoleAssignment]) -> None:
    for a in roles:
        role = s.policy.roles.get(a.role)
        if role is None:
            raise UserError(f"unknown role {a.role!r}; roles: {', '.join(s.policy.roles)}")
        if a.dataflow_urn:
            if not role.privileges & s.policy.per_indicator:
                raise SemanticError(f"role {a.role} holds no per-indicator privilege: give it without a dataflow")
            _require_dataflow(s, a.dataflow_urn)
    if reasons := ungivable(actor, s.policy, roles):
        raise Forbidden("; ".join(reasons))


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise SemanticError(f"a password needs at least {PASSWORD_MIN_LENGTH} characters")


def _require_sharing(s: Stores, actor: Actor, owner: str) -> None:
    if not can_manage_sharing(actor, owner):
        raise Forbidden(f"user {actor.username} may not decide who sees the data of {owner}")
    _require_provider(s, owner, "owner")


def _require_provider(s: Stores, provider: str, what: str) -> None:
    if provider not in known_providers(s.artefacts):
        raise SemanticError(f"{what} {provider!r} is not a data provider of any stored DataProviderScheme")


def _require_dataflow(s: Stores, urn: str) -> None:
    found = s.artefacts.get(urn)
    if found is None or found["type"] != "dataflow":
        raise NotFound(f"no dataflow {urn}")


def _pairs(roles: list[RoleAssignment]) -> list[list[str]]:
    return [list(a.as_pair()) for a in roles]


def _reload(s: Stores, username: str) -> UserRow:
    row = s.users.get(username)
    assert row is not None
    return row


def _audit(s: Stores, actor: Actor, action: str, target: str, country: str | None,
           details: dict | None = None) -> None:
    s.audit.record(actor.username or "anonymous", action, target, country=country, details=details)
