"""Changing the password, or creating one on an account made through a social network."""

from __future__ import annotations

from ..context import RequestContext
from ..domain import notifications
from ..domain.credentials import credential_changed
from ..domain.errors import PasswordMismatch
from ..domain.passwords import check_password_policy, hash_password
from ..extensions import db
from ..models import Account, LoginSession
from .owner import check_owner


def change_password(
    account: Account,
    current: str | None,
    new: str,
    repeat: str,
    *,
    login_session: LoginSession | None,
    code: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession | None:
    """Set a new password: the owner check (current password, or a recent sign-in for an
    account without one), the policy, then the credential change (invariant 2).

    Returns the re-issued session of this browser. Raises WrongPassword,
    ReauthenticationRequired, PasswordMismatch, WeakPassword; on any of them nothing changes.
    """
    check_owner(account, current, login_session, code)
    if new != repeat:
        raise PasswordMismatch()
    check_password_policy(new, logins=(account.email, account.phone))
    created = account.password_hash is None
    account.password_hash = hash_password(new)
    replacement = credential_changed(
        account,
        reason="password_created" if created else "password_changed",
        credential_type="password",
        change_type="create" if created else "update",
        keep=login_session,
        context=context,
    )
    template = "new_password_created" if created else "password_changed"
    if account.email:
        notifications.send_mail(account.email, template, locale=account.locale)
    if account.phone and not created:
        notifications.send_sms(account.phone, "password_changed", locale=account.locale)
    db.session.commit()
    return replacement
