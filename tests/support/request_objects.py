"""Request objects as a portal makes them (OIDC Core §6.1): unsigned, as the conformance
suite serializes them (SerializeRequestObjectWithNullAlgorithm), or signed with a key of
the portal's."""

from __future__ import annotations

import base64
import json
import secrets

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims: dict) -> str:
    """`alg: none`, and an empty signature."""
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}."


def signed(claims: dict, key, alg: str) -> str:
    header = {"alg": alg, "kid": key.kid, "typ": "oauth-authz-req+jwt"}
    return jwt.encode(header, claims, key, algorithms=[alg])


def new_key(alg: str = "RS256"):
    """A key pair of the portal's, with a kid; `as_dict(private=False)` is what it registers."""
    parameters = {"kid": secrets.token_hex(4), "use": "sig", "alg": alg}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=parameters)
    return RSAKey.generate_key(2048, parameters=parameters)


def key_set(*keys) -> dict:
    return {"keys": [key.as_dict(private=False) for key in keys]}
