"""Login sessions: signing in, reading the session on every request, signing out."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..clock import now
from ..context import RequestContext
from ..domain import audit
from ..domain.errors import AccountLocked
from ..domain.login_sessions import TOUCH_INTERVAL, end, end_all, is_alive, new_session
from ..extensions import commit_keeping_loaded, db
from ..models import Account, LoginSession


def sign_in(
    account: Account,
    *,
    amr: list[str],
    remember: bool = False,
    upstream_provider: str | None = None,
    previous: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession:
    """Sign a person in who just proved who they are with the methods `amr` (RFC 8176).

    The sign-in earns the acr of its strongest method. Signing in again to the account the
    browser's session (`previous`) already holds renews that session and keeps its sid, so
    the portals of the session stay signed in; otherwise a new session starts. A locked
    account does not sign in, whatever the method (AccountLocked).
    """
    if account.locked_at is not None:
        raise AccountLocked()
    acr = current_app.config[
        "ACR_MFA" if "mfa" in amr else "ACR_FEDERATED" if "fed" in amr else "ACR_PASSWORD"
    ]
    return sign_in_again(
        previous, account, amr=amr, acr=acr, upstream_provider=upstream_provider, context=context
    ) or start_session(
        account,
        amr=amr,
        acr=acr,
        remember=remember,
        upstream_provider=upstream_provider,
        context=context,
    )


def start_session(
    account: Account,
    *,
    amr: list[str],
    acr: str | None,
    remember: bool,
    upstream_provider: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession:
    """Open a new session for a person who just proved who they are; audited as a sign-in."""
    context = context or RequestContext()
    user_agent = (context.user_agent or "")[:512] or None
    known_device = db.session.execute(
        select(LoginSession.id)
        .where(LoginSession.account_id == account.id, LoginSession.user_agent == user_agent)
        .limit(1)
    ).first()
    session = new_session(
        account,
        auth_time=now(),
        amr=amr,
        acr=acr,
        upstream_provider=upstream_provider,
        remember=remember,
        context=context,
    )
    audit.record(
        "login",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        session_id=session.id,
        amr=amr,
        new_device=known_device is None,
    )
    commit_keeping_loaded()  # signing in reads the new row at once
    return session


def sign_in_again(
    session_id: str | None,
    account: Account,
    *,
    amr: list[str],
    acr: str | None,
    upstream_provider: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession | None:
    """Renew the sign-in of the browser's live session when it is the same account's.

    Returns the renewed session, or None (the caller starts a new one); a live session of
    another account is ended first.
    """
    if not session_id:
        return None
    current = db.session.get(LoginSession, session_id)
    if current is None or not is_alive(current):
        return None
    if current.account_id != account.id:
        end_session(current.id, context=context)
        return None
    context = context or RequestContext()
    moment = now()
    current.auth_time = moment
    current.amr = amr
    current.acr = acr
    current.upstream_provider = upstream_provider
    current.last_seen_at = moment
    audit.record(
        "login",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        session_id=current.id,
        amr=amr,
        new_device=False,
    )
    db.session.commit()
    return current


def load_active_session(session_id: str) -> LoginSession | None:
    """The session if it is still alive: not ended, not past its absolute or idle limit."""
    if not session_id or len(session_id) > 64:
        return None
    session = db.session.get(LoginSession, session_id)
    moment = now()
    if session is None or not is_alive(session, moment):
        return None
    if moment - session.last_seen_at > TOUCH_INTERVAL:
        session.last_seen_at = moment
        db.session.commit()
    return session


def end_session(session_id: str, *, context: RequestContext | None = None) -> None:
    """End one session: revoke the refresh tokens issued under it (not offline ones) and queue
    a back-channel logout to every portal that received tokens in it. Ending an ended or
    unknown session does nothing."""
    session = db.session.get(LoginSession, session_id)
    if session is None or session.ended_at is not None:
        return
    end(session.account, [session], revoke_offline=False, context=context or RequestContext())
    db.session.commit()


def end_own_session(
    account: Account, session_id: str, *, context: RequestContext | None = None
) -> bool:
    """End one of the person's own sessions (the sessions page); False if it is not theirs."""
    session = db.session.get(LoginSession, session_id)
    if session is None or session.account_id != account.id:
        return False
    end_session(session_id, context=context)
    return True


def end_all_sessions(
    account: Account, *, keep: str | None = None, context: RequestContext | None = None
) -> int:
    """ "Log out of all devices": end every session but `keep`, and revoke every grant not
    issued in `keep` — offline ones included. Returns how many sessions ended."""
    context = context or RequestContext()
    others = end_all(account, keep=keep, reason="logout_everywhere", context=context)
    audit.record(
        "logout_everywhere",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        sessions_ended=len(others),
    )
    db.session.commit()
    return len(others)
