"""Telling portals that a person's session ended (OIDC Back-Channel Logout 1.0)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Account, Client, Grant
from . import outbox
from .subjects import subject_for

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
    return _queue([(client_id, session_id, account.sub) for client_id, session_id in rows])


def queue_for_client(account: Account, client: Client) -> int:
    """Queue a logout token for each session in which this portal still holds the person's
    tokens (call it before revoking them). Sessions that ended were logged out back then."""
    rows = db.session.execute(
        select(Grant.client_id, Grant.session_id)
        .where(
            Grant.account_id == account.id,
            Grant.client_id == client.id,
            Grant.revoked_at.is_(None),
        )
        .distinct()
    ).all()
    rows = rows or [(client.id, None)]
    return _queue([(client_id, session_id, account.sub) for client_id, session_id in rows])


def queue_for_every_session_of(client: Client) -> int:
    """Queue a logout token for every person and session still holding this portal's tokens
    (the portal is being deleted: the messages carry what delivery needs without its row)."""
    rows = db.session.execute(
        select(Grant.client_id, Grant.session_id, Account.sub)
        .join(Account, Account.id == Grant.account_id)
        .where(Grant.client_id == client.id, Grant.revoked_at.is_(None))
        .distinct()
    ).all()
    return _queue([tuple(row) for row in rows])


def _queue(rows: list[tuple[int, str | None, str]]) -> int:
    clients = {
        c.id: c
        for c in db.session.execute(
            select(Client).where(Client.id.in_({row[0] for row in rows}))
        ).scalars()
    }
    queued = set()
    for client_id, session_id, sub in rows:
        client = clients.get(client_id)
        uri = client and client.client_metadata.get("backchannel_logout_uri")
        if not uri or (client_id, session_id, sub) in queued:
            continue
        queued.add((client_id, session_id, sub))
        payload = {
            "client_id": client.client_id,
            "sub": subject_for(sub, client),
            "alg": client.id_token_signed_response_alg,
        }
        if session_id:
            payload["sid"] = session_id
        outbox.enqueue(BACKCHANNEL_LOGOUT, uri, payload)
    return len(queued)
