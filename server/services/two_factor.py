"""Two-factor authentication, as the person turns it on and off (RFC 6238 apps and recovery
codes; the rules are in domain/factors.py). Turning it on and turning it off are both
credential changes (invariant 2): a person who turns it on because someone else may be in
must not leave that someone signed in."""

from __future__ import annotations

from ..context import RequestContext
from ..domain import audit, factors, login_sessions, notifications
from ..domain.credentials import credential_changed
from ..domain.errors import TwoFactorAlreadyOn
from ..extensions import db
from ..models import Account, LoginSession
from .owner import check_owner, counting_wrong_codes


def begin_setup(
    account: Account, password: str | None, *, login_session: LoginSession | None
) -> str:
    """Start turning 2FA on: a new secret, pending until a code from the app confirms it.

    Returns the base32 secret (shown once, with its QR code). Raises TwoFactorAlreadyOn,
    WrongPassword, ReauthenticationRequired.
    """
    if factors.is_enabled(account):
        raise TwoFactorAlreadyOn()
    check_owner(account, password, login_session)
    secret = factors.start_setup(account)
    db.session.commit()
    return secret


def confirm_setup(
    account: Account,
    code: str,
    *,
    login_session: LoginSession | None,
    context: RequestContext | None = None,
) -> tuple[list[str], LoginSession | None]:
    """Finish turning 2FA on with a code from the app: a credential change, so every other
    session ends and every token of the account dies. Returns the recovery codes (shown
    once) and the re-issued session for this browser. Raises CodeInvalid."""
    codes = factors.confirm_setup(account, code)
    replacement = credential_changed(
        account,
        reason="2fa_enabled",
        credential_type="app",
        change_type="create",
        keep=login_session,
        context=context,
    )
    notifications.notify(account, "two_factor_enabled")
    db.session.commit()
    return codes, replacement


def regenerate_recovery_codes(
    account: Account, password: str | None, code: str, *, login_session: LoginSession | None
) -> list[str]:
    """New recovery codes; the old ones stop working. Needs the owner check with a code."""
    check_owner(account, password, login_session, code)
    codes = factors.new_recovery_codes(account)
    audit.record("recovery_codes_regenerated", account_id=account.id)
    db.session.commit()
    return codes


def pass_second_step(account: Account, code: str) -> str:
    """The second step of signing in: the code is checked and spent. Returns "otp" or
    "recovery". Raises CodeInvalid (counted) or TooManyAttempts."""
    with counting_wrong_codes():
        method = factors.verify(account, code)
    db.session.commit()
    return method


def trust_device(account: Account, *, user_agent: str | None) -> str | None:
    """Remember this device for TRUSTED_DEVICE_DAYS; returns the cookie value (None if off)."""
    token = login_sessions.new_trusted_device(account, user_agent=user_agent)
    db.session.commit()
    return token


def disable(
    account: Account,
    password: str | None,
    code: str,
    *,
    login_session: LoginSession | None,
    context: RequestContext | None = None,
    reason: str = "2fa_disabled",
) -> LoginSession | None:
    """Turn 2FA off (the owner check with a current or recovery code): a credential change.

    Returns the re-issued session for this browser.
    """
    check_owner(account, password, login_session, code)
    factors.remove(account)
    replacement = credential_changed(
        account,
        reason=reason,
        credential_type="app",
        change_type="delete",
        keep=login_session,
        context=context,
    )
    notifications.notify(account, "two_factor_disabled")
    db.session.commit()
    return replacement
