"""Consents: what a person allowed a portal. The remembered ones are the linked portals."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import list_to_scope, scope_to_list
from sqlalchemy import select

from ..clock import now
from ..domain import audit
from ..extensions import db
from ..models import Account, Client, Consent


def has_consent(account: Account, client: Client, scope: str) -> bool:
    consent = db.session.execute(
        select(Consent).where(Consent.account_id == account.id, Consent.client_id == client.id)
    ).scalar_one_or_none()
    return consent is not None and consent.covers(scope)


def grant_consent(account: Account, client: Client, scope: str) -> Consent:
    """Remember that the person allowed these scopes to the portal (added to earlier ones)."""
    consent = db.session.execute(
        select(Consent).where(Consent.account_id == account.id, Consent.client_id == client.id)
    ).scalar_one_or_none()
    scopes = scope_to_list(scope) or []
    if consent is None:
        consent = Consent(account_id=account.id, client_id=client.id, scope="", granted_at=now())
        db.session.add(consent)
    merged = list(dict.fromkeys((scope_to_list(consent.scope) or []) + scopes))
    merged = [s for s in merged if s != "offline_access"]
    consent.scope = list_to_scope(merged)
    consent.granted_at = now()
    audit.record("consent_granted", account_id=account.id, client_id=client.client_id, scope=scope)
    db.session.commit()
    return consent
