"""The sharing matrix of one owner country: indicators × countries (who may see) plus a public switch.

Read with ``administration.sharing_of`` and changed with ``grant_access``, ``withdraw_access`` and
``set_public`` (so the API's rules and audit entries apply); the form posts the whole matrix and only the
differences are applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..access import administration as admin
from ..identity.actor import Actor
from .statistics_catalogue import countries, indicator_of
from .texts import LocalText, sort_key

SEPARATOR = " "  # between the dataflow URN and the grantee in a checkbox value (URNs hold no spaces)


@dataclass(frozen=True)
class SharingRow:
    urn: str
    name: LocalText
    is_public: bool
    grantees: frozenset[str]


@dataclass(frozen=True)
class SharingMatrix:
    owner: str
    owner_name: LocalText
    countries: list[tuple[str, LocalText]]  # every country but the owner
    rows: list[SharingRow]

    def grant_choices(self) -> list[tuple[str, str]]:
        return [(grant_value(r.urn, c), f"{r.name.text}: {n.text}") for r in self.rows for c, n in self.countries]

    def public_choices(self) -> list[tuple[str, str]]:
        return [(r.urn, r.name.text) for r in self.rows]

    def ticked_grants(self) -> list[str]:
        return [grant_value(r.urn, c) for r in self.rows for c in sorted(r.grantees)]

    def ticked_public(self) -> list[str]:
        return [r.urn for r in self.rows if r.is_public]


@dataclass(frozen=True)
class SharingChanges:
    granted: int = 0
    withdrawn: int = 0
    published: int = 0
    unpublished: int = 0

    @property
    def total(self) -> int:
        return self.granted + self.withdrawn + self.published + self.unpublished


def grant_value(urn: str, grantee: str) -> str:
    return f"{urn}{SEPARATOR}{grantee}"


def sharing_matrix(s: admin.Stores, actor: Actor, owner: str, lang: str) -> SharingMatrix:
    """What ``owner`` shares, as the actor may see it (administration refuses other countries' sharing)."""
    settings = admin.sharing_of(s, actor, owner)
    names = dict(countries(s.artefacts, lang))
    flows = {i.urn: i.name for i in (indicator_of(a, lang) for a in s.artefacts.candidates({"dataflow"}, None, None))}
    rows = [SharingRow(x.dataflow_urn, flows.get(x.dataflow_urn) or LocalText(x.dataflow_urn, "en"), x.is_public,
                       frozenset(x.grantees)) for x in settings]
    return SharingMatrix(owner, names.get(owner, LocalText(owner, "en")),
                         [(c, n) for c, n in names.items() if c != owner], sorted(rows, key=lambda r: sort_key(r.name)))


def apply_sharing(s: admin.Stores, actor: Actor, matrix: SharingMatrix, grants: list[str],
                  public: list[str]) -> SharingChanges:
    """Make the owner's sharing what the ticked boxes say; returns what changed."""
    wanted = set(grants)
    granted = withdrawn = published = unpublished = 0
    for row in matrix.rows:
        for country, _name in matrix.countries:
            want = grant_value(row.urn, country) in wanted
            if want and country not in row.grantees:
                granted += admin.grant_access(s, actor, matrix.owner, row.urn, country)
            elif not want and country in row.grantees:
                withdrawn += admin.withdraw_access(s, actor, matrix.owner, row.urn, country)
        want_public = row.urn in public
        if want_public != row.is_public:
            changed = admin.set_public(s, actor, matrix.owner, row.urn, want_public)
            published += changed and want_public
            unpublished += changed and not want_public
    return SharingChanges(granted, withdrawn, published, unpublished)

