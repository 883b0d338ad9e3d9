"""Domain errors as the person reads them, in their language."""

from flask_babel import gettext as _

from ..services.errors import (
    IdentifierTaken,
    InvalidCredentials,
    InvalidIdentifier,
    PassportError,
    WeakPassword,
)


def message_for(error: PassportError) -> str:
    if isinstance(error, IdentifierTaken):
        if error.kind == "phone":
            return _("A user with this phone number already exists")
        return _("A user with this e-mail already exists")
    if isinstance(error, InvalidIdentifier):
        if error.kind == "email":
            return _("This is not a valid e-mail address.")
        if error.kind == "phone":
            return _("This is not a valid phone number.")
        return _("Enter an e-mail address or a phone number.")
    if isinstance(error, InvalidCredentials):
        return _("Wrong login or password.")
    if isinstance(error, WeakPassword):
        return {
            "too_short": _("The password must be at least 8 characters long."),
            "too_long": _("The password must be at most 256 characters long."),
            "equals_login": _("The password must not be the same as the login."),
            "common": _("This password is too common; choose another one."),
        }.get(error.reason, _("Choose another password."))
    return _("Something went wrong; please try again.")
