"""Submitting data documentation: read, check against the MSD and the submitter, store as pending.

The same rules as data (submission/workflow.py): only signed-in users holding ``submit_data`` for
the documented dataflow, or ``manage_content`` (content managers document their country's indicators);
a country-bound user documents only its own country; ``release_now`` for
callers holding submit, verify and release on it records pending -> validated -> released at once.
All sets of a message are stored or none (the caller's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.exceptions import Forbidden as HTTPForbidden
from werkzeug.exceptions import Unauthorized

from ..identity.actor import Actor
from ..sdmx.artefacts import parse_urn
from ..sdmx.formats.excel_documentation_reader import read_documentation_workbook
from ..sdmx.formats.input_limits import MAX_INFLATE_RATIO, MAX_TOKEN
from ..sdmx.formats.metadata_format_detection import read_metadata
from ..sdmx.media_types import XLSX
from ..sdmx.metadata_set import MetadataSet
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.metadata_store import MetadataStore
from ..submission.workflow import FourEyes
from .structure import MetadataflowInfo
from .validation import check_sets
from .workflow import may_document, record

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


def read_sets(body: bytes, content_type: str | None, *, max_token: int = MAX_TOKEN,
              max_inflate_ratio: int = MAX_INFLATE_RATIO) -> list[MetadataSet]:
    """The sets of a metadata message (SDMX-ML 3.0, SDMX-JSON 2.0 or SDMX-CSV 2.0), or of a filled-in Excel
    documentation workbook (by its media type, or by the zip signature every .xlsx starts with)."""
    if (content_type or "").split(";")[0].strip().lower() == XLSX or body[:4] == b"PK\x03\x04":
        return read_documentation_workbook(body, max_token=max_token, max_inflate_ratio=max_inflate_ratio)
    return read_metadata(body, content_type)


def submit(conn, body: bytes | list[MetadataSet], who: Actor, flows: dict[str, MetadataflowInfo], *,
           metadataflow_urn: str | None = None, release_now: bool = False, max_errors: int = 100,
           four_eyes: FourEyes | None = None, content_type: str | None = None,
           limits: tuple[int, int] = (MAX_TOKEN, MAX_INFLATE_RATIO)) -> MetadataReceipt:
    """``body``: a message, a workbook, or sets already read (the portal's form). ``four_eyes``: the data
    workflow's rule, which release=now must also pass (one person alone releases only for a country that
    waives it, or as a system administrator)."""
    if who.is_anonymous:
        raise Unauthorized("submitting metadata needs a token (Authorization: Bearer ...) or HTTP Basic credentials")
    sets = body if isinstance(body, list) else read_sets(body, content_type, max_token=limits[0],
                                                         max_inflate_ratio=limits[1])
    if metadataflow_urn is not None:
        wrong = [s.set_id for s in sets if s.metadataflow_urn != metadataflow_urn]
        if wrong:
            from ..sdmx.errors import SemanticError
            raise SemanticError(f"metadata sets {', '.join(wrong)} are for another metadataflow than the request "
                                f"names ({metadataflow_urn})")
    artefacts = ArtefactStore(conn)
    check_sets(sets, flows, artefacts.get, lambda f: provision_providers(artefacts, f), who.country,
               max_errors=max_errors)
    needed = ALL_STEPS[1:] if release_now else ()
    for s in sets:
        if not may_document(who, s.dataflow_urn):
            raise HTTPForbidden(f"user {who.username} may not submit documentation of {s.dataflow_urn} (it needs "
                                f"submit_data on it, or manage_content)")
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
        record(conn, who, stored, None, "pending")
        if release_now:
            for before, after in (("pending", "validated"), ("validated", "released")):
                stored = store.transition(stored.id, after, actor=who.username or "", comment="released on submission",
                                          at=now)
                record(conn, who, stored, before, after, "released on submission")
            (four_eyes or FourEyes()).record(conn, who, step="release documentation", provider=s.provider_id,
                                             submission_id=stored.id or 0)
        out.append(stored)
    return MetadataReceipt(out)
