"""Times shown in the reader's time zone with UTC beside them (embargoes, releases), and the zone they chose.

There is no column for the preference (the migration chain is fixed): the zone is a ``tz`` cookie set by the
time-zone page (time_zone_pages.py), any IANA name Python's zoneinfo knows; without one, the setting
``default_time_zone``. A cookie naming no known zone counts as none. Times are stored and compared in UTC;
only what is shown, and the time typed on the embargo form, are in the reader's zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date, format_time, get_timezone_location

TZ_COOKIE = "tz"
TZ_COOKIE_DAYS = 400  # browsers keep a cookie at most about this long
UTC_NAME = "UTC"


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The zones offered: IANA Area/Location names (and UTC), sorted; the old aliases (US/..., Etc/...) left out."""
    names = {n for n in available_timezones() if "/" in n and n.split("/", 1)[0] in _AREAS}
    return (UTC_NAME, *sorted(names))


_AREAS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
          "Pacific"}


def known_zone(name: str | None) -> str | None:
    """``name`` when it is one of the zones offered, else None (a cookie is input like any other)."""
    if name and len(name) <= 64 and name in set(zone_names()):
        return name
    return None


def chosen_zone(cookie: str | None, default: str) -> str:
    return known_zone(cookie) or known_zone(default) or UTC_NAME


def offset_text(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _stamp(moment: datetime, lang: str, with_date: bool = True) -> str:
    clock = format_time(time(moment.hour, moment.minute), "short", locale=lang)
    return f"{format_date(moment.date(), 'medium', locale=lang)}, {clock}" if with_date else clock


def place_name(zone: str, lang: str) -> str:
    """The zone as people name it: its city in ``lang`` (Almaty, Алматы), or UTC."""
    if zone == UTC_NAME:
        return UTC_NAME
    return get_timezone_location(ZoneInfo(zone), locale=lang, return_city=True)


def zoned_parts(moment: datetime, zone: str, lang: str) -> dict[str, str] | None:
    """The pieces of "15 Dec 2026, 10:00 (Almaty, UTC+5) — 05:00 UTC" in ``lang``: ``local`` (None when the zone
    is UTC, which needs no second time), ``place``, ``offset``, ``utc`` (with its date when the date differs)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # the database's times are UTC
    utc = moment.astimezone(timezone.utc)
    if zone == UTC_NAME:
        return {"utc": _stamp(utc, lang)}
    local = moment.astimezone(ZoneInfo(zone))
    same_day = local.date() == utc.date()
    return {"local": _stamp(local, lang), "place": place_name(zone, lang), "offset": offset_text(local.utcoffset()),
            "utc": _stamp(utc, lang, with_date=not same_day)}


def to_utc(day: date, time_of_day: time | None, zone: str) -> datetime:
    """A date and time typed by someone in ``zone``, in UTC (a time skipped or repeated by a clock change is
    read as zoneinfo does, with fold 0)."""
    local = datetime.combine(day, time_of_day or time(), tzinfo=ZoneInfo(zone) if zone != UTC_NAME else timezone.utc)
    return local.astimezone(timezone.utc)
