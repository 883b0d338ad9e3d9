"""Login sessions and trusted devices: what makes a session alive, building one, ending some.

No commit here: the use cases in services/sessions.py (and the credential-change rule)
own the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..clock import now
from ..context import RequestContext
from ..extensions import db
from ..models import Account, LoginSession, TrustedDevice
from ..security import random_token, sha256_hex
from . import audit, grants, logouts

# Writing last_seen_at on every request would turn every page view into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


def idle_timeout() -> timedelta:
    return timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])


def is_alive(session: LoginSession, moment=None) -> bool:
    """Not ended, not expired, not idle past SESSION_IDLE_TIMEOUT (unless "remember me")."""
    return session.is_active_at(moment or now(), idle_timeout())


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


def new_session(
    account: Account,
    *,
    auth_time: datetime,
    amr: list[str],
    acr: str | None,
    upstream_provider: str | None,
    remember: bool,
    expires_at: datetime | None = None,
    context: RequestContext,
) -> LoginSession:
    """A session row with a new id, added to the transaction. The one place a session is built:
    a sign-in starts one, a credential change re-issues the current one under a new id."""
    moment = now()
    session = LoginSession(
        id=random_token(24),
        account_id=account.id,
        auth_time=auth_time,
        amr=list(amr),
        acr=acr,
        upstream_provider=upstream_provider,
        ip_address=context.ip_address,
        user_agent=(context.user_agent or "")[:512] or None,
        remember=remember,
        created_at=moment,
        last_seen_at=moment,
        expires_at=expires_at or moment + timedelta(seconds=current_app.config["SESSION_LIFETIME"]),
    )
    db.session.add(session)
    return session


def reissue(session: LoginSession, *, context: RequestContext) -> LoginSession:
    """The same sign-in (time, methods, lifetime) under a new session id."""
    return new_session(
        session.account,
        auth_time=session.auth_time,
        amr=session.amr or [],
        acr=session.acr,
        upstream_provider=session.upstream_provider,
        remember=session.remember,
        expires_at=session.expires_at,
        context=context,
    )


def end(
    account: Account, ended: list[LoginSession], *, revoke_offline: bool, context: RequestContext
) -> None:
    """Mark sessions ended, revoke the grants opened in them (offline ones too, when asked)
    and queue the back-channel logouts."""
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
    grants.revoke(
        reason="logout",
        account_id=account.id,
        session_ids=ids,
        offline=revoke_offline,
        context=context,
    )
    logouts.queue_for_sessions(account, ids)


def end_all(
    account: Account, *, keep: str | None, reason: str, context: RequestContext
) -> list[LoginSession]:
    """End every session of the account but `keep`, forget its trusted devices and revoke
    every grant not opened in `keep`, offline ones included. Returns the sessions ended."""
    ended = [s for s in active_sessions(account) if s.id != keep]
    end(account, ended, revoke_offline=True, context=context)
    forget_trusted_devices(account)
    grants.revoke(reason=reason, account_id=account.id, except_session=keep, context=context)
    return ended


# --- trusted devices ---


def new_trusted_device(account: Account, *, user_agent: str | None) -> str | None:
    """Remember this device for TRUSTED_DEVICE_DAYS; returns the cookie value (None if off)."""
    days = current_app.config["TRUSTED_DEVICE_DAYS"]
    if not days:
        return None
    token = random_token(32)
    db.session.add(
        TrustedDevice(
            account_id=account.id,
            token_hash=sha256_hex(token),
            user_agent=(user_agent or "")[:512] or None,
            expires_at=now() + timedelta(days=days),
        )
    )
    return token


def is_trusted_device(account: Account, token: str | None) -> bool:
    if not token or len(token) > 200 or not current_app.config["TRUSTED_DEVICE_DAYS"]:
        return False
    device = db.session.execute(
        select(TrustedDevice).where(TrustedDevice.token_hash == sha256_hex(token))
    ).scalar_one_or_none()
    return (
        device is not None
        and device.account_id == account.id
        and device.revoked_at is None
        and device.expires_at > now()
    )


def forget_trusted_devices(account: Account) -> None:
    """End every "trust this device" (credential change, log out of all devices)."""
    db.session.execute(
        update(TrustedDevice)
        .where(TrustedDevice.account_id == account.id, TrustedDevice.revoked_at.is_(None))
        .values(revoked_at=now())
    )
