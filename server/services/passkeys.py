"""Passkeys: adding, naming, removing one on the Passport page, and signing in with one.

Adding or removing a passkey is a credential change (invariant 2): the owner check first
(the current password, or a recent sign-in for an account without one, and the second
factor when on), then the epoch moves on, the other sessions end, portals hear of it and
the person is told. The last way to sign in is not removed.
"""

from __future__ import annotations

from .. import federation
from ..context import RequestContext
from ..domain import audit, notifications
from ..domain import passkeys as rules
from ..domain.credentials import credential_changed
from ..domain.errors import AccountLocked, LastLoginMethod, PasskeyRefused
from ..extensions import db
from ..models import Account, LoginSession, Passkey
from .federation import hold_account, linked_identities
from .owner import check_owner


def list_passkeys(account: Account) -> list[Passkey]:
    return rules.passkeys_of(account)


def options_for_adding(
    account: Account,
    password: str | None,
    *,
    login_session: LoginSession | None,
    code: str | None = None,
) -> str:
    """The owner check, then the options for navigator.credentials.create() (JSON)."""
    check_owner(account, password, login_session, code)
    options = rules.registration_options(account)
    db.session.commit()
    return options


def add(
    account: Account,
    response: dict,
    name: str,
    *,
    login_session: LoginSession | None,
    context: RequestContext | None = None,
) -> tuple[Passkey, LoginSession | None]:
    """Keep the passkey a registration response proves (its challenge came after the owner
    check, for this account): a credential change. Returns it and this browser's re-issued
    session. Raises PasskeyRefused; nothing is kept then."""
    try:
        passkey = rules.add(account, response, name)
    except PasskeyRefused:
        db.session.commit()  # the challenge stays spent
        raise
    replacement = _changed(account, passkey, "added", login_session, context)
    db.session.commit()
    return passkey, replacement


def _changed(
    account: Account,
    passkey: Passkey,
    what: str,
    login_session: LoginSession | None,
    context: RequestContext | None,
) -> LoginSession | None:
    """The credential change of a passkey `what` ("added" or "removed"), and the mail that
    tells the person. No commit."""
    replacement = credential_changed(
        account,
        reason=f"passkey_{what}",
        credential_type="fido2-platform",  # CAEP credential-change (Shared Signals)
        change_type="create" if what == "added" else "delete",
        keep=login_session,
        context=context,
        passkey=passkey.name,
    )
    if account.email:
        notifications.send_mail(
            account.email, f"passkey_{what}", locale=account.locale, name=passkey.name
        )
    return replacement


def rename(account: Account, passkey_id: int, name: str) -> Passkey:
    passkey = rules.rename(account, passkey_id, name)
    db.session.commit()
    return passkey


def remove(
    account: Account,
    passkey_id: int,
    password: str | None,
    *,
    login_session: LoginSession | None,
    code: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession | None:
    """Remove a passkey after the owner check: a credential change. Raises LastLoginMethod
    when it is the only way in left (no password, no network, no other passkey)."""
    check_owner(account, password, login_session, code)
    hold_account(account)
    offered = {p.name for p in federation.providers()}
    others = rules.count(account) - 1
    if (
        account.password_hash is None
        and not set(linked_identities(account)) & offered
        and not others
    ):
        raise LastLoginMethod()
    passkey = rules.remove(account, passkey_id)
    replacement = _changed(account, passkey, "removed", login_session, context)
    db.session.commit()
    return replacement


def options_for_signing_in(browser: str, account: Account | None = None) -> str:
    """Options for any passkey of the site, or — as the second step of `account`'s sign-in —
    for its own passkeys."""
    options = rules.authentication_options(browser, account)
    db.session.commit()
    return options


def authenticate(
    response: dict,
    browser: str,
    *,
    account: Account | None = None,
    context: RequestContext | None = None,
) -> tuple[Account, list[str]]:
    """The account a passkey response signs in (`account`'s own passkey, for a second
    step), and the sign-in's amr. Raises PasskeyRefused or AccountLocked."""
    try:
        passkey = rules.authenticate(response, browser, account)
    except PasskeyRefused:
        db.session.commit()  # the challenge stays spent
        raise
    account = db.session.get(Account, passkey.account_id)
    if account.deleted_at is not None:
        db.session.commit()
        raise PasskeyRefused("unknown")
    if account.locked_at is not None:
        db.session.commit()
        raise AccountLocked()
    db.session.commit()
    return account, rules.amr_of(passkey)


def note_refusal(context: RequestContext, reason: str) -> None:
    audit.record(
        "login_failed",
        account_id=None,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        method="passkey",
        reason=reason,
    )
    db.session.commit()
