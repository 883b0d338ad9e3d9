"""The credential-change rule (invariant 2), in one place.

Changing the password, the login e-mail/phone, turning 2FA off, unlinking a social
account and completing a recovery all call `credential_changed` inside their own
transaction: the credential epoch goes up (access tokens carrying the old one die at
once), every grant of the account is revoked (its refresh tokens with it), every
session ends — portals get back-channel logouts — and the current browser, when there is
one to keep, gets a new session with the same sign-in time; linked portals are sent a
CAEP credential-change event, and an audit event is written.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from ..clock import now
from ..extensions import db
from ..models import Account, Grant, LoginSession
from ..security import random_token
from . import audit, security_events, sessions, two_factor
from .accounts import RequestContext
from .errors import ReauthenticationRequired, SecondFactorRequired, WrongPassword
from .passwords import verify_password


def check_owner(
    account: Account,
    password: str | None,
    login_session: LoginSession | None,
    code: str | None = None,
) -> None:
    """Invariant 1: the current password, or — for an account without one — a recent sign-in;
    and the second factor when 2FA is on. Raises WrongPassword, ReauthenticationRequired,
    SecondFactorRequired, CodeInvalid or TooManyAttempts."""
    if account.password_hash:
        if not verify_password(account.password_hash, password or ""):
            raise WrongPassword()
    else:
        window = timedelta(seconds=current_app.config["RECENT_AUTH_WINDOW"])
        if login_session is None or now() - login_session.auth_time > window:
            raise ReauthenticationRequired()
    if two_factor.is_enabled(account):
        if not code:
            raise SecondFactorRequired()
        two_factor.verify(account, code)


def confirm_owner(
    account: Account,
    password: str | None,
    login_session: LoginSession | None,
    code: str | None = None,
) -> None:
    """`check_owner` before a step that changes nothing yet (linking a network starts with
    it); a second factor it takes is spent. Raises what check_owner raises."""
    check_owner(account, password, login_session, code)
    db.session.commit()


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
    moment = now()
    account.credential_epoch += 1
    account.updated_at = moment
    two_factor.forget_trusted_devices(account)
    db.session.execute(
        update(Grant)
        .where(Grant.account_id == account.id, Grant.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    active = sessions.active_sessions(account)
    sessions.close_sessions(account, active, context=context)
    replacement = None
    if keep is not None and any(s.id == keep.id for s in active):
        replacement = LoginSession(
            id=random_token(24),
            account_id=account.id,
            auth_time=keep.auth_time,
            amr=list(keep.amr or []),
            acr=keep.acr,
            upstream_provider=keep.upstream_provider,
            ip_address=context.ip_address,
            user_agent=(context.user_agent or "")[:512] or None,
            remember=keep.remember,
            created_at=moment,
            last_seen_at=moment,
            expires_at=keep.expires_at,
        )
        db.session.add(replacement)
    security_events.queue_credential_change(
        account, credential_type=credential_type, change_type=change_type
    )
    audit.record(
        reason,
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        sessions_ended=len(active),
        **details,
    )
    return replacement
