"""Writing audit events; always inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import AuditEvent


def record(
    kind: str,
    *,
    account_id: int | None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    **details,
) -> AuditEvent:
    event = AuditEvent(
        kind=kind,
        account_id=account_id,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:512] or None,
        details=details,
    )
    db.session.add(event)
    return event


# A revoked grant is listed for the person only when its revocation is the news: a reused
# code or refresh token. Otherwise the change that revoked it has its own row already.
REVOCATIONS_LISTED = ("code_reused", "refresh_token_reused")


def recent_events(account, limit: int = 100) -> list[AuditEvent]:
    """The account's activity, newest first, as the person sees it."""
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.account_id == account.id,
                or_(
                    AuditEvent.kind != "grant_revoked",
                    AuditEvent.details["reason"].as_string().in_(REVOCATIONS_LISTED),
                ),
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )


def last_time(account, kinds: tuple[str, ...]):
    """When the account last recorded an event of one of `kinds`; None if never."""
    return db.session.execute(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.account_id == account.id, AuditEvent.kind.in_(kinds)
        )
    ).scalar()


def count_since(account, kinds: tuple[str, ...], since) -> int:
    """How many events of `kinds` the account recorded since `since`."""
    return db.session.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.account_id == account.id,
            AuditEvent.kind.in_(kinds),
            AuditEvent.created_at >= since,
        )
    ).scalar_one()
