"""Who is calling: resolved once per request, then passed down to every check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .policy import Policy


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str | None
    country: str | None  # data provider id; None for anonymous and system administrators
    privileges: frozenset[str] = field(default_factory=frozenset)
    # privilege -> dataflow URNs it is held for; "" means every indicator
    indicator_privileges: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def can(self, privilege: str) -> bool:
        return privilege in self.privileges

    def holds_for(self, privilege: str, dataflow_urn: str) -> bool:
        """Whether the privilege is held for this dataflow; ``""`` asks for every indicator at once."""
        if privilege not in self.privileges:
            return False
        scopes = self.indicator_privileges.get(privilege, frozenset({""}))
        return "" in scopes or (dataflow_urn != "" and dataflow_urn in scopes)


ANONYMOUS = Actor(None, None, None)


def actor_from_roles(policy: Policy, user_id: int, username: str, country: str | None,
                     roles: Iterable[tuple[str, str]]) -> Actor:
    """The privileges a user's (role, dataflow URN or "") pairs give: per-indicator privileges keep
    their dataflows, the others hold everywhere. Roles the policy no longer declares give nothing."""
    held: dict[str, set[str]] = {}
    for role, dataflow in roles:
        if role not in policy.roles:
            continue
        for p in policy.roles[role].privileges:
            held.setdefault(p, set()).add(dataflow if p in policy.per_indicator else "")
    return Actor(user_id, username, country, frozenset(held), {p: frozenset(v) for p, v in held.items()})
