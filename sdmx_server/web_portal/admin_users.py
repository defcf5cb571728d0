"""Users of a country as the portal shows and edits them: role checkboxes to assignments and back, and refusals
of access/administration.py told in plain words. The rules themselves stay in administration.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from flask_babel import gettext as _

from ..identity.actor import Actor
from ..access.administration import (PASSWORD_MIN_LENGTH, RoleAssignment, is_system_administrator)
from ..identity.policy import Policy
from ..sdmx.errors import Forbidden, NotFound, SdmxError
from ..storage.user_store import DuplicateUser, UserError, UserRow
from .account import role_label
from .admin_forms import EVERY_INDICATOR, USERNAME_RULE_TEXT, role_field_name
from .statistics_catalogue import Indicator
from .texts import LocalText


@dataclass(frozen=True)
class RoleOption:
    """One role of the form: its checkboxes are "every indicator" and, for per-indicator roles, each indicator."""

    role: str
    label: str
    per_indicator: bool
    boxes: list[tuple[str, str]]  # (value, label)

    @property
    def field(self) -> str:
        return role_field_name(self.role)


@dataclass(frozen=True)
class HeldRole:
    label: str
    indicators: list[LocalText]  # empty: every indicator


def role_options(policy: Policy, actor: Actor, indicators: list[Indicator]) -> list[RoleOption]:
    """The roles the actor may hand out: a country's roles, and for system administrators their own too."""
    out = []
    for name, role in policy.roles.items():
        if not role.country_bound and not is_system_administrator(actor):
            continue
        per_indicator = bool(role.privileges & policy.per_indicator)
        if per_indicator:
            boxes = [(EVERY_INDICATOR, _("Every indicator"))] + [(i.urn, i.name.text) for i in indicators]
        else:
            boxes = [(EVERY_INDICATOR, _("Give this role"))]
        out.append(RoleOption(name, role_label(name), per_indicator, boxes))
    return out


def assignments_from(data: Mapping[str, list[str] | None], options: list[RoleOption]) -> list[RoleAssignment]:
    """The ticked boxes as role assignments; "every indicator" outweighs indicators ticked beside it."""
    out = []
    for o in options:
        ticked = data.get(o.field) or []
        if EVERY_INDICATOR in ticked:
            out.append(RoleAssignment(o.role))
        else:
            out.extend(RoleAssignment(o.role, urn) for urn in ticked)
    return out


def ticked_boxes(user: UserRow, options: list[RoleOption]) -> dict[str, list[str]]:
    """The form's initial state for a user's roles."""
    out: dict[str, list[str]] = {o.field: [] for o in options}
    for role, urn in user.roles:
        out.setdefault(role_field_name(role), []).append(urn or EVERY_INDICATOR)
    return out


def held_roles(user: UserRow, policy: Policy, names: Mapping[str, LocalText]) -> list[HeldRole]:
    """A user's roles in the policy's order, each with the indicators it is limited to."""
    by_role: dict[str, list[str]] = {}
    for role, urn in user.roles:
        by_role.setdefault(role, []).append(urn)
    out = []
    for role in sorted(by_role, key=lambda r: list(policy.roles).index(r) if r in policy.roles else 99):
        urns = by_role[role]
        limited = [] if "" in urns else [names.get(u) or LocalText(u, "en") for u in sorted(urns)]
        out.append(HeldRole(role_label(role), limited))
    return out


def explain(e: SdmxError) -> str:
    """A refusal of the logic layer in plain words, in the page's language."""
    text = str(e)
    if isinstance(e, DuplicateUser):
        return _("This username is taken already. Choose another one.")
    if isinstance(e, UserError) and text.startswith("username "):
        return str(USERNAME_RULE_TEXT)
    if isinstance(e, Forbidden) and "needs" in text:
        return _("You cannot give these roles: you may give only privileges you hold yourself, for the same "
                 "indicators.")
    if isinstance(e, Forbidden) and "holds more" in text:
        return _("You cannot change this user: they hold privileges you do not have.")
    if isinstance(e, Forbidden):
        return _("You are not allowed to make this change.")
    if isinstance(e, NotFound):
        return _("Something this change refers to no longer exists. Reload the page and try again.")
    if "deactivate yourself" in text:
        return _("You cannot deactivate your own account: ask another administrator.")
    if "password needs" in text:
        return _("A password needs at least %(n)s characters.", n=PASSWORD_MIN_LENGTH)
    if isinstance(e, UserError) and "give --country" in text:
        return _("These roles belong to a country: choose the user's country.")
    if isinstance(e, UserError) and "belong to no country" in text:
        return _("The system administrator role belongs to no country: choose no country for this user.")
    if "per-indicator" in text:
        return _("This role is given for every indicator, not for chosen ones.")
    return _("The change was refused: %(reason)s", reason=text)
