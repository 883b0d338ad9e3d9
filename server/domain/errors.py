"""Domain errors, each with the message the person reads; one handler (web/errors.py) turns
an uncaught one into a page or a JSON body, and a view that stays on its form shows the
message next to it."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _


class PassportError(Exception):
    """Base of every domain error."""

    status = 400

    def message(self) -> str:
        """What the person reads, in their language."""
        return _("Something went wrong; please try again.")


class InvalidIdentifier(PassportError):
    """The text is neither a valid e-mail address nor a valid phone number."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail or kind)
        self.kind = kind

    def message(self) -> str:
        if self.kind == "email":
            return _("This is not a valid e-mail address.")
        if self.kind == "phone":
            return _("This is not a valid phone number.")
        if self.kind == "email_only":
            return _("This Passport takes e-mail addresses only.")
        if not current_app.config["PHONE_LOGINS"]:
            return _("Enter an e-mail address.")
        return _("Enter an e-mail address or a phone number.")


class IdentifierTaken(PassportError):
    """Another account already holds this e-mail address or phone number."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind

    def message(self) -> str:
        if self.kind == "phone":
            return _("A user with this phone number already exists")
        return _("A user with this e-mail already exists")


class InvalidCredentials(PassportError):
    """Unknown login or wrong password: the two are never told apart."""

    def message(self) -> str:
        return _("Wrong login or password.")


class LoginNotConfirmed(PassportError):
    """The login and password are those of a sign-up whose login is not confirmed yet:
    `verification_id` names it, `kind` and `target` say where its link or code went."""

    def __init__(self, verification_id: int, kind: str, target: str):
        super().__init__("login not confirmed")
        self.verification_id = verification_id
        self.kind = kind
        self.target = target

    def message(self) -> str:
        if self.kind == "phone":
            return _(
                "Your Passport is not ready yet: confirm the number %(login)s with the code "
                "we sent by SMS.",
                login=self.target,
            )
        return _(
            "Your Passport is not ready yet: open the link we sent to %(login)s.",
            login=self.target,
        )


class WrongSignupPassword(PassportError):
    """The link of a sign-up was opened in another browser, with a password that is not the
    one chosen at sign-up."""

    def message(self) -> str:
        return _("This is not the password you chose when you signed up.")


class WeakPassword(PassportError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        return {
            "too_short": _("The password must be at least 8 characters long."),
            "too_long": _("The password must be at most 256 characters long."),
            "equals_login": _("The password must not be the same as the login."),
            "common": _("This password is too common; choose another one."),
        }.get(self.reason, _("Choose another password."))


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

    def message(self) -> str:
        return client_metadata_message(self)


class InvalidAddress(PassportError):
    """A part of the postal address is too long or holds characters an address has not."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field

    def message(self) -> str:
        return _("This part of the address is too long or holds characters it cannot.")


class InvalidName(PassportError):
    """A name longer than the account keeps, or with control characters in it."""

    def message(self) -> str:
        return _("The name is too long or holds characters a name cannot.")


class InvalidTimeZone(PassportError):
    """A time zone name the IANA database does not know."""

    def message(self) -> str:
        return _("Choose a time zone from the list.")


class InvalidPhoto(PassportError):
    """A photo that is too large, not an image, or of a kind Passport does not read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        if self.reason == "too_large":
            return _("The photo is too large: choose one under %(size)d MB.", size=PHOTO_MAX_MB)
        if self.reason == "too_many_pixels":
            return _("The photo has too many pixels: choose a smaller one.")
        return _("This is not a photo Passport can read: choose a JPEG, PNG, WebP or GIF image.")


# What a person may upload (the request body's limit on that page follows it).
PHOTO_MAX_MB = 10


class NotADeveloper(PassportError):
    """The account has neither the developer nor the operator role."""

    def message(self) -> str:
        return _("The developer console is for developers. Ask an operator for access.")


class OperatorsOnly(PassportError):
    """Only operators may do this (mark a client first-party)."""

    def message(self) -> str:
        return _("Only operators may mark a portal first-party.")


class OperatorsOnlyConsole(PassportError):
    """The operators' console is for operators."""

    status = 403

    def message(self) -> str:
        return _("This page is for the operators of this Passport.")


