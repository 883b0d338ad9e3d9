"""Recovering a forgotten password: a link by e-mail or a code by SMS, then a new password.

The answer is the same whether or not an account has the identifier. Completing recovery
is a credential change that ends every session, this browser's included (invariant 2).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select

from ..clock import now
from ..context import RequestContext
from ..domain import audit, notifications, verifications
from ..domain.credentials import credential_changed
from ..domain.errors import AccountLocked, CodeExpired, PasswordMismatch
from ..domain.identifiers import parse_login
from ..domain.passwords import check_password_policy, hash_password
from ..extensions import db
from ..models import Account, Verification
from .owner import counting_wrong_codes

PURPOSE = "recovery"


def request_recovery(
    identifier: str, *, link: Callable[[str], str], context: RequestContext | None = None
) -> tuple[str, int | None]:
    """Send a recovery link (`link(token)` is its URL) or code if an account has this login.

    Returns (kind, verification id or None). The caller shows the same page either way;
    for a phone it asks for the code whether or not one was sent. Raises InvalidIdentifier
    for text that is neither an e-mail nor a phone number.
    """
    started = time.monotonic()
    try:
        return _request_recovery(identifier, link=link, context=context)
    finally:
        # Whatever happened, the answer leaves no sooner than RECOVERY_ANSWER_SECONDS.
        rest = current_app.config["RECOVERY_ANSWER_SECONDS"] - (time.monotonic() - started)
        if rest > 0:
            time.sleep(rest)


def _request_recovery(
    identifier: str, *, link: Callable[[str], str], context: RequestContext | None
) -> tuple[str, int | None]:
    kind, value = parse_login(identifier)
    column = Account.email if kind == "email" else Account.phone
    account = db.session.execute(select(Account).where(column == value)).scalar_one_or_none()
    context = context or RequestContext()
    if account is None or account.locked_at is not None:
        # A locked account recovers nothing until an operator unlocks it; its answer, like
        # that of an unknown login, is the same as for any other account.
        # The same work as for an account, but nothing is sent: the message is rendered and
        # sealed, the request recorded and committed, so the answer takes as long and no one
        # can tell from the time whether the login exists.
        notifications.render(kind, _TEMPLATES[kind], locale=None, **_content(kind, link, "x" * 43))
        audit.record(
            "recovery_requested",
            account_id=None,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            identifier=kind,
            known=False,
        )
        db.session.commit()
        return kind, None
    verification, secret = verifications.issue(account, purpose=PURPOSE, kind=kind, target=value)
    send = notifications.send_mail if kind == "email" else notifications.send_sms
    send(value, _TEMPLATES[kind], locale=account.locale, **_content(kind, link, secret))
    audit.record(
        "recovery_requested",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        identifier=kind,
    )
    db.session.commit()
    return kind, verification.id


_TEMPLATES = {"email": "recovery_link", "phone": "recovery_code"}


def _content(kind: str, link: Callable[[str], str], secret: str) -> dict:
    return {"recovery_url": link(secret)} if kind == "email" else {"code": secret}


def recovery_by_link(token: str) -> Verification:
    """The open recovery a link names (to show the new-password form); raises CodeExpired."""
    return verifications.find_by_link(PURPOSE, token)


def recovery_by_code(verification_id, code: str) -> Verification:
    """Check an SMS recovery code; raises CodeExpired, CodeInvalid, TooManyAttempts."""
    try:
        verification = db.session.get(Verification, int(verification_id))
    except (TypeError, ValueError):
        verification = None
    if verification is None or verification.purpose != PURPOSE:
        raise CodeExpired()
    with counting_wrong_codes():
        verifications.check_code(verification, code)
    return verification


def complete_recovery(
    verification: Verification, new: str, repeat: str, *, context: RequestContext | None = None
) -> Account:
    """Set the new password and end every session of the account (no session is kept)."""
    if new != repeat:
        raise PasswordMismatch()
    account = verification.account
    if account.locked_at is not None:
        raise AccountLocked()  # locked after the link or code was sent
    check_password_policy(new, logins=(account.email, account.phone))
    if not verification.is_open(now()):
        raise CodeExpired()
    verifications.use(verification)
    account.password_hash = hash_password(new)
    if verification.kind == "email":
        account.email_verified = True
    else:
        account.phone_verified = True
    credential_changed(
        account, reason="password_recovered", credential_type="password", keep=None, context=context
    )
    if account.email:
        notifications.send_mail(account.email, "password_changed", locale=account.locale)
    if account.phone:
        notifications.send_sms(account.phone, "password_changed", locale=account.locale)
    db.session.commit()
    return account
