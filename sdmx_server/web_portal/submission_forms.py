"""Forms of the submission and workflow pages; each carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional


class UploadForm(FlaskForm):
    file = FileField(_l("File to send"), validators=[FileRequired(_l("Choose the file to send."))],
                     description=_l("The filled-in Excel template (.xlsx), or an SDMX-ML or SDMX-CSV data message."),
                     render_kw={"accept": ".xlsx,.xml,.csv,application/vnd.openxmlformats-officedocument."
                                          "spreadsheetml.sheet,application/xml,text/csv"})


class UploadAsForm(UploadForm):
    """For users who belong to no country (system administrators): whose figures these are."""

    provider = SelectField(_l("Country"), choices=[])


class VerifyForm(FlaskForm):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)])


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("What must be fixed"), validators=[
        InputRequired(_l("Say what must be fixed: the submitter reads this.")), Length(max=2000)])


class ReleaseForm(FlaskForm):
    day = DateField(_l("Release on (leave empty to release now)"), validators=[Optional()])
    time = TimeField(_l("at (time)"), validators=[Optional()])
    announce = BooleanField(_l("Announce in the release calendar (public: the indicator, the periods and the date, "
                               "never the figures)"))
    periods = StringField(_l("Periods covered, for the calendar"), validators=[Optional(), Length(max=100)])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)])
