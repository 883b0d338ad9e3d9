"""Two-factor authentication with a TOTP app (RFC 6238) and recovery codes.

TOTP: SHA-1, 6 digits, 30-second steps, one step of clock drift either way, and a code
accepted once is never accepted again (the last used step is stored). Secrets are
encrypted at rest with TOTP_ENCRYPTION_KEY. Wrong codes are counted per account: after a
few free tries each further one doubles the wait, and the person is told of repeated
failures. Turning 2FA off is a credential change (invariant 2).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pyotp
from cryptography.fernet import Fernet
from flask import current_app
from sqlalchemy import select, update

from ..clock import now
from ..extensions import db
from ..models import Account, LoginSession, RecoveryCode, TotpAuthenticator, TrustedDevice
from ..security import random_token, sha256_hex
from . import audit, notifications
from .accounts import RequestContext
from .errors import CodeInvalid, ReauthenticationRequired, TooManyAttempts, WrongPassword
from .passwords import verify_password

STEP = 30
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _fernet() -> Fernet:
    return Fernet(current_app.config["TOTP_ENCRYPTION_KEY"].encode())


def _authenticator(account: Account) -> TotpAuthenticator | None:
    return db.session.get(TotpAuthenticator, account.id)


def is_enabled(account: Account) -> bool:
    authenticator = _authenticator(account)
    return authenticator is not None and authenticator.confirmed_at is not None


def _check_password(
    account: Account, password: str | None, login_session: LoginSession | None
) -> None:
    if account.password_hash:
        if not verify_password(account.password_hash, password or ""):
            raise WrongPassword()
        return
    window = timedelta(seconds=current_app.config["RECENT_AUTH_WINDOW"])
    if login_session is None or now() - login_session.auth_time > window:
        raise ReauthenticationRequired()


def begin_setup(
    account: Account, password: str | None, *, login_session: LoginSession | None
) -> str:
    """Start turning 2FA on: a new secret, pending until a code from the app confirms it.

    Returns the base32 secret (shown once, with its QR code). Raises WrongPassword.
    """
    _check_password(account, password, login_session)
    if is_enabled(account):
        raise CodeInvalid()
    secret = pyotp.random_base32()
    authenticator = _authenticator(account) or TotpAuthenticator(account_id=account.id)
    authenticator.secret_encrypted = _fernet().encrypt(secret.encode()).decode()
    authenticator.created_at = now()
    authenticator.confirmed_at = None
    authenticator.last_used_step = 0
    authenticator.failed_attempts = 0
    authenticator.locked_until = None
    db.session.add(authenticator)
    db.session.commit()
    return secret


def pending_secret(account: Account) -> str | None:
    authenticator = _authenticator(account)
    if authenticator is None or authenticator.confirmed_at is not None:
        return None
    return _fernet().decrypt(authenticator.secret_encrypted.encode()).decode()


def provisioning_uri(account: Account, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=account.login, issuer_name=current_app.config["TOTP_ISSUER_NAME"]
    )


def confirm_setup(
    account: Account, code: str, *, context: RequestContext | None = None
) -> list[str]:
    """Finish turning 2FA on with a code from the app; returns the recovery codes (shown once)."""
    authenticator = _authenticator(account)
    if authenticator is None or authenticator.confirmed_at is not None:
        raise CodeInvalid()
    step = _matching_step(authenticator, code)
    if step is None:
        raise CodeInvalid()
    authenticator.confirmed_at = now()
    authenticator.last_used_step = step
    codes = _new_recovery_codes(account)
    context = context or RequestContext()
    audit.record(
        "2fa_enabled",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
    )
    notifications.notify(account, "two_factor_enabled")
    db.session.commit()
    return codes


def regenerate_recovery_codes(
    account: Account, password: str | None, code: str, *, login_session: LoginSession | None
) -> list[str]:
    """New recovery codes; the old ones stop working. Needs the password and a current code."""
    _check_password(account, password, login_session)
    verify(account, code)
    codes = _new_recovery_codes(account)
    audit.record("recovery_codes_regenerated", account_id=account.id)
    db.session.commit()
    return codes


def remaining_recovery_codes(account: Account) -> int:
    return len(
        db.session.execute(
            select(RecoveryCode.id).where(
                RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def verify(account: Account, code: str) -> str:
    """Check a second factor: a TOTP code or a recovery code. Returns "otp" or "recovery".

    Raises TooManyAttempts(retry_after) while the account waits out its delay, and
    CodeInvalid for a wrong, replayed or spent code (counted, and the count committed).
    A code that passes is spent in the caller's transaction, not committed here: a change
    checked under a row lock keeps the lock until the change itself commits.
    """
    authenticator = _authenticator(account)
    if authenticator is None or authenticator.confirmed_at is None:
        raise CodeInvalid()
    moment = now()
    if authenticator.locked_until and authenticator.locked_until > moment:
        raise TooManyAttempts(
            retry_after=int((authenticator.locked_until - moment).total_seconds()) + 1
        )
    code = (code or "").strip().replace(" ", "").replace("-", "").lower()
    method = None
    if code.isdigit() and len(code) == 6:
        step = _matching_step(authenticator, code)
        if step is not None and step > authenticator.last_used_step:
            # Claim the step atomically: two requests with the same code cannot both pass.
            claimed = db.session.execute(
                update(TotpAuthenticator)
                .where(
                    TotpAuthenticator.account_id == account.id,
                    TotpAuthenticator.last_used_step < step,
                )
                .values(last_used_step=step)
            ).rowcount
            method = "otp" if claimed == 1 else None
    elif code:
        method = _use_recovery_code(account, code)
    if method is None:
        _count_failure(account, authenticator, moment)
        raise CodeInvalid()
    authenticator.failed_attempts = 0
    authenticator.locked_until = None
    if (
        method == "recovery"
        and remaining_recovery_codes(account) <= current_app.config["RECOVERY_CODES_LOW"]
    ):
        notifications.notify(account, "recovery_codes_low")
    return method


def pass_second_step(account: Account, code: str) -> str:
    """The second step of signing in: `verify`, and the code is spent. Returns the method."""
    method = verify(account, code)
    db.session.commit()
    return method


def disable(
    account: Account,
    password: str | None,
    code: str,
    *,
    login_session: LoginSession | None,
    context: RequestContext | None = None,
    reason: str = "2fa_disabled",
) -> LoginSession | None:
    """Turn 2FA off (password and a current or recovery code): a credential change.

    Returns the re-issued session for this browser.
    """
    from .credentials import credential_changed

    _check_password(account, password, login_session)
    verify(account, code)
    db.session.execute(
        TotpAuthenticator.__table__.delete().where(TotpAuthenticator.account_id == account.id)
    )
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.account_id == account.id))
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


# --- trusted devices ---


def trust_device(account: Account, *, user_agent: str | None) -> str | None:
    """Remember this device for TRUSTED_DEVICE_DAYS; returns the cookie value (None if off)."""
    days = current_app.config["TRUSTED_DEVICE_DAYS"]
    if not days:
        return None
    token = random_token(32)
    db.session.add(
        TrustedDevice(
            account_id=account.id,
            token_hash=sha256_hex(token),
            user_agent=(user_agent or "")[:512] or None,
            expires_at=now() + timedelta(days=days),
        )
    )
    db.session.commit()
    return token


def is_trusted_device(account: Account, token: str | None) -> bool:
    if not token or len(token) > 200 or not current_app.config["TRUSTED_DEVICE_DAYS"]:
        return False
    device = db.session.execute(
        select(TrustedDevice).where(TrustedDevice.token_hash == sha256_hex(token))
    ).scalar_one_or_none()
    return (
        device is not None
        and device.account_id == account.id
        and device.revoked_at is None
        and device.expires_at > now()
    )


def forget_trusted_devices(account: Account) -> None:
    """End every "trust this device" (credential change, log out of all devices). No commit."""
    db.session.execute(
        update(TrustedDevice)
        .where(TrustedDevice.account_id == account.id, TrustedDevice.revoked_at.is_(None))
        .values(revoked_at=now())
    )


# --- internals ---


def _matching_step(authenticator: TotpAuthenticator, code: str) -> int | None:
    """The time step whose code matches, within one step of drift either way (RFC 6238 §5.2)."""
    if not code or not code.isdigit() or len(code) != 6:
        return None
    secret = _fernet().decrypt(authenticator.secret_encrypted.encode()).decode()
    totp = pyotp.TOTP(secret)
    current = int(now().timestamp()) // STEP
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _new_recovery_codes(account: Account) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(current_app.config["RECOVERY_CODE_COUNT"]):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(account_id=account.id, code_hash=sha256_hex(raw)))
    return codes


def _use_recovery_code(account: Account, code: str) -> str | None:
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == sha256_hex(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now())
    )
    return "recovery" if result.rowcount == 1 else None


def _count_failure(account: Account, authenticator: TotpAuthenticator, moment: datetime) -> None:
    config = current_app.config
    authenticator.failed_attempts += 1
    over = authenticator.failed_attempts - config["SECOND_FACTOR_FREE_ATTEMPTS"]
    if over > 0:
        authenticator.locked_until = moment + timedelta(seconds=min(2 ** (over - 1), 3600))
    audit.record(
        "second_factor_failed", account_id=account.id, attempts=authenticator.failed_attempts
    )
    if authenticator.failed_attempts == config["SECOND_FACTOR_NOTIFY_AFTER"]:
        notifications.notify(account, "second_factor_failures")
    db.session.commit()
