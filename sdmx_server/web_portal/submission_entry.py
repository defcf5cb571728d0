"""Number-by-number entry: a small grid for one period, turned into an SDMX-CSV message for the usual submit path.

The grid is laid out from the indicator's structure, so any indicator works without code: the country
dimension (REF_AREA) is the user's own; the frequency follows from the period typed (2024-S1 is half-yearly);
the last breakdown with few codes (sex, say) gives the columns; the other breakdowns give the rows: every
combination when there are few, else lines where each code is chosen from a list. Mandatory coded attributes
(unit, observation status) are chosen once for all figures. The message then goes through
``workflow.submit`` exactly as an upload does, so the checks and the access rule are the same.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..sdmx.artefacts import urn_of
from ..sdmx.errors import SdmxError
from ..sdmx.time_periods import parse_period
from ..submission.intake import DataflowContext
from .submission_figures import Names

COUNTRY_DIMENSION = "REF_AREA"
FREQUENCY_DIMENSION = "FREQ"
MAX_COLUMN_CODES = 8  # a breakdown with more codes than this cannot be the grid's columns on a phone
MAX_PRESET_ROWS = 40  # more combinations than this: lines to choose codes in instead
FREE_LINES = 6


@dataclass(frozen=True)
class RowDimension:
    id: str
    name: str
    codes: list[tuple[str, str]]


@dataclass(frozen=True)
class EntryLayout:
    """The grid of one indicator: columns, rows (preset code combinations, or free lines), attributes."""

    flow_urn: str
    country_dimension: str | None
    column_dimension: str | None
    columns: list[tuple[str, str]]  # (code, name); [("", measure name)] when no breakdown gives columns
    row_dimensions: list[RowDimension]
    preset_rows: list[tuple[tuple[str, str], ...]] | None  # ((code, name) per row dimension) per row
    lines: int  # how many rows the grid has
    attributes: list[RowDimension]  # coded attributes chosen once for every figure
    mandatory_attributes: frozenset[str]
    dimension_ids: tuple[str, ...]  # every dimension but time, in key order (the message's columns)


def entry_layout(ctx: DataflowContext, names: Names, lines: int = FREE_LINES) -> EntryLayout:
    dims = [d for d in ctx.structure.dimensions if d.id not in (COUNTRY_DIMENSION, FREQUENCY_DIMENSION)]

    def codes(cid: str) -> list[tuple[str, str]]:
        allowed = ctx.allowed.get(cid)
        return [(c, n) for c, n in names.codes(cid) if allowed is None or c in allowed]

    column = next((d for d in reversed(dims) if d.codelist and 1 < len(codes(d.id)) <= MAX_COLUMN_CODES), None)
    rows = [RowDimension(d.id, names.component(d.id), codes(d.id)) for d in dims if d is not column]
    measure = ctx.structure.measures[0].id if ctx.structure.measures else "OBS_VALUE"
    columns = codes(column.id) if column else [("", names.component(measure))]
    combos = 1
    for r in rows:
        combos *= max(1, len(r.codes))
    preset = None
    if rows and combos <= MAX_PRESET_ROWS and all(r.codes for r in rows):
        preset = list(itertools.product(*(r.codes for r in rows)))
    elif not rows:
        preset = [()]
    else:  # lines whose codes are chosen from lists, looked for by name (a citizenship among 250): name order
        rows = [RowDimension(r.id, r.name, sorted(r.codes, key=by_name)) for r in rows]
    attributes = [RowDimension(a.id, names.component(a.id), codes(a.id)) for a in ctx.structure.attributes
                  if a.codelist and codes(a.id)]
    return EntryLayout(urn_of(ctx.dataflow), COUNTRY_DIMENSION if ctx.structure.component(COUNTRY_DIMENSION) else None,
                       column.id if column else None, columns, rows, preset,
                       len(preset) if preset is not None else max(1, min(lines, 50)), attributes,
                       frozenset(a.id for a in ctx.structure.attributes if a.mandatory),
                       tuple(ctx.structure.dimension_ids))


def by_name(code: tuple[str, str]) -> tuple[str, str]:
    """A (code, name) pair's place in a list sorted by name: case-blind, ё with е (as Russian dictionaries)."""
    return code[1].casefold().replace("ё", "е"), code[0]


def cell_name(line: int, column: int) -> str:
    return f"v_{line}_{column}"


def code_name(line: int, dimension: str) -> str:
    return f"c_{line}_{dimension}"


class EntryFormBase(FlaskForm):
    period = StringField(_l("Period"), validators=[InputRequired(_l("Enter the period, for example 2025-S1.")),
                                                   Length(max=20)],
                         description=_l("As agreed for the indicator: 2025 (year), 2025-S1 (half-year), 2025-Q3 "
                                        "(quarter) or 2025-07 (month)."))


