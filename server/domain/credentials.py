"""Who may change a credential (invariant 1) and what a change ends (invariant 2), each once.

`check_owner` is the one owner check: the current password, or — for an account without
one — a recent sign-in; and the second factor when 2FA is on. `credential_changed` is the
credential-change rule, applied inside the caller's transaction by changing the password,
the login e-mail/phone, turning 2FA off, unlinking a social account and completing a
recovery: the credential epoch goes up (access tokens carrying the old one die at once),
every grant of the account is revoked (its refresh tokens with it), every session ends —
portals get back-channel logouts — and the current browser, when there is one to keep,
gets a new session with the same sign-in; linked portals are sent a CAEP
credential-change event, and an audit event is written. Nothing here commits.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ..clock import now
from ..context import RequestContext
from ..models import Account, LoginSession
from . import audit, factors, login_sessions, security_events
from .errors import ReauthenticationRequired, SecondFactorRequired, WrongPassword
from .passwords import verify_password


def signed_in_recently(login_session: LoginSession | None) -> bool:
    """Within RECENT_AUTH_WINDOW of the sign-in: recent enough to stand in for re-entry."""
    window = timedelta(seconds=current_app.config["RECENT_AUTH_WINDOW"])
    return login_session is not None and now() - login_session.auth_time <= window


def check_owner(
    account: Account,
    password: str | None,
    login_session: LoginSession | None,
    code: str | None = None,
) -> None:
    """Invariant 1: the current password, or — for an account without one — a recent sign-in;
    and the second factor when 2FA is on (spent in the caller's transaction). Raises
    WrongPassword, ReauthenticationRequired, SecondFactorRequired, CodeInvalid or
    TooManyAttempts."""
    if account.password_hash:
        if not verify_password(account.password_hash, password or ""):
            raise WrongPassword()
    elif not signed_in_recently(login_session):
        raise ReauthenticationRequired()
    if factors.is_enabled(account):
        if not code:
            raise SecondFactorRequired()
        factors.verify(account, code)


def credential_changed(
    account: Account,
    *,
    reason: str,
    credential_type: str,
    change_type: str = "update",
    keep: LoginSession | None = None,
    context: RequestContext | None = None,
    **details,
) -> LoginSession | None:
    """Apply invariant 2 to `account` (no commit: the caller's transaction holds it all).

    Returns the re-issued session for the browser that made the change (`keep`), or None.
    """
    context = context or RequestContext()
    account.credential_epoch += 1
    account.updated_at = now()
    ended = login_sessions.end_all(account, keep=None, reason=reason, context=context)
    replacement = None
    if keep is not None and any(s.id == keep.id for s in ended):
        replacement = login_sessions.reissue(keep, context=context)
    security_events.queue_credential_change(
        account, credential_type=credential_type, change_type=change_type
    )
    audit.record(
        reason,
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        sessions_ended=len(ended),
        **details,
    )
    return replacement
