"""The documents library: who may see and who may change a document, and the audited operations.

Seeing (``may_see``): a published public document, anyone. A published restricted one follows the owning
country's sharing of its data: the owner's own users; whoever may see the owner's data on one of the linked
indicators (access/visibility.py, reciprocity included); every signed-in user of a participating country when
the owner says so (``participants``), and for every regional document. Restricted never means the anonymous
public, even when an indicator's data is public: the owner chose to keep the document behind sign-in.
Drafts and withdrawn documents: only those who manage them. Those who may not see a document are told it does not
exist (404), as for data.

Changing (``can_manage``): a country's documents, its users with ``manage_content`` (content managers, country
administrators); regional documents (no country), system administrators, who may also manage every country's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from ..access.visibility import Visibility
from ..identity.actor import Actor
from ..sdmx.errors import Forbidden, NotFound, SemanticError
from ..storage.audit_store import AuditStore
from ..storage.document_files import DocumentFiles
from ..storage.document_store import ACCESS, DocumentRow, DocumentStore
from .document_text import extract_text
from .search_entries import index_document
from .uploads import CheckedFile

DOC_TYPES = ("legislation", "policy", "methodology", "analysis")
MAX_TITLE = 300
MAX_SUMMARY = 4000
LIST_LIMIT = 200  # documents a listing shows (the newest)
SCAN_PAGE = 500  # rows read at a time while looking for those a reader may see
# state -> the states a manager may move it to (publish, withdraw, back to draft, publish again)
MOVES = {"draft": ("published",), "published": ("withdrawn",), "withdrawn": ("published", "draft")}


@dataclass(frozen=True)
class DocumentFields:
    """What a manager writes about a document (the file aside)."""

    country: str | None
    doc_type: str
    published_on: date
    titles: dict[str, str]
    summaries: dict[str, str]
    access: str
    participants: bool
    indicators: tuple[str, ...]


def is_system_administrator(actor: Actor) -> bool:
    return actor.can("administer_system")


def can_manage(actor: Actor, country: str | None) -> bool:
    """Whether the actor may create and change documents of ``country`` (None: regional)."""
    if is_system_administrator(actor):
        return True
    return country is not None and actor.can("manage_content") and actor.country == country


def may_manage_any(actor: Actor) -> bool:
    return is_system_administrator(actor) or (actor.can("manage_content") and actor.country is not None)


def may_see(actor: Actor, vis: Visibility, doc: DocumentRow) -> bool:
    if can_manage(actor, doc.country):
        return True
    if doc.state != "published":
        return False
    if doc.access == "public":
        return True
    if actor.is_anonymous:
        return False
    if vis.sees_everything:
        return True
    if actor.country is None:
        return False
    if doc.country is None or doc.participants or actor.country == doc.country:
        return True
    return any(doc.country in (vis.providers(urn) or ()) for urn in doc.indicators)


def visible_documents(store: DocumentStore, actor: Actor, vis: Visibility, *, doc_type: str | None = None,
                      country: str | None = None, regional: bool = False, limit: int = LIST_LIMIT) -> list[DocumentRow]:
    """The newest ``limit`` published documents the actor may see, optionally of one type and one owner. Rows
    are read a page at a time and judged by :func:`may_see`, until ``limit`` are found or none are left, so the
    rule is written once, here, and a reader who may see few documents still gets the newest of them."""
    countries: list[str | None] | None = [None] if regional else [country] if country else None
    access = "public" if actor.is_anonymous else None  # all a visitor may see: no need to read the others
    found: list[DocumentRow] = []
    after = None
    while len(found) < limit:
        page = store.list(states=["published"], countries=countries, doc_type=doc_type, access=access, after=after,
                          limit=SCAN_PAGE)
        found += [d for d in page if may_see(actor, vis, d)]
        if len(page) < SCAN_PAGE:
            break
        after = (page[-1].published_on, page[-1].id)
    return found[:limit]


def managed_documents(store: DocumentStore, actor: Actor) -> list[DocumentRow]:
    """Every document, in every state, of the countries the actor manages."""
    if is_system_administrator(actor):
        return store.list()
    if not may_manage_any(actor):
        raise Forbidden("only content managers manage documents")
    return store.list(countries=[actor.country])


def document_for(store: DocumentStore, actor: Actor, vis: Visibility, doc_id: int) -> DocumentRow:
    """The document, or NotFound when it does not exist or the actor may not see it (the same answer)."""
    doc = store.get(doc_id)
    if doc is None or not may_see(actor, vis, doc):
        raise NotFound(f"no document {doc_id}")
    return doc


def managed_document(store: DocumentStore, actor: Actor, doc_id: int) -> DocumentRow:
    doc = store.get(doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id}")
    if not can_manage(actor, doc.country):
        raise Forbidden("the document belongs to another country")
    return doc


def _check(actor: Actor, f: DocumentFields, known_indicators: Iterable[str]) -> None:
    if not can_manage(actor, f.country):
        raise Forbidden("documents of another country, or regional documents, are not yours to manage")
    if f.doc_type not in DOC_TYPES:
        raise SemanticError(f"unknown document type {f.doc_type!r}")
    if f.access not in ACCESS:
        raise SemanticError(f"unknown access {f.access!r}")
    if not any(f.titles.values()):
        raise SemanticError("a document needs a title in at least one language")
    if any(len(t) > MAX_TITLE for t in f.titles.values()) or any(len(s) > MAX_SUMMARY for s in f.summaries.values()):
        raise SemanticError("a title or summary is too long")
    unknown = set(f.indicators) - set(known_indicators)
    if unknown:
        raise SemanticError(f"unknown indicators: {', '.join(sorted(unknown))}")


def create_document(store: DocumentStore, audit: AuditStore, files: DocumentFiles, actor: Actor, f: DocumentFields,
                    checked: CheckedFile, data: bytes, known_indicators: Iterable[str]) -> tuple[int, str]:
    """Store the file and a draft row, audited; returns (id, file key). The caller's transaction holds the row:
    if it does not commit, the caller deletes the file by its key (``files.delete``), so nothing is kept."""
    _check(actor, f, known_indicators)
    key = files.save(data)
    try:
        doc_id = store.add(country=f.country, doc_type=f.doc_type, published_on=f.published_on, titles=f.titles,
                           summaries=f.summaries, access=f.access, participants=f.participants,
                           file_name=checked.file_name, media_type=checked.media_type, file_size=checked.size,
                           file_key=key, indicators=f.indicators, by=actor.username or "?")
        audit.record(actor.username or "?", "document.create", f"document:{doc_id}", country=f.country,
                     details=store.get(doc_id).as_details())
        index_document(store.conn, doc_id, extract_text(data, checked.media_type))
    except BaseException:
        files.delete(key)
        raise
    return doc_id, key


def edit_document(store: DocumentStore, audit: AuditStore, actor: Actor, doc_id: int, f: DocumentFields,
                  known_indicators: Iterable[str], *, new_file: tuple[CheckedFile, str] | None = None,
                  file_text: str | None = None) -> str | None:
    """Change a document's description (and its file, already saved under a new key, with its text for search:
    content/document_text.py); audited. Returns the replaced file's key, for the caller to delete once the
    transaction commits."""
    doc = managed_document(store, actor, doc_id)
    if f.country != doc.country:
        raise SemanticError("a document keeps its owner")
    _check(actor, f, known_indicators)
    values = dict(doc_type=f.doc_type, published_on=f.published_on, titles=f.titles, summaries=f.summaries,
                  access=f.access, participants=f.participants)
    old_key = None
    if new_file is not None:
        checked, key = new_file
        values.update(file_name=checked.file_name, media_type=checked.media_type, file_size=checked.size, file_key=key)
        old_key = doc.file_key
    store.update(doc_id, indicators=f.indicators, **values)
    after = store.get(doc_id)
    changed = {k: v for k, v in after.as_details().items() if doc.as_details().get(k) != v}
    audit.record(actor.username or "?", "document.update", f"document:{doc_id}", country=doc.country,
                 details={"changed": sorted(changed), **changed})
    index_document(store.conn, doc_id, (file_text or "") if new_file is not None else None)
    return old_key


def move_document(store: DocumentStore, audit: AuditStore, actor: Actor, doc_id: int, state: str) -> bool:
    """Publish, withdraw or return to draft; audited. False when the document is already there."""
    doc = managed_document(store, actor, doc_id)
    if doc.state == state:
        return False
    if state not in MOVES.get(doc.state, ()):
        raise SemanticError(f"a {doc.state} document cannot become {state}")
    store.update(doc_id, state=state)
    action = {"published": "document.publish", "withdrawn": "document.withdraw", "draft": "document.draft"}[state]
    audit.record(actor.username or "?", action, f"document:{doc_id}", country=doc.country,
                 details={"before": doc.state, "after": state})
    index_document(store.conn, doc_id)
    return True
