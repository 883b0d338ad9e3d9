"""The developer console's use cases: who may use it, whose clients are whose, and the
changes a developer makes to a client (secret rotation, disabling, enabling).

Only a client's owner, or an operator, manages it; to anybody else it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, union, update
from sqlalchemy.orm import selectinload

from ..clock import now
from ..context import RequestContext
from ..domain import client_secrets
from ..domain.errors import (
    ClientHasNoSecret,
    DisabledByOperator,
    GracePeriodTooLong,
    NotADeveloper,
    OperatorsOnly,
    SecretAlreadyRotated,
)
from ..extensions import db
from ..models import Account, Client, Consent, Grant, RefreshToken
from ..security import sha256_hex
from . import clients
from .accounts import find_by_login

USAGE_WINDOW = timedelta(hours=24)
# How long a rotated-out secret keeps working unless the developer says otherwise: a day
# for the portals that use it to be given the new one.
DEFAULT_GRACE = timedelta(hours=24)
# What a client's type stands for: chosen at registration, kept by every later edit.
FIXED_AT_REGISTRATION = ("application_type", "token_endpoint_auth_method", "grant_types")


def is_developer(account: Account) -> bool:
    return bool(
        account.is_developer or account.is_operator or current_app.config["DEVELOPERS_OPEN"]
    )


def require_developer(account: Account) -> None:
    if not is_developer(account):
        raise NotADeveloper()


def clients_of(account: Account) -> list[Client]:
    """The clients the account manages: its own, or every client for an operator."""
    require_developer(account)
    query = (
        select(Client)
        .options(selectinload(Client.owner))
        .order_by(Client.created_at.desc(), Client.id.desc())
    )
    if not account.is_operator:
        query = query.where(Client.owner_id == account.id)
    return list(db.session.execute(query).scalars())


def find_managed_client(account: Account, client_id: str) -> Client | None:
    """The client if this account may manage it; None otherwise (the console answers 404)."""
    if not is_developer(account):
        return None
    client = clients.find_client(client_id)
    if client is None or not (account.is_operator or client.owner_id == account.id):
        return None
    return client


def register_client(
    account: Account,
    metadata: dict,
    *,
    first_party: bool = False,
    context: RequestContext | None = None,
) -> tuple[Client, str | None]:
    """A new client owned by the account; returns it with its secret, shown this once.
    Raises NotADeveloper, OperatorsOnly (first party) or InvalidClientMetadata."""
    require_developer(account)
    if first_party and not account.is_operator:
        raise OperatorsOnly()
    return clients.create_client(
        metadata, first_party=first_party, owner_id=account.id, actor_id=account.id, context=context
    )


def update_client(
    account: Account,
    client: Client,
    metadata: dict,
    *,
    first_party: bool,
    context: RequestContext | None = None,
) -> Client:
    """Change what the console's form holds; the client's other registered metadata stays,
    and so does what its type stands for, chosen at registration (in the console or by RFC
    7591). Only an operator changes the first-party flag: a developer's form has no such
    box, so from them only asking to set it counts (refused)."""
    if not account.is_operator:
        first_party = client.first_party or first_party
        if first_party != client.first_party:
            raise OperatorsOnly()
    registered = client.client_metadata or {}
    fixed = {name: registered[name] for name in FIXED_AT_REGISTRATION if name in registered}
    client.first_party = first_party
    return clients.update_client_metadata(
        client, {**registered, **metadata, **fixed}, actor_id=account.id, context=context
    )


def rotate_secret(
    account: Account,
    client: Client,
    *,
    grace_seconds: int = 0,
    replacing: str | None = None,
    context: RequestContext | None = None,
) -> str:
    """A new secret for a confidential client, returned this once. With a grace period the
    previous secret keeps authenticating until it ends; without one it stops at once.
    `replacing` is the fingerprint of the secret the developer saw when asking: a form sent
    twice (a reload) finds another secret and rotates nothing, so the secret just shown
    stays valid. Raises ClientHasNoSecret, GracePeriodTooLong, SecretAlreadyRotated."""
    if not client.client_secret_hash:
        raise ClientHasNoSecret()
    if replacing is not None and replacing != secret_fingerprint(client):
        raise SecretAlreadyRotated()
    maximum = current_app.config["CLIENT_SECRET_GRACE_MAX"]
    if grace_seconds < 0 or grace_seconds > maximum:
        raise GracePeriodTooLong(maximum)
    secret = clients.new_client_secret()
    replaced = client.client_secret_hash
    kept = grace_seconds > 0
    sealed = {}
    if client_secrets.keeps_sealed(client.client_metadata):
        sealed = {
            "client_secret_sealed": client_secrets.seal(secret),
            "previous_secret_sealed": client.client_secret_sealed if kept else None,
        }
    # Two rotations at once (two tabs, a double click) both passed the check above: only
    # the first replaces the secret they saw, so no secret shown is dead on arrival.
    rotated = db.session.execute(
        update(Client)
        .where(Client.id == client.id, Client.client_secret_hash == replaced)
        .values(
            client_secret_hash=sha256_hex(secret),
            previous_secret_hash=replaced if kept else None,
            previous_secret_expires_at=now() + timedelta(seconds=grace_seconds) if kept else None,
            **sealed,
        )
    )
    if rotated.rowcount != 1:
        db.session.rollback()
        raise SecretAlreadyRotated()
    clients.audit_change(
        "client_secret_rotated", client, account.id, context, grace_seconds=grace_seconds
    )
    db.session.commit()
    return secret


def default_grace_hours() -> int:
    """The grace period a rotation proposes, in hours: a day, or the longest allowed if shorter."""
    maximum = current_app.config["CLIENT_SECRET_GRACE_MAX"]
    return int(min(DEFAULT_GRACE.total_seconds(), maximum) // 3600)


def secret_fingerprint(client: Client) -> str:
    """A short public handle of the current secret: a prefix of its SHA-256, never the secret."""
    return (client.client_secret_hash or "")[:12]


def disable_client(
    account: Account, client: Client, *, context: RequestContext | None = None
) -> None:
    """No new tokens, and every token the client holds is refused while it is disabled.
    An operator disabling someone else's client puts it on hold: its owner cannot lift it."""
    held = account.is_operator and client.owner_id != account.id
    if client.disabled_at is None or (held and not client.disabled_by_operator):
        client.disabled_at = client.disabled_at or now()
        client.disabled_by_operator = held
        clients.audit_change("client_disabled", client, account.id, context)
        db.session.commit()


