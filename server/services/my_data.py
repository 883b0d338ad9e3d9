"""The person's own data: everything the Passport holds of them, as one JSON document; and
deleting the Passport.

Only the owner takes the data (the owner check: a session left open on a shared computer must not
be enough to carry a person's whole record away), and taking it is in the activity. What
proves nothing about the person and would help an attacker stays out: the password hash,
the second factor's secret, hashes of tokens and codes, session identifiers.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from ..clock import now
from ..context import RequestContext
from ..domain import audit, erasure, factors, login_sessions, notifications, security_events
from ..domain.errors import OwnsPortals
from ..domain.photos import photo_url
from ..extensions import db
from ..models import Account, AuditEvent, Client, LoginSession, UpstreamIdentity
from .owner import check_owner
from .portals import linked_portals

FORMAT = "passport-data/1"


def download(
    account: Account,
    password: str | None,
    *,
    login_session: LoginSession | None,
    code: str | None = None,
    context: RequestContext | None = None,
) -> tuple[str, bytes]:
    """The owner's data as (file name, JSON bytes), after the owner check; recorded in the
    activity. Raises what check_owner raises."""
    context = context or RequestContext()
    check_owner(account, password, login_session, code)
    moment = now()
    document = data_of(account, moment)
    audit.record(
        "data_downloaded",
        account_id=account.id,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
    )
    db.session.commit()
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False)
    return f"passport-{moment:%Y-%m-%d}.json", body.encode()


def delete_passport(
    account: Account,
    password: str | None,
    *,
    login_session: LoginSession | None,
    code: str | None = None,
    context: RequestContext | None = None,
) -> None:
    """Delete the Passport for good, after the owner check. What it opened ends as on a
    credential change (every session, every token, back-channel logouts to the portals);
    the portals that received it hear RISC account-purged; the person gets a last notice at
    the login being erased; then the person is erased (domain/erasure.py). Raises what
    check_owner raises, or OwnsPortals while the developer has registered portals."""
    check_owner(account, password, login_session, code)
    purge(account, context=context)


def purge(account: Account, *, context: RequestContext | None = None, **details) -> None:
    """Delete the Passport (no owner check: the caller made the one that fits), `details`
    in the one audit event that stays. Raises OwnsPortals while the account owns clients."""
    context = context or RequestContext()
    owned = db.session.execute(
        select(func.count()).select_from(Client).where(Client.owner_id == account.id)
    ).scalar_one()
    if owned:
        raise OwnsPortals(owned)
    # The epoch's bump kills every access token at once, and holds the row till the commit.
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(credential_epoch=Account.credential_epoch + 1)
    )
    db.session.refresh(account)
    login_sessions.end_all(account, keep=None, reason="account_deleted", context=context)
    security_events.queue_account_state(account, security_events.ACCOUNT_PURGED)
    erasure.forget_messages(account)
    notifications.notify(account, "passport_deleted")
    erasure.erase(account)
    audit.record("account_deleted", account_id=account.id, **details)  # no address, no device
    db.session.commit()


def data_of(account: Account, moment: datetime) -> dict:
    """Everything of the person, by section, oldest first within each."""
    return {
        "format": FORMAT,
        "issuer": current_app.config["ISSUER"],
        "exported_at": _time(moment),
        "account": _account(account),
        "social_networks": [_network(i) for i in _all(UpstreamIdentity, account, "linked_at")],
        "sessions": [_session(s) for s in _all(LoginSession, account, "created_at")],
        "portals": [_portal(p) for p in linked_portals(account)],
        "developer_clients": [
            _client(c)
            for c in db.session.execute(
                select(Client).where(Client.owner_id == account.id).order_by(Client.created_at)
            ).scalars()
        ],
        "activity": [_event(e) for e in _all(AuditEvent, account, "created_at")],
    }


def _all(model, account: Account, order: str) -> list:
    column = getattr(model, order)
    return list(
        db.session.execute(
            select(model).where(model.account_id == account.id).order_by(column, model.id)
        ).scalars()
    )


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _account(account: Account) -> dict:
    return {
        "sub": account.sub,
        "email": account.email,
        "email_verified": account.email_verified,
        "phone_number": account.phone,
        "phone_number_verified": account.phone_verified,
        "name": account.name,
        "picture": photo_url(account.photo_id) if account.photo_id else None,
        "address": account.address,
        "locale": account.locale,
        "zoneinfo": account.zoneinfo,
        "has_password": account.password_hash is not None,
        "two_factor": factors.is_enabled(account),
        "roles": [
            role
            for role, held in (
                ("developer", account.is_developer),
                ("operator", account.is_operator),
            )
            if held
        ],
        "created_at": _time(account.created_at),
        "updated_at": _time(account.updated_at),
    }


def _network(identity: UpstreamIdentity) -> dict:
    return {
        "provider": identity.provider,
        "subject": identity.subject,
        "email": identity.email,
        "email_verified": identity.email_verified,
        "name": identity.name,
        "linked_at": _time(identity.linked_at),
        "last_used_at": _time(identity.last_used_at),
    }


def _session(session: LoginSession) -> dict:
    return {
        "started_at": _time(session.created_at),
        "signed_in_at": _time(session.auth_time),
        "methods": list(session.amr or []),
        "social_network": session.upstream_provider,
        "remember_me": session.remember,
        "ip_address": session.ip_address,
        "user_agent": session.user_agent,
        "last_seen_at": _time(session.last_seen_at),
        "expires_at": _time(session.expires_at),
        "ended_at": _time(session.ended_at),
    }


def _portal(portal) -> dict:
    return {
        "client_id": portal.client.client_id,
        "name": portal.client.client_name,
        "first_party": portal.first_party,
        "scopes": portal.scopes,
        "offline_access": portal.offline,
        "allowed_at": _time(portal.granted_at),
        "last_used_at": _time(portal.last_used_at),
    }


def _client(client: Client) -> dict:
    return {
        "client_id": client.client_id,
        "name": client.client_name,
        "redirect_uris": list(client.client_metadata.get("redirect_uris", [])),
        "created_at": _time(client.created_at),
        "disabled_at": _time(client.disabled_at),
    }


def _event(event: AuditEvent) -> dict:
    return {
        "kind": event.kind,
        "at": _time(event.created_at),
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "details": event.details or {},
    }
