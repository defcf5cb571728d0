"""Forms of the content screens (documents, news and events, links). Each is a FlaskForm (CSRF); choices that
depend on the stored indicators and countries are filled per request by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms import TextAreaField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, Regexp

from ..content.documents import MAX_SUMMARY, MAX_TITLE
from .admin_forms import CheckboxesField, choices

DOC_TYPE_LABELS = {"legislation": _l("Legislation"), "policy": _l("Policy"), "methodology": _l("Methodology"),
                   "analysis": _l("Analysis")}
TITLE_TOO_LONG = _l("A title has at most %(n)s characters.", n=MAX_TITLE)
SUMMARY_TOO_LONG = _l("A summary has at most %(n)s characters.", n=MAX_SUMMARY)


class DocumentForm(FlaskForm):
    file = FileField(_l("File (PDF, DOCX, XLSX or ODT)"))
    country = SelectField(_l("Owner"), choices=[], validate_choice=True)
    doc_type = SelectField(_l("Type"), choices=choices(list(DOC_TYPE_LABELS.items())), validate_choice=True)
    published_on = DateField(_l("Publication date"), validators=[
        InputRequired(_l("Enter the publication date."))], format="%Y-%m-%d")
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    summary_en = TextAreaField(_l("Summary in English"), validators=[
        Optional(), Length(max=MAX_SUMMARY, message=SUMMARY_TOO_LONG)])
    summary_ru = TextAreaField(_l("Summary in Russian"), validators=[
        Optional(), Length(max=MAX_SUMMARY, message=SUMMARY_TOO_LONG)])
    access = RadioField(_l("Who may see it"), choices=choices([
        ("public", _l("Everyone (public)")),
        ("restricted", _l("Restricted: those who may see the owner's data on a linked indicator"))]),
        default="restricted", validators=[InputRequired(_l("Choose who may see the document."))])
    participants = BooleanField(_l("Restricted documents: also every signed-in user of a participating country"))
    indicators = CheckboxesField(_l("Linked indicators"), choices=[])


class StateForm(FlaskForm):
    """Publish, withdraw or return to draft: the button's value says which."""

    state = HiddenField(validators=[InputRequired(), Regexp("^(published|withdrawn|draft)$")])


class NewsForm(FlaskForm):
    kind = RadioField(_l("Kind"), choices=choices([("news", _l("News")), ("event", _l("Event"))]), default="news",
                      validators=[InputRequired()])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=20000)])
    body_ru = TextAreaField(_l("Text in Russian"), validators=[Optional(), Length(max=20000)])
    starts_on = DateField(_l("Event: first day"), validators=[Optional()], format="%Y-%m-%d")
    ends_on = DateField(_l("Event: last day"), validators=[Optional()], format="%Y-%m-%d")
    place_en = StringField(_l("Event: place in English"), validators=[Optional(), Length(max=200)])
    place_ru = StringField(_l("Event: place in Russian"), validators=[Optional(), Length(max=200)])


class LinkForm(FlaskForm):
    category = SelectField(_l("Group"), choices=[], validate_choice=True)
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    title_ru = StringField(_l("Title in Russian"), validators=[Optional(), Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    url = StringField(_l("Address (https://...)"), validators=[
        InputRequired(_l("Enter the address.")), Length(max=1000),
        URL(require_tld=True, message=_l("Enter a full web address starting with https:// or http://."))])
    position = IntegerField(_l("Position in its group"), default=0, validators=[Optional(), NumberRange(0, 10000)])


class DeleteForm(FlaskForm):
    """Only a CSRF token: deleting changes state."""


class CountryPageForm(FlaskForm):
    about_en = TextAreaField(_l("About the country's statistics, in English"), validators=[Optional(), Length(max=10000)])
    about_ru = TextAreaField(_l("About the country's statistics, in Russian"), validators=[Optional(), Length(max=10000)])
    institutions_en = TextAreaField(_l("National institutions and focal points, in English"),
                                    validators=[Optional(), Length(max=10000)])
    institutions_ru = TextAreaField(_l("National institutions and focal points, in Russian"),
                                    validators=[Optional(), Length(max=10000)])
    contacts_en = TextAreaField(_l("Contacts, in English"), validators=[Optional(), Length(max=10000)])
    contacts_ru = TextAreaField(_l("Contacts, in Russian"), validators=[Optional(), Length(max=10000)])
    is_public = BooleanField(_l("Everyone may see this page (signed-in users of participating countries always may)"))
