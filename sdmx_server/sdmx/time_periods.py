"""SDMX time periods: parse the reported string into its start and end instants, and check FREQ.

Storage keeps the period as reported and its [start, end) interval, so that filters such as
``startPeriod=2024-Q1`` compare intervals, not strings. Reporting periods (2024-S1, 2024-Q3, 2024-M07, 2024-W05,
2024-D032) use the default reporting year start of 1 January.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

_UTC = timezone.utc


@dataclass(frozen=True, slots=True)
class Period:
    text: str
    start: datetime
    end: datetime  # exclusive
    frequency: str  # A, S, Q, M, W, D, H, N (instant/minute), or "" when the form says nothing


def _dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=_UTC)


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^(\d{4})$"), "A"),
    (re.compile(r"^(\d{4})-A1$"), "A"),
    (re.compile(r"^(\d{4})-S([12])$"), "S"),
    (re.compile(r"^(\d{4})-T([123])$"), "T"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "Q"),
    (re.compile(r"^(\d{4})-M(0[1-9]|1[0-2])$"), "M"),
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "M"),
    (re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$"), "W"),
    (re.compile(r"^(\d{4})-D(\d{3})$"), "D"),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "D"),
]
_MONTHS = {"A": 12, "S": 6, "T": 4, "Q": 3, "M": 1}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
# 3.0 time ranges: start/duration, e.g. 2024-01-01/P3M or 2024-01-01T00:00:00/PT1H
_RANGE = re.compile(r"^(?P<start>[^/]+)/P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
                    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?)?$")


@lru_cache(maxsize=8192)  # a message repeats the same few periods across all its series
def parse_period(text: str) -> Period:
    """The interval a period string covers; ValueError says what is wrong with it."""
    for pattern, freq in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        if freq in _MONTHS:
            n = int(m.group(2)) if m.lastindex and m.lastindex >= 2 else 1
            start = _add_months(date(year, 1, 1), (n - 1) * _MONTHS[freq])
            return Period(text, _dt(start), _dt(_add_months(start, _MONTHS[freq])), freq)
        if freq == "W":
            start = date.fromisocalendar(year, int(m.group(2)), 1)
            return Period(text, _dt(start), _dt(start + timedelta(days=7)), "W")
        if m.lastindex == 2:  # YYYY-Dddd
            day = int(m.group(2))
            if not 1 <= day <= (366 if _leap(year) else 365):
                raise ValueError(f"{text!r}: day {day} does not exist in {year}")
            start = date(year, 1, 1) + timedelta(days=day - 1)
        else:
            try:
                start = date(year, int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError(f"{text!r} is not a calendar date") from None
        return Period(text, _dt(start), _dt(start + timedelta(days=1)), "D")
    if _DATETIME.match(text):
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        dt = dt if dt.tzinfo else dt.replace(tzinfo=_UTC)
        return Period(text, dt.astimezone(_UTC), dt.astimezone(_UTC) + timedelta(seconds=1), "N")
    m = _RANGE.match(text)
    if m and any(m.group(k) for k in ("y", "m", "w", "d", "h", "mi", "s")):
        start = parse_period(m["start"]).start
        months = int(m["y"] or 0) * 12 + int(m["m"] or 0)
        end = start
        if months:
            end = end.replace(year=end.year + (end.month - 1 + months) // 12, month=(end.month - 1 + months) % 12 + 1)
        end += timedelta(weeks=int(m["w"] or 0), days=int(m["d"] or 0), hours=int(m["h"] or 0),
                         minutes=int(m["mi"] or 0), seconds=int(m["s"] or 0))
        return Period(text, start, end, "")
    raise ValueError(f"{text!r} is not an SDMX time period (e.g. 2024, 2024-S1, 2024-Q3, 2024-07, 2024-W05, "
                     "2024-07-31)")


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


# which period forms a FREQ code admits ("" = ranges, acceptable for any frequency)
_FREQ_FORMS = {"A": {"A"}, "S": {"S"}, "T": {"T"}, "Q": {"Q"}, "M": {"M"}, "W": {"W"}, "D": {"D"}, "B": {"D"},
               "H": {"N"}, "N": {"N"}, "I": {"N"}}


def matches_frequency(period: Period, freq: str) -> bool:
    """Whether the period's form fits the FREQ code (unknown FREQ codes accept any form)."""
    forms = _FREQ_FORMS.get(freq)
    return forms is None or period.frequency in forms or period.frequency == ""