class AccountLocked(PassportError):
    """An operator locked the account: it does not sign in."""

    status = 403

    def message(self) -> str:
        return _("This Passport is locked. Contact the support of the service to unlock it.")


class NotOnYourself(PassportError):
    """An operator does not lock, delete or demote their own account from the console: the
    last operator would lock everybody out of it."""

    status = 409

    def message(self) -> str:
        return _("Not on your own Passport: ask another operator.")


class ReasonRequired(PassportError):
    """An operator's action on someone's account says why, for the audit log."""

    def message(self) -> str:
        return _("Say why: the reason goes into the audit log.")


class DisabledByOperator(PassportError):
    """An operator disabled this client; only an operator may enable it again."""

    def message(self) -> str:
        return _("An operator disabled this client; only an operator can enable it again.")


class ClientHasNoSecret(PassportError):
    """A public client has no secret to rotate."""

    def message(self) -> str:
        return _("A public client has no secret to rotate.")


class SecretAlreadyRotated(PassportError):
    """The secret the developer asked to replace has been replaced already."""

    def message(self) -> str:
        return _("This secret has been rotated already; nothing was changed.")


class GracePeriodTooLong(PassportError):
    def __init__(self, maximum_seconds: int):
        super().__init__(f"at most {maximum_seconds} seconds")
        self.maximum_seconds = maximum_seconds

    def message(self) -> str:
        return _(
            "The grace period may be at most %(hours)d hours.",
            hours=self.maximum_seconds // 3600,
        )


class WrongPassword(PassportError):
    """The current password given to authorise a change is wrong."""

    def message(self) -> str:
        return _("The current password is wrong.")


class ReauthenticationRequired(PassportError):
    """The account has no password and the sign-in is not recent: sign in again first."""

    def message(self) -> str:
        return _("For your safety, sign in again and repeat the change within a few minutes.")


class PasswordMismatch(PassportError):
    """The new password and its repetition differ."""

    def message(self) -> str:
        return _("The passwords do not match.")


class SameIdentifier(PassportError):
    """The new login is the one the account already has."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind

    def message(self) -> str:
        if self.kind == "phone":
            return _("This is already your phone number.")
        return _("This is already your e-mail.")


class CodeInvalid(PassportError):
    """A wrong code or link; `attempts_left` says how many tries remain."""

    def __init__(self, attempts_left: int | None = None):
        super().__init__("invalid code")
        self.attempts_left = attempts_left

    def message(self) -> str:
        if self.attempts_left:
            return _("The code is wrong. Attempts left: %(count)d.", count=self.attempts_left)
        return _("The code is wrong.")


class CodeAlreadyUsed(CodeInvalid):
    """A right code of the authenticator app whose time step was already spent: each code is
    accepted once (RFC 6238 §5.2), so the code that just turned 2FA on, or signed in on
    another device, is refused for the rest of its 30 seconds. Refused and counted like a
    wrong code; only the words differ, since typing it again cannot help."""

    def message(self) -> str:
        return _(
            "This code has already been used. Wait for the next code in your authenticator "
            "app and enter it."
        )


class CodeExpired(PassportError):
    """The link or code expired, or was already used."""

    def message(self) -> str:
        return _("The link or code has expired or was already used. Request a new one.")


class TooManyAttempts(PassportError):
    """Too many wrong codes, or too many sends: wait `retry_after` seconds or start again."""

    status = 429

    def __init__(self, retry_after: int | None = None):
        super().__init__("too many attempts")
        self.retry_after = retry_after

    def message(self) -> str:
        if self.retry_after:
            return _(
                "Please wait %(seconds)d seconds before asking again.", seconds=self.retry_after
            )
        return _("Too many attempts. Request a new code.")


class LastLoginMethod(PassportError):
    """Removing this would leave the account with no way to sign in."""

    def message(self) -> str:
        return _("This is your only way to sign in. Create a password first.")


class PasskeyRefused(PassportError):
    """A passkey response that cannot be accepted: `reason` says why (for the log and the
    tests); the person reads one message per kind."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        if self.reason == "too_many":
            return _("You have as many passkeys as a Passport keeps. Remove one first.")
        if self.reason == "registered":
            return _("This passkey is registered already.")
        if self.reason == "attestation":
            return _("This kind of passkey is not accepted here. Use another authenticator.")
        return _("The passkey could not be used. Try again.")


