"""Country and system administration: users, roles, sharing matrix, API tokens, countries, structures, audit log.

Thin views: parse the form, call access/administration.py (or the structure maintenance functions) with the
signed-in user as actor, render. The rules are the management API's: a refusal of the logic layer becomes the
same 403 or 404 here. One-time secrets (a reset password, a new token) are shown in the answer to the POST that
made them, never stored in the session cookie, and the answer is not cached.
"""

from __future__ import annotations

import secrets
from typing import Any, NoReturn

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..access import administration as admin
from ..identity.actor import Actor
from ..request_context import actor, db, write_transaction
from ..sdmx.errors import Forbidden, NotFound, SdmxError
from ..storage.artefact_store import utcnow
from ..storage.user_store import DuplicateUser, UserRow
from . import page_context
from .admin_forms import (ActiveForm, DisplayNameForm, NewCountryForm, NewTokenForm, NewUserForm, ResetPasswordForm,
                          RevokeTokenForm, RolesForm, SharingForm, StructureUploadForm, choices, with_roles)
from .admin_sharing import apply_sharing, sharing_matrix
from .admin_system import (add_country, audit_lines, country_list, explain_unreadable, load_structure_message,
                           scheme_label, stored_structures)
from .admin_users import assignments_from, explain, held_roles, role_options, ticked_boxes
from .page_context import signed_in
from .statistics_catalogue import Indicator, countries, indicator_of
from .texts import sort_key
from .views import bp

page_context.NOTICES.update({
    "user_created": _l("The user is created. Tell them their username and first password."),
    "roles_saved": _l("The roles are saved."),
    "name_saved": _l("The full name is saved."),
    "user_deactivated": _l("The user is deactivated: they can no longer sign in, and their API tokens are revoked."),
    "user_activated": _l("The user is active again."),
    "sharing_saved": _l("The sharing settings are saved."),
    "sharing_unchanged": _l("Nothing was changed."),
    "token_revoked": _l("The API token is revoked: it no longer works."),
    "country_saved": _l("The country is saved."),
    "already_done": _l("That form had been sent already, so nothing more was done."),
})
AUDIT_PAGE = 50
NO_STORE = {"Cache-Control": "no-store"}


# -- shared helpers -------------------------------------------------------------------------------

def _stores() -> admin.Stores:
    return admin.Stores.on(db(), current_app.extensions["sdmx_policy"])


def _refused(e: SdmxError) -> NoReturn:
    """The API's answer to a refusal, as a portal error page: 404 for what one may not know of, else 403."""
    abort(404 if isinstance(e, NotFound) else 403)


def _indicators(s: admin.Stores, lang: str) -> list[Indicator]:
    return sorted((indicator_of(a, lang) for a in s.artefacts.candidates({"dataflow"}, None, None)),
                  key=lambda i: sort_key(i.name))


def _admin_menu(who: Actor) -> list[tuple[str, Any]]:
    """The administration pages this person may use: (endpoint, label)."""
    menu: list[tuple[str, Any]] = []
    if admin.can_manage_users(who):
        menu.append(("portal.admin_users", _l("Users")))
    if admin.is_system_administrator(who) or (who.can("manage_sharing") and who.country):
        menu.append(("portal.admin_sharing", _l("Sharing")))
    if admin.is_system_administrator(who) or admin.can_read_audit(who, who.country):
        menu.append(("portal.system_audit", _l("Audit log")))
    if who.can("manage_countries"):
        menu.append(("portal.system_countries", _l("Countries")))
    if who.can("maintain_structures"):
        menu.append(("portal.system_structures", _l("Structures")))
    from .link_pages import may_see_links  # links from national databases (issue 20)
    if may_see_links(who):
        menu.append(("portal.system_links", _l("Links")))
    return menu


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    """The header's entries of this part, shown only to those who may use them."""
    try:
        who = actor()
    except Exception:  # an error page for a request whose credentials failed: no menu
        return {"admin_menu": [], "admin_nav": []}
    if who.is_anonymous:
        return {"admin_menu": [], "admin_nav": []}
    menu = _admin_menu(who)
    current = request.endpoint or ""
    nav = []
    if menu:
        in_admin = current.startswith(("portal.admin_", "portal.system_"))
        nav.append({"url": url_for(menu[0][0]), "label": _("Administration"), "current": in_admin})
    nav.append({"url": url_for("portal.my_tokens"), "label": _("API tokens"), "current": current == "portal.my_tokens"})
    return {"admin_menu": [{"url": url_for(e), "label": str(label), "current": current.startswith(e)}
                           for e, label in menu], "admin_nav": nav}