def enable_client(
    account: Account, client: Client, *, context: RequestContext | None = None
) -> None:
    if client.disabled_by_operator and not account.is_operator:
        raise DisabledByOperator()
    if client.disabled_at is not None:
        client.disabled_at = None
        client.disabled_by_operator = False
        clients.audit_change("client_enabled", client, account.id, context)
        db.session.commit()


def delete_client(
    account: Account, client: Client, *, context: RequestContext | None = None
) -> None:
    clients.delete_client(client, actor_id=account.id, context=context)


@dataclass
class Usage:
    accounts_linked: int
    tokens_issued: int
    since: datetime


def usage(client: Client) -> Usage:
    """People linked (consent given, or live tokens) and token responses in the last
    24 hours: sign-ins (grants started) plus refreshes (refresh tokens rotated). Two
    aggregate queries on indexed columns; client_credentials tokens are not stored, so
    they are not counted."""
    since = now() - USAGE_WINDOW
    linked = union(
        select(Consent.account_id).where(Consent.client_id == client.id),
        select(Grant.account_id).where(
            Grant.client_id == client.id,
            Grant.account_id.is_not(None),
            Grant.revoked_at.is_(None),
        ),
    ).subquery()
    accounts_linked = db.session.execute(select(func.count()).select_from(linked)).scalar_one()
    started = (
        select(func.count())
        .select_from(Grant)
        .where(Grant.client_id == client.id, Grant.created_at >= since)
        .scalar_subquery()
    )
    refreshed = (
        select(func.count())
        .select_from(RefreshToken)
        .join(Grant, Grant.id == RefreshToken.grant_id)
        .where(Grant.client_id == client.id, RefreshToken.rotated_at >= since)
        .scalar_subquery()
    )
    tokens_issued = db.session.execute(select(started + refreshed)).scalar_one()
    return Usage(accounts_linked, tokens_issued, since)


def set_role(login: str, role: str, granted: bool) -> Account | None:
    """Give or take the developer or operator role (the CLI); None if no such account."""
    account = find_by_login(login)
    if account is None:
        return None
    setattr(account, {"developer": "is_developer", "operator": "is_operator"}[role], granted)
    db.session.commit()
    return account
