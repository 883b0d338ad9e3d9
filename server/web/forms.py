"""Forms of the sign-in pages (Flask-WTF: CSRF on every one)."""

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain.identifiers import phone_logins


def _login_label() -> str:
    return _("E-mail or phone number") if phone_logins() else _("E-mail")


# The one login field of sign-in, sign-up and recovery, named as this Passport takes logins.
LOGIN_LABEL = LazyString(_login_label)


class LoginForm(FlaskForm):
    login = StringField(LOGIN_LABEL, validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class SignupForm(FlaskForm):
    login = StringField(LOGIN_LABEL, validators=[DataRequired(), Length(max=320)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    password_repeat = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    next = HiddenField()


class SignupCodeForm(FlaskForm):
    code = StringField(_l("Code from the SMS"), validators=[DataRequired(), Length(max=12)])


class SignupConfirmForm(FlaskForm):
    # Asked only in a browser other than the one that signed up.
    password = PasswordField(_l("Password"), validators=[Length(max=1024)])


class LogoutForm(FlaskForm):
    pass
