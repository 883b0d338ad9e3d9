"""Domain errors as the person reads them, in their language."""

from flask_babel import gettext as _

from ..domain.errors import (
    ClientHasNoSecret,
    CodeExpired,
    CodeInvalid,
    DisabledByOperator,
    GracePeriodTooLong,
    IdentifierTaken,
    IdentityLinkedElsewhere,
    InvalidClientMetadata,
    InvalidCredentials,
    InvalidIdentifier,
    LastLoginMethod,
    NotADeveloper,
    NotLinked,
    OperatorsOnly,
    PassportError,
    PasswordMismatch,
    ProviderAlreadyLinked,
    ReauthenticationRequired,
    SameIdentifier,
    SecondFactorRequired,
    SecretAlreadyRotated,
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
    if isinstance(error, InvalidClientMetadata):
        return client_metadata_message(error)
    if isinstance(error, NotADeveloper):
        return _("The developer console is for developers. Ask an operator for access.")
    if isinstance(error, OperatorsOnly):
        return _("Only operators may mark a portal first-party.")
    if isinstance(error, DisabledByOperator):
        return _("An operator disabled this client; only an operator can enable it again.")
    if isinstance(error, ClientHasNoSecret):
        return _("A public client has no secret to rotate.")
    if isinstance(error, SecretAlreadyRotated):
        return _("This secret has been rotated already; nothing was changed.")
    if isinstance(error, GracePeriodTooLong):
        return _(
            "The grace period may be at most %(hours)d hours.",
            hours=error.maximum_seconds // 3600,
        )
    return _("Something went wrong; please try again.")


def client_metadata_message(error: InvalidClientMetadata) -> str:
    """What is wrong with one field of a client, for the developer console."""
    value = str(error.value) if error.value is not None else ""
    if error.reason == "fragment":
        return _("%(value)s: a URL here must not contain a fragment (#…).", value=value)
    if error.reason == "wildcard":
        return _(
            "%(value)s: wildcards (*) are not allowed; register every URL in full.", value=value
        )
    if error.reason == "userinfo":
        return _(
            "%(value)s: a URL here must not contain a user name or password (…@).", value=value
        )
    if error.reason == "https_required":
        return _(
            "%(value)s: use https (plain http is allowed only on 127.0.0.1, [::1] and localhost).",
            value=value,
        )
    if error.reason == "private_scheme":
        return _(
            "%(value)s: private-use schemes such as com.example.app:/callback are for native "
            "apps only.",
            value=value,
        )
    if error.reason in ("not_absolute", "not_a_string", "invalid") and value:
        return _(
            "%(value)s: enter an absolute URL, such as https://portal.example/callback.",
            value=value,
        )
    if error.reason == "required":
        return _("Enter at least one redirect URI.")
    if error.reason == "too_many":
        return _("Too many URLs: at most 20.")
    if error.reason == "too_large":
        return _("The client's settings are too large: at most 64 KiB in all.")
    if error.reason == "unsupported_scope":
        return _("%(value)s: this scope is not supported.", value=value)
    if error.reason == "invalid_email":
        return _("%(value)s is not an e-mail address.", value=value)
    if error.field == "contacts":
        return _("List at most 10 e-mail addresses.")
    if error.field == "client_name":
        return _("Enter a name of at most 200 characters.")
    return _("This value is not accepted.")
