"""Structure maintenance rules (doc/maintenance.md): create, replace, partial update, delete.

Works on an ArtefactStore inside the caller's transaction and answers one
result per artefact; the HTTP layer turns results into a status code and a
SubmitStructureResponse. Given ``by`` (who asked), every change is recorded in the
audit log in the same transaction: the API and the portal alike.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

from ..content.search_entries import index_structures
from ..sdmx.artefacts import TYPES, Artefact, maintainable_references, parse_urn, urn_for, urn_of
from ..sdmx.errors import Conflict, NotFound, SemanticError
from ..sdmx.formats.structure_formats import refusal
from ..sdmx.structure_maps import reference_problems as map_reference_problems
from ..storage.artefact_store import ArtefactStore
from ..storage.audit_store import AuditStore
from ..storage.subscription_store import SubscriptionStore
from .item_references import removed_items_in_use


@dataclass(frozen=True)
class Result:
    urn: str
    action: Literal["Append", "Replace", "Delete", "Information"]
    status: Literal["Success", "Failure", "Warning"]
    code: int
    message: str


def _label(urn: str) -> str:
    u = parse_urn(urn)
    return f"{u.urn_class.split('.')[-1]} {u.agency_id}:{u.id}({u.version})"


def _order_by_dependencies(artefacts: list[Artefact]) -> list[Artefact]:
    """Referenced artefacts first, so one message can carry a DSD and its codelists."""
    by_urn = {urn_of(a): a for a in artefacts}
    done: set[str] = set()
    out: list[Artefact] = []

    def visit(urn: str, stack: set[str]) -> None:
        if urn in done or urn in stack:
            return
        stack.add(urn)
        for ref in maintainable_references(by_urn[urn]):
            if ref in by_urn:
                visit(ref, stack)
        done.add(urn)
        out.append(by_urn[urn])

    for urn in by_urn:
        visit(urn, set())
    return out


def _missing_references(store: ArtefactStore, refs: set[str], submitted: set[str], failed: set[str]) -> list[str]:
    """References that resolve to nothing once the message's own copies are judged.

    A refused copy (a final artefact submitted with other content) does not hide the stored
    artefact it would have replaced: references resolve against what is stored. A copy still to
    be judged (a cycle within the message) counts as there.
    """
    pending = {r for r in refs if r in submitted and r not in failed}
    stored = set(store.existing_urns(sorted(refs - pending))) if refs - pending else set()
    return sorted(r for r in refs - pending if r not in stored)


def _merge_partial(stored: Artefact, partial: Artefact) -> Artefact:
    """Items of a partial item scheme replace or extend the stored ones (maintenance.md)."""
    key = TYPES[stored["type"]].items_key
    merged = copy.deepcopy(stored)
    for k, v in partial.items():
        if k in ("names", "descriptions"):
            merged.setdefault(k, {}).update(v)
        elif k not in (key, "isPartial"):
            merged[k] = v
    if key:
        items = merged.setdefault(key, [])
        index = {it["id"]: i for i, it in enumerate(items)}
        for it in partial.get(key, []):
            if it["id"] in index:
                items[index[it["id"]]] = it
            else:
                items.append(it)
    merged.pop("isPartial", None)
    return merged


def submit(store: ArtefactStore, artefacts: list[Artefact], *, method: Literal["POST", "PUT"],
           path_type: str | None = None, path_ref: tuple[str, str, str] | None = None,
           by: str | None = None) -> list[Result]:
    """Store what may be stored; each artefact gets a result. Raises for whole-request errors."""
    if not artefacts:
        raise SemanticError("the message contains no structures")
    if path_type:
        wrong = [urn_of(a) for a in artefacts if a["type"] != path_type]
        if wrong:
            raise SemanticError(f"the resource is /{path_type} but the message contains "
                                f"{', '.join(_label(u) for u in wrong)}")
    if method == "PUT":
        if len(artefacts) != 1:
            raise SemanticError(f"PUT replaces exactly one artefact; the message contains {len(artefacts)}")
        a = artefacts[0]
        if path_ref and (a["agencyID"], a["id"], a["version"]) != path_ref:
            raise SemanticError(f"the URL names {path_type} {path_ref[0]}:{path_ref[1]}({path_ref[2]}) "
                                f"but the message contains {_label(urn_of(a))}")
        if store.get(urn_of(a)) is None:
            raise NotFound(f"{_label(urn_of(a))} does not exist; create it with POST")

    results: list[Result] = []
    stored_ok: set[str] = set()
    failed: set[str] = set()
    changed = False
    submitted = {urn_of(a) for a in artefacts}
    in_message = {urn_of(a): a for a in artefacts}

    def resolve(ref: str) -> Artefact | None:
        """The message's own copy of a reference (unless refused), else the stored one."""
        if ref in in_message and ref not in failed:
            return in_message[ref]
        return store.get(ref)

    for a in _order_by_dependencies(artefacts):
        urn = urn_of(a)
        refused = refusal(a)
        if refused:  # what the server could not give back is not stored (never 201 then 406)
            failed.add(urn)
            results.append(Result(urn, "Append", "Failure", 422, f"{_label(urn)} cannot be stored: {refused}"))
            continue
        refs = maintainable_references(a)
        missing = _missing_references(store, refs - stored_ok, submitted, failed)
        if missing:
            failed.add(urn)
            results.append(Result(urn, "Append", "Failure", 409,
                                  f"{_label(urn)} refers to artefacts that do not exist: {', '.join(missing)}"))
            continue
        if a["type"] in ("structuremap", "representationmap"):
            inside = map_reference_problems(a, resolve)  # components and codes the map names must exist
            if inside:
                failed.add(urn)
                results.append(Result(urn, "Append", "Failure", 409, f"{_label(urn)}: {'; '.join(inside)}"))
                continue
        existing = store.get(urn)
        if existing is not None and a.get("isPartial") and TYPES[a["type"]].is_item_scheme:
            a = _merge_partial(existing, a)
        else:
            a = {k: v for k, v in a.items() if k != "isPartial"}
        if existing is not None and existing.get("isFinal") and existing != a:
            failed.add(urn)
            results.append(Result(urn, "Replace", "Failure", 409,
                                  f"{_label(urn)} is final and cannot change; submit it under a new version"))
            continue
        in_use = removed_items_in_use(store, existing, a) if existing is not None else []
        if in_use:
            failed.add(urn)
            results.append(Result(urn, "Replace", "Failure", 409, _still_referenced(urn, in_use)))
            continue
        outcome = store.put(a)
        stored_ok.add(urn)
        if outcome != "unchanged":
            changed = True
            _audit(store, by, f"structure.{'create' if outcome == 'created' else 'replace'}", urn)
        if outcome == "created":
            results.append(Result(urn, "Append", "Success", 201, f"{_label(urn)} created"))
        elif outcome == "replaced":
            results.append(Result(urn, "Replace", "Success", 200, f"{_label(urn)} replaced"))
        else:
            results.append(Result(urn, "Replace", "Success", 200, f"{_label(urn)} unchanged"))
    if changed:
        index_structures(store.conn)  # names and codes searched, in the same transaction
    return results


