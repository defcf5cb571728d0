"""The documentation workflow: pending -> validated -> released (or returned), by the roles and rules of data.

The same rules as data submissions (submission/workflow.py): documentation of country P on dataflow F is
seen and acted on by users of P holding a workflow privilege for F (``submit_data``, ``verify_data``,
``release_data``; ``manage_content`` documents every indicator of its country), and by those who see all
data; anyone else gets 404 whatever the id. A verifier (``verify_data``) confirms or returns it, an
approver (``release_data``) releases it; neither may be its submitter (four eyes) unless the country
waives the rule (``four_eyes_waived``) or they administer the system, which is then recorded. Every
transition is written to ``metadata_set_transition`` and the audit log, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..identity.actor import Actor
from ..sdmx.errors import BadInput, Conflict, Forbidden, NotFound
from ..sdmx.metadata_set import AttributeValue, MetadataSet
from ..storage.audit_store import AuditStore
from ..storage.metadata_store import MetadataStore
from ..submission.workflow import FourEyes

SUBMIT, VERIFY, RELEASE, CONTENT = "submit_data", "verify_data", "release_data", "manage_content"
ANY_STEP = (SUBMIT, VERIFY, RELEASE, CONTENT)
LIST_LIMIT = 200


def may_document(who: Actor, dataflow_urn: str) -> bool:
    """Whether the caller may submit documentation of this dataflow: a data submitter of it, or a content
    manager (country-bound users document their own country only: validation.check_sets)."""
    return not who.is_anonymous and (who.holds_for(SUBMIT, dataflow_urn) or who.can(CONTENT))


def holds(who: Actor, privilege: str, dataflow_urn: str) -> bool:
    if privilege == CONTENT:
        return who.can(CONTENT)
    return who.holds_for(privilege, dataflow_urn)


def visible(who: Actor, s: MetadataSet | None, privileges: tuple[str, ...] = ANY_STEP) -> bool:
    """Whether the caller may see this set in the workflow (and act, for the given privileges)."""
    if s is None or who.is_anonymous:
        return False
    if who.can("view_all_data"):
        return True
    return who.country == s.provider_id and any(holds(who, p, s.dataflow_urn) for p in privileges)


def listing(conn, who: Actor, *, state: str | None = None, dataflow_urn: str | None = None,
            privilege: tuple[str, ...] = ANY_STEP, limit: int = LIST_LIMIT,
            before: int | None = None) -> list[MetadataSet]:
    """The sets the caller may see, newest first; one country's unless they see all data."""
    if who.is_anonymous or (who.country is None and not who.can("view_all_data")):
        return []
    provider = None if who.can("view_all_data") else who.country
    rows = MetadataStore(conn).listing(states=[state] if state else None, provider_id=provider,
                                       dataflow_urn=dataflow_urn, limit=limit, before=before)
    return [s for s in rows if visible(who, s, privilege)]


def queue(conn, who: Actor, privilege: str) -> list[MetadataSet]:
    """Documentation waiting for this user's step: pending to verify, validated to release (oldest first)."""
    state = "pending" if privilege == VERIFY else "validated"
    return sorted(listing(conn, who, state=state, privilege=(privilege,)), key=lambda s: s.id or 0)


def get(conn, who: Actor, set_pk: int) -> MetadataSet:
    s = MetadataStore(conn).get(set_pk) if 0 < set_pk < 2**31 else None
    if not visible(who, s):
        raise NotFound(f"documentation {set_pk} does not exist or is not yours to see")
    return s  # type: ignore[return-value]


def actions(who: Actor, s: MetadataSet, four_eyes: FourEyes) -> set[str]:
    """What this user may do now: "verify", "return", "release"; "four_eyes" when the rule keeps them from
    verifying or releasing their own submission."""
    out = set()
    if visible(who, s, (VERIFY,)):
        if s.state == "pending":
            out.add("verify")
        if s.state in ("pending", "validated"):
            out.add("return")
    if visible(who, s, (RELEASE,)) and s.state == "validated":
        out.add("release")
    if out & {"verify", "release"} and _blocked(who, s, four_eyes):
        out = (out - {"verify", "release"}) | {"four_eyes"}
    return out


def _blocked(who: Actor, s: MetadataSet, four_eyes: FourEyes) -> bool:
    return (who.username is not None and who.username == s.submitted_by
            and s.provider_id not in four_eyes.waived_for and not who.can("administer_system"))


def _four_eyes(conn, who: Actor, s: MetadataSet, step: str, four_eyes: FourEyes) -> None:
    """Refuse the submitter's own verify or release step unless waived; record the waiver when it is."""
    if who.username is None or who.username != s.submitted_by:
        return
    if _blocked(who, s, four_eyes):
        raise Forbidden(f"four-eyes rule: {who.username} submitted documentation {s.id} and may not {step} it too; "
                        f"another user of {s.provider_id} must (the rule is waived only for the countries of the "
                        f"four_eyes_waived setting)")
    reason = "system administrator" if s.provider_id not in four_eyes.waived_for else "four_eyes_waived"
    AuditStore(conn).record(who.username, "documentation.four_eyes_waived", target(s), country=s.provider_id,
                            details={"step": step, "reason": reason, "metadataSet": s.id})


def target(s: MetadataSet) -> str:
    """How the audit log names a version of a set: its provider, id and version, as REST queries name it."""
    return f"metadataset {s.provider_id}:{s.set_id}({s.version}.0)"


