"""The forms of country and system administration. Each is a FlaskForm (CSRF); messages are translated when shown.

The role fields depend on the policy and the stored indicators, so ``user_form`` builds the form class per
request: one group of checkboxes per role ("every indicator" or chosen indicators).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from ..access.administration import MAX_TOKEN_DAYS, PASSWORD_MIN_LENGTH
from ..identity.usernames import USERNAME_MAX_LENGTH, USERNAME_PATTERN

EVERY_INDICATOR = "*"  # the value of the "every indicator" box of a role
USERNAME = rf"^{USERNAME_PATTERN}\Z"  # the rule of every path (identity/usernames.py), said before the store does
USERNAME_RULE_TEXT = _l("A username has at most %(n)s characters: Latin letters, digits and . _ - only, starting "
                        "with a letter.", n=USERNAME_MAX_LENGTH)


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes; a value not offered is refused with a plain message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        offered = {c.value for c in self.iter_choices()}
        if any(v not in offered for v in self.data or []):
            raise ValidationError(_l("Choose only among the boxes shown."))


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def role_field_name(role: str) -> str:
    return f"role_{role}"


class RolesForm(FlaskForm):
    """Only the role fields (added by ``with_roles``)."""


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        InputRequired(_l("Enter a username.")), Regexp(USERNAME, message=USERNAME_RULE_TEXT)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    display_name = StringField(_l("Full name (shown to others)"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("First password"), validators=[
        InputRequired(_l("Enter a first password for the new user.")),
        Length(min=PASSWORD_MIN_LENGTH, max=1000,
               message=_l("A password needs at least %(n)s characters.", n=PASSWORD_MIN_LENGTH))],
        render_kw={"autocomplete": "new-password"},
        description=_l("Tell it to the user; they sign in with it. At least %(n)s characters.",
                       n=PASSWORD_MIN_LENGTH))
    country = SelectField(_l("Country"), choices=[], validate_choice=True)


def with_roles(base: type[FlaskForm], roles: list[tuple[str, str, list[tuple[str, str]]]]) -> type[FlaskForm]:
    """``base`` plus one checkbox group per (role id, label, [(value, label) of its boxes])."""
    fields = {role_field_name(role): CheckboxesField(label, choices=choices(boxes)) for role, label, boxes in roles}
    return type(base.__name__ + "WithRoles", (base,), fields)


class DisplayNameForm(FlaskForm):
    display_name = StringField(_l("Full name (shown to others)"), validators=[Optional(), Length(max=200)])


class ActiveForm(FlaskForm):
    """Deactivate or reactivate: the button says which."""

    active = HiddenField(validators=[InputRequired(), Regexp("^(yes|no)$")])


class ResetPasswordForm(FlaskForm):
    """The server makes the new password; ``once`` keeps a reloaded answer from resetting it again."""

    once = HiddenField()


class SharingForm(FlaskForm):
    """The whole matrix at once: ticked boxes are what should be, the server applies the differences."""

    grants = CheckboxesField(_l("Countries that may see"), choices=[])
    public = CheckboxesField(_l("Public"), choices=[])


class NewTokenForm(FlaskForm):
    once = HiddenField()  # a reloaded answer must not make a second token nobody saw
    label = StringField(_l("What is it for? (a label you will recognise)"), validators=[Optional(), Length(
        max=100, message=_l("A label has at most 100 characters."))])
    days = IntegerField(_l("Days it stays valid"), validators=[
        InputRequired(_l("Enter a number of days.")),
        NumberRange(1, MAX_TOKEN_DAYS, message=_l("Enter a number of days from 1 to %(n)s.", n=MAX_TOKEN_DAYS))])


class RevokeTokenForm(FlaskForm):
    token_id = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,10}$")])


class StructureUploadForm(FlaskForm):
    message = FileField(_l("Structure message (SDMX-ML 2.1 or 3.0, or SDMX-JSON 2.0)"),
                        validators=[FileRequired(_l("Choose a file to upload."))])


class NewCountryForm(FlaskForm):
    country_id = StringField(_l("Code (ISO 3166 alpha-2, e.g. KZ)"), validators=[
        InputRequired(_l("Enter the country's code.")),
        Regexp(r"^[A-Z]{2}$", message=_l("The code is two capital Latin letters, e.g. KZ."))],
        render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    name_en = StringField(_l("Name in English"), validators=[InputRequired(_l("Enter the name in English.")),
                                                           Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[InputRequired(_l("Enter the name in Russian.")),
                                                           Length(max=200)])