def entry_form(layout: EntryLayout, providers: list[tuple[str, str]] | None, formdata=None) -> FlaskForm:
    """The form of one layout (fields depend on the structure). ``providers``: a country choice, for users
    who belong to none (system administrators)."""

    class EntryForm(EntryFormBase):
        pass

    if providers is not None:
        EntryForm.provider = SelectField(_l("Country"), choices=_choices(providers))
    for a in layout.attributes:
        mandatory = a.id in layout.mandatory_attributes
        choices = ([] if mandatory else [("", _l("(none)"))]) + a.codes
        setattr(EntryForm, f"a_{a.id}", SelectField(a.name, choices=_choices(choices)))
    for line in range(layout.lines):
        if layout.preset_rows is None:
            for d in layout.row_dimensions:
                setattr(EntryForm, code_name(line, d.id),
                        SelectField(d.name, choices=_choices([("", "—"), *d.codes]), default=""))
        for col, (_code, cname) in enumerate(layout.columns):
            setattr(EntryForm, cell_name(line, col), StringField(cname, validators=[Length(max=40)],
                                                                 render_kw={"inputmode": "decimal"}))
    return EntryForm(formdata=formdata) if formdata is not None else EntryForm()


def _choices(pairs: list) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _number(text: str, lang: str) -> str:
    """A number as typed in the page's language (1 234,5 in Russian) as SDMX writes it (1234.5). What is not
    a number is passed on as typed, for the checks to report."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    try:
        value = parse_decimal(cleaned, locale=lang, strict=True)
    except (NumberFormatError, ValueError):
        return text.strip()
    return format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize(), "f")


@dataclass
class BuiltMessage:
    body: bytes
    figures: int
    places: dict[int, str]  # CSV row -> where that figure is in the grid, in words


def line_label(line: int, layout: EntryLayout) -> str:
    if layout.preset_rows is not None and layout.preset_rows[line]:
        return ", ".join(name for _code, name in layout.preset_rows[line])
    return _("line %(line)s of the table", line=line + 1)


def build_message(form: FlaskForm, layout: EntryLayout, country: str, lang: str) -> tuple[BuiltMessage | None, list[str]]:
    """The grid as SDMX-CSV 1.0 (one row per figure typed), or the mistakes to fix in the form first."""
    errors: list[str] = []
    period_text = form.period.data.strip()
    try:
        frequency = parse_period(period_text).frequency
    except (SdmxError, ValueError):
        form.period.errors = [*form.period.errors, _("“%(value)s” is not a period: write 2025, 2025-S1, 2025-Q3 or "
                                                     "2025-07.", value=period_text)]
        return None, errors
    flow_id = layout.flow_urn.split("=", 1)[1]
    attrs = [a.id for a in layout.attributes]
    header = ["STRUCTURE", "STRUCTURE_ID", "ACTION", *layout.dimension_ids, "TIME_PERIOD", "OBS_VALUE", *attrs]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    places: dict[int, str] = {}
    figures = 0
    for line in range(layout.lines):
        values = [(col, form[cell_name(line, col)].data or "") for col in range(len(layout.columns))]
        typed = [(col, v) for col, v in values if v.strip()]
        if not typed:
            continue
        if layout.preset_rows is not None:
            row_codes = {d.id: code for d, (code, _n) in zip(layout.row_dimensions, layout.preset_rows[line])}
        else:
            row_codes = {d.id: form[code_name(line, d.id)].data or "" for d in layout.row_dimensions}
            missing = [d.name for d in layout.row_dimensions if not row_codes[d.id]]
            if missing:
                errors.append(_("Line %(line)s of the table has figures but no %(what)s: choose it from the list.",
                                line=line + 1, what=", ".join(missing)))
                continue
        for col, value in typed:
            key = dict(row_codes)
            if layout.country_dimension:
                key[layout.country_dimension] = country
            if frequency:
                key[FREQUENCY_DIMENSION] = frequency
            if layout.column_dimension:
                key[layout.column_dimension] = layout.columns[col][0]
            row = ["dataflow", flow_id, "I", *(key.get(d, "") for d in layout.dimension_ids), period_text,
                   _number(value, lang), *(form[f"a_{a}"].data or "" for a in attrs)]
            writer.writerow(row)
            figures += 1
            places[figures + 1] = _("%(line)s, column %(column)s",
                                    line=line_label(line, layout), column=layout.columns[col][1])
    if not figures and not errors:
        errors.append(_("The table is empty: type at least one figure."))
    if errors:
        return None, errors
    return BuiltMessage(out.getvalue().encode(), figures, places), []
