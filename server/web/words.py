"""What the person reads for the codes the records keep: the kinds of the activity page's
events (domain.audit.KINDS), the sign-in methods of a session (RFC 8176 amr values), the
kinds of device, and the access a scope gives a portal, in the page's language. No code
reaches a page as it is stored."""

from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..federation import title_of
from ..models import AuditEvent

EVENT_WORDS = {
    "signup_requested": _l("Sign-up started"),
    "account_created": _l("Passport created"),
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Session ended"),
    "logout_everywhere": _l("Logged out of all devices"),
    "password_changed": _l("Password changed"),
    "password_created": _l("Password created"),
    "recovery_requested": _l("Password recovery requested"),
    "password_recovered": _l("Password recovered"),
    "login_change_requested": _l("Login change requested"),
    "login_changed": _l("Login changed"),
    "2fa_enabled": _l("Two-factor authentication turned on"),
    "2fa_disabled": _l("Two-factor authentication turned off"),
    "2fa_reset": _l("Two-factor authentication reset"),
    "second_factor_failed": _l("Wrong two-factor code"),
    "recovery_codes_regenerated": _l("New recovery codes made"),
    "social_linked": _l("Social network linked"),
    "social_unlinked": _l("Social network unlinked"),
    "address_changed": _l("Postal address changed"),
    "name_changed": _l("Name changed"),
    "photo_changed": _l("Profile photo changed"),
    "photo_removed": _l("Profile photo removed"),
    "data_downloaded": _l("Your data downloaded"),
    "account_deleted": _l("Passport deleted"),
    "account_locked": _l("Locked by the operators"),
    "account_unlocked": _l("Unlocked by the operators"),
    "sessions_ended_by_operator": _l("Signed out of all devices by the operators"),
    "recovery_sent_by_operator": _l("Recovery link sent by the operators"),
    "role_granted": _l("Role granted"),
    "role_revoked": _l("Role taken away"),
    "delivery_retried": _l("Delivery retried"),
    "passkey_added": _l("Passkey added"),
    "passkey_removed": _l("Passkey removed"),
    "consent_granted": _l("Portal allowed"),
    "device_approved": _l("Signed in on a device with a code"),
    "device_denied": _l("A device's sign-in refused"),
    "portal_revoked": _l("Portal access revoked"),
    "grant_revoked": _l("A portal's access was revoked"),
    "client_created": _l("Client registered"),
    "client_updated": _l("Client changed"),
    "client_secret_rotated": _l("Client secret rotated"),
    "client_disabled": _l("Client disabled"),
    "client_enabled": _l("Client enabled"),
    "client_deleted": _l("Client deleted"),
}

# What the person reads on the error page of an authorization request the portal got
# wrong (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6, RFC 9101, RFC 9126); the error code and the
# portal developers' description stay below it, as they are.
OAUTH_ERROR_WORDS = {
    "invalid_request_uri": _l(
        "The link from the portal has expired or has already been used. Go back to the "
        "portal and sign in from there again."
    ),
    "invalid_client": _l("Passport does not know this portal, or it has been turned off."),
    "unauthorized_client": _l("This portal may not sign you in this way."),
    "unsupported_response_type": _l(
        "This portal asked for a kind of answer Passport does not give."
    ),
    "invalid_scope": _l("This portal asked for access Passport does not give."),
    "invalid_request": _l("The portal's request is incomplete or malformed."),
    "invalid_request_object": _l("The portal's signed request could not be checked."),
    "request_not_supported": _l("The portal sent its request in a way it may not use."),
    "request_uri_not_supported": _l("The portal sent its request in a way it may not use."),
}


def oauth_error_words(code: str | None) -> str:
    """The person's words for an authorization error code; the general ones for another."""
    words = OAUTH_ERROR_WORDS.get(code or "")
    return str(words) if words is not None else _("The portal's request cannot be completed.")


# Why a portal's access was revoked, where the revocation is the news (audit.REVOCATIONS_LISTED).
# The activity page's filters (domain.audit.GROUPS), as its links read.
ACTIVITY_GROUPS = {
    "sign-ins": _l("Sign-ins"),
    "security": _l("Security changes"),
    "portals": _l("Portals"),
    "developers": _l("Developer console"),
    "operators": _l("Operators"),
}

REVOCATION_WORDS = {
    "code_reused": _l("A portal's access was revoked: its sign-in code was used twice"),
    "refresh_token_reused": _l("A portal's access was revoked: its token was used twice"),
}

# RFC 8176 §2: the amr values Passport's sign-ins carry.
METHOD_WORDS = {
    "pwd": _l("password"),
    "fed": _l("social network"),
    "otp": _l("one-time code"),
    "kba": _l("recovery code"),
    "mfa": _l("two-factor authentication"),
}

# What a portal gets with each scope (OIDC Core §5.4, §11), as the consent page asks it and
# the linked portals page shows it.
SCOPE_WORDS = {
    "openid": _l("Your Passport identifier"),
    "email": _l("Your e-mail address"),
    "phone": _l("Your phone number"),
    "profile": _l("Your name and language"),
    "address": _l("Your postal address"),
    "offline_access": _l("Access while you are not signed in"),
}

DEVICE_WORDS = {
    "phone": _l("Phone"),
    "tablet": _l("Tablet"),
    "computer": _l("Computer"),
}


def access_words(scopes) -> list[str]:
    """A line for each scope Passport knows, in the order given; others are left out."""
    return [str(SCOPE_WORDS[s]) for s in scopes if s in SCOPE_WORDS]


def device_words(kind: str) -> str:
    return str(DEVICE_WORDS.get(kind) or _("Unknown device"))


def event_words(event: AuditEvent) -> str:
    """The event as a line of the activity page."""
    details = event.details or {}
    words = str(EVENT_WORDS.get(event.kind) or _("Other change"))
    if event.kind == "login" and details.get("amr"):
        return _("Signed in: %(methods)s", methods=sign_in_methods(details["amr"]))
    if details.get("provider") and event.kind == "social_linked":
        return _("Social network linked: %(network)s", network=title_of(details["provider"]))
    if details.get("provider") and event.kind == "social_unlinked":
        return _("Social network unlinked: %(network)s", network=title_of(details["provider"]))
    if event.kind.startswith("client_"):
        name = details.get("client_name") or details.get("client_id")
        return f"{words}: {name}" if name else words
    if event.kind == "grant_revoked":
        return str(REVOCATION_WORDS.get(details.get("reason"), words))
    return words


def sign_in_methods(amr: list[str] | tuple[str, ...], network: str | None = None) -> str:
    """How a session was signed in, e.g. "password and one-time code". "mfa" only says that
    two methods were used, so it goes unsaid beside them; a value Passport does not issue
    reads as "another method"."""
    others = [m for m in amr if m != "mfa"]
    shown = others if len(others) > 1 else list(amr)
    parts = []
    for method in dict.fromkeys(shown):
        if method == "fed" and network:
            parts.append(_("social network %(network)s", network=title_of(network)))
        else:
            parts.append(str(METHOD_WORDS.get(method) or _("another method")))
    return format_list(parts, locale=get_locale()) if parts else _("unknown")


def sign_in_words(amr: list[str] | tuple[str, ...], network: str | None = None) -> str:
    """sign_in_methods as it starts a line: "Password and one-time code"."""
    methods = sign_in_methods(amr, network)
    return methods[:1].upper() + methods[1:]