ONCE = "admin_once"  # session key: the one-time keys of forms that make a secret


def _issue_once() -> str:
    """A key for one form that makes a secret: a reloaded POST answer then makes no second secret."""
    key = secrets.token_urlsafe(16)
    session[ONCE] = [*session.get(ONCE, [])[-4:], key]
    return key


def _spend_once(key: str | None) -> bool:
    pending = list(session.get(ONCE, []))
    if not key or key not in pending:
        return False
    pending.remove(key)
    session[ONCE] = pending
    return True


# -- users ----------------------------------------------------------------------------------------

def _require_user_manager() -> Actor:
    who = signed_in()
    if not admin.can_manage_users(who):
        abort(403)
    return who


@bp.get("/<portal_lang:lang_code>/admin/users/")
def admin_users() -> str:
    who = _require_user_manager()
    s = _stores()
    country = request.args.get("country") or None
    try:
        users = admin.list_users(s, who, country)
    except SdmxError as e:
        _refused(e)
    names = {i.urn: i.name for i in _indicators(s, g.lang_code)}
    policy = s.policy
    rows = [(u, held_roles(u, policy, names)) for u in users]
    return render_template("portal/admin_users.html", rows=rows, country=country,
                           countries=countries(s.artefacts, g.lang_code),
                           system=admin.is_system_administrator(who))


def _user_form_class(s: admin.Stores, who: Actor, base: type) -> tuple[type, list]:
    options = role_options(s.policy, who, _indicators(s, g.lang_code))
    return with_roles(base, [(o.role, o.label, o.boxes) for o in options]), options


@bp.route("/<portal_lang:lang_code>/admin/users/new", methods=["GET", "POST"])
def admin_new_user() -> Response | tuple[str, int]:
    who = _require_user_manager()
    s = _stores()
    form_class, options = _user_form_class(s, who, NewUserForm)
    form = form_class()
    system = admin.is_system_administrator(who)
    if system:
        form.country.choices = choices([("", _("None: a system administrator of the hosting organisation"))] + [
            (c, n.text) for c, n in countries(s.artefacts, g.lang_code)])
        if not form.is_submitted():
            form.country.data = request.args.get("country", "")
    else:
        del form.country
    if form.validate_on_submit():
        roles = assignments_from({o.field: form[o.field].data for o in options}, options)
        if not roles:
            form.form_errors.append(_("Tick at least one role for the new user."))
        else:
            try:
                with write_transaction():
                    admin.create_user(s, who, username=form.username.data.strip(), password=form.password.data,
                                      roles=roles, country=(form.country.data or None) if system else None,
                                      display_name=(form.display_name.data or "").strip())
            except SdmxError as e:
                (form.username.errors if isinstance(e, DuplicateUser) else form.form_errors).append(explain(e))
            else:
                flash("user_created")
                return redirect(url_for("portal.admin_user", username=form.username.data.strip()))
    status = 400 if form.is_submitted() else 200
    return render_template("portal/admin_user_new.html", form=form, options=options, system=system), status


def _user_page(s: admin.Stores, who: Actor, target: UserRow, *, roles_form: Any = None, options: list | None = None,
               name_form: Any = None, new_password: str | None = None, problem: str | None = None,
               status: int = 200) -> tuple[str, int, dict[str, str]]:
    if roles_form is None:
        form_class, options = _user_form_class(s, who, RolesForm)
        roles_form = form_class(data=ticked_boxes(target, options))
    names = {i.urn: i.name for i in _indicators(s, g.lang_code)}
    country = dict(countries(s.artefacts, g.lang_code)).get(target.country) if target.country else None
    password_form = ResetPasswordForm()
    password_form.once.data = _issue_once()
    html = render_template(
        "portal/admin_user.html", user=target, country=country, held=held_roles(target, s.policy, names),
        manageable=admin.can_manage_user(who, s.policy, target), is_me=target.id == who.user_id,
        roles_form=roles_form, options=options,
        name_form=name_form or DisplayNameForm(display_name=target.display_name),
        active_form=ActiveForm(active="no" if target.is_active else "yes"), password_form=password_form,
        new_password=new_password, problem=problem)
    return html, status, NO_STORE


def _managed(username: str) -> tuple[Actor, admin.Stores, UserRow]:
    """The user manager, the stores and the user they ask about (404/403 as the API answers)."""
    who = _require_user_manager()
    s = _stores()
    try:
        return who, s, admin.get_user(s, who, username)
    except SdmxError as e:
        _refused(e)