def record(conn, who: Actor | str, s: MetadataSet, from_state: str | None, to_state: str, comment: str = "") -> None:
    """The audit entry of one transition (metadata_set_transition holds it too, written by the store)."""
    action = {"pending": "submit", "validated": "verify", "released": "release", "returned": "return"}[to_state]
    name = who if isinstance(who, str) else who.username or ""
    AuditStore(conn).record(name, f"documentation.{action}", target(s), country=s.provider_id,
                            details={"metadataSet": s.id, "dataflow": s.dataflow_urn, "from": from_state,
                                     "to": to_state, **({"comment": comment} if comment else {})})


def _move(conn, who: Actor, s: MetadataSet, to_state: str, comment: str) -> MetadataSet:
    try:
        done = MetadataStore(conn).transition(s.id or 0, to_state, actor=who.username or "", comment=comment)
    except ValueError:
        raise Conflict(f"documentation {s.id} is {s.state}; it cannot become {to_state} from there") from None
    record(conn, who, done, s.state, to_state, comment)
    return done


def _acting(conn, who: Actor, set_pk: int, privilege: str) -> MetadataSet:
    s = get(conn, who, set_pk)
    if not visible(who, s, (privilege,)):
        raise Forbidden(f"user {who.username} lacks {privilege} on {s.dataflow_urn}")
    return s


def _state(s: MetadataSet, *allowed: str, wanted: str) -> None:
    if s.state not in allowed:
        raise Conflict(f"documentation {s.id} is {s.state}; it cannot become {wanted} from there")


def verify(conn, who: Actor, set_pk: int, comment: str = "", *, four_eyes: FourEyes = FourEyes()) -> MetadataSet:
    s = _acting(conn, who, set_pk, VERIFY)
    _state(s, "pending", wanted="validated")  # a state that moved on says so before whose step it is
    _four_eyes(conn, who, s, "verify", four_eyes)
    return _move(conn, who, s, "validated", comment)


def return_(conn, who: Actor, set_pk: int, comment: str) -> MetadataSet:
    if not comment.strip():
        raise BadInput("returning documentation needs a comment saying what to fix")
    s = _acting(conn, who, set_pk, VERIFY)
    _state(s, "pending", "validated", wanted="returned")
    return _move(conn, who, s, "returned", comment)


def release(conn, who: Actor, set_pk: int, comment: str = "", *, four_eyes: FourEyes = FourEyes()) -> MetadataSet:
    s = _acting(conn, who, set_pk, RELEASE)
    _state(s, "validated", wanted="released")
    _four_eyes(conn, who, s, "release", four_eyes)
    return _move(conn, who, s, "released", comment)


# -- what changed against the released version ----------------------------------------------------------

@dataclass(frozen=True)
class Change:
    attribute: str
    kind: str  # added | removed | changed
    before: tuple[AttributeValue, ...]
    after: tuple[AttributeValue, ...]


def released_before(conn, s: MetadataSet) -> MetadataSet | None:
    """The version the public sees now (the newest released one older than ``s``), if any."""
    return MetadataStore(conn).newest(s.metadataflow_urn, s.dataflow_urn, s.provider_id, states=("released",),
                                      below_version=s.version)


def changes(before: MetadataSet | None, after: MetadataSet) -> list[Change]:
    """Attribute by attribute, in the order of ``after`` then what only ``before`` had: what differs."""
    old: dict[str, list[AttributeValue]] = {}
    for v in (before.values if before else ()):
        old.setdefault(v.attribute, []).append(v)
    new: dict[str, list[AttributeValue]] = {}
    for v in after.values:
        new.setdefault(v.attribute, []).append(v)
    out = []
    for aid in [*new, *(a for a in old if a not in new)]:
        b, a = old.get(aid, []), new.get(aid, [])
        if [_key(v) for v in b] == [_key(v) for v in a]:
            continue
        kind = "added" if not b else "removed" if not a else "changed"
        out.append(Change(aid, kind, tuple(b), tuple(a)))
    return out


def _key(v: AttributeValue) -> tuple:
    return v.value, tuple(sorted((v.texts or {}).items()))


def value_json(v: AttributeValue) -> dict[str, Any]:
    return {"attribute": v.attribute, **({"value": v.value} if v.value is not None else {}),
            **({"texts": v.texts} if v.texts is not None else {})}


def set_json(conn, s: MetadataSet, *, detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id, "setId": s.set_id, "metadataflow": s.metadataflow_urn, "dataflow": s.dataflow_urn,
        "provider": s.provider_id, "version": s.version, "state": s.state, "names": s.names,
        "submittedBy": s.submitted_by, "submittedAt": s.submitted_at.isoformat() if s.submitted_at else None,
        "releasedAt": s.released_at.isoformat() if s.released_at else None, "attributeValues": len(s.values)}
    if detail:
        store = MetadataStore(conn)
        out["values"] = [value_json(v) for v in s.values]
        out["transitions"] = [{"at": at.isoformat(), "actor": actor, "from": f, "to": t, "comment": c}
                              for at, actor, f, t, c in store.transitions(s.id or 0)]
        base = released_before(conn, s)
        out["comparedWith"] = base.version if base else None
        out["changes"] = [{"attribute": c.attribute, "kind": c.kind, "before": [value_json(v) for v in c.before],
                           "after": [value_json(v) for v in c.after]} for c in changes(base, s)]
    return out
