"""What the workflow screens list and offer, as plain functions over submission/workflow.py.

Lists use ``workflow.scope`` and ``workflow.visible``, the rules the /api/submissions endpoints use, so a
user sees and acts on exactly what the API would let them; revision notices follow the visibility rule
of the released data they describe (as /api/.../revisions does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..identity.actor import Actor
from ..access.visibility import Visibility
from ..storage.artefact_store import ArtefactStore
from ..storage.submission_store import Revision, SubmissionRow, SubmissionStore
from ..submission import workflow
from .statistics_catalogue import countries
from .texts import LocalText, pick
from .time_zones import UTC_NAME, to_utc

VERIFY, RELEASE, SUBMIT = "verify_data", "release_data", "submit_data"
LIST_LIMIT = 200


def has_submissions(who: Actor) -> bool:
    """Whether "My submissions" can list anything for this user (the API's scope is not empty)."""
    found = workflow.scope(who)
    return found is None or bool(found)


def may_queue(who: Actor, privilege: str) -> bool:
    return not who.is_anonymous and who.can(privilege)


def my_submissions(conn, who: Actor, state: str | None = None) -> list[SubmissionRow]:
    return SubmissionStore(conn).list(workflow.scope(who), state=state, limit=LIST_LIMIT)


def queue(conn, who: Actor, privilege: str) -> list[SubmissionRow]:
    """Submissions waiting for this user's step: pending ones to verify, validated ones to release."""
    state = "pending" if privilege == VERIFY else "validated"
    rows = SubmissionStore(conn).list(workflow.scope(who), state=state, limit=LIST_LIMIT)
    return sorted((r for r in rows if workflow.visible(who, r, (privilege,))), key=lambda r: r.id)


def actions(who: Actor, row: SubmissionRow, four_eyes: workflow.FourEyes) -> set[str]:
    """What this user may do to this submission now: "verify", "return", "release", "correct" (a returned one, for
    its country's submitters); never verify or release
    their own submission unless the four-eyes rule is waived for its country ("four_eyes" says it is theirs)."""
    out = set()
    if workflow.visible(who, row, (VERIFY,)):
        if row.state == "pending":
            out.add("verify")
        if row.state in ("pending", "validated"):
            out.add("return")
    if workflow.visible(who, row, (RELEASE,)) and row.state == "validated":
        out.add("release")
    if out & {"verify", "release"} and four_eyes.blocks(who, row):
        out = (out - {"verify", "release"}) | {"four_eyes"}
    if row.state == "returned" and workflow.visible(who, row, (SUBMIT,)) and workflow.may_submit(who, row.dataflow_urn):
        out.add("correct")  # its figures are kept for the submitter to correct and send again
    return out


def embargo_time(day, time_of_day, zone: str = UTC_NAME) -> datetime | None:
    """The release time chosen on the form, typed in the reader's ``zone``, in UTC; None for "now"."""
    if day is None:
        return None
    return to_utc(day, time_of_day, zone)


@dataclass(frozen=True)
class RevisionNotice:
    submission: SubmissionRow
    revisions: list[Revision]


def revision_notices(conn, sees: Visibility, limit: int = 50) -> list[RevisionNotice]:
    """workflow.revision_notices, the newest ``limit`` (as /api/.../revisions reports them, every indicator)."""
    found = workflow.revision_notices(conn, sees.providers, limit=LIST_LIMIT * 5, per_submission=200)
    return [RevisionNotice(row, revisions) for row, revisions in found[:limit]]


class Labels:
    """Indicator and country names for lists of submissions, looked up once per page."""

    def __init__(self, store: ArtefactStore, lang: str):
        self.store = store
        self.lang = lang
        self._flows: dict[str, LocalText] = {}
        self._countries = dict(countries(store, lang))

    def indicator(self, urn: str) -> LocalText:
        if urn not in self._flows:
            flow = self.store.get(urn)
            self._flows[urn] = pick((flow or {}).get("names"), self.lang, urn.split("=")[-1])
        return self._flows[urn]

    def country(self, provider: str) -> LocalText:
        return self._countries.get(provider, LocalText(provider, "en"))
