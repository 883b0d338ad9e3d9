"""The portals linked to a Passport: what the person allowed (and what first-party portals
received), and taking it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from ..clock import now
from ..context import RequestContext
from ..domain import audit, grants, logouts
from ..domain.client_metadata import SCOPES_SUPPORTED
from ..extensions import db
from ..models import Account, Client, Consent, Grant, RefreshToken


@dataclass
class LinkedPortal:
    client: Client
    # What the portal may have (SCOPES_SUPPORTED, in that order): what the person allowed,
    # or for a first-party portal (never asked) what it received.
    scopes: list[str]
    # It holds a live offline grant: it can reach the Passport while the person is away.
    offline: bool
    granted_at: datetime | None  # None for a first-party portal: nobody was asked
    last_used_at: datetime | None

    @property
    def first_party(self) -> bool:
        return self.client.first_party


def linked_portals(account: Account) -> list[LinkedPortal]:
    """The portals the person allowed, newest first, then the first-party portals that
    received tokens for the person (as security_events.linked_clients has them), the last
    used first."""
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
    offline = _offline_clients(account)
    portals = []
    allowed = set()
    for consent in consents:
        allowed.add(consent.client_id)
        used = [t for t in (consent.last_used_at, last_grants.get(consent.client_id)) if t]
        portals.append(
            LinkedPortal(
                consent.client,
                _in_order(consent.scope.split()),
                consent.client_id in offline,
                consent.granted_at,
                max(used) if used else None,
            )
        )
    own = sorted(
        db.session.execute(
            select(Client).where(Client.first_party, Client.id.in_(set(last_grants) - allowed))
        ).scalars(),
        key=lambda client: last_grants[client.id],
        reverse=True,
    )
    received: dict[int, set[str]] = {}
    for client_id, scope in db.session.execute(
        select(Grant.client_id, Grant.scope)
        .distinct()
        .where(Grant.account_id == account.id, Grant.client_id.in_([c.id for c in own]))
    ):
        received.setdefault(client_id, set()).update(scope.split())
    for client in own:
        scopes = _in_order(received.get(client.id, ()))
        portals.append(
            LinkedPortal(client, scopes, client.id in offline, None, last_grants[client.id])
        )
    return portals


def _in_order(scopes) -> list[str]:
    """The scopes Passport knows of, in the order of SCOPES_SUPPORTED; offline_access is
    not among them: it is a portal's live offline grant, not a consent (consents.grant_consent)."""
    given = set(scopes)
    return [s for s in SCOPES_SUPPORTED if s in given and s != "offline_access"]


def _offline_clients(account: Account) -> set[int]:
    """The portals holding an offline grant for the person whose refresh token still works:
    not revoked, issued since the last credential change, not expired."""
    moment = now()
    live_token = (
        select(RefreshToken.id)
        .where(
            RefreshToken.grant_id == Grant.id,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.expires_at > moment,
        )
        .exists()
    )
    return set(
        db.session.execute(
            select(Grant.client_id)
            .distinct()
            .where(
                Grant.account_id == account.id,
                Grant.offline,
                Grant.revoked_at.is_(None),
                Grant.credential_epoch == account.credential_epoch,
                live_token,
            )
        ).scalars()
    )


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
