"""Forms of the release calendar's management screen; each a FlaskForm (CSRF). The country and indicator lists
are filled per request; what is chosen is judged by content/release_calendar.py, so a value sent that the list
did not offer gets the rule's own refusal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length

from ..content.release_calendar import MAX_PERIODS

PERIODS_HELP = _l("As the figures name them, such as 2026-Q3, 2026-S1 or 2025. Never the figures themselves.")


class MoveForm(FlaskForm):
    """When and what: the announcement's changeable part."""

    periods = StringField(_l("Periods covered"), description=PERIODS_HELP, validators=[
        InputRequired(_l("Say which periods the release covers.")),
        Length(max=MAX_PERIODS, message=_l("At most %(n)s characters.", n=MAX_PERIODS))])
    day = DateField(_l("Release date"), validators=[InputRequired(_l("Enter the release date."))], format="%Y-%m-%d")
    time = TimeField(_l("Release time (UTC)"), validators=[InputRequired(_l("Enter the release time."))])


class AnnounceForm(MoveForm):
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    indicator = SelectField(_l("Indicator"), choices=[], validate_choice=False)


class CancelForm(FlaskForm):
    """Only the CSRF token: the button says it all."""
