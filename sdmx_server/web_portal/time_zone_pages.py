"""The reader's time zone: the page that chooses it (a ``tz`` cookie, see time_zones.py) and the ``zoned``
template filter the workflow pages show embargo and release times with."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from .time_zones import TZ_COOKIE, TZ_COOKIE_DAYS, UTC_NAME, chosen_zone, known_zone, offset_text, place_name, \
    zone_names, zoned_parts
from ..storage.artefact_store import utcnow
from .views import _safe_next, bp


class TimeZoneForm(FlaskForm):
    zone = SelectField(_l("Your time zone"), validators=[InputRequired()], validate_choice=False)
    next = HiddenField()


def user_zone() -> str:
    """The zone this request's reader chose (cookie), else the server's default."""
    return chosen_zone(request.cookies.get(TZ_COOKIE), current_app.extensions["sdmx_config"].default_time_zone)


def zoned(moment: datetime | None) -> str:
    """A moment as "15 Dec 2026, 10:00 (Almaty, UTC+5) — 05:00 UTC" in the page's language and the reader's zone."""
    if moment is None:
        return ""
    parts = zoned_parts(moment, user_zone(), g.lang_code)
    if "local" not in parts:
        return _("%(utc)s UTC", utc=parts["utc"])
    return _("%(local)s (%(place)s, %(offset)s) — %(utc)s UTC", **parts)


def zone_label(zone: str, lang: str) -> str:
    """A zone as the pages name it: "Almaty (UTC+5)", or "UTC"."""
    if zone == UTC_NAME:
        return UTC_NAME
    return f"{place_name(zone, lang)} ({_offset_now(zone)})"


def _offset_now(zone: str) -> str:
    return offset_text(datetime.now(ZoneInfo(zone)).utcoffset())


@bp.context_processor
def _time_zone_context() -> dict:
    return {"time_zone_name": zone_label(user_zone(), g.lang_code)}


@bp.app_template_filter("zoned")
def _zoned_filter(moment: datetime | None) -> str:
    return zoned(moment)


def _zone_choices(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The zones grouped by their area (Asia, Europe...), each as "Almaty (Asia/Almaty)" in ``lang``."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in zone_names():
        area = name.split("/", 1)[0] if "/" in name else ""
        groups.setdefault(area, []).append((name, name if name == UTC_NAME else f"{place_name(name, lang)} ({name})"))
    return [(area, sorted(items, key=lambda kv: kv[1].casefold())) for area, items in groups.items()]


@bp.route("/<portal_lang:lang_code>/account/time-zone", methods=["GET", "POST"])
def time_zone() -> Response | tuple[str, int]:
    form = TimeZoneForm()
    status = 200
    if form.is_submitted():
        name = known_zone(form.zone.data)
        if form.validate() and name:
            target = _safe_next(form.next.data) or url_for("portal.time_zone")
            answer = redirect(target, 303)
            answer.set_cookie(TZ_COOKIE, name, max_age=int(timedelta(days=TZ_COOKIE_DAYS).total_seconds()),
                              path="/", secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True,
                              samesite="Lax")
            return answer
        form.zone.errors = [_("“%(zone)s” is not a time zone. Choose one from the list.",
                              zone=(form.zone.data or "")[:64])]
        status = 400
    current = user_zone()
    if not form.is_submitted():
        form.zone.data = current
        form.next.data = _safe_next(request.args.get("next")) or ""
    example = zoned(utcnow())
    return render_template("portal/time_zone.html", form=form, zone_groups=_zone_choices(g.lang_code),
                           current_zone=current, example=example), status
