"""Who may see whose data: grants between countries, publicity, and who has released data of its own.

The visibility rule (access/visibility.py) is compiled from the three reads here, once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from .artefact_store import as_utc, utcnow
from .tables import data_grant, data_publicity, data_set, observation, series


@dataclass(frozen=True)
class Grant:
    owner: str
    dataflow_urn: str
    grantee: str
    granted_by: str | None
    granted_at: datetime


@dataclass(frozen=True)
class Publicity:
    owner: str
    dataflow_urn: str
    is_public: bool
    changed_by: str | None
    changed_at: datetime


class GrantStore:
    """Reads and writes grants and publicity on one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    # -- writing ------------------------------------------------------------------------------
    def grant(self, owner: str, dataflow_urn: str, grantee: str, *, by: str | None) -> bool:
        """Let ``grantee`` see ``owner``'s released data on the dataflow; False if it could already."""
        if self._grant_exists(owner, dataflow_urn, grantee):
            return False
        try:
            with self.conn.begin_nested():  # the same grant made at the same moment by another request
                self.conn.execute(insert(data_grant).values(owner_provider=owner, dataflow_urn=dataflow_urn,
                                                            grantee_provider=grantee, granted_by=by,
                                                            granted_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def withdraw(self, owner: str, dataflow_urn: str, grantee: str) -> bool:
        """Withdraw a grant; False if there was none."""
        return bool(self.conn.execute(delete(data_grant).where(
            data_grant.c.owner_provider == owner, data_grant.c.dataflow_urn == dataflow_urn,
            data_grant.c.grantee_provider == grantee)).rowcount)

    def set_public(self, owner: str, dataflow_urn: str, is_public: bool, *, by: str | None) -> bool:
        """Make the owner's data on the dataflow public or not; False if it already was so."""
        where = and_(data_publicity.c.owner_provider == owner, data_publicity.c.dataflow_urn == dataflow_urn)
        current = self.conn.execute(select(data_publicity.c.is_public).where(where)).first()
        if current is not None and current[0] == is_public or current is None and not is_public:
            return False
        values = {"is_public": is_public, "changed_by": by, "changed_at": utcnow()}
        if current is None:
            self.conn.execute(insert(data_publicity).values(owner_provider=owner, dataflow_urn=dataflow_urn, **values))
        else:
            self.conn.execute(update(data_publicity).where(where).values(**values))
        return True

    # -- reading ------------------------------------------------------------------------------
    def grants_of(self, owner: str | None = None) -> list[Grant]:
        """Grants given by one owner (every owner when None), in a stable order."""
        q = select(data_grant).order_by(data_grant.c.owner_provider, data_grant.c.dataflow_urn,
                                        data_grant.c.grantee_provider)
        if owner is not None:
            q = q.where(data_grant.c.owner_provider == owner)
        return [Grant(r.owner_provider, r.dataflow_urn, r.grantee_provider, r.granted_by, as_utc(r.granted_at))
                for r in self.conn.execute(q)]

    def publicity_of(self, owner: str | None = None) -> list[Publicity]:
        q = select(data_publicity).order_by(data_publicity.c.owner_provider, data_publicity.c.dataflow_urn)
        if owner is not None:
            q = q.where(data_publicity.c.owner_provider == owner)
        return [Publicity(r.owner_provider, r.dataflow_urn, r.is_public, r.changed_by, as_utc(r.changed_at))
                for r in self.conn.execute(q)]

    def granted_to(self, grantee: str) -> list[tuple[str, str]]:
        """(dataflow URN, owner) pairs the grantee has been granted."""
        q = (select(data_grant.c.dataflow_urn, data_grant.c.owner_provider)
             .where(data_grant.c.grantee_provider == grantee))
        return [(f, o) for f, o in self.conn.execute(q)]

    def public_pairs(self) -> list[tuple[str, str]]:
        """(dataflow URN, owner) pairs the public may see."""
        q = (select(data_publicity.c.dataflow_urn, data_publicity.c.owner_provider)
             .where(data_publicity.c.is_public.is_(True)))
        return [(f, o) for f, o in self.conn.execute(q)]

    def released_dataflows(self, provider: str) -> frozenset[str]:
        """Dataflows on which the provider has released data of its own (the reciprocity condition).

        Released = its data set has at least one current observation (valid_to IS NULL). When the
        submission workflow keeps pending observations in the same table, this is the one query to narrow.
        """
        current = (select(observation.c.id).join(series, series.c.id == observation.c.series_id)
                   .where(series.c.data_set_id == data_set.c.id, observation.c.valid_to.is_(None)))
        q = select(data_set.c.dataflow_urn).where(data_set.c.provider_id == provider, exists(current))
        return frozenset(f for (f,) in self.conn.execute(q))

    def _grant_exists(self, owner: str, dataflow_urn: str, grantee: str) -> bool:
        return self.conn.execute(select(data_grant.c.owner_provider).where(
            data_grant.c.owner_provider == owner, data_grant.c.dataflow_urn == dataflow_urn,
            data_grant.c.grantee_provider == grantee)).first() is not None
