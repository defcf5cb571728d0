"""The release calendar: its page and iCalendar feed per language, and the screen where a country announces,
moves and cancels releases.

Thin views over content/release_calendar.py. Every entry is public (the country chose to announce it, and an
entry carries no figure), so the page and the feed are the same for everyone; the feed's UIDs are stable
(the entry's id and the portal's host), its SEQUENCE counts the changes and a cancelled release says
STATUS:CANCELLED, so calendar programs update and drop events rather than duplicate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import icalendar
from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..content import release_calendar as cal
from ..identity.actor import Actor
from ..request_context import actor, db, write_transaction
from ..sdmx.artefacts import parse_urn
from ..sdmx.errors import NotFound, SdmxError
from ..storage.artefact_store import ArtefactStore, utcnow
from ..storage.calendar_store import CalendarRow, CalendarStore
from . import admin_system, page_context
from .admin_forms import choices
from .calendar_forms import AnnounceForm, CancelForm, MoveForm
from .page_context import signed_in
from .statistics_catalogue import countries, indicator_of
from .texts import LocalText
from .views import bp

UPCOMING = 500  # entries the page lists ahead, and behind:
RECENT = 100
FEED_BEHIND = timedelta(days=366)  # the feed keeps a year of past releases
NO_STORE = {"Cache-Control": "no-store"}
STATE_LABELS = {"announced": _l("announced"), "scheduled": _l("scheduled"), "released": _l("released"),
                "cancelled": _l("cancelled")}
ICAL_STATUS = {"announced": "TENTATIVE", "scheduled": "CONFIRMED", "released": "CONFIRMED",
               "cancelled": "CANCELLED"}
page_context.NOTICES.update({
    "calendar_announced": _l("The release is announced in the release calendar."),
    "calendar_moved": _l("The announcement is changed."),
    "calendar_unchanged": _l("Nothing was changed."),
    "calendar_cancelled": _l("The release is cancelled; the calendar says so."),
})
admin_system.ACTIONS.update({
    "calendar.announce": _l("Release announced"), "calendar.move": _l("Announced release moved"),
    "calendar.cancel": _l("Announced release cancelled"), "calendar.schedule": _l("Release scheduled in the calendar"),
    "calendar.unschedule": _l("Scheduled release back to announced"),
})


@dataclass(frozen=True)
class ShownEntry:
    row: CalendarRow
    indicator: LocalText
    country: LocalText
    indicator_url: str | None
    state_label: str


class Names:
    """Indicator and country names in the page's language, looked up once per page."""

    def __init__(self, store: ArtefactStore, lang: str):
        self.lang = lang
        flows = store.candidates({"dataflow"}, None, None)
        self.indicators = {i.urn: i for i in (indicator_of(f, lang) for f in flows)}
        self.countries = dict(countries(store, lang))

    def shown(self, rows: list[CalendarRow]) -> list[ShownEntry]:
        out = []
        for r in rows:
            ind = self.indicators.get(r.dataflow_urn)
            name = ind.name if ind else LocalText(r.dataflow_urn.split("=")[-1], self.lang)
            url = url_for("portal.indicator", agency=ind.agency, resource=ind.id, version=ind.version) if ind else None
            out.append(ShownEntry(r, name, self.countries.get(r.provider_id, LocalText(r.provider_id, self.lang)), url,
                                  str(STATE_LABELS.get(r.state, r.state))))
        return out

    def indicator_choices(self) -> list[tuple[str, str]]:
        return sorted(((u, i.name.text) for u, i in self.indicators.items()), key=lambda p: p[1].casefold())


def _filters(names: Names) -> tuple[dict[str, str | None], list[str]]:
    """The page's country and indicator filters; unknown values named in the errors (answered 400)."""
    country = request.args.get("country") or None
    indicator = request.args.get("indicator") or None
    errors = []
    if country is not None and country not in names.countries:
        errors.append(_("There is no country “%(code)s”.", code=country[:50]))
    if indicator is not None and indicator not in names.indicators:
        errors.append(_("There is no indicator “%(urn)s”.", urn=indicator[:200]))
    return {"country": country, "indicator": indicator}, errors


