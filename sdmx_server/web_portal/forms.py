"""The portal's forms. Each carries a CSRF token (Flask-WTF); messages are translated when shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(_l("Enter your username.")), Length(max=200)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password.")), Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class SignOutForm(FlaskForm):
    """Only a CSRF token: signing out changes state, so it is a POST another site cannot forge."""
