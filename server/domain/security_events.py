"""Queueing security events for the portals linked to an account (RFC 8417 SETs, pushed per RFC 8935)."""

from __future__ import annotations

from sqlalchemy import or_, select

from ..clock import timestamp
from ..extensions import db
from ..models import Account, Client, Consent, Grant
from . import outbox
from .subjects import subject_for

SECURITY_EVENT = "security_event"

# OpenID CAEP 1.0 §3.2 and RISC Profile 1.0 §2.3.
CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
IDENTIFIER_CHANGED = "https://schemas.openid.net/secevent/risc/event-type/identifier-changed"
# RISC Profile 1.0 §2.2–2.4: the account is gone for good; locked; unlocked.
ACCOUNT_PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"
ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
ACCOUNT_ENABLED = "https://schemas.openid.net/secevent/risc/event-type/account-enabled"


def linked_clients(account: Account) -> list[Client]:
    """Portals the person allowed, and first-party portals (never asked) that received
    tokens for the person. A third-party portal whose consent the person took back is not
    linked any more, though its revoked grants stay until retention: it is told nothing."""
    allowed = select(Consent.client_id).where(Consent.account_id == account.id)
    used = select(Grant.client_id).where(Grant.account_id == account.id)
    return list(
        db.session.execute(
            select(Client).where(
                or_(Client.id.in_(allowed), Client.first_party & Client.id.in_(used))
            )
        ).scalars()
    )


def queue_credential_change(account: Account, *, credential_type: str, change_type: str) -> int:
    """CAEP credential-change (§3.2) to every linked portal with an events endpoint. No commit."""
    event = {
        "credential_type": credential_type,
        "change_type": change_type,
        "event_timestamp": timestamp(),
    }
    return _queue(account, CREDENTIAL_CHANGE, event)


def queue_identifier_changed(
    account: Account, *, kind: str, old_value: str | None, new_value: str
) -> int:
    """RISC identifier-changed (§2.3): the subject is the old identifier; "new-value" the new one."""
    if old_value:
        if kind == "email":
            subject = {"format": "email", "email": old_value}
        else:
            subject = {"format": "phone_number", "phone_number": old_value}
    else:
        subject = None
    event = {"new-value": new_value, "event_timestamp": timestamp()}
    return _queue(account, IDENTIFIER_CHANGED, event, subject=subject)


def queue_account_state(account: Account, event_type: str) -> int:
    """RISC account-purged, -disabled or -enabled to every linked portal with an events
    endpoint. No commit; a purge is queued before the links themselves are erased."""
    return _queue(account, event_type, {"event_timestamp": timestamp()})


def _queue(account: Account, event_type: str, event: dict, *, subject: dict | None = None) -> int:
    count = 0
    for client in linked_clients(account):
        endpoint = client.client_metadata.get("security_events_endpoint")
        if not endpoint or client.is_disabled:
            continue
        payload = {
            "client_id": client.client_id,
            "sub": subject_for(account.sub, client),
            "event_type": event_type,
            "event": event,
        }
        if subject:
            payload["subject"] = subject
        outbox.enqueue(SECURITY_EVENT, endpoint, payload)
        count += 1
    return count
