"""Domain errors raised by services; views turn them into translated messages."""

from __future__ import annotations


class PassportError(Exception):
    """Base of every domain error."""


class InvalidIdentifier(PassportError):
    """The text is neither a valid e-mail address nor a valid phone number."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail or kind)
        self.kind = kind


class IdentifierTaken(PassportError):
    """Another account already holds this e-mail address or phone number."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class InvalidCredentials(PassportError):
    """Unknown login or wrong password: the two are never told apart."""


class WeakPassword(PassportError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidClientMetadata(PassportError):
    """Client metadata that cannot be registered: `field` is the metadata name, `reason` a
    short code the console translates; the message says why in English (RFC 7591 §3.2.2)."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str = "invalid",
        value: object = None,
    ):
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.value = value


class NotADeveloper(PassportError):
    """The account has neither the developer nor the operator role."""


class OperatorsOnly(PassportError):
    """Only operators may do this (mark a client first-party)."""


class DisabledByOperator(PassportError):
    """An operator disabled this client; only an operator may enable it again."""


class ClientHasNoSecret(PassportError):
    """A public client has no secret to rotate."""


class SecretAlreadyRotated(PassportError):
    """The secret the developer asked to replace has been replaced already."""


class GracePeriodTooLong(PassportError):
    def __init__(self, maximum_seconds: int):
        super().__init__(f"at most {maximum_seconds} seconds")
        self.maximum_seconds = maximum_seconds


class WrongPassword(PassportError):
    """The current password given to authorise a change is wrong."""


class ReauthenticationRequired(PassportError):
    """The account has no password and the sign-in is not recent: sign in again first."""


class PasswordMismatch(PassportError):
    """The new password and its repetition differ."""


class SameIdentifier(PassportError):
    """The new login is the one the account already has."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class CodeInvalid(PassportError):
    """A wrong code or link; `attempts_left` says how many tries remain."""

    def __init__(self, attempts_left: int | None = None):
        super().__init__("invalid code")
        self.attempts_left = attempts_left


class CodeExpired(PassportError):
    """The link or code expired, or was already used."""


class TooManyAttempts(PassportError):
    """Too many wrong codes, or too many sends: wait `retry_after` seconds or start again."""

    def __init__(self, retry_after: int | None = None):
        super().__init__("too many attempts")
        self.retry_after = retry_after


class LastLoginMethod(PassportError):
    """Removing this would leave the account with no way to sign in."""


class SecondFactorRequired(PassportError):
    """Two-factor authentication is on: the change needs a code from the app (or a recovery code)."""


class UpstreamFailed(PassportError):
    """Signing in through a social network did not finish. `kind`: "cancelled" (the person
    said no there), "refused" (the provider answered with an error), "state" (a callback this
    browser did not start, or started too long ago), "invalid" (an answer that does not hold
    up: a wrong nonce, a bad signature), "unreachable" (the provider is down or too slow)."""

    def __init__(self, kind: str, intent: dict | None = None):
        super().__init__(kind)
        self.kind = kind
        self.intent = intent or {}


class UpstreamEmailHeld(PassportError):
    """The upstream account is not linked, and its e-mail belongs to a Passport: the person
    signs in to that Passport first, then links it (invariant 5)."""

    def __init__(self, email: str):
        super().__init__("e-mail held")
        self.email = email


class IdentityLinkedElsewhere(PassportError):
    """This upstream account is linked to another Passport."""


class ProviderAlreadyLinked(PassportError):
    """The Passport already links an account of this network: unlink it first."""


class NotLinked(PassportError):
    """The upstream account is not linked to this Passport."""
