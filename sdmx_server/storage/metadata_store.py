"""Metadata sets (data documentation) and their workflow, on the tables of metadata_tables.py.

Each submission for a (metadataflow, dataflow, provider) target is stored as the next version; the
readers choose which version to show (the newest released one, or the newest of any state for those
who may see pending documentation).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Connection, and_, func, insert, select, update

from ..sdmx.metadata_set import STATES, AttributeValue, MetadataSet
from .artefact_store import as_utc
from .metadata_tables import metadata_attribute_value as mav
from .metadata_tables import metadata_publicity as mp
from .metadata_tables import metadata_set as ms
from .metadata_tables import metadata_set_transition as mst

# which state may follow which (a verifier returns pending or validated documentation to its submitter)
NEXT = {"pending": {"validated", "returned"}, "validated": {"released", "returned"}}


class MetadataStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, s: MetadataSet, *, state: str, actor: str | None, at: datetime | None = None) -> MetadataSet:
        """Store the set as the next version of its target; return it with id, version and state."""
        if state not in STATES:
            raise ValueError(f"unknown state {state}")
        at = at or datetime.now(timezone.utc)
        target = and_(ms.c.metadataflow_urn == s.metadataflow_urn, ms.c.dataflow_urn == s.dataflow_urn,
                      ms.c.provider_id == s.provider_id)
        version = (self.conn.execute(select(func.max(ms.c.version)).where(target)).scalar() or 0) + 1
        set_pk = self.conn.execute(insert(ms).values(
            metadataflow_urn=s.metadataflow_urn, dataflow_urn=s.dataflow_urn, provider_id=s.provider_id,
            set_id=s.set_id, version=version, names=json.dumps(s.names, ensure_ascii=False, sort_keys=True),
            valid_from=s.valid_from, valid_to=s.valid_to, state=state, submitted_by=actor, submitted_at=at,
            released_at=at if state == "released" else None)).inserted_primary_key[0]
        if s.values:
            self.conn.execute(insert(mav), [
                {"metadata_set_id": set_pk, "position": i, "attribute": v.attribute, "value": v.value,
                 "texts": json.dumps(v.texts, ensure_ascii=False, sort_keys=True) if v.texts is not None else None}
                for i, v in enumerate(s.values)])
        self.conn.execute(insert(mst).values(metadata_set_id=set_pk, at=at, actor=actor or "", from_state=None,
                                             to_state=state, comment=""))
        return replace(s, id=set_pk, version=version, state=state, submitted_by=actor, submitted_at=at,
                       released_at=at if state == "released" else None)

    def transition(self, set_pk: int, to_state: str, *, actor: str, comment: str = "",
                   at: datetime | None = None) -> MetadataSet:
        """Move a set along pending -> validated -> released (or back to its submitter, returned); anything else,
        or a state another transaction changed meanwhile, is a ValueError."""
        current = self.get(set_pk)
        if current is None:
            raise LookupError(f"metadata set {set_pk} does not exist")
        if to_state not in NEXT.get(current.state or "", set()):
            raise ValueError(f"metadata set {set_pk} is {current.state}; it cannot become {to_state}")
        at = at or datetime.now(timezone.utc)
        values = {"state": to_state}
        if to_state == "released":
            values["released_at"] = at
        moved = self.conn.execute(update(ms).where(ms.c.id == set_pk, ms.c.state == current.state).values(**values))
        if moved.rowcount != 1:
            raise ValueError(f"metadata set {set_pk} changed state meanwhile; it cannot become {to_state}")
        self.conn.execute(insert(mst).values(metadata_set_id=set_pk, at=at, actor=actor, from_state=current.state,
                                             to_state=to_state, comment=comment))
        return self.get(set_pk)  # type: ignore[return-value]

    def transitions(self, set_pk: int) -> list[tuple[datetime, str, str | None, str, str]]:
        rows = self.conn.execute(select(mst.c.at, mst.c.actor, mst.c.from_state, mst.c.to_state, mst.c.comment)
                                 .where(mst.c.metadata_set_id == set_pk).order_by(mst.c.id)).all()
        return [(as_utc(r.at), r.actor, r.from_state, r.to_state, r.comment) for r in rows]  # type: ignore[misc]

    def get(self, set_pk: int) -> MetadataSet | None:
        found = self._load(select(ms).where(ms.c.id == set_pk))
        return found[0] if found else None

    def latest(self, *, metadataflow_urns: Iterable[str] | None = None, dataflow_urn: str | None = None,
               provider_ids: Iterable[str] | None = None, states: Iterable[str] = ("released",),
               set_id: str | None = None) -> list[MetadataSet]:
        """The newest version in one of ``states`` of every matching target (None: any value)."""
        cond = [ms.c.state.in_(list(states))]
        if metadataflow_urns is not None:
            cond.append(ms.c.metadataflow_urn.in_(list(metadataflow_urns)))
        if dataflow_urn is not None:
            cond.append(ms.c.dataflow_urn == dataflow_urn)
        if provider_ids is not None:
            cond.append(ms.c.provider_id.in_(list(provider_ids)))
        if set_id is not None:
            cond.append(ms.c.set_id == set_id)
        newest = (select(ms.c.metadataflow_urn, ms.c.dataflow_urn, ms.c.provider_id, func.max(ms.c.version).label("v"))
                  .where(*cond).group_by(ms.c.metadataflow_urn, ms.c.dataflow_urn, ms.c.provider_id).subquery())
        query = select(ms).join(newest, and_(ms.c.metadataflow_urn == newest.c.metadataflow_urn,
                                             ms.c.dataflow_urn == newest.c.dataflow_urn,
                                             ms.c.provider_id == newest.c.provider_id, ms.c.version == newest.c.v))
        return self._load(query.order_by(ms.c.dataflow_urn, ms.c.provider_id))

    def all_versions(self, *, provider_ids: Iterable[str] | None = None, set_ids: Iterable[str] | None = None,
                     states: Iterable[str] = ("released",)) -> list[MetadataSet]:
        """Every version in one of ``states`` (the metadataset query with version ``*`` or a list)."""
        cond = [ms.c.state.in_(list(states))]
        if provider_ids is not None:
            cond.append(ms.c.provider_id.in_(list(provider_ids)))
        if set_ids is not None:
            cond.append(ms.c.set_id.in_(list(set_ids)))
        return self._load(select(ms).where(*cond).order_by(ms.c.dataflow_urn, ms.c.provider_id, ms.c.version))

    def listing(self, *, states: Iterable[str] | None = None, provider_id: str | None = None,
                dataflow_urn: str | None = None, limit: int = 200, before: int | None = None) -> list[MetadataSet]:
        """Sets of every version, newest first (the workflow's lists and queues)."""
        cond = []
        if states is not None:
            cond.append(ms.c.state.in_(list(states)))
        if provider_id is not None:
            cond.append(ms.c.provider_id == provider_id)
        if dataflow_urn is not None:
            cond.append(ms.c.dataflow_urn == dataflow_urn)
        if before is not None:
            cond.append(ms.c.id < before)
        return self._load(select(ms).where(*cond).order_by(ms.c.id.desc()).limit(limit))

    def newest(self, metadataflow_urn: str | None, dataflow_urn: str, provider_id: str, *,
               states: Iterable[str] = ("pending", "validated", "released"),
               below_version: int | None = None) -> MetadataSet | None:
        """The newest version of one target in one of ``states`` (below ``below_version`` if given; under any
        metadataflow when ``metadataflow_urn`` is None, newest by submission)."""
        cond = [ms.c.dataflow_urn == dataflow_urn, ms.c.provider_id == provider_id, ms.c.state.in_(list(states))]
        if metadataflow_urn is not None:
            cond.append(ms.c.metadataflow_urn == metadataflow_urn)
        if below_version is not None:
            cond.append(ms.c.version < below_version)
        found = self._load(select(ms).where(*cond).order_by(ms.c.submitted_at.desc(), ms.c.id.desc()).limit(1))
        return found[0] if found else None

    def set_public(self, owner: str, dataflow_urn: str, is_public: bool, *, by: str | None) -> bool:
        """Make the owner's documentation of the dataflow public or not; False if it already was so."""
        where = and_(mp.c.owner_provider == owner, mp.c.dataflow_urn == dataflow_urn)
        current = self.conn.execute(select(mp.c.is_public).where(where)).first()
        if (current[0] if current else False) == is_public:
            return False
        values = {"is_public": is_public, "changed_by": by, "changed_at": datetime.now(timezone.utc)}
        if current is None:
            self.conn.execute(insert(mp).values(owner_provider=owner, dataflow_urn=dataflow_urn, **values))
        else:
            self.conn.execute(update(mp).where(where).values(**values))
        return True

    def public_pairs(self) -> set[tuple[str, str]]:
        """(dataflow URN, owner) of every documentation made public."""
        return {(f, o) for f, o in self.conn.execute(select(mp.c.dataflow_urn, mp.c.owner_provider)
                                                     .where(mp.c.is_public.is_(True)))}

    def count(self) -> int:
        return self.conn.execute(select(func.count()).select_from(ms)).scalar() or 0

    def _load(self, query) -> list[MetadataSet]:
        rows = self.conn.execute(query).all()
        if not rows:
            return []
        values: dict[int, list[AttributeValue]] = {r.id: [] for r in rows}
        for v in self.conn.execute(select(mav).where(mav.c.metadata_set_id.in_(list(values)))
                                   .order_by(mav.c.metadata_set_id, mav.c.position)):
            values[v.metadata_set_id].append(AttributeValue(v.attribute, v.value,
                                                            json.loads(v.texts) if v.texts is not None else None))
        return [MetadataSet(set_id=r.set_id, metadataflow_urn=r.metadataflow_urn, dataflow_urn=r.dataflow_urn,
                            provider_id=r.provider_id, names=json.loads(r.names), values=tuple(values[r.id]),
                            valid_from=as_utc(r.valid_from), valid_to=as_utc(r.valid_to), id=r.id, version=r.version,
                            state=r.state, submitted_by=r.submitted_by, submitted_at=as_utc(r.submitted_at),
                            released_at=as_utc(r.released_at)) for r in rows]
