"""A rejected submission's errors as sentences people understand, in the page's language.

Intake (submission/intake.py, validation.py) reports each error with its rule, its place ("sheet Data,
cell E5", "row 7, column OBS_VALUE", "line 12, column 7"), the component and the value, in English for
machines. Here each becomes one translated sentence naming the place in words and the column by its
name in the page's language; the total count is kept when intake capped the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..sdmx.errors import BadInput, InvalidData, SdmxError

_SHEET_CELL = re.compile(r"^sheet (?P<sheet>.+?), cell (?P<cell>[A-Z]+\d+)$")
_SHEET_ROW = re.compile(r"^sheet (?P<sheet>.+?), row (?P<row>\d+)$")
_SHEET = re.compile(r"^sheet (?P<sheet>[^,]+)$")
_ROW_COLUMN = re.compile(r"^row (?P<row>\d+)(?:, column (?P<column>.+))?$")
_LINE_COLUMN = re.compile(r"^line (?P<line>\d+)(?:, column (?P<column>\d+))?$")
_TWICE = re.compile(r"appears twice, at (?P<first>.+) and at ")

# rule -> sentence; %(component)s is the column's name, %(value)s what was written there
SENTENCES: dict[str, object] = {
    "unknown-code": _l("“%(value)s” is not one of the codes allowed for %(component)s."),
    "constraint": _l("“%(value)s” is not accepted for %(component)s in this indicator."),
    "not-a-number": _l("%(component)s must be a number, but it contains “%(value)s”."),
    "not-an-integer": _l("%(component)s must be a whole number, but it contains “%(value)s”."),
    "period-format": _l("“%(value)s” is not a period written as agreed: use 2024 (year), 2024-S1 (half-year), "
                        "2024-Q3 (quarter) or 2024-07 (month)."),
    "period-frequency": _l("The period “%(value)s” does not match the frequency chosen for this figure."),
    "missing-dimension": _l("%(component)s is empty: every figure needs it."),
    "missing-period": _l("The period is missing."),
    "missing-measure": _l("The figure itself is missing."),
    "missing-attribute": _l("%(component)s is missing: it must be filled in."),
    "unknown-component": _l("%(component)s is not a column of this indicator."),
    "no-provision-agreement": _l("Your country has no agreement to report this indicator."),
    "no-provider": _l("The file does not say which country the figures are for."),
    "one-provider": _l("The file holds figures of more than one country: send one file per country."),
    "duplicate-key": _l("The same figure is given twice (the first time at %(first)s)."),
    "bad-value": _l("%(component)s has a value of a kind that cannot be read."),
}


@dataclass(frozen=True)
class Problem:
    """One error, ready to show: where (in words, empty if unknown) and what is wrong."""

    place: str
    sentence: str
    figure: str  # which figure it concerns (series and period), or ""


@dataclass(frozen=True)
class Report:
    problems: list[Problem]
    count: int  # every error intake found; more than len(problems) when capped

    @property
    def capped(self) -> bool:
        return self.count > len(self.problems)


def place_in_words(where: str, places: Mapping[int, str] | None = None) -> str:
    """"sheet Data, cell E5" -> "sheet Data, cell E5" in the page's language; ``places`` names the rows of a
    message the portal built itself (number-by-number entry: row 4 -> "line 2 of the table, Female")."""
    if not where:
        return ""
    m = _ROW_COLUMN.match(where)
    if m and places is not None and int(m["row"]) in places:
        return places[int(m["row"])]
    if m := _SHEET_CELL.match(where):
        return _("sheet “%(sheet)s”, cell %(cell)s", sheet=m["sheet"], cell=m["cell"])
    if m := _SHEET_ROW.match(where):
        return _("sheet “%(sheet)s”, row %(row)s", sheet=m["sheet"], row=m["row"])
    if m := _SHEET.match(where):
        return _("sheet “%(sheet)s”", sheet=m["sheet"])
    if m := _ROW_COLUMN.match(where):
        if m["column"]:
            return _("row %(row)s, column %(column)s", row=m["row"], column=m["column"])
        return _("row %(row)s", row=m["row"])
    if m := _LINE_COLUMN.match(where):
        if m["column"]:
            return _("line %(line)s, column %(column)s", line=m["line"], column=m["column"])
        return _("line %(line)s", line=m["line"])
    return where


def describe_error(error: Mapping[str, str], component_name: Callable[[str], str],
                   places: Mapping[int, str] | None = None, series_name: Callable[[str], str] = str) -> Problem:
    """One intake error (ValidationError.as_dict()) as a Problem in the page's language."""
    rule = error.get("rule", "")
    component = error.get("component", "")
    name = component_name(component) if component else _("a column")
    first = ""
    if rule == "duplicate-key" and (m := _TWICE.search(error.get("message", ""))):
        first = place_in_words(m["first"], places)
    template = SENTENCES.get(rule)
    if template is None:  # a rule added later: still say where, and what intake said
        sentence = _("This entry breaks the rule “%(rule)s”: %(detail)s", rule=rule, detail=error.get("message", ""))
    else:
        sentence = str(template) % {"component": name, "value": error.get("value", ""), "first": first}
    figure = ""
    if error.get("series_key"):
        figure = series_name(error["series_key"]) + (f" · {error['period']}" if error.get("period") else "")
    return Problem(place_in_words(error.get("where", ""), places), sentence, figure)


def report_of(e: InvalidData, component_name: Callable[[str], str],
              places: Mapping[int, str] | None = None, series_name: Callable[[str], str] = str) -> Report:
    return Report([describe_error(d, component_name, places, series_name) for d in e.details], e.count)


def refused(e: SdmxError, places: Mapping[int, str] | None = None) -> Report:
    """A file refused as a whole: unreadable (not a workbook, no sheet Data, broken XML or CSV) or breaking a rule
    of the whole message (figures of another country)."""
    detail = e.message
    place = ""
    if e.line is not None:
        place = place_in_words(f"line {e.line}" + (f", column {e.column}" if e.column is not None else ""))
    if m := re.match(r"^(sheet \w+, (?:cell [A-Z]+\d+|row \d+)|row \d+(?:, column [^:]+)?): (.*)$", detail):
        place, detail = place_in_words(m[1], places), m[2]
    if isinstance(e, BadInput):
        sentence = _("The file could not be read: check that it is the template of this indicator, an SDMX-ML or "
                     "an SDMX-CSV data message. What went wrong: %(detail)s", detail=detail)
    else:
        sentence = _("The figures were refused: %(detail)s", detail=detail)
    return Report([Problem(place, sentence, "")], 1)
