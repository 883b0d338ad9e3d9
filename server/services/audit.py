"""Writing audit events; always inside the caller's transaction."""

from __future__ import annotations

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
