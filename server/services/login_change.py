"""Changing the login (e-mail or phone): request, confirm by link or code (invariants 3 and 4).

Until the confirmation the old login keeps working. The confirmation is a credential
change (invariant 2); the person is told on the old and the new address or number; with
the "update in all portals" box, linked portals get a RISC identifier-changed event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import now
from ..context import RequestContext
from ..domain import audit, notifications, outbox, security_events, verifications
from ..domain.credentials import credential_changed
from ..domain.errors import CodeExpired, IdentifierTaken, SameIdentifier
from ..domain.identifiers import normalise_email, normalise_phone
from ..extensions import db
from ..models import Account, LoginSession, OutboxMessage, Verification
from .owner import check_owner, counting_wrong_codes

PURPOSE = "login_change"


def request_login_change(
    account: Account,
    kind: str,
    value: str,
    password: str | None,
    *,
    propagate: bool,
    login_session: LoginSession | None,
    link: Callable[[str], str],
    code: str | None = None,
    context: RequestContext | None = None,
) -> Verification:
    """Check the owner and the new value, then send a link (e-mail) or a code (phone).

    Raises InvalidIdentifier, SameIdentifier, IdentifierTaken, WrongPassword,
    ReauthenticationRequired. Nothing changes on the account until the confirmation.
    """
    value = normalise_email(value) if kind == "email" else normalise_phone(value)
    check_owner(account, password, login_session, code)
    return start_login_change(account, kind, value, propagate=propagate, link=link, context=context)


def start_login_change(
    account: Account,
    kind: str,
    value: str,
    *,
    propagate: bool,
    link: Callable[[str], str],
    context: RequestContext | None = None,
    **details,
) -> Verification:
    """Send the confirmation of a new login, the owner already checked (or, for an
    operator acting on the person's behalf, who asks checked by the help desk): the new
    login is used only once the person confirms it. `details` go into the audit event."""
    value = normalise_email(value) if kind == "email" else normalise_phone(value)
    if value == getattr(account, kind):
        raise SameIdentifier(kind)
    _ensure_free(account, kind, value)
    verification, secret = verifications.issue(
        account, purpose=PURPOSE, kind=kind, target=value, propagate=propagate
    )
    _send(account, verification, secret, link)
    context = context or RequestContext()
    audit.record(
        "login_change_requested",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        identifier=kind,
        **details,
    )
    db.session.commit()
    return verification


def resend_login_change(
    account: Account, verification_id: int, *, link: Callable[[str], str]
) -> Verification:
    """Send a fresh link or code after the cool-down (raises TooManyAttempts before it)."""
    verification = _own_open(account, verification_id)
    secret = verifications.renew(verification)
    _send(account, verification, secret, link)
    db.session.commit()
    return verification


@dataclass(frozen=True)
class PendingChange:
    """A new login waiting for its confirmation, and how its link or code is getting there:
    `delivery` is outbox.SENDING, DELAYED, SENT, FAILED, or None (nothing to tell)."""

    id: int
    kind: str
    target: str
    delivery: str | None


def pending_change(account: Account, kind: str) -> PendingChange | None:
    """The open change of the e-mail or phone, with the state of its latest message."""
    row = db.session.execute(
        select(Verification, OutboxMessage)
        .outerjoin(OutboxMessage, OutboxMessage.id == Verification.message_id)
        .where(
            Verification.account_id == account.id,
            Verification.purpose == PURPOSE,
            Verification.kind == kind,
        )
        .order_by(Verification.id.desc())
        .limit(1)
    ).first()
    if row is None or not row.Verification.is_open(now()):
        return None
    verification = row.Verification
    return PendingChange(
        id=verification.id,
        kind=verification.kind,
        target=verification.target,
        delivery=outbox.delivery_state(row.OutboxMessage),
    )


def check_email_link(token: str) -> Verification:
    """The pending change a link names, without using it; raises CodeExpired."""
    verification = verifications.find_by_link(PURPOSE, token)
    if verification.kind != "email":
        raise CodeExpired()
    return verification


def confirm_email_change(
    token: str, *, login_session: LoginSession | None, context: RequestContext | None = None
) -> tuple[Account, LoginSession | None]:
    """Follow the link: the new e-mail replaces the old one, verified. Returns the account and
    the re-issued session when the confirming browser is signed in to that account."""
    verification = check_email_link(token)
    return _apply(verification, login_session, context or RequestContext())


def confirm_phone_change(
    account: Account,
    verification_id: int,
    code: str,
    *,
    login_session: LoginSession | None,
    context: RequestContext | None = None,
) -> tuple[Account, LoginSession | None]:
    """Enter the SMS code: the new number replaces the old one, verified."""
    verification = _own_open(account, verification_id)
    with counting_wrong_codes():
        verifications.check_code(verification, code)
    return _apply(verification, login_session, context or RequestContext())


def _apply(
    verification: Verification, login_session, context
) -> tuple[Account, LoginSession | None]:
    account = verification.account
    kind, new_value = verification.kind, verification.target
    old_value = getattr(account, kind)
    verifications.use(verification)
    setattr(account, kind, new_value)
    setattr(account, f"{kind}_verified", True)
    keep = login_session if login_session and login_session.account_id == account.id else None
    try:
        db.session.flush()  # the unique constraint decides a race for the same identifier
    except IntegrityError as error:
        db.session.rollback()
        raise IdentifierTaken(kind) from error
    replacement = credential_changed(
        account,
        reason="login_changed",
        credential_type="login",
        keep=keep,
        context=context,
        identifier=kind,
    )
    if verification.propagate:
        security_events.queue_identifier_changed(
            account, kind=kind, old_value=old_value, new_value=new_value
        )
    _notify_changed(account, kind, old_value, new_value)
    db.session.commit()
    return account, replacement


def _ensure_free(account: Account, kind: str, value: str) -> None:
    column = Account.email if kind == "email" else Account.phone
    holder = db.session.execute(select(Account.id).where(column == value)).scalar_one_or_none()
    if holder is not None and holder != account.id:
        raise IdentifierTaken(kind)


def _own_open(account: Account, verification_id) -> Verification:
    try:
        verification = db.session.get(Verification, int(verification_id))
    except (TypeError, ValueError):
        verification = None
    if (
        verification is None
        or verification.account_id != account.id
        or verification.purpose != PURPOSE
    ):
        raise CodeExpired()
    return verification


def _send(
    account: Account, verification: Verification, secret: str, link: Callable[[str], str]
) -> None:
    """The confirmation: by mail a link (`link(secret)` is its URL), by SMS a code."""
    verifications.send(
        verification,
        secret,
        mail="confirm_email",
        sms="confirm_phone",
        link=link,
        locale=account.locale,
        name=account.name,
    )


def _notify_changed(account: Account, kind: str, old_value: str | None, new_value: str) -> None:
    """Tell the person on the new AND the old address or number."""
    context = {"kind": kind, "old_value": old_value, "new_value": new_value}
    recipients = {new_value, old_value} - {None}
    for target in sorted(recipients):
        if kind == "email":
            notifications.send_mail(target, "login_changed", locale=account.locale, **context)
        else:
            notifications.send_sms(target, "login_changed", locale=account.locale, **context)
    # The other channel, if the account has one, hears of it too.
    other = account.phone if kind == "email" else account.email
    if other:
        if kind == "email":
            notifications.send_sms(other, "login_changed", locale=account.locale, **context)
        else:
            notifications.send_mail(other, "login_changed", locale=account.locale, **context)
