"""Single-use links and codes: issuing, sending and checking them, and sending them again.

Links carry 32 random bytes; SMS codes are 6 digits. Only an HMAC of the secret (keyed
with SECRET_KEY) is stored, so the database alone does not give a code away even though
a 6-digit space is small; wrong tries are counted and limited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import now
from ..extensions import db
from ..models import Account, Verification
from ..security import random_token
from . import notifications
from .errors import CodeExpired, CodeInvalid, TooManyAttempts


def secret_hash(secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def issue(
    account: Account | None, *, purpose: str, kind: str, target: str, propagate: bool = False
) -> tuple[Verification, str]:
    """A new verification for `target`; the account's earlier open ones of the same purpose
    end. Without an account (a sign-up) none ends: one person's sign-up never cancels
    another's. No commit."""
    moment = now()
    config = current_app.config
    if account is not None:
        db.session.execute(
            update(Verification)
            .where(
                Verification.account_id == account.id,
                Verification.purpose == purpose,
                Verification.used_at.is_(None),
                Verification.cancelled_at.is_(None),
            )
            .values(cancelled_at=moment)
        )
    secret = random_token(32) if kind == "email" else new_code()
    lifetime = config["EMAIL_LINK_LIFETIME"] if kind == "email" else config["SMS_CODE_LIFETIME"]
    verification = Verification(
        account_id=account.id if account is not None else None,
        purpose=purpose,
        kind=kind,
        target=target,
        # A code's hash is keyed by the row id (codes repeat across rows); set after the flush.
        secret_hash=secret_hash(f"{purpose}:{secret}" if kind == "email" else random_token(16)),
        propagate=propagate,
        created_at=moment,
        last_sent_at=moment,
        expires_at=moment + timedelta(seconds=lifetime),
    )
    db.session.add(verification)
    db.session.flush()
    if kind == "phone":
        verification.secret_hash = secret_hash(f"{purpose}:{verification.id}:{secret}")
    return verification, secret


def find_by_link(purpose: str, token: str) -> Verification:
    """The open verification a link names; raises CodeExpired when it is unknown or spent."""
    if not token or len(token) > 200:
        raise CodeExpired()
    verification = db.session.execute(
        select(Verification).where(Verification.secret_hash == secret_hash(f"{purpose}:{token}"))
    ).scalar_one_or_none()
    if verification is None or not verification.is_open(now()):
        raise CodeExpired()
    return verification


def find_by_id(purpose: str, verification_id: str | int | None) -> Verification:
    """The verification of this purpose with this id (as a form or the cookie gave it, so
    anything); raises CodeExpired when there is none. Open or not: the caller checks."""
    try:
        number = int(verification_id or 0)
    except (TypeError, ValueError):
        number = 0
    # Row ids are 32-bit integers: a larger number finds nothing, without asking.
    verification = db.session.get(Verification, number) if 0 < number < 2**31 else None
    if verification is None or verification.purpose != purpose:
        raise CodeExpired()
    return verification


def check_code(verification: Verification, code: str) -> None:
    """Check a code against an open verification; a wrong try is counted (the use case
    commits the count). Raises CodeExpired, CodeInvalid(attempts_left), TooManyAttempts."""
    if verification is None or not verification.is_open(now()):
        raise CodeExpired()
    limit = current_app.config["CODE_MAX_ATTEMPTS"]
    if verification.attempts >= limit:
        raise TooManyAttempts()
    code = (code or "").strip().replace(" ", "")
    expected = verification.secret_hash
    given = secret_hash(f"{verification.purpose}:{verification.id}:{code}")
    if not hmac.compare_digest(expected, given):
        verification.attempts += 1
        left = limit - verification.attempts
        if left <= 0:
            raise TooManyAttempts()
        raise CodeInvalid(attempts_left=left)


def use(verification: Verification) -> None:
    """Spend it (single use); raises CodeExpired if a concurrent request spent it first. No commit."""
    result = db.session.execute(
        update(Verification)
        .where(Verification.id == verification.id, Verification.used_at.is_(None))
        .values(used_at=now())
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise CodeExpired()


def renew(verification: Verification) -> str:
    """A fresh secret for the same verification, after the cool-down; counts as a send. No commit."""
    config = current_app.config
    moment = now()
    if not verification.is_open(moment):
        raise CodeExpired()
    wait = verification.last_sent_at + timedelta(seconds=config["RESEND_COOLDOWN"]) - moment
    if wait.total_seconds() > 0:
        raise TooManyAttempts(retry_after=int(wait.total_seconds()) + 1)
    if verification.sends >= config["MAX_SENDS"]:
        raise TooManyAttempts()
    if verification.kind == "email":
        secret = random_token(32)
        verification.secret_hash = secret_hash(f"{verification.purpose}:{secret}")
        lifetime = config["EMAIL_LINK_LIFETIME"]
    else:
        secret = new_code()
        verification.secret_hash = secret_hash(f"{verification.purpose}:{verification.id}:{secret}")
        lifetime = config["SMS_CODE_LIFETIME"]
    verification.sends += 1
    verification.attempts = 0
    verification.last_sent_at = moment
    verification.expires_at = moment + timedelta(seconds=lifetime)
    return secret


def send(
    verification: Verification,
    secret: str,
    *,
    mail: str,
    sms: str,
    link: Callable[[str], str],
    locale: str | None,
    **context,
) -> None:
    """Send the secret to the verification's target, in `locale`: by mail the link
    `link(secret)` (templates/mail/`mail`, as `confirm_url`), by SMS the code
    (templates/sms/`sms`); tried while there is time to use it (`delivery_deadline`), and
    remembered as the verification's message. No commit: the message joins the caller's
    transaction."""
    deadline = delivery_deadline(verification)
    if verification.kind == "email":
        message = notifications.send_mail(
            verification.target,
            mail,
            locale=locale,
            give_up_at=deadline,
            confirm_url=link(secret),
            **context,
        )
    else:
        message = notifications.send_sms(
            verification.target, sms, locale=locale, give_up_at=deadline, code=secret
        )
    db.session.flush()  # the message's id
    verification.message_id = message.id


def delivery_deadline(verification: Verification) -> datetime:
    """Until when sending its link or code is worth trying: half its life. A link or code
    that arrives later leaves little time to use it, and the person, told it did not
    arrive, still has time to ask for a fresh one."""
    return verification.last_sent_at + (verification.expires_at - verification.last_sent_at) / 2
