"""What the tests of server/domain build their records with: people, portals, sign-ins and
grants, made through the services and models the app uses, each committed, so that a rule
under test sees them as a request would. The database is shared by a module: a check names
its own rows (or those added since a mark), never a whole table. Tokens for the portals are
checked against the published keys, as a portal checks them."""

from __future__ import annotations

import secrets
from datetime import timedelta

from joserfc import jwt
from sqlalchemy import func, select

from server.clock import now
from server.context import RequestContext
from server.domain import login_sessions
from server.extensions import db
from server.models import (
    Account,
    AuditEvent,
    Client,
    Grant,
    LoginSession,
    OutboxMessage,
    RefreshToken,
)
from server.oauth.keys import keystore
from server.security import random_token, sha256_hex
from server.services import clients
from server.services.accounts import create_account

PASSWORD = "correct horse battery"
CONTEXT = RequestContext(ip_address="192.0.2.7", user_agent="Firefox on the test bench")


def person(password: str | None = PASSWORD, **fields) -> Account:
    """A Passport with a fresh confirmed e-mail address."""
    return create_account(
        email=f"person-{secrets.token_hex(4)}@example.org",
        password=password,
        email_verified=True,
        **fields,
    )


def portal(
    *, logout: bool = True, events: bool = True, first_party: bool = False, **metadata
) -> Client:
    """A registered portal on a host of its own; with a back-channel logout URI and a
    security events endpoint unless told otherwise. A third-party portal (the default) gets
    a person's tokens only after their consent; a first-party one is never asked."""
    host = f"https://portal-{secrets.token_hex(4)}.example"
    values = {
        "client_name": "Portal",
        "redirect_uris": [f"{host}/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid email offline_access",
    }
    if logout:
        values["backchannel_logout_uri"] = f"{host}/logout"
    if events:
        values["security_events_endpoint"] = f"{host}/events"
    client, _secret = clients.create_client({**values, **metadata}, first_party=first_party)
    return client


def signed_in(account: Account, *, remember: bool = False, amr=("pwd",)) -> LoginSession:
    """A new login session of `account`, as a sign-in starts one."""
    session = login_sessions.new_session(
        account,
        auth_time=now(),
        amr=list(amr),
        acr="urn:passport:acr:password",
        upstream_provider=None,
        remember=remember,
        context=CONTEXT,
    )
    db.session.commit()
    return session


def grant(
    account: Account | None,
    client: Client,
    session: LoginSession | None = None,
    *,
    offline: bool = False,
) -> tuple[str, str]:
    """A live grant of `client` for `account`, opened in `session`, with one refresh token;
    returns the grant's id and the token."""
    grant_id, token = random_token(18), random_token(32)
    moment = now()
    db.session.add(
        Grant(
            id=grant_id,
            client_id=client.id,
            account_id=account.id if account is not None else None,
            session_id=session.id if session is not None else None,
            scope="openid offline_access" if offline else "openid",
            offline=offline,
            credential_epoch=account.credential_epoch if account is not None else 0,
            auth_time=int(moment.timestamp()),
            amr=["pwd"],
            created_at=moment,
        )
    )
    db.session.flush()
    db.session.add(
        RefreshToken(
            token_hash=sha256_hex(token),
            grant_id=grant_id,
            created_at=moment,
            expires_at=moment + timedelta(days=30),
        )
    )
    db.session.commit()
    return grant_id, token


def revoked(*grant_ids: str) -> set[str]:
    """Which of these grants are revoked, as the database has them now."""
    return set(
        db.session.execute(
            select(Grant.id).where(Grant.id.in_(grant_ids), Grant.revoked_at.is_not(None))
        ).scalars()
    )


def mark(model=OutboxMessage) -> int:
    """The highest row id of `model` so far: what a check counts from."""
    return db.session.scalar(select(func.coalesce(func.max(model.id), 0)))


def added(model, since: int, *where) -> list:
    """The rows of `model` added after the mark `since` (and matching `where`), oldest first."""
    return list(
        db.session.execute(
            select(model).where(model.id > since, *where).order_by(model.id)
        ).scalars()
    )


def queued(since: int, kind: str) -> list[OutboxMessage]:
    """The outbox messages of `kind` queued after the mark `since`."""
    return added(OutboxMessage, since, OutboxMessage.kind == kind)


def audited(since: int, kind: str) -> list[AuditEvent]:
    """The audit events of `kind` written after the mark `since`."""
    return added(AuditEvent, since, AuditEvent.kind == kind)


def verified(token: str) -> tuple[dict, dict]:
    """A token Passport signed, checked against its published keys as a portal checks it;
    (header, claims)."""
    decoded = jwt.decode(token, keystore().verification_keys(), algorithms=["RS256", "ES256"])
    return dict(decoded.header), dict(decoded.claims)