def _refusal(s: admin.Stores, who: Actor, target: UserRow, e: SdmxError) -> tuple[str, int, dict[str, str]]:
    return _user_page(s, who, target, problem=explain(e), status=403 if isinstance(e, Forbidden) else 422)


@bp.get("/<portal_lang:lang_code>/admin/users/<username>")
def admin_user(username: str) -> tuple[str, int, dict[str, str]]:
    who, s, target = _managed(username)
    return _user_page(s, who, target)


@bp.post("/<portal_lang:lang_code>/admin/users/<username>/roles")
def admin_user_roles(username: str) -> Response | tuple[str, int, dict[str, str]]:
    who, s, target = _managed(username)
    form_class, options = _user_form_class(s, who, RolesForm)
    form = form_class()
    if form.validate_on_submit():
        roles = assignments_from({o.field: form[o.field].data for o in options}, options)
        try:
            with write_transaction():
                admin.set_roles(s, who, username, roles)
        except SdmxError as e:
            form.form_errors.append(explain(e))
        else:
            flash("roles_saved")
            return redirect(url_for("portal.admin_user", username=username))
    return _user_page(s, who, target, roles_form=form, options=options, status=400)


@bp.post("/<portal_lang:lang_code>/admin/users/<username>/name")
def admin_user_name(username: str) -> Response | tuple[str, int, dict[str, str]]:
    who, s, target = _managed(username)
    form = DisplayNameForm()
    if form.validate_on_submit():
        try:
            with write_transaction():
                admin.set_display_name(s, who, username, (form.display_name.data or "").strip())
        except SdmxError as e:
            form.display_name.errors = [*form.display_name.errors, explain(e)]
        else:
            flash("name_saved")
            return redirect(url_for("portal.admin_user", username=username))
    return _user_page(s, who, target, name_form=form, status=400)


@bp.post("/<portal_lang:lang_code>/admin/users/<username>/active")
def admin_user_active(username: str) -> Response | tuple[str, int, dict[str, str]]:
    who, s, target = _managed(username)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "yes"
    try:
        with write_transaction():
            admin.set_active(s, who, username, active)
    except SdmxError as e:
        return _refusal(s, who, target, e)
    flash("user_activated" if active else "user_deactivated")
    return redirect(url_for("portal.admin_user", username=username))


@bp.post("/<portal_lang:lang_code>/admin/users/<username>/password")
def admin_user_password(username: str) -> Response | tuple[str, int, dict[str, str]]:
    """A new random password, shown in this answer only (it is never stored anywhere readable)."""
    who, s, target = _managed(username)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        abort(400)
    if not _spend_once(form.once.data):
        flash("already_done")
        return redirect(url_for("portal.admin_user", username=username))
    try:
        with write_transaction():
            password = admin.reset_password(s, who, username)
    except SdmxError as e:
        return _refusal(s, who, target, e)
    return _user_page(s, who, admin.get_user(s, who, username), new_password=password)


# -- sharing --------------------------------------------------------------------------------------

@bp.route("/<portal_lang:lang_code>/admin/sharing", methods=["GET", "POST"])
def admin_sharing() -> Response | tuple[str, int]:
    who = signed_in()
    if not who.can("manage_sharing"):
        abort(403)
    s = _stores()
    system = admin.is_system_administrator(who)
    owner = (request.args.get("country") or None) if system else who.country
    all_countries = countries(s.artefacts, g.lang_code)
    if owner is None:
        if request.method == "POST":
            abort(400)
        return render_template("portal/admin_sharing.html", matrix=None, form=None, countries=all_countries,
                               system=system), 200
    try:
        matrix = sharing_matrix(s, who, owner, g.lang_code)
    except SdmxError as e:
        _refused(e)
    form = SharingForm()
    form.grants.choices, form.public.choices = choices(matrix.grant_choices()), choices(matrix.public_choices())
    if form.validate_on_submit():
        try:
            with write_transaction():
                changes = apply_sharing(s, who, sharing_matrix(s, who, owner, g.lang_code), form.grants.data or [],
                                        form.public.data or [])
        except SdmxError as e:
            form.form_errors.append(explain(e))
        else:
            flash("sharing_saved" if changes.total else "sharing_unchanged")
            return redirect(url_for("portal.admin_sharing", country=owner if system else None))
    elif not form.is_submitted():
        form.grants.data, form.public.data = matrix.ticked_grants(), matrix.ticked_public()
    ticked_grants, ticked_public = set(form.grants.data or []), set(form.public.data or [])
    return render_template("portal/admin_sharing.html", matrix=matrix, form=form, countries=all_countries,
                           system=system, ticked_grants=ticked_grants, ticked_public=ticked_public,
                           reciprocity=current_app.extensions["sdmx_config"].reciprocity), \
        400 if form.is_submitted() else 200