@bp.get("/<portal_lang:lang_code>/calendar")
def calendar() -> tuple[str, int]:
    names = Names(ArtefactStore(db()), g.lang_code)
    chosen, errors = _filters(names)
    upcoming = recent = []
    if not errors:
        store, now = CalendarStore(db()), utcnow()
        common = {"provider_id": chosen["country"], "dataflow_urn": chosen["indicator"]}
        upcoming = names.shown(store.list(since=now, limit=UPCOMING, **common))
        recent = names.shown(store.list(until=now, newest_first=True, limit=RECENT, **common))
    return render_template("portal/calendar.html", upcoming=upcoming, recent=recent, chosen=chosen,
                           filter_errors=errors, country_choices=list(names.countries.items()),
                           indicator_choices=names.indicator_choices(),
                           manage=cal.may_announce_any(actor())), 400 if errors else 200


def _host() -> str:
    """The host the feed's UIDs carry: the configured public address's, so they never depend on the request."""
    return urlsplit(current_app.extensions["sdmx_config"].public_url).hostname or "sdmx-server.invalid"


def _absolute(path: str) -> str:
    base = current_app.extensions["sdmx_config"].public_url.rstrip("/")
    return (base or request.host_url.rstrip("/")) + path


@bp.get("/<portal_lang:lang_code>/calendar.ics")
def calendar_feed() -> Response:
    """The calendar as iCalendar (RFC 5545), summaries in the page's language; filters as on the page."""
    names = Names(ArtefactStore(db()), g.lang_code)
    chosen, errors = _filters(names)
    if errors:
        return Response("\n".join(errors) + "\n", status=400, content_type="text/plain; charset=utf-8")
    rows = CalendarStore(db()).list(since=utcnow() - FEED_BEHIND, provider_id=chosen["country"],
                                    dataflow_urn=chosen["indicator"], limit=UPCOMING + RECENT * 10)
    feed = icalendar.Calendar()
    feed.add("prodid", "-//Data Sharing Mechanism//Release calendar//" + g.lang_code.upper())
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", _("Release calendar") + " · " + _("Data Sharing Mechanism"))
    page = _absolute(url_for("portal.calendar"))
    host = _host()
    for e in names.shown(rows):
        r = e.row
        event = icalendar.Event()
        event.add("uid", f"release-{r.id}@{host}")
        event.add("dtstamp", r.updated_at)
        event.add("created", r.created_at)
        event.add("last-modified", r.updated_at)
        event.add("sequence", r.sequence)
        event.add("dtstart", r.release_at)  # a moment: no DTEND (RFC 5545 wants it later than DTSTART)
        event.add("summary", _("Release: %(indicator)s, %(country)s, %(periods)s", indicator=e.indicator.text,
                               country=e.country.text, periods=r.periods))
        event.add("description", _("State: %(state)s. Times are in UTC. The figures are published on the portal "
                                   "when released.", state=e.state_label))
        event.add("status", ICAL_STATUS[r.state])
        event.add("transp", "TRANSPARENT")
        event.add("url", page)
        feed.add_component(event)
    return Response(feed.to_ical(), content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="release-calendar.ics"'})


# -- the country's screen: announce, move, cancel --------------------------------------------------------

def _manager() -> Actor:
    who = signed_in()
    if not cal.may_announce_any(who):
        abort(403)
    return who


def _their_countries(who: Actor, names: Names) -> list[tuple[str, str]]:
    if who.can("administer_system"):
        return [(code, name.text) for code, name in names.countries.items()]
    return [(who.country, names.countries.get(who.country, LocalText(who.country, g.lang_code)).text)] \
        if who.country else []


def _their_indicators(who: Actor, names: Names) -> list[tuple[str, str]]:
    """The indicators the form offers: every one to system administrators, else those the user may announce for
    their country and the country reports (the rule judges whatever is sent all the same)."""
    if who.can("administer_system"):
        return names.indicator_choices()
    store = ArtefactStore(db())
    return [(urn, name) for urn, name in names.indicator_choices()
            if cal.may_announce(who, who.country, urn) and cal.reports(store, who.country or "", urn)]


REASONS = {
    "periods": ("periods", _l("Say which periods the release covers, on one line of at most 100 characters.")),
    "past": ("day", _l("The release time has passed: announce a future release.")),
    "far": ("day", _l("The release date is more than five years ahead.")),
    "zone": ("time", _l("Enter the release time in UTC.")),
    "not_reported": ("indicator", _l("The country does not report this indicator.")),
    "state": (None, _l("Only an announced release can be moved or cancelled; a scheduled one follows its "
                       "submission's release time.")),
}


def _refused(form: Any, e: SdmxError) -> None:
    """A rule's refusal as an error beside the field it concerns; what the user may not do at all is 403/404."""
    if isinstance(e, cal.Refused):
        field, message = REASONS[e.reason]
        if field and hasattr(form, field):
            getattr(form, field).errors = [*getattr(form, field).errors, str(message)]
        else:
            form.form_errors.append(str(message))
    elif isinstance(e, NotFound) and hasattr(form, "indicator"):
        form.indicator.errors = [*form.indicator.errors, _("There is no such indicator.")]
    else:
        abort(404 if isinstance(e, NotFound) else 403)


def _when(form: MoveForm) -> datetime:
    return datetime.combine(form.day.data, form.time.data, tzinfo=timezone.utc)


@bp.route("/<portal_lang:lang_code>/content/calendar/", methods=["GET", "POST"])
def content_calendar():
    who = _manager()
    names = Names(ArtefactStore(db()), g.lang_code)
    form = AnnounceForm()
    form.country.choices = choices(_their_countries(who, names))
    form.indicator.choices = choices(_their_indicators(who, names))
    if form.validate_on_submit():
        try:
            with write_transaction():
                cal.announce(db(), who, dataflow_urn=form.indicator.data, provider=form.country.data,
                             periods=form.periods.data, at=_when(form))
        except SdmxError as e:
            _refused(form, e)
        else:
            flash("calendar_announced")
            return redirect(url_for("portal.content_calendar"))
    country = None if who.can("administer_system") else who.country
    rows = CalendarStore(db()).list(since=utcnow() - timedelta(days=90), provider_id=country, limit=UPCOMING)
    status = 400 if form.is_submitted() else 200
    return render_template("portal/content_calendar.html", form=form, entries=names.shown(rows)), status, NO_STORE


def _entry(who: Actor, entry_id: int) -> CalendarRow:
    try:
        return cal.managed_entry(db(), who, entry_id)
    except SdmxError as e:
        abort(404 if isinstance(e, NotFound) else 403)


@bp.route("/<portal_lang:lang_code>/content/calendar/<int:entry_id>/edit", methods=["GET", "POST"])
def content_calendar_edit(entry_id: int):
    who = _manager()
    row = _entry(who, entry_id)
    form = MoveForm()
    if not form.is_submitted():
        form.process(data={"periods": row.periods, "day": row.release_at.date(),
                           "time": row.release_at.time().replace(tzinfo=None)})
    if form.validate_on_submit():
        try:
            with write_transaction():
                moved = cal.move(db(), who, entry_id, at=_when(form), periods=form.periods.data)
        except SdmxError as e:
            _refused(form, e)
        else:
            flash("calendar_moved" if moved else "calendar_unchanged")
            return redirect(url_for("portal.content_calendar_edit", entry_id=entry_id))
    names = Names(ArtefactStore(db()), g.lang_code)
    status = 400 if form.is_submitted() else 200
    return render_template("portal/content_calendar_form.html", form=form, entry=names.shown([row])[0],
                           cancel_form=CancelForm(formdata=None)), status, NO_STORE


@bp.post("/<portal_lang:lang_code>/content/calendar/<int:entry_id>/cancel")
def content_calendar_cancel(entry_id: int):
    who = _manager()
    row = _entry(who, entry_id)
    if not CancelForm().validate_on_submit():
        abort(400)
    try:
        with write_transaction():
            cal.cancel(db(), who, entry_id)
    except cal.Refused as e:  # scheduled or released: said on the entry's page, 409
        form = MoveForm(formdata=None, data={"periods": row.periods, "day": row.release_at.date(),
                                             "time": row.release_at.time().replace(tzinfo=None)})
        form.form_errors.append(str(REASONS[e.reason][1]))
        return render_template("portal/content_calendar_form.html", form=form,
                               entry=Names(ArtefactStore(db()), g.lang_code).shown([row])[0],
                               cancel_form=CancelForm(formdata=None)), 409, NO_STORE
    except SdmxError as e:
        abort(404 if isinstance(e, NotFound) else 403)
    flash("calendar_cancelled")
    return redirect(url_for("portal.content_calendar_edit", entry_id=entry_id))
