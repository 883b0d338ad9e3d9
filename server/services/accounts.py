"""Accounts: creating them and checking their passwords."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import now
from ..context import RequestContext
from ..domain import audit, signups
from ..domain.errors import (
    AccountLocked,
    IdentifierTaken,
    InvalidCredentials,
    InvalidIdentifier,
    LoginNotConfirmed,
    PassportError,
)
from ..domain.identifiers import normalise_email, normalise_phone, parse_login
from ..domain.passwords import check_password_policy, hash_password, needs_rehash, verify_password
from ..domain.subjects import new_subject
from ..extensions import db
from ..models import Account


def find_by_login(login: str) -> Account | None:
    try:
        kind, value = parse_login(login)
    except InvalidIdentifier:
        return None
    column = Account.email if kind == "email" else Account.phone
    return db.session.execute(select(Account).where(column == value)).scalar_one_or_none()


def create_account(
    *,
    email: str | None = None,
    phone: str | None = None,
    password: str | None,
    name: str | None = None,
    locale: str | None = None,
    email_verified: bool = False,
    phone_verified: bool = False,
    is_demo: bool = False,
    context: RequestContext | None = None,
) -> Account:
    """Create a Passport at once: for an operator (`passport users create`, `passport demo`,
    which marks its account `is_demo`) and the tests. A person signing up goes through
    services/signups.py, which creates the account only once the login is confirmed.

    Raises InvalidIdentifier for a malformed e-mail or phone, WeakPassword for a password
    the policy refuses, IdentifierTaken when another account holds the e-mail or phone
    (checked first for the message; the unique constraints decide races).
    """
    email = normalise_email(email) if email else None
    phone = normalise_phone(phone) if phone else None
    if not email and not phone:
        raise InvalidIdentifier("login")
    if password is not None:
        check_password_policy(password, logins=(email, phone))
    ensure_free(email=email, phone=phone)
    account = Account(
        sub=new_subject(),
        email=email,
        email_verified=email_verified,
        phone=phone,
        phone_verified=phone_verified,
        password_hash=hash_password(password) if password is not None else None,
        name=(name or "").strip()[:200] or None,
        locale=locale,
        is_demo=is_demo,
    )
    return save_new_account(account, context=context)


def save_new_account(
    account: Account, *, context: RequestContext | None = None, **details
) -> Account:
    """Store a new account with what the caller's transaction holds, audit its creation and
    commit. Raises IdentifierTaken when another account took its e-mail or phone meanwhile
    (the unique constraints decide), PassportError on any other conflict."""
    email, phone = account.email, account.phone
    db.session.add(account)
    try:
        db.session.flush()
        context = context or RequestContext()
        audit.record(
            "account_created", account_id=account.id, **_context_fields(context), **details
        )
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        ensure_free(email=email, phone=phone)
        raise PassportError("the account could not be saved") from error
    return account


def ensure_free(*, email: str | None = None, phone: str | None = None) -> None:
    """Raises IdentifierTaken when an account holds this (normalised) e-mail or phone."""
    if email and db.session.execute(select(Account.id).where(Account.email == email)).first():
        raise IdentifierTaken("email")
    if phone and db.session.execute(select(Account.id).where(Account.phone == phone)).first():
        raise IdentifierTaken("phone")


def authenticate(login: str, password: str, *, context: RequestContext | None = None) -> Account:
    """Check a login and password; raises InvalidCredentials for either being wrong,
    AccountLocked for the right password of a locked account, and LoginNotConfirmed when
    they are those of a sign-up whose login is not confirmed yet.

    Exactly one argon2 hash is checked whatever the login: an account's, else the newest
    open sign-up's, else a dummy one. So neither an unknown login nor a sign-up someone
    else left unconfirmed is told by the time or the answer; only the password chosen at
    that sign-up hears that it waits. The hash is upgraded when the configured argon2
    parameters changed. A failure is audited on the account.
    """
    account = find_by_login(login)
    waiting = signups.waiting(login) if account is None else None
    holder = account or waiting
    if not verify_password(holder.password_hash if holder else None, password or ""):
        if account is not None:
            audit.record(
                "login_failed",
                account_id=account.id,
                **_context_fields(context or RequestContext()),
            )
            db.session.commit()
        raise InvalidCredentials()
    if account is None:
        raise LoginNotConfirmed(waiting.id, waiting.kind, waiting.target)
    if account.locked_at is not None:
        raise AccountLocked()  # said before a second factor is asked
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
        account.updated_at = now()
        db.session.commit()
    return account


def _context_fields(context: RequestContext) -> dict:
    return {"ip_address": context.ip_address, "user_agent": context.user_agent}
