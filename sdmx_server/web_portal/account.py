"""Signing people in and out of the portal, and who is signed in (for the page header).

Passwords are checked by ``request_context.check_password``, the same throttled check HTTP Basic uses
(access/login_throttle.py), so the portal adds no second way in. The session cookie is Flask's signed
cookie; ``request_context`` accepts it for the portal's views only.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests

from ..request_context import SESSION_USER, actor, check_password, db, write_transaction
from ..storage.artefact_store import ArtefactStore
from ..storage.user_store import UserStore
from .statistics_catalogue import countries
from .texts import LocalText

# Role names as people read them; a role the policy adds later shows its id until it is given a label here.
ROLE_LABELS = {
    "viewer": _l("Viewer"),
    "data_submitter": _l("Data submitter"),
    "data_verifier": _l("Data verifier"),
    "data_approver": _l("Data approver"),
    "content_manager": _l("Content manager"),
    "country_administrator": _l("Country administrator"),
    "system_administrator": _l("System administrator"),
}


@dataclass(frozen=True)
class SignInOutcome:
    ok: bool
    retry_after: int = 0  # seconds to wait when too many failures blocked the attempt


@dataclass(frozen=True)
class SignedInUser:
    username: str
    display_name: str
    country: LocalText | None
    roles: list[str]  # role ids, in the policy's order


def sign_in(username: str, password: str) -> SignInOutcome:
    """Check the password (throttled) and, when right, start a fresh session for the user."""
    # the session epoch is read before the password: a reset that lands in between ends this session too
    row = UserStore(db(), current_app.extensions["sdmx_policy"]).get(username)
    try:
        found = check_password(username, password)
    except TooManyRequests as e:
        return SignInOutcome(False, int(e.retry_after or 1))
    if found is None or row is None or row.id != found.user_id:
        return SignInOutcome(False)
    session.clear()  # nothing from before signing in (nor its CSRF token) carries over
    session[SESSION_USER] = [row.id, row.username, row.session_epoch]
    return SignInOutcome(True)


def sign_out() -> None:
    """End the session here and every copy of its cookie: the user's session epoch moves on (which signs the
    user out on their other browsers too; a replayed cookie opens nothing)."""
    who = actor()
    if not who.is_anonymous and who.user_id is not None:
        with write_transaction():
            UserStore(db(), current_app.extensions["sdmx_policy"]).end_sessions(who.user_id)
    session.clear()


def signed_in_user(lang: str) -> SignedInUser | None:
    """The person behind this request, with their country's name in ``lang`` and their roles."""
    who = actor()
    if who.is_anonymous:
        if SESSION_USER in session:  # deactivated or deleted since signing in
            session.pop(SESSION_USER)
        return None
    policy = current_app.extensions["sdmx_policy"]
    row = UserStore(db(), policy).get(who.username or "")
    if row is None:
        return None
    held = {role for role, _ in row.roles}
    country = None
    if row.country:
        country = dict(countries(ArtefactStore(db()), lang)).get(row.country, LocalText(row.country, "en"))
    return SignedInUser(row.username, row.display_name or row.username, country,
                        [r for r in policy.roles if r in held])


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role.replace("_", " ")))
