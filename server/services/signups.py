"""Signing up: a link by e-mail or a code by SMS confirms the login, then the account is made
(invariants 3 and 4).

A sign-up claims nothing until it is confirmed (domain/signups.py): someone who signs up
with another person's address keeps nobody out of it. The account is created, its login
verified, when the link is followed or the code entered, and the person is signed in.
"""

from __future__ import annotations

from collections.abc import Callable

from ..clock import now
from ..context import RequestContext
from ..domain import audit, signups, verifications
from ..domain.errors import CodeExpired, WrongSignupPassword
from ..domain.identifiers import parse_login
from ..domain.passwords import check_password_policy, hash_password, verify_password
from ..extensions import db
from ..models import Account, Verification
from .accounts import ensure_free, save_new_account
from .owner import counting_wrong_codes

PURPOSE = signups.PURPOSE


def request_signup(
    login: str,
    password: str,
    *,
    name: str | None,
    locale: str | None,
    next_url: str | None,
    link: Callable[[str], str],
    context: RequestContext | None = None,
) -> Verification:
    """Send a link (e-mail; `link(secret)` is its URL) or a code (phone) that confirms the
    login of a new Passport; returns the sign-up. `next_url` (a path on this server, or
    None) is where the person goes once it is confirmed.

    Raises InvalidIdentifier, WeakPassword, and IdentifierTaken when an account holds the
    login. No account is made and the login stays free until the confirmation.
    """
    kind, value = parse_login(login)
    check_password_policy(password, logins=(value,))
    ensure_free(**{kind: value})
    verification, secret = signups.claim(
        kind,
        value,
        password_hash=hash_password(password),
        name=name,
        locale=locale,
        next_url=next_url,
    )
    _send(verification, secret, link)
    context = context or RequestContext()
    audit.record(
        "signup_requested",
        account_id=None,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        identifier=kind,
    )
    db.session.commit()
    return verification


def pending_signup(verification_id: str | int | None) -> Verification:
    """The open sign-up the browser's cookie names. Raises CodeExpired when it expired, was
    confirmed, or there is none, and IdentifierTaken when another sign-up of its login was
    confirmed first."""
    verification = verifications.find_by_id(PURPOSE, verification_id)
    if not verification.is_open(now()):
        raise CodeExpired()
    ensure_free(**{verification.kind: verification.target})
    return verification


def resend_signup(verification_id: str | int | None, *, link: Callable[[str], str]) -> Verification:
    """Send a fresh link or code after the cool-down (the old one stops working). Raises
    what pending_signup raises, and TooManyAttempts before the cool-down or after too many
    sends."""
    verification = pending_signup(verification_id)
    secret = verifications.renew(verification)
    _send(verification, secret, link)
    db.session.commit()
    return verification


def check_signup_link(token: str) -> Verification:
    """The open sign-up a link names, without using it. Raises CodeExpired, and
    IdentifierTaken when another sign-up of the login was confirmed first."""
    verification = verifications.find_by_link(PURPOSE, token)
    ensure_free(**{verification.kind: verification.target})
    return verification


def confirm_signup_by_link(
    token: str,
    password: str | None,
    *,
    started_here: int | None,
    context: RequestContext | None = None,
) -> tuple[Account, str | None]:
    """Follow the link: the account is made, its e-mail verified. In a browser other than
    the one that signed up (`started_here` is the sign-up its cookie names) the password
    chosen at sign-up is asked too. Returns the account and where to go on.

    Raises CodeExpired, WrongSignupPassword, and IdentifierTaken when the login has been
    taken since (another sign-up of it confirmed first).
    """
    verification = check_signup_link(token)
    if signups.started_elsewhere(verification, started_here) and not verify_password(
        verification.password_hash, password or ""
    ):
        raise WrongSignupPassword()
    return _create(verification, context or RequestContext())


def confirm_signup_by_code(
    verification_id: str | int | None, code: str, *, context: RequestContext | None = None
) -> tuple[Account, str | None]:
    """Enter the SMS code in the browser that signed up: the account is made, its phone
    verified. Returns the account and where to go on. Raises CodeExpired, CodeInvalid,
    TooManyAttempts, IdentifierTaken."""
    verification = verifications.find_by_id(PURPOSE, verification_id)
    with counting_wrong_codes():
        verifications.check_code(verification, code)
    return _create(verification, context or RequestContext())


def _create(verification: Verification, context: RequestContext) -> tuple[Account, str | None]:
    kind, next_url = verification.kind, verification.next_url
    ensure_free(**{kind: verification.target})
    verifications.use(verification)
    account = signups.account_of(verification)
    return save_new_account(account, context=context, identifier=kind), next_url


def _send(verification: Verification, secret: str, link: Callable[[str], str]) -> None:
    """The confirmation: by mail a link, by SMS a code, in the language of the sign-up."""
    verifications.send(
        verification,
        secret,
        mail="confirm_signup",
        sms="confirm_signup",
        link=link,
        locale=verification.locale,
        name=verification.name,
    )