class SecondFactorRequired(PassportError):
    """Two-factor authentication is on: the change needs a code from the app (or a recovery code)."""

    def message(self) -> str:
        return _("Enter the code from your authenticator app (or a recovery code).")


class TwoFactorAlreadyOn(PassportError):
    """Setting up an app while one is on: it would replace the app without its code."""

    def message(self) -> str:
        return _("Two-factor authentication is on already.")


class UpstreamFailed(PassportError):
    """Signing in through a social network did not finish. `kind`: "cancelled" (the person
    said no there), "refused" (the provider answered with an error), "state" (a callback this
    browser did not start, or started too long ago), "invalid" (an answer that does not hold
    up: a wrong nonce, a bad signature), "unreachable" (the provider is down or too slow)."""

    def __init__(self, kind: str, intent: dict | None = None):
        super().__init__(kind)
        self.kind = kind
        self.intent = intent or {}

    def message(self) -> str:
        return UPSTREAM_FAILURES.get(self.kind, UPSTREAM_FAILURES["refused"])()


class UpstreamEmailHeld(PassportError):
    """The upstream account is not linked, and its e-mail belongs to a Passport: the person
    signs in to that Passport first, then links it (invariant 5)."""

    def __init__(self, email: str):
        super().__init__("e-mail held")
        self.email = email


class IdentityLinkedElsewhere(PassportError):
    """This upstream account is linked to another Passport."""

    def message(self) -> str:
        return _(
            "This social network account is already linked to another Passport. Sign in to "
            "that Passport and unlink it there first."
        )


class ProviderAlreadyLinked(PassportError):
    """The Passport already links an account of this network: unlink it first."""

    def message(self) -> str:
        return _(
            "An account of this social network is already linked. To link another one, "
            "unlink it first."
        )


class NotLinked(PassportError):
    """The upstream account is not linked to this Passport."""

    def message(self) -> str:
        return _("This social network account is not linked to your Passport.")


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
    if error.reason == "not_an_origin":
        return _(
            "%(value)s: an origin is a scheme and a host (and a port), such as "
            "https://app.example.org, with no path.",
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
    if error.reason == "fapi2" and error.field == "token_endpoint_auth_method":
        return _(
            "Under the FAPI 2.0 Security Profile a portal signs in with its keys (private_key_jwt)."
        )
    if error.reason == "fapi2" and error.field == "redirect_uris":
        return _(
            "%(value)s: under the FAPI 2.0 Security Profile every redirect URI uses https.",
            value=value,
        )
    if error.reason == "fapi2":
        return _(
            "Under the FAPI 2.0 Security Profile a portal uses the authorization code flow only."
        )
    if error.reason == "keys_required":
        return _(
            "private_key_jwt needs your public keys: give the URL of your keys or the keys "
            "themselves."
        )
    if error.reason == "invalid_keys":
        return _("These keys cannot be read: enter a JWK Set of at most 10 public keys.")
    if error.reason == "private_keys":
        return _("This holds a private key: enter public keys only.")
    if error.reason == "both_keys":
        return _("Give either the URL of your keys or the keys themselves, not both.")
    if error.reason == "secret_not_sealed":
        return _("client_secret_jwt needs a secret issued for it: register a new client.")
    if error.reason == "sector_unreachable":
        return _("%(value)s could not be fetched.", value=value)
    if error.reason == "sector_invalid":
        return _("The sector identifier URI must serve a JSON array of redirect URIs.")
    if error.reason == "sector_mismatch":
        return _(
            "%(value)s is missing from the list of redirect URIs at the sector identifier URI.",
            value=value,
        )
    if error.reason == "sector_required":
        return _("Redirect URIs on several hosts need a sector identifier URI.")
    if error.field == "contacts":
        return _("List at most 10 e-mail addresses.")
    if error.field == "client_name":
        return _("Enter a name of at most 200 characters.")
    return _("This value is not accepted.")


class OwnsPortals(PassportError):
    """A Passport that registered portals is not deleted while they exist: people sign in
    to them, and nobody would manage them any more."""

    status = 409

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count

    def message(self) -> str:
        return _(
            "You registered portals in the developer console (%(count)s). Delete them there first: people sign in to them.",
            count=self.count,
        )
