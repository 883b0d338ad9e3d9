"""A portal's signing keys and the client assertions it signs with them (RFC 7523 §2.2,
OIDC Core §9: private_key_jwt and client_secret_jwt)."""

from __future__ import annotations

import secrets
import time

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key(alg: str = "RS256", *, kid: str | None = "", use: str = "sig"):
    """A private key for `alg`; its kid is its thumbprint unless given (None: no kid)."""
    key = ECKey.generate_key("P-256") if alg.startswith("ES") else RSAKey.generate_key(2048)
    if kid == "":
        kid = key.thumbprint()
    parameters = {"alg": alg, "use": use}
    if kid is not None:
        parameters["kid"] = kid
    return type(key).import_key(key.as_dict(private=True), parameters)


def public_jwks(*keys) -> dict:
    """The JWK Set a portal registers or publishes: public parts only."""
    return {"keys": [key.as_dict(private=False) for key in keys]}


def assertion(
    client_id: str,
    key,
    audience,
    *,
    alg: str | None = None,
    jti: str | None = None,
    lifetime: int = 60,
    header: dict | None = None,
    now: int | None = None,
    **claims,
) -> str:
    """A client assertion signed with `key` (a private JWK, or a client secret for HS256)."""
    issued = int(time.time()) if now is None else now
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": jti or secrets.token_urlsafe(16),
        "iat": issued,
        "exp": issued + lifetime,
    }
    body.update(claims)
    if isinstance(key, str):
        key, alg = OctKey.import_key(key), alg or "HS256"
    alg = alg or key.alg
    head = {"alg": alg, **({"kid": key.kid} if key.kid else {}), **(header or {})}
    return jwt.encode(head, body, key, algorithms=[alg])


def assertion_form(client_id: str, key, audience, **options) -> dict:
    return {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(client_id, key, audience, **options),
    }


def key_set(*keys) -> KeySet:
    return KeySet(list(keys))
