"""Login sessions: started at sign-in, read on every request, ended at logout."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import now
from ..extensions import db
from ..models import Account, Grant, LoginSession
from ..security import random_token
from . import audit
from .accounts import RequestContext

# Writing last_seen_at on every request would turn every page view into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


def start_session(
    account: Account,
    *,
    amr: list[str],
    acr: str | None,
    remember: bool = False,
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
        ip_address=context.ip_address,
        user_agent=(context.user_agent or "")[:512] or None,
        remember=remember,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetime,
    )
    db.session.add(session)
    audit.record(
        "login",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        session_id=session.id,
        amr=amr,
    )
    db.session.commit()
    return session


def load_active_session(session_id: str) -> LoginSession | None:
    """The session if it is still alive: not ended, not past its absolute or idle limit."""
    if not session_id or len(session_id) > 64:
        return None
    session = db.session.get(LoginSession, session_id)
    moment = now()
    if session is None or not session.is_active_at(moment):
        return None
    idle = timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])
    if not session.remember and session.last_seen_at + idle < moment:
        return None
    if moment - session.last_seen_at > TOUCH_INTERVAL:
        session.last_seen_at = moment
        db.session.commit()
    return session


def end_session(session_id: str, *, context: RequestContext | None = None) -> None:
    """End one session and revoke the refresh tokens issued under it, except offline ones."""
    context = context or RequestContext()
    session = db.session.get(LoginSession, session_id)
    if session is None or session.ended_at is not None:
        return
    moment = now()
    session.ended_at = moment
    db.session.execute(
        update(Grant)
        .where(Grant.session_id == session_id, Grant.offline.is_(False), Grant.revoked_at.is_(None))
        .values(revoked_at=moment)
    )
    audit.record(
        "logout",
        account_id=session.account_id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        session_id=session_id,
    )
    db.session.commit()


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
