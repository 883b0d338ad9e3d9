"""OAuth clients (portals): registering, reading, changing and deleting them."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from ..clock import now
from ..config import is_loopback_host
from ..extensions import db
from ..models import Client, Grant, InitialAccessToken
from ..security import random_token, sha256_hex
from . import audit
from .errors import InvalidClientMetadata

ALGORITHMS = ("RS256", "ES256")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
URI_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
# Sentinel credential for registration when it is open to anyone.
OPEN_REGISTRATION = object()


def new_client_id() -> str:
    return random_token(18)


def new_client_secret() -> str:
    return random_token(32)


def check_redirect_uri(uri: object, *, field: str = "redirect_uris", native: bool = False) -> str:
    """Redirect URIs: absolute, no fragment, no wildcard; https, or http on a loopback host
    (RFC 8252 §7.3), or a private-use scheme for native apps (RFC 8252 §7.1)."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000:
        raise InvalidClientMetadata(f"{field}: each URI must be a non-empty string")
    try:
        parts = urlsplit(uri)
    except ValueError as error:
        raise InvalidClientMetadata(f"{field}: {uri!r} is not a valid URI") from error
    if not parts.scheme:
        raise InvalidClientMetadata(f"{field}: {uri!r} must be an absolute URI")
    if parts.fragment or "#" in uri:
        raise InvalidClientMetadata(f"{field}: {uri!r} must not contain a fragment")
    if "*" in uri:
        raise InvalidClientMetadata(f"{field}: {uri!r} must not contain wildcards")
    if parts.scheme == "https":
        if not parts.hostname:
            raise InvalidClientMetadata(f"{field}: {uri!r} has no host")
        return uri
    if parts.scheme == "http":
        if parts.hostname and is_loopback_host(parts.hostname):
            return uri
        raise InvalidClientMetadata(
            f"{field}: {uri!r} must use https (http is allowed only on loopback hosts)"
        )
    if native and "." in parts.scheme and parts.scheme not in ("javascript", "data", "file"):
        return uri
    raise InvalidClientMetadata(f"{field}: {uri!r} must use https")


def check_client_metadata(metadata: dict) -> dict:
    """Passport's policy on top of RFC 7591's checks; returns the metadata to store."""
    metadata = dict(metadata)
    method = metadata.get("token_endpoint_auth_method") or "client_secret_basic"
    if method not in AUTH_METHODS:
        raise InvalidClientMetadata(f"token_endpoint_auth_method {method!r} is not supported")
    metadata["token_endpoint_auth_method"] = method
    native = metadata.get("application_type") == "native"
    grant_types = metadata.get("grant_types") or ["authorization_code"]
    if not isinstance(grant_types, list) or any(g not in GRANT_TYPES for g in grant_types):
        raise InvalidClientMetadata(f"grant_types must be among {', '.join(GRANT_TYPES)}")
    if method == "none" and "client_credentials" in grant_types:
        raise InvalidClientMetadata("public clients cannot use client_credentials")
    metadata["grant_types"] = list(dict.fromkeys(grant_types))
    response_types = metadata.get("response_types") or (
        ["code"] if "authorization_code" in grant_types else []
    )
    if any(r != "code" for r in response_types):
        raise InvalidClientMetadata("response_types: only 'code' is supported")
    metadata["response_types"] = response_types
    redirect_uris = metadata.get("redirect_uris") or []
    if "authorization_code" in grant_types and not redirect_uris:
        raise InvalidClientMetadata("redirect_uris: at least one is required")
    metadata["redirect_uris"] = [check_redirect_uri(u, native=native) for u in redirect_uris]
    metadata["post_logout_redirect_uris"] = [
        check_redirect_uri(u, field="post_logout_redirect_uris", native=native)
        for u in metadata.get("post_logout_redirect_uris") or []
    ]
    for name in ("backchannel_logout_uri", "security_events_endpoint"):
        if metadata.get(name):
            check_redirect_uri(metadata[name], field=name)
    alg = metadata.get("id_token_signed_response_alg") or "RS256"
    if alg not in ALGORITHMS:
        raise InvalidClientMetadata(f"id_token_signed_response_alg must be one of {ALGORITHMS}")
    metadata["id_token_signed_response_alg"] = alg
    name = metadata.get("client_name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise InvalidClientMetadata("client_name must be a string of at most 200 characters")
    return metadata


def create_client(
    metadata: dict,
    *,
    first_party: bool = False,
    owner_id: int | None = None,
    client_id: str | None = None,
    secret: str | None = None,
) -> tuple[Client, str | None]:
    """Create a client from metadata; returns it with its secret (None for public clients)."""
    metadata = check_client_metadata(metadata)
    if metadata["token_endpoint_auth_method"] == "none":
        secret = None
    else:
        secret = secret or new_client_secret()
    client = _new_client(
        client_id or new_client_id(), secret, metadata, first_party=first_party, owner_id=owner_id
    )
    db.session.commit()
    return client, secret


def _new_client(
    client_id: str, secret: str | None, metadata: dict, *, first_party: bool, owner_id: int | None
) -> Client:
    client = Client(
        client_id=client_id,
        client_secret_hash=sha256_hex(secret) if secret else None,
        client_id_issued_at=int(time.time()),
        client_secret_expires_at=0,
        client_metadata=metadata,
        first_party=first_party,
        owner_id=owner_id,
    )
    db.session.add(client)
    db.session.flush()
    audit.record("client_created", account_id=owner_id, client_id=client_id)
    return client


def register_client(
    client_info: dict, metadata: dict, *, initial_access_token
) -> tuple[Client, str]:
    """RFC 7591 registration; returns the client and its registration access token (RFC 7592)."""
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


def update_client_metadata(client: Client, metadata: dict) -> Client:
    client.client_metadata = check_client_metadata(metadata)
    audit.record("client_updated", account_id=client.owner_id, client_id=client.client_id)
    db.session.commit()
    return client


def delete_client(client: Client) -> None:
    """Delete a client: its grants are revoked first, so every token it holds dies with it."""
    db.session.execute(
        update(Grant)
        .where(Grant.client_id == client.id, Grant.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    audit.record("client_deleted", account_id=client.owner_id, client_id=client.client_id)
    db.session.delete(client)
    db.session.commit()


def find_client(client_id: str) -> Client | None:
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
