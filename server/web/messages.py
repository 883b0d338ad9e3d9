"""Domain errors as the person reads them, in their language."""

from flask_babel import gettext as _

from ..services.errors import (
    CodeExpired,
    CodeInvalid,
    IdentifierTaken,
    IdentityLinkedElsewhere,
    InvalidCredentials,
    InvalidIdentifier,
    LastLoginMethod,
    NotLinked,
    PassportError,
    PasswordMismatch,
    ProviderAlreadyLinked,
    ReauthenticationRequired,
    SameIdentifier,
    SecondFactorRequired,
    TooManyAttempts,
    UpstreamFailed,
    WeakPassword,
    WrongPassword,
)

UPSTREAM_FAILURES = {
    "cancelled": lambda: _("You cancelled signing in with the social network."),
    "refused": lambda: _("The social network refused to sign you in. Please try again later."),
    "state": lambda: _(
        "This sign-in could not be checked: it was not started in this browser, or took too "
        "long. Please start again."
    ),
    "invalid": lambda: _(
        "The social network's answer did not pass our checks, so you were not signed in. "
        "Please start again."
    ),
    "unreachable": lambda: _(
        "The social network is not answering right now. Please try again in a few minutes."
    ),
}


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
    if isinstance(error, WrongPassword):
        return _("The current password is wrong.")
    if isinstance(error, ReauthenticationRequired):
        return _("For your safety, sign in again and repeat the change within a few minutes.")
    if isinstance(error, PasswordMismatch):
        return _("The passwords do not match.")
    if isinstance(error, SameIdentifier):
        if error.kind == "phone":
            return _("This is already your phone number.")
        return _("This is already your e-mail.")
    if isinstance(error, CodeInvalid):
        if error.attempts_left:
            return _("The code is wrong. Attempts left: %(count)d.", count=error.attempts_left)
        return _("The code is wrong.")
    if isinstance(error, CodeExpired):
        return _("The link or code has expired or was already used. Request a new one.")
    if isinstance(error, TooManyAttempts):
        if error.retry_after:
            return _(
                "Please wait %(seconds)d seconds before asking again.", seconds=error.retry_after
            )
        return _("Too many attempts. Request a new code.")
    if isinstance(error, SecondFactorRequired):
        return _("Enter the code from your authenticator app (or a recovery code).")
    if isinstance(error, LastLoginMethod):
        return _("This is your only way to sign in. Create a password first.")
    if isinstance(error, UpstreamFailed):
        return UPSTREAM_FAILURES.get(error.kind, UPSTREAM_FAILURES["refused"])()
    if isinstance(error, IdentityLinkedElsewhere):
        return _(
            "This social network account is already linked to another Passport. Sign in to "
            "that Passport and unlink it there first."
        )
    if isinstance(error, ProviderAlreadyLinked):
        return _(
            "An account of this social network is already linked. To link another one, "
            "unlink it first."
        )
    if isinstance(error, NotLinked):
        return _("This social network account is not linked to your Passport.")
    if isinstance(error, WeakPassword):
        return {
            "too_short": _("The password must be at least 8 characters long."),
            "too_long": _("The password must be at most 256 characters long."),
            "equals_login": _("The password must not be the same as the login."),
            "common": _("This password is too common; choose another one."),
        }.get(error.reason, _("Choose another password."))
    return _("Something went wrong; please try again.")
