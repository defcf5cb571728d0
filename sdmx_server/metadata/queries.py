"""REST v2 reference metadata queries (reference/sdmx-rest/doc/metadata.md), under the visibility rule.

Documentation of provider P on dataflow F is shown to whoever may see P's released data on F
(DESIGN.md section 3, access/visibility.py), and to everyone when P made its documentation of F public
(a country may document openly figures it keeps confidential): only released sets, their newest
version unless the query names versions. ``as_of`` (the spec's asOf) travels back: the newest version
released at or before that time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..sdmx.artefacts import parse_urn
from ..sdmx.formats.sdmx_ml_3_0_metadata import provider_urn
from ..sdmx.metadata_set import MetadataSet
from ..sdmx.rest_query import parse_structure_query
from ..sdmx.versions import select
from ..storage.artefact_store import ArtefactStore
from ..storage.metadata_store import MetadataStore

Visible = Callable[[str], "frozenset[str] | None"]


def _values(part: str) -> list[str] | None:
    """A path part: None for every value (``*``, or ``~`` where it means the latest), else its list."""
    if part in ("*", "~", ""):
        return None
    return [p for p in part.split(",") if p]


def _visible(conn, sets: list[MetadataSet], visible: Visible) -> list[MetadataSet]:
    out = []
    public = MetadataStore(conn).public_pairs() if sets else set()
    for s in sets:
        providers = visible(s.dataflow_urn)
        if providers is None or s.provider_id in providers or (s.dataflow_urn, s.provider_id) in public:
            out.append(s)
    return out


def _newest_as_of(store: MetadataStore, as_of: datetime, provider_ids: list[str] | None = None,
                  set_ids: list[str] | None = None) -> list[MetadataSet]:
    """Time travel (asOf): of each target, the newest version released at or before ``as_of``."""
    newest: dict[tuple[str, str, str], MetadataSet] = {}
    for s in store.all_versions(provider_ids=provider_ids, set_ids=set_ids):
        if s.released_at is not None and s.released_at <= as_of:
            key = (s.metadataflow_urn, s.dataflow_urn, s.provider_id)
            if key not in newest or (newest[key].version or 0) < (s.version or 0):
                newest[key] = s
    return list(newest.values())


def _latest(conn, providers: list[str] | None, as_of: datetime | None) -> list[MetadataSet]:
    store = MetadataStore(conn)
    return store.latest(provider_ids=providers) if as_of is None else _newest_as_of(store, as_of, providers)


def by_metadataflow(conn, visible: Visible, agency: str, flow_id: str, version: str,
                    provider_ref: str, as_of: datetime | None = None) -> list[MetadataSet]:
    agencies, ids, versions = _values(agency), _values(flow_id), _values(version)
    providers = None
    if (refs := _values(provider_ref)) is not None:
        providers = [r.rsplit(".", 1)[-1] for r in refs]
    sets = _latest(conn, providers, as_of)

    def matches(s: MetadataSet) -> bool:
        u = parse_urn(s.metadataflow_urn)
        return ((agencies is None or u.agency_id in agencies) and (ids is None or u.id in ids)
                and (versions is None or u.version in versions))
    return _visible(conn, [s for s in sets if matches(s)], visible)


def of_dataflow(conn, visible: Visible, metadataflow_urn: str, dataflow_urn: str,
                providers: list[str] | None = None) -> list[MetadataSet]:
    """The newest released set of each country documenting one indicator, as the caller may see them (the
    portal's indicator page, comparison, report panels and exports: the same rule as the REST queries)."""
    sets = MetadataStore(conn).latest(metadataflow_urns=[metadataflow_urn], dataflow_urn=dataflow_urn,
                                      provider_ids=providers)
    return _visible(conn, sets, visible)


def by_metadataset(conn, visible: Visible, provider: str, set_id: str, version: str,
                   as_of: datetime | None = None) -> list[MetadataSet]:
    providers, set_ids = _values(provider), _values(set_id)
    store = MetadataStore(conn)
    if version == "~" or version == "":
        sets = _latest(conn, providers, as_of)
        sets = [s for s in sets if set_ids is None or s.set_id in set_ids]
    else:
        wanted = _values(version)
        sets = [s for s in store.all_versions(provider_ids=providers, set_ids=set_ids)
                if (wanted is None or f"{s.version}.0" in wanted or str(s.version) in wanted)
                and (as_of is None or (s.released_at is not None and s.released_at <= as_of))]
    return _visible(conn, sets, visible)


#: the structures a data documentation set targets: its dataflow, and the scheme of its data provider
TARGET_TYPES = frozenset({"dataflow", "dataproviderscheme"})


def by_structure(conn, visible: Visible, artefact_type: str, agency: str, resource_id: str, version: str,
                 as_of: datetime | None = None) -> list[MetadataSet]:
    """Sets targeting the structures the path names (its syntax is the structure query's: BadInput for a
    wrong one); only dataflows and data provider schemes are ever targeted, so other types find nothing."""
    q = parse_structure_query("v2", {"structure_type": artefact_type, "agency_id": agency, "resource_id": resource_id,
                                     "version": version}, {})
    types = TARGET_TYPES if q.types is None else q.types & TARGET_TYPES
    if not types:
        return []
    found: dict[tuple[str, str, str], list[str]] = {}
    for a in ArtefactStore(conn).candidates(set(types), list(q.agencies or []) or None, list(q.ids or []) or None):
        found.setdefault((a["type"], a["agencyID"], a["id"]), []).append(a["version"])
    targets = {(t, ag, rid, v) for (t, ag, rid), versions in found.items() for v in select(q.versions, versions)}

    def hits(s: MetadataSet) -> bool:
        for urn in (s.dataflow_urn, provider_urn(s.provider_id)):
            u = parse_urn(urn)
            if (u.type, u.agency_id, u.id, u.version) in targets:
                return True
        return False
    return _visible(conn, [s for s in _latest(conn, None, as_of) if hits(s)], visible)


def set_public(conn, who, owner: str, dataflow_urn: str, public: bool) -> bool:
    """A country administrator (or a system administrator) opens or closes its documentation of a dataflow."""
    from ..access.administration import can_manage_sharing
    from ..sdmx.errors import Forbidden, NotFound
    from ..storage.artefact_store import ArtefactStore
    from ..storage.audit_store import AuditStore

    if not can_manage_sharing(who, owner):
        raise Forbidden(f"user {who.username} may not decide who sees the documentation of {owner}")
    found = ArtefactStore(conn).get(dataflow_urn)
    if found is None or found["type"] != "dataflow":
        raise NotFound(f"no dataflow {dataflow_urn}")
    changed = MetadataStore(conn).set_public(owner, dataflow_urn, public, by=who.username)
    if changed:
        AuditStore(conn).record(who.username or "", "documentation.publish" if public else "documentation.unpublish",
                                dataflow_urn, country=owner)
    return changed
