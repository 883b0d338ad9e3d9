"""Login sessions: started at sign-in, read on every request, ended at logout."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import now
from ..extensions import commit_keeping_loaded, db
from ..models import Account, Grant, LoginSession
from ..security import random_token
from . import audit, logouts, two_factor
from .accounts import RequestContext

# Writing last_seen_at on every request would turn every page view into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


def start_session(
    account: Account,
    *,
    amr: list[str],
    acr: str | None,
    remember: bool = False,
    upstream_provider: str | None = None,
    context: RequestContext | None = None,
) -> LoginSession:
    """Open a new session for a person who just proved who they are; audited as a sign-in."""
    context = context or RequestContext()
    moment = now()
    lifetime = timedelta(seconds=current_app.config["SESSION_LIFETIME"])
    session = LoginSession(
        id=random_token(24),
        account_id=account.id,
        auth_time=moment,
        amr=amr,
        acr=acr,
        upstream_provider=upstream_provider,
        ip_address=context.ip_address,
        user_agent=(context.user_agent or "")[:512] or None,
        remember=remember,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetime,
    )
    known_device = db.session.execute(
        select(LoginSession.id)
        .where(LoginSession.account_id == account.id, LoginSession.user_agent == session.user_agent)
        .limit(1)
    ).first()
    db.session.add(session)
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


def idle_timeout() -> timedelta:
    return timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])


def is_alive(session: LoginSession, moment=None) -> bool:
    """Not ended, not expired, not idle past SESSION_IDLE_TIMEOUT (unless "remember me")."""
    return session.is_active_at(moment or now(), idle_timeout())


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
    _end(session.account, [session], revoke_offline=False, context=context or RequestContext())
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
    moment = now()
    others = [s for s in active_sessions(account) if s.id != keep]
    _end(account, others, revoke_offline=True, context=context)
    two_factor.forget_trusted_devices(account)
    db.session.execute(
        update(Grant)
        .where(
            Grant.account_id == account.id,
            Grant.revoked_at.is_(None),
            (Grant.session_id.is_(None)) | (Grant.session_id != (keep or "")),
        )
        .values(revoked_at=moment)
    )
    audit.record(
        "logout_everywhere",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        sessions_ended=len(others),
    )
    db.session.commit()
    return len(others)


def close_sessions(account: Account, ended: list[LoginSession], *, context) -> None:
    """End these sessions, revoke every grant opened in them and queue logouts (no commit)."""
    _end(account, ended, revoke_offline=True, context=context)


def _end(account: Account, ended: list[LoginSession], *, revoke_offline: bool, context) -> None:
    """Mark sessions ended, revoke their grants and queue the back-channel logouts (no commit)."""
    if not ended:
        return
    moment = now()
    ids = [s.id for s in ended]
    for session in ended:
        session.ended_at = moment
        audit.record(
            "logout",
            account_id=account.id,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            session_id=session.id,
        )
    condition = [Grant.session_id.in_(ids), Grant.revoked_at.is_(None)]
    if not revoke_offline:
        condition.append(Grant.offline.is_(False))
    db.session.execute(update(Grant).where(*condition).values(revoked_at=moment))
    logouts.queue_for_sessions(account, ids)


def active_sessions(account: Account) -> list[LoginSession]:
    moment = now()
    rows = db.session.execute(
        select(LoginSession)
        .where(
            LoginSession.account_id == account.id,
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > moment,
        )
        .order_by(LoginSession.last_seen_at.desc())
    ).scalars()
    return list(rows)
