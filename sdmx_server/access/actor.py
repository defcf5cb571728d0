"""Who is calling: resolved once per request, then passed down to every check."""

from __future__ import annotations

from dataclasses import dataclass, field


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


ANONYMOUS = Actor(None, None, None)
