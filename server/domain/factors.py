"""Second factors: a TOTP app (RFC 6238) and recovery codes. Verifying never commits.

TOTP: SHA-1, 6 digits, 30-second steps, one step of clock drift either way, and a code
accepted once is never accepted again (the last used step is stored). Secrets are
encrypted at rest with TOTP_ENCRYPTION_KEY. Wrong codes are counted per account: after a
few free tries each further one doubles the wait, and the person is told of repeated
failures.
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
from ..models import Account, RecoveryCode, TotpAuthenticator
from ..security import sha256_hex
from . import audit, notifications
from .errors import CodeAlreadyUsed, CodeInvalid, TooManyAttempts

STEP = 30
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _fernet() -> Fernet:
    return Fernet(current_app.config["TOTP_ENCRYPTION_KEY"].encode())


def _authenticator(account: Account) -> TotpAuthenticator | None:
    return db.session.get(TotpAuthenticator, account.id)


def is_enabled(account: Account) -> bool:
    authenticator = _authenticator(account)
    return authenticator is not None and authenticator.confirmed_at is not None


def start_setup(account: Account) -> str:
    """A new secret, pending until a code from the app confirms it; returns it (base32)."""
    secret = pyotp.random_base32()
    authenticator = _authenticator(account) or TotpAuthenticator(account_id=account.id)
    authenticator.secret_encrypted = _fernet().encrypt(secret.encode()).decode()
    authenticator.created_at = now()
    authenticator.confirmed_at = None
    authenticator.last_used_step = 0
    authenticator.failed_attempts = 0
    authenticator.locked_until = None
    db.session.add(authenticator)
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


def confirm_setup(account: Account, code: str) -> list[str]:
    """Turn the pending secret on with a code from the app; returns new recovery codes.
    Raises CodeInvalid (not counted: nothing is protected by the factor yet)."""
    authenticator = _authenticator(account)
    if authenticator is None or authenticator.confirmed_at is not None:
        raise CodeInvalid()
    step = _matching_step(authenticator, code)
    if step is None:
        raise CodeInvalid()
    authenticator.confirmed_at = now()
    authenticator.last_used_step = step
    return new_recovery_codes(account)


def remove(account: Account) -> None:
    """Forget the app's secret and the recovery codes."""
    db.session.execute(
        TotpAuthenticator.__table__.delete().where(TotpAuthenticator.account_id == account.id)
    )
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.account_id == account.id))


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

    Raises TooManyAttempts(retry_after) while the account waits out its delay,
    CodeAlreadyUsed for a code of the app whose step was already used (a replay), and
    CodeInvalid for a wrong or spent code (both counted). Nothing is committed: a code
    that passes is spent with the change it authorises (a change checked under a row lock
    keeps the lock until it commits), and the use case commits the count of a refusal.
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
    method = replayed = None
    if code.isdigit() and len(code) == 6:
        step = _matching_step(authenticator, code)
        if step is not None:
            method = "otp" if _claim_step(account, authenticator, step) else None
            replayed = method is None
    elif code:
        method = _use_recovery_code(account, code)
    if method is None:
        _count_failure(account, authenticator, moment)
        raise CodeAlreadyUsed() if replayed else CodeInvalid()
    authenticator.failed_attempts = 0
    authenticator.locked_until = None
    if (
        method == "recovery"
        and remaining_recovery_codes(account) <= current_app.config["RECOVERY_CODES_LOW"]
    ):
        notifications.notify(account, "recovery_codes_low")
    return method


# --- internals ---


def _matching_step(authenticator: TotpAuthenticator, code: str) -> int | None:
    """The time step whose code matches, within one step of drift either way (RFC 6238 §5.2)."""
    # ASCII digits only: str.isdigit takes fullwidth and Arabic-Indic digits too, which no app
    # shows and which compare_digest refuses with a TypeError.
    if not code or not code.isascii() or not code.isdigit() or len(code) != 6:
        return None
    secret = _fernet().decrypt(authenticator.secret_encrypted.encode()).decode()
    totp = pyotp.TOTP(secret)
    current = int(now().timestamp()) // STEP
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _claim_step(account: Account, authenticator: TotpAuthenticator, step: int) -> bool:
    """Spend the time step of a right code; False when it, or a later one, was used already.
    Claimed atomically: two requests with the same code cannot both pass."""
    if step <= authenticator.last_used_step:
        return False
    claimed = db.session.execute(
        update(TotpAuthenticator)
        .where(
            TotpAuthenticator.account_id == account.id,
            TotpAuthenticator.last_used_step < step,
        )
        .values(last_used_step=step)
    ).rowcount
    return claimed == 1


def new_recovery_codes(account: Account) -> list[str]:
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
