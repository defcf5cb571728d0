"""System administration as the portal shows it: stored structures and loading a structure message, the
participating countries, and the audit log in plain words.

Loading goes through maintenance/structure_intake.py and structure_maintenance.submit (as POST
/rest/v2/structure does); the audit log through administration.audit_entries (its visibility rule).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..access import administration as admin
from ..identity.actor import Actor
from ..maintenance import structure_maintenance
from ..maintenance.structure_intake import read_structures
from ..sdmx.artefacts import TYPES, item_list, parse_urn, urn_of
from ..sdmx.errors import SdmxError
from ..storage.artefact_store import ArtefactStore
from .account import role_label
from .statistics_catalogue import countries
from .texts import LocalText, pick

PROVIDER_SCHEME = "dataproviderscheme"


# -- structures -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredStructure:
    type: str  # SDMX class name, e.g. Codelist
    agency: str
    id: str
    version: str
    name: LocalText
    items: int | None  # items of an item scheme
    is_final: bool
    rest_path: str


@dataclass(frozen=True)
class LoadOutcome:
    label: str  # e.g. Codelist DSM:CL_TEST(1.0)
    ok: bool
    what: str  # translated: created, replaced, unchanged, or why it was refused


def class_name(type_: str) -> str:
    return TYPES[type_].urn_class.split(".")[-1] if type_ in TYPES else type_


def stored_structures(store: ArtefactStore, lang: str) -> list[StoredStructure]:
    """Every stored maintainable artefact, grouped by type (the store's order)."""
    out = []
    for a in store.candidates(None, None, None):
        items = item_list(a)
        out.append(StoredStructure(class_name(a["type"]), a["agencyID"], a["id"], a["version"],
                                   pick(a.get("names"), lang, a["id"]), len(items) if items is not None else None,
                                   bool(a.get("isFinal")),
                                   f"/rest/v2/structure/{a['type']}/{a['agencyID']}/{a['id']}/{a['version']}"))
    return out


def _describe(result: structure_maintenance.Result) -> LoadOutcome:
    u = parse_urn(result.urn)
    label = f"{u.urn_class.split('.')[-1]} {u.agency_id}:{u.id}({u.version})"
    if result.status != "Failure":
        if result.code == 201:
            return LoadOutcome(label, True, _("created"))
        if result.message.endswith("unchanged"):
            return LoadOutcome(label, True, _("unchanged (the same as the stored one)"))
        return LoadOutcome(label, True, _("replaced"))
    if "final" in result.message:
        return LoadOutcome(label, False, _("refused: it is final and cannot change; load it under a new version"))
    if "do not exist" in result.message:
        missing = result.message.split("do not exist: ", 1)[-1]
        return LoadOutcome(label, False, _("refused: it refers to structures that are not stored: %(missing)s",
                                           missing=missing))
    return LoadOutcome(label, False, _("refused: %(reason)s", reason=result.message))


def load_structure_message(store: ArtefactStore, data: bytes, content_type: str | None = None, *,
                           by: str) -> list[LoadOutcome]:
    """Store what the message holds, all or per artefact as POST /rest/v2/structure does (audited as ``by``);
    raises SdmxError for a message that cannot be read at all."""
    results = structure_maintenance.submit(store, read_structures(data, content_type), method="POST", by=by)
    return [_describe(r) for r in results]


def explain_unreadable(e: SdmxError) -> str:
    """Why a whole message was refused, with where in the file when the reader says so."""
    where = ""
    if e.line is not None:
        where = _("line %(line)s", line=e.line) + (
            ", " + _("column %(column)s", column=e.column) if e.column is not None else "")
    reason = e.message
    if where:
        return _("The file could not be read (%(where)s): %(reason)s", where=where, reason=reason)
    return _("The file could not be read: %(reason)s", reason=reason)


# -- countries ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Country:
    id: str
    name: LocalText
    names: dict[str, str]
    users: int


def country_list(s: admin.Stores, lang: str) -> list[Country]:
    """Every data provider of the stored schemes, with its names and how many users it has."""
    names: dict[str, dict[str, str]] = {}
    for scheme in s.artefacts.candidates({PROVIDER_SCHEME}, None, None):
        for p in scheme.get("dataProviders", []):
            names.setdefault(p["id"], p.get("names") or {})
    counts: dict[str, int] = {}
    for u in s.users.list():
        if u.country:
            counts[u.country] = counts.get(u.country, 0) + 1
    return [Country(c, name, names.get(c, {}), counts.get(c, 0)) for c, name in countries(s.artefacts, lang)]


def add_country(store: ArtefactStore, country_id: str, names: dict[str, str], *, by: str) -> LoadOutcome:
    """Add a data provider (or rename one) in the first stored DataProviderScheme, as a structure submission,
    so the maintenance rules (a final scheme cannot change) apply as they do over REST."""
    schemes = store.candidates({PROVIDER_SCHEME}, None, None)
    if not schemes:
        return LoadOutcome(country_id, False, _("refused: no scheme of participating countries is stored"))
    scheme = copy.deepcopy(schemes[0])
    providers: list[dict[str, Any]] = scheme.setdefault("dataProviders", [])
    found = next((p for p in providers if p["id"] == country_id), None)
    if found is None:
        providers.append({"id": country_id, "names": names})
    else:
        found["names"] = {**found.get("names", {}), **names}
    return _describe(structure_maintenance.submit(store, [scheme], method="POST", by=by)[0])


def scheme_label(store: ArtefactStore) -> str | None:
    schemes = store.candidates({PROVIDER_SCHEME}, None, None)
    return urn_of(schemes[0]).split("=", 1)[1] if schemes else None


# -- audit log ------------------------------------------------------------------------------------

ACTIONS = {
    "user.create": _l("User created"),
    "user.set_roles": _l("Roles changed"),
    "user.activate": _l("User reactivated"),
    "user.deactivate": _l("User deactivated"),
    "user.rename": _l("Full name changed"),
    "user.reset_password": _l("Password reset"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "sharing.grant": _l("Access granted"),
    "sharing.withdraw": _l("Access withdrawn"),
    "sharing.publish": _l("Made public"),
    "sharing.unpublish": _l("No longer public"),
    "structure.create": _l("Structure created"),
    "structure.replace": _l("Structure changed"),
    "structure.delete": _l("Structure deleted"),
    "structure.delete_item": _l("Item deleted from a structure"),
}


DETAIL_LABELS = {"displayName": _l("full name"), "label": _l("label")}


def _when(iso: str) -> str:
    try:
        return format_datetime(datetime.fromisoformat(iso), "medium")
    except ValueError:
        return iso


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str
    action: str
    target: LocalText
    country: LocalText | None
    details: list[tuple[str, str]]  # (what, value) in plain words


def audit_lines(s: admin.Stores, actor: Actor, lang: str, *, country: str | None, before: int | None,
                limit: int) -> list[AuditLine]:
    """The entries the actor may read (administration decides), newest first, with names instead of codes."""
    entries = admin.audit_entries(s, actor, country=country, before=before, limit=limit)
    country_names = dict(countries(s.artefacts, lang))
    flows = {urn_of(a): pick(a.get("names"), lang, a["id"]) for a in s.artefacts.candidates({"dataflow"}, None, None)}

    def named(value: str) -> LocalText:
        found = flows.get(value) or country_names.get(value)
        if found is None and value.startswith("urn:sdmx:"):
            return LocalText(value.split("=", 1)[-1], "en")  # a structure, as AGENCY:ID(VERSION)
        return found or LocalText(value, "en")

    return [AuditLine(e.id, e.at, e.actor, str(ACTIONS.get(e.action, e.action)), named(e.target),
                      country_names.get(e.country) if e.country else None,
                      [d for key, value in sorted(e.details.items()) if (d := _detail(key, value, named))])
            for e in entries]


def _detail(key: str, value: Any, named: Any) -> tuple[str, str] | None:
    """One detail of an entry as (what, value) in plain words; None for an empty one."""
    if value in ("", None, [], {}):
        return None
    if key == "grantee":
        return _("country"), named(str(value)).text
    if key in ("roles", "before", "after"):
        what = _("roles") if key == "roles" else _("before") if key == "before" else _("after")
        if isinstance(value, list):  # role assignments
            return what, "; ".join(_role_text(v, named) for v in value)
        return what, str(value)  # a renaming
    if key == "expires" and isinstance(value, str):
        return _("valid until"), _when(value)
    if key in DETAIL_LABELS:
        return str(DETAIL_LABELS[key]), str(value)
    return key, str(value)


def _role_text(pair: Any, named: Any) -> str:
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        role, urn = pair
        return role_label(str(role)) + (f" ({named(urn).text})" if urn else "")
    return str(pair)