def delete(store: ArtefactStore, type_: str, agency: str, id_: str, version: str,
           item_id: str | None = None, *, by: str | None = None) -> Result:
    """Delete one maintainable artefact or one item; Conflict when it is final or referenced."""
    urn = urn_for(type_, agency, id_, version)
    stored = store.get(urn)
    if stored is None:
        raise NotFound(f"{_label(urn)} does not exist")
    if stored.get("isFinal"):
        raise Conflict(f"{_label(urn)} is final and cannot be deleted")
    if item_id is None:
        referrers = store.referrers_of(urn)
        if referrers:
            raise Conflict(f"{_label(urn)} is referenced by {', '.join(_label(r) for r in referrers)}")
        store.delete(urn)
        _audit(store, by, "structure.delete", urn)
        index_structures(store.conn)
        return Result(urn, "Delete", "Success", 200, f"{_label(urn)} deleted")
    key = TYPES[type_].items_key
    if not key:
        raise SemanticError(f"{type_} has no items")
    updated = copy.deepcopy(stored)
    path = item_id.split(".")
    items = updated.get(key, [])
    for depth, part in enumerate(path):
        match = next((it for it in items if it["id"] == part), None)
        if match is None:
            raise NotFound(f"item {item_id} does not exist in {_label(urn)}")
        if depth == len(path) - 1:
            items.remove(match)  # nested children go with it
        else:
            items = match.setdefault(key, [])
    if len(path) == 1:  # flat schemes: children of a deleted item become orphans
        for it in updated.get(key, []):
            if it.get("parent") == item_id:
                del it["parent"]
    in_use = removed_items_in_use(store, stored, updated)
    if in_use:
        raise Conflict(_still_referenced(urn, in_use))
    store.put(updated)
    _audit(store, by, "structure.delete_item", urn, {"item": item_id})
    index_structures(store.conn)
    return Result(urn, "Delete", "Success", 200, f"item {item_id} deleted from {_label(urn)}")


def _still_referenced(urn: str, in_use: list[str]) -> str:
    return (f"{_label(urn)} would remove items still referenced (references must stay resolvable): "
            + "; ".join(in_use))


def _audit(store: ArtefactStore, by: str | None, action: str, urn: str, details: dict | None = None) -> None:
    if by is not None:  # None: loading the seed artefacts (init), nobody's decision to record
        AuditStore(store.conn).record(by, action, urn, country=None, details=details)
        queue_structure_notices(store, urn)


DATAFLOW_URN = "urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow="


def queue_structure_notices(store: ArtefactStore, urn: str, depth: int = 4) -> int:
    """Queue "structure" webhook deliveries (issue 20) for the dataflows that a changed artefact is, or that use it
    (a structure, its codelists and concept schemes, a few references up), in the change's transaction."""
    flows: set[str] = set()
    changed = store.get(urn)  # a constraint or provision agreement names its dataflow itself
    seen, level = {urn}, {urn} | (maintainable_references(changed) if changed is not None else set())
    for _ in range(depth):
        flows |= {u for u in level if u.startswith(DATAFLOW_URN)}
        level = {r for u in level for r in store.referrers_of(u)} - seen
        seen |= level
        if not level:
            break
    subscriptions = SubscriptionStore(store.conn)
    return sum(subscriptions.queue("structure", flow) for flow in sorted(flows))


def overall_status(results: list[Result], method: str) -> int:
    """201/200 when everything succeeded, the failure code when all failed, 207 when mixed."""
    failures = [r for r in results if r.status == "Failure"]
    if not failures:
        return 201 if method == "POST" and any(r.code == 201 for r in results) else 200
    if len(failures) == len(results):
        return failures[0].code
    return 207
