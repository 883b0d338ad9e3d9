"""The portals linked to a Passport: what the person allowed, and taking it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from ..context import RequestContext
from ..domain import audit, grants, logouts
from ..extensions import db
from ..models import Account, Client, Consent, Grant


@dataclass
class LinkedPortal:
    client: Client
    scope: str
    granted_at: datetime
    last_used_at: datetime | None


def linked_portals(account: Account) -> list[LinkedPortal]:
    consents = db.session.execute(
        select(Consent).where(Consent.account_id == account.id).order_by(Consent.granted_at.desc())
    ).scalars()
    last_grants = dict(
        db.session.execute(
            select(Grant.client_id, func.max(Grant.created_at))
            .where(Grant.account_id == account.id)
            .group_by(Grant.client_id)
        ).all()
    )
    portals = []
    for consent in consents:
        used = [t for t in (consent.last_used_at, last_grants.get(consent.client_id)) if t]
        portals.append(
            LinkedPortal(
                consent.client, consent.scope, consent.granted_at, max(used) if used else None
            )
        )
    return portals


def revoke_portal(
    account: Account, client_id: str, *, context: RequestContext | None = None
) -> bool:
    """Withdraw consent from a portal: its grants for this account are revoked (its tokens die)
    and it is sent a back-channel logout. Other portals are untouched. False if not linked."""
    context = context or RequestContext()
    client = db.session.execute(
        select(Client).where(Client.client_id == client_id)
    ).scalar_one_or_none()
    if client is None:
        return False
    removed = db.session.execute(
        delete(Consent).where(Consent.account_id == account.id, Consent.client_id == client.id)
    ).rowcount
    if not removed:
        db.session.rollback()
        return False
    logouts.queue_for_client(account, client)
    grants.revoke(reason="portal_revoked", account_id=account.id, client=client, context=context)
    audit.record(
        "portal_revoked",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        client_id=client.client_id,
    )
    db.session.commit()
    return True
