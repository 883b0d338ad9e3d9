"""Forms of the Passport pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .forms import LOGIN_LABEL


def second_factor_field() -> StringField:
    """The code from the authenticator app (or a recovery code), asked when 2FA is on."""
    return StringField(_l("Code from the authenticator app"), validators=[Length(max=20)])


class EmailChangeForm(FlaskForm):
    email = StringField(_l("New e-mail"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()
    propagate = BooleanField(
        _l("Update the e-mail in all portals linked to my Passport"), default=True
    )


class PhoneChangeForm(FlaskForm):
    phone = StringField(_l("New phone number"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()
    propagate = BooleanField(
        _l("Update the phone number in all portals linked to my Passport"), default=True
    )


class CodeForm(FlaskForm):
    verification = HiddenField()
    code = StringField(_l("Code from the SMS"), validators=[DataRequired(), Length(max=12)])


class ResendForm(FlaskForm):
    verification = HiddenField()
    # Which page to go back to, also when the sending is refused ("email" or "phone").
    kind = HiddenField()


class ConfirmForm(FlaskForm):
    pass


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    repeat = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=1024)])
    code = second_factor_field()


class RecoverForm(FlaskForm):
    login = StringField(LOGIN_LABEL, validators=[DataRequired(), Length(max=320)])


class ResetPasswordForm(FlaskForm):
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    repeat = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=1024)])


class ResetByCodeForm(ResetPasswordForm):
    code = StringField(_l("Code from the SMS"), validators=[DataRequired(), Length(max=12)])


class TwoFactorSetupForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])


class TwoFactorConfirmForm(FlaskForm):
    code = StringField(
        _l("Code from the authenticator app"), validators=[DataRequired(), Length(max=12)]
    )


class TwoFactorManageForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = StringField(
        _l("Code from the authenticator app or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
    )


class SecondStepForm(FlaskForm):
    code = StringField(
        _l("Code from the authenticator app or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
    )
    trust = BooleanField(_l("Trust this device"))


class SocialForm(FlaskForm):
    """Linking or unlinking a social network: the owner check of invariant 1."""

    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()
