"""The one visibility rule (DESIGN.md section 3), compiled once per request into sets a query filters on.

Whose data on dataflow F may a caller of country C see?
* C's own: released data always (with the ``view_data`` privilege); pending data too when the
  caller holds submit, verify or release on F.
* Another country P's released data when P granted C access to F and, while the reciprocity rule
  is on (setting ``reciprocity``), C has released data of its own on F.
* Any country's released data on F that it made public, reciprocity or not: the public sees it
  anyway, so signing in never shows less.
* Anonymous callers: public released data only. Users with ``view_all_data`` (system
  administrators): everything, released or pending.
Confidential by default: with no grant and no publicity nothing of P is visible to anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from ..settings import Config
from ..storage.grant_store import GrantStore
from ..identity.actor import Actor

if TYPE_CHECKING:
    from .access_cache import CachedGrants

PENDING_PRIVILEGES = ("submit_data", "verify_data", "release_data")
EVERY_DATAFLOW = ""


@dataclass(frozen=True)
class Visibility:
    """What one caller may see, per dataflow; built by :func:`visibility_for`, then only read."""

    sees_everything: bool = False
    country: str | None = None  # the caller's country (data provider id)
    sees_own_released: bool = False  # whether the caller may see its country's released data
    others: Mapping[str, frozenset[str]] = field(default_factory=dict)  # dataflow URN -> granted or public providers
    pending_scope: frozenset[str] = frozenset()  # dataflow URNs (EVERY_DATAFLOW: all) of own pending data

    def providers(self, dataflow_urn: str) -> frozenset[str] | None:
        """Ids of the data providers whose RELEASED data on this dataflow the caller may see.

        ``None`` means every provider, without restriction (system administrators): add no
        provider condition. Otherwise the answer is exact: keep only observations whose data set
        has ``data_set.dataflow_urn == dataflow_urn`` and ``data_set.provider_id`` in the set; an
        empty set means nothing of the dataflow is visible (answer as if there were no data, never
        403, so the existence of confidential data is not revealed). ``dataflow_urn`` is the full
        dataflow URN as stored in ``data_set.dataflow_urn``, e.g.
        ``urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=DSM:DF_ENTRIES(1.0)``.
        Pending (unreleased) data is never covered here: see :meth:`pending_providers`.
        """
        if self.sees_everything:
            return None
        own = frozenset({self.country}) if self.country and self.sees_own_released else frozenset()
        return own | self.others.get(dataflow_urn, frozenset())

    def pending_providers(self, dataflow_urn: str) -> frozenset[str] | None:
        """Ids of the data providers whose PENDING (submitted, not yet released) data on this
        dataflow the caller may see: ``None`` = every provider (system administrators); the
        caller's own country when it holds submit, verify or release on the dataflow; else empty.
        """
        if self.sees_everything:
            return None
        if self.country and (EVERY_DATAFLOW in self.pending_scope or dataflow_urn in self.pending_scope):
            return frozenset({self.country})
        return frozenset()


EVERYTHING = Visibility(sees_everything=True)


def visibility_for(actor: Actor, grants: GrantStore | CachedGrants, settings: Config) -> Visibility:
    """Compile the rule for one caller: at most three small queries (public pairs, grants to the
    caller's country, and where it has released data when reciprocity is on)."""
    if actor.can("view_all_data"):
        return EVERYTHING
    others: dict[str, set[str]] = {}
    for flow, owner in grants.public_pairs():
        others.setdefault(flow, set()).add(owner)
    country = actor.country if actor.can("view_data") else None
    if country:
        released = grants.released_dataflows(country) if settings.reciprocity else None
        for flow, owner in grants.granted_to(country):
            if released is None or flow in released:
                others.setdefault(flow, set()).add(owner)
    pending: set[str] = set()
    if actor.country:
        for p in PENDING_PRIVILEGES:
            if actor.can(p):
                pending |= actor.indicator_privileges.get(p, frozenset({EVERY_DATAFLOW}))
    return Visibility(False, actor.country, country is not None,
                      {f: frozenset(o) for f, o in others.items()}, frozenset(pending))