# -- my API tokens --------------------------------------------------------------------------------

def _tokens_page(s: admin.Stores, who: Actor, form: NewTokenForm, *, secret: str | None = None,
                 problem: str | None = None, status: int = 200) -> tuple[str, int, dict[str, str]]:
    tokens = sorted(admin.my_tokens(s, who), key=lambda t: t.id, reverse=True)
    form.once.data = _issue_once()
    now = utcnow()
    return render_template("portal/tokens.html", tokens=tokens, now=now, form=form, revoke_form=RevokeTokenForm(),
                           secret=secret, problem=problem, api_base=request.host_url.rstrip("/")), status, NO_STORE


@bp.route("/<portal_lang:lang_code>/account/tokens", methods=["GET", "POST"])
def my_tokens() -> Response | tuple[str, int, dict[str, str]]:
    who = signed_in()
    s = _stores()
    form = NewTokenForm()
    if not form.is_submitted():
        form.days.data = current_app.extensions["sdmx_config"].token_days
    if form.validate_on_submit():
        if not _spend_once(form.once.data):
            flash("already_done")
            return redirect(url_for("portal.my_tokens"))
        try:
            with write_transaction():
                secret, _row = admin.create_my_token(s, who, days=form.days.data, label=(form.label.data or "").strip())
        except SdmxError as e:
            return _tokens_page(s, who, form, problem=explain(e), status=422)
        fresh = NewTokenForm(formdata=None, days=current_app.extensions["sdmx_config"].token_days)
        return _tokens_page(s, who, fresh, secret=secret, status=201)
    return _tokens_page(s, who, form, status=400 if form.is_submitted() else 200)


@bp.post("/<portal_lang:lang_code>/account/tokens/revoke")
def revoke_my_token() -> Response:
    who = signed_in()
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            admin.revoke_my_token(_stores(), who, int(form.token_id.data))
    except SdmxError as e:
        _refused(e)
    flash("token_revoked")
    return redirect(url_for("portal.my_tokens"))


# -- system: countries, structures, audit log -----------------------------------------------------

def _require(privilege: str) -> Actor:
    who = signed_in()
    if not who.can(privilege):
        abort(403)
    return who


@bp.route("/<portal_lang:lang_code>/system/countries", methods=["GET", "POST"])
def system_countries() -> Response | tuple[str, int]:
    who = _require("manage_countries")
    s = _stores()
    form = NewCountryForm()
    problem = None
    if form.validate_on_submit():
        with write_transaction():
            outcome = add_country(s.artefacts, form.country_id.data,
                                  {"en": form.name_en.data.strip(), "ru": form.name_ru.data.strip()}, by=who.username)
        if outcome.ok:
            flash("country_saved")
            return redirect(url_for("portal.system_countries"))
        problem = outcome.what
    return render_template("portal/system_countries.html", countries=country_list(s, g.lang_code), form=form,
                           problem=problem, scheme=scheme_label(s.artefacts)), 400 if form.is_submitted() else 200


@bp.route("/<portal_lang:lang_code>/system/structures", methods=["GET", "POST"])
def system_structures() -> tuple[str, int]:
    who = _require("maintain_structures")
    s = _stores()
    form = StructureUploadForm()
    outcomes, problem, status = None, None, 200
    if form.validate_on_submit():
        upload = form.message.data
        try:
            with write_transaction():
                outcomes = load_structure_message(s.artefacts, upload.read(), upload.mimetype, by=who.username)
        except SdmxError as e:
            problem, status = explain_unreadable(e), 422
        else:
            status = 200 if all(o.ok for o in outcomes) else 422
    elif form.is_submitted():
        status = 400
    return render_template("portal/system_structures.html", form=form, outcomes=outcomes, problem=problem,
                           structures=stored_structures(s.artefacts, g.lang_code)), status


@bp.get("/<portal_lang:lang_code>/system/audit")
def system_audit() -> str:
    who = signed_in()
    s = _stores()
    country = request.args.get("country") or None
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**62:
        abort(400)
    try:
        lines = audit_lines(s, who, g.lang_code, country=country, before=before, limit=AUDIT_PAGE + 1)
    except SdmxError as e:
        _refused(e)
    more = len(lines) > AUDIT_PAGE
    lines = lines[:AUDIT_PAGE]
    system = admin.is_system_administrator(who)
    return render_template("portal/system_audit.html", lines=lines, country=country, system=system,
                           countries=countries(s.artefacts, g.lang_code) if system else [],
                           older=lines[-1].id if more and lines else None)
