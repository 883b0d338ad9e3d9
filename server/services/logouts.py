"""Telling portals that a person's session ended (OIDC Back-Channel Logout 1.0)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Account, Client, Grant
from . import outbox

BACKCHANNEL_LOGOUT = "backchannel_logout"


def queue_for_sessions(account: Account, session_ids: list[str]) -> int:
    """Queue a logout token to every portal that received tokens in these sessions."""
    if not session_ids:
        return 0
    rows = db.session.execute(
        select(Grant.client_id, Grant.session_id)
        .where(Grant.account_id == account.id, Grant.session_id.in_(session_ids))
        .distinct()
    ).all()
    return _queue(account, rows)


def queue_for_client(account: Account, client: Client) -> int:
    """Queue a logout token for each session in which this portal received the person's tokens."""
    rows = db.session.execute(
        select(Grant.client_id, Grant.session_id)
        .where(Grant.account_id == account.id, Grant.client_id == client.id)
        .distinct()
    ).all()
    return _queue(account, rows or [(client.id, None)])


def _queue(account: Account, rows) -> int:
    clients = {
        c.id: c
        for c in db.session.execute(
            select(Client).where(Client.id.in_({client_id for client_id, _ in rows}))
        ).scalars()
    }
    queued = set()
    for client_id, session_id in rows:
        client = clients.get(client_id)
        uri = client and client.client_metadata.get("backchannel_logout_uri")
        if not uri or (client_id, session_id) in queued:
            continue
        queued.add((client_id, session_id))
        payload = {"client_id": client.client_id, "sub": account.sub}
        if session_id:
            payload["sid"] = session_id
        outbox.enqueue(BACKCHANNEL_LOGOUT, uri, payload)
    return len(queued)
