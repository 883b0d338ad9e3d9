"""OAuth clients (portals): registering, reading, changing and deleting them."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from ..clock import now
from ..domain import audit, client_secrets, grants, logouts
from ..domain.client_metadata import check_client_metadata, check_sector_document, has_secret
from ..domain.errors import InvalidClientMetadata
from ..extensions import db
from ..models import Client, InitialAccessToken
from ..outbound import OutboundRefused, OutboundUnavailable, fetch_json
from ..security import random_token, sha256_hex

# Sentinel credential for registration when it is open to anyone.
OPEN_REGISTRATION = object()


def new_client_id() -> str:
    return random_token(18)


def new_client_secret() -> str:
    return random_token(32)


def create_client(
    metadata: dict,
    *,
    first_party: bool = False,
    owner_id: int | None = None,
    client_id: str | None = None,
    secret: str | None = None,
    actor_id: int | None = None,
    context=None,
) -> tuple[Client, str | None]:
    """Create a client from metadata; returns it with its secret (None for public clients).
    Raises InvalidClientMetadata naming the field at fault."""
    metadata = check_client_metadata(metadata)
    check_sector_identifier(metadata)
    secret = (secret or new_client_secret()) if has_secret(metadata) else None
    client = _new_client(
        client_id or new_client_id(),
        secret,
        metadata,
        first_party=first_party,
        owner_id=owner_id,
        actor_id=actor_id,
        context=context,
    )
    db.session.commit()
    return client, secret


def _new_client(
    client_id: str,
    secret: str | None,
    metadata: dict,
    *,
    first_party: bool,
    owner_id: int | None,
    actor_id: int | None = None,
    context=None,
) -> Client:
    client = Client(
        client_id=client_id,
        client_secret_hash=sha256_hex(secret) if secret else None,
        client_secret_sealed=(
            client_secrets.seal(secret)
            if secret and client_secrets.keeps_sealed(metadata)
            else None
        ),
        client_id_issued_at=int(time.time()),
        client_secret_expires_at=0,
        client_metadata=metadata,
        first_party=first_party,
        owner_id=owner_id,
    )
    db.session.add(client)
    db.session.flush()
    audit_change("client_created", client, actor_id, context)
    return client


def register_client(
    client_info: dict, metadata: dict, *, initial_access_token
) -> tuple[Client, str]:
    """RFC 7591 registration; returns the client and its registration access token (RFC 7592).
    Raises InvalidClientMetadata when the sector_identifier_uri does not list the client's
    redirect URIs."""
    check_sector_identifier(metadata)
    owner_id = None
    if isinstance(initial_access_token, InitialAccessToken):
        owner_id = initial_access_token.owner_id
    client = _new_client(
        client_info["client_id"],
        client_info.get("client_secret"),
        metadata,
        first_party=False,
        owner_id=owner_id,
    )
    token = random_token(32)
    client.registration_access_token_hash = sha256_hex(token)
    db.session.commit()
    return client, token


def client_registration_info(client: Client) -> dict:
    info = {
        "client_id": client.client_id,
        "client_id_issued_at": client.client_id_issued_at,
        **client.client_metadata,
    }
    if client.client_secret_hash:
        # RFC 7592 §3: the secret may be returned; we keep only its hash, so we say when it expires.
        info["client_secret_expires_at"] = client.client_secret_expires_at
    return info


def update_client_metadata(
    client: Client, metadata: dict, *, actor_id: int | None = None, context=None
) -> Client:
    """Replace the client's metadata (the console, RFC 7592). A secret is issued at
    registration only, so the client's type is fixed there: public stays public, and a
    confidential client keeps its secret. Raises InvalidClientMetadata."""
    metadata = check_client_metadata(metadata)
    public = metadata["token_endpoint_auth_method"] == "none"
    if public != client.is_public or has_secret(metadata) != bool(client.client_secret_hash):
        raise InvalidClientMetadata(
            "token_endpoint_auth_method: a public client cannot get a secret here, nor a "
            "confidential client give its secret up; register a new client.",
            field="token_endpoint_auth_method",
            reason="type_fixed",
        )
    if client_secrets.keeps_sealed(metadata) and not client.client_secret_sealed:
        # Only the hash of the secret is kept: client_secret_jwt needs a secret issued for it.
        raise InvalidClientMetadata(
            "token_endpoint_auth_method: client_secret_jwt needs a secret issued for it; "
            "register a new client.",
            field="token_endpoint_auth_method",
            reason="secret_not_sealed",
        )
    check_sector_identifier(metadata)
    if not client_secrets.keeps_sealed(metadata):
        client.client_secret_sealed = client.previous_secret_sealed = None
    client.client_metadata = metadata
    audit_change("client_updated", client, actor_id, context)
    db.session.commit()
    return client


def check_sector_identifier(metadata: dict) -> None:
    """OIDC Core §8.1: fetch the client's sector_identifier_uri, if it has one, and check that
    it lists every redirect URI. Raises InvalidClientMetadata."""
    uri = metadata.get("sector_identifier_uri")
    if not uri:
        return
    try:
        document = fetch_json(uri)
    except (OutboundRefused, OutboundUnavailable) as error:
        raise InvalidClientMetadata(
            f"sector_identifier_uri: {error}",
            field="sector_identifier_uri",
            reason="sector_unreachable",
            value=uri,
        ) from error
    check_sector_document(document, metadata.get("redirect_uris") or [])


def delete_client(client: Client, *, actor_id: int | None = None, context=None) -> None:
    """Delete a client: every person and session holding its tokens is sent a back-channel
    logout, its grants are revoked (so every token it holds dies with it), then the row goes."""
    logouts.queue_for_every_session_of(client)
    grants.revoke(reason="client_deleted", client=client, context=context)
    audit_change("client_deleted", client, actor_id, context)
    db.session.delete(client)
    db.session.commit()


def find_client(client_id: str) -> Client | None:
    """The client's row, disabled or not, for code that changes it or follows its relations
    (the console, RFC 7592, deliveries). Protocol requests read client_cache.find instead."""
    if not client_id or len(client_id) > 64:
        return None
    return db.session.execute(
        select(Client).where(Client.client_id == client_id)
    ).scalar_one_or_none()


def find_client_by_registration_token(token: str) -> Client | None:
    if not token or len(token) > 512:
        return None
    return db.session.execute(
        select(Client).where(Client.registration_access_token_hash == sha256_hex(token))
    ).scalar_one_or_none()


def create_initial_access_token(
    *, owner_id: int | None = None, lifetime_seconds: int | None = None
) -> str:
    token = random_token(32)
    moment = now()
    db.session.add(
        InitialAccessToken(
            token_hash=sha256_hex(token),
            owner_id=owner_id,
            created_at=moment,
            expires_at=None
            if lifetime_seconds is None
            else moment + timedelta(seconds=lifetime_seconds),
        )
    )
    db.session.commit()
    return token


def find_initial_access_token(token: str) -> InitialAccessToken | None:
    if not token or len(token) > 512:
        return None
    row = db.session.execute(
        select(InitialAccessToken).where(InitialAccessToken.token_hash == sha256_hex(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now():
        return None
    return row


def audit_change(kind: str, client: Client, actor_id: int | None, context=None, **details) -> None:
    """A change to a client, in its owner's activity (and the operator's, when one acted)."""
    for account_id in dict.fromkeys(a for a in (client.owner_id, actor_id) if a) or [None]:
        audit.record(
            kind,
            account_id=account_id,
            ip_address=getattr(context, "ip_address", None),
            user_agent=getattr(context, "user_agent", None),
            client_id=client.client_id,
            client_name=client.client_name,
            **details,
        )
