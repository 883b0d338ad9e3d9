"""Access tokens: JWTs per RFC 9068, signed by the current key.

They carry the login session (`sid`), the account's credential epoch (`epoch`) and the
grant they belong to (`gid`), so the resource endpoints can refuse them the moment any of
the three ends — without storing access tokens.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from ..clock import timestamp
from ..domain.resources import audience
from ..security import random_token
from ..services import tokens as token_service
from .dpop import request_proof
from .keys import KeyView, keystore
from .resource_indicators import token_resources


def generate_token(
    grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
) -> dict:
    """Authlib's token generator hook: builds the token response body."""
    config = current_app.config
    lifetime = expires_in or config["ACCESS_TOKEN_LIFETIME"]
    issued = timestamp()
    claims = {
        "iss": config["ISSUER"],
        # RFC 8707: the resources the token is for; Passport itself (userinfo) otherwise.
        "aud": audience(token_resources(), config["ISSUER"]),
        "iat": issued,
        "exp": issued + lifetime,
        "jti": random_token(16),
        "client_id": client.client_id,
        "scope": scope or "",
    }
    if user is not None:
        claims.update(sub=user.subject, gid=user.grant_id, epoch=user.account.credential_epoch)
        claims.update(user.sign_in.claims())  # RFC 9068 §2.2.1: as in the ID token
    else:
        claims["sub"] = client.client_id
    proof = request_proof()
    if proof is not None:
        claims["cnf"] = {"jkt": proof.jkt}  # RFC 9449 §6.1
    key = keystore().signing_key(config["ACCESS_TOKEN_SIGNING_ALG"])
    header = {"alg": key.alg, "typ": "at+jwt", "kid": key.kid}
    token = {
        "token_type": "DPoP" if proof is not None else "Bearer",
        "access_token": jwt.encode(header, claims, key.key),
        "expires_in": lifetime,
        "scope": scope or "",
    }
    if include_refresh_token and user is not None:
        token["refresh_token"] = random_token(32)
    return token


# What an exchanged token keeps of its subject token: the person, the grant it rests on
# (so it ends with it), the credential epoch and the sign-in.
KEPT_IN_EXCHANGE = ("sub", "gid", "epoch", "sid", "auth_time", "acr", "amr")


def exchanged_token(subject: Mapping, client, *, audience: str, scope: str, lifetime: int) -> str:
    """RFC 8693 §2.2.1: an access token for `audience` made from the claims of a live access
    token. Its client_id stays the grant's (the one the person allowed); the client that
    asked is the actor (`act`, §4.1), over the subject token's own actors."""
    issued = timestamp()
    act = {"sub": client.client_id}
    if "act" in subject:
        act["act"] = subject["act"]
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": audience,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": random_token(16),
        "client_id": subject["client_id"],
        "scope": scope,
        "act": act,
        **{name: subject[name] for name in KEPT_IN_EXCHANGE if name in subject},
    }
    proof = request_proof()
    if proof is not None:
        claims["cnf"] = {"jkt": proof.jkt}
    key = keystore().signing_key(current_app.config["ACCESS_TOKEN_SIGNING_ALG"])
    return jwt.encode({"alg": key.alg, "typ": "at+jwt", "kid": key.kid}, claims, key.key)


def decode_access_token(token_string: str) -> tuple[dict, token_service.TokenHolder] | None:
    """The claims of a live access token signed by us, with its client and person; or None."""
    if not token_string or not isinstance(token_string, str) or len(token_string) > 8192:
        return None
    claims = _signed_claims(token_string, keystore().view())
    if claims is None:
        return None
    registry = jwt.JWTClaimsRegistry(
        now=timestamp(),
        iss={"essential": True, "value": current_app.config["ISSUER"]},
        exp={"essential": True},
        sub={"essential": True},
        client_id={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError:
        return None
    holder = token_service.live_access_token(claims)
    if holder is None:
        return None
    return claims, holder


@functools.lru_cache(maxsize=4096)
def _signed_claims(token_string: str, keys: KeyView) -> Mapping | None:
    """The claims of an access token whose signature one of the published keys verifies.

    A portal or resource server presents the same token many times (userinfo, introspection)
    and an ES256 verification costs a few hundred µs here: the answer for a token string is
    kept per view of the keys (a rotation, or a key's expiry, starts afresh). Only the signature's verdict
    is kept: expiry, issuer and the grant's liveness are checked on every use.
    """
    try:
        token = jwt.decode(token_string, keys.key_set, algorithms=["RS256", "ES256"])
    except (JoseError, ValueError, TypeError):
        return None
    if token.header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
        return None
    return MappingProxyType(token.claims)
