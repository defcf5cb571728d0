"""Submitting data documentation: read, check against the MSD and the submitter, store as pending.

The same rules as data (submission/workflow.py): only signed-in users holding ``submit_data`` for
the documented dataflow; a country-bound user documents only its own country; ``release_now`` for
callers holding submit, verify and release on it records pending -> validated -> released at once.
All sets of a message are stored or none (the caller's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import Unauthorized

from ..identity.actor import Actor
from ..sdmx.artefacts import parse_urn
from ..sdmx.formats.sdmx_ml_3_0_metadata import read_metadata_message
from ..sdmx.metadata_set import MetadataSet
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.metadata_store import MetadataStore
from ..submission.workflow import FourEyes
from .structure import MetadataflowInfo
from .validation import check_sets

ALL_STEPS = ("submit_data", "verify_data", "release_data")


def provision_providers(store: ArtefactStore, dataflow_urn: str) -> frozenset[str]:
    """Data providers with a provision agreement for the dataflow."""
    out = set()
    for urn in store.referrers_of(dataflow_urn):
        art = store.get(urn)
        if art and art["type"] == "provisionagreement" and art.get("dataflow") == dataflow_urn \
                and art.get("dataProvider"):
            out.add(parse_urn(art["dataProvider"]).item_id or "")
    return frozenset(out)


@dataclass(frozen=True)
class MetadataReceipt:
    sets: list[MetadataSet]

    def as_json(self) -> dict:
        return {"metadataSets": [{"id": s.set_id, "internalId": s.id, "metadataflow": s.metadataflow_urn,
                                  "dataflow": s.dataflow_urn, "provider": s.provider_id, "version": s.version,
                                  "state": s.state, "attributeValues": len(s.values)} for s in self.sets]}


def submit(conn, body: bytes, who: Actor, flows: dict[str, MetadataflowInfo], *, metadataflow_urn: str | None = None,
           release_now: bool = False, max_errors: int = 100, four_eyes: FourEyes | None = None) -> MetadataReceipt:
    """``four_eyes``: the data workflow's rule, which release=now must also pass (one person alone releases only
    for a country that waives it, or as a system administrator)."""
    if who.is_anonymous:
        raise Unauthorized("submitting metadata needs a token (Authorization: Bearer ...) or HTTP Basic credentials")
    sets = read_metadata_message(body)
    if metadataflow_urn is not None:
        wrong = [s.set_id for s in sets if s.metadataflow_urn != metadataflow_urn]
        if wrong:
            from ..sdmx.errors import SemanticError
            raise SemanticError(f"metadata sets {', '.join(wrong)} are for another metadataflow than the request "
                                f"names ({metadataflow_urn})")
    artefacts = ArtefactStore(conn)
    check_sets(sets, flows, artefacts.get, lambda f: provision_providers(artefacts, f), who.country,
               max_errors=max_errors)
    needed = ALL_STEPS if release_now else ("submit_data",)
    for s in sets:
        for p in needed:
            if not who.holds_for(p, s.dataflow_urn):
                raise HTTPForbidden(f"user {who.username} may not {p.replace('_data', '')} documentation of "
                                    f"{s.dataflow_urn}" + (" (release=now needs submit, verify and release)"
                                                           if release_now else ""))
    if release_now:
        for s in sets:
            (four_eyes or FourEyes()).alone(who, s.provider_id, "releasing documentation at once")
    store, now, out = MetadataStore(conn), utcnow(), []
    for s in sets:
        stored = store.add(s, state="pending", actor=who.username, at=now)
        if release_now:
            store.transition(stored.id, "validated", actor=who.username or "", comment="released on submission", at=now)
            stored = store.transition(stored.id, "released", actor=who.username or "",
                                      comment="released on submission", at=now)
            (four_eyes or FourEyes()).record(conn, who, step="release documentation", provider=s.provider_id,
                                             submission_id=stored.id or 0)
        out.append(stored)
    return MetadataReceipt(out)
