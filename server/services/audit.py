"""Writing audit events; always inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select

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


def recent_events(account, limit: int = 100) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.account_id == account.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
