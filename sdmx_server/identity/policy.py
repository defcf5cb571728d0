"""Roles and privileges loaded from ``auth/policy.toml`` and checked once, at start."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


class PolicyError(ValueError):
    """The policy file is inconsistent; raised at start, never at request time."""


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    privileges: frozenset[str]
    country_bound: bool  # False only for roles of the hosting organisation


@dataclass(frozen=True)
class Policy:
    privileges: dict[str, str]
    roles: dict[str, Role]
    per_indicator: frozenset[str]

    def privileges_of(self, roles: set[str] | frozenset[str]) -> frozenset[str]:
        return frozenset().union(*(self.roles[r].privileges for r in roles if r in self.roles))


def load_policy(path: Path) -> Policy:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise PolicyError(f"{path}: cannot read the access policy: {e}") from None
    privileges = data.get("privileges") or {}
    if not privileges:
        raise PolicyError(f"{path}: no [privileges] declared")
    per_indicator = frozenset(data.get("per_indicator", []))
    if unknown := per_indicator - set(privileges):
        raise PolicyError(f"{path}: per_indicator names unknown privileges: {', '.join(sorted(unknown))}")
    roles = {}
    for name, spec in (data.get("roles") or {}).items():
        privs = frozenset(spec.get("privileges", []))
        if unknown := privs - set(privileges):
            raise PolicyError(f"{path}: role {name} names unknown privileges: {', '.join(sorted(unknown))}")
        roles[name] = Role(name, spec.get("description", ""), privs, bool(spec.get("country_bound", True)))
    if not roles:
        raise PolicyError(f"{path}: no roles declared")
    return Policy(dict(privileges), roles, per_indicator)
