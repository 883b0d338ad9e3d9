"""Security Event Tokens (RFC 8417) for the portals: CAEP credential-change, RISC identifier-changed."""

from __future__ import annotations

from flask import current_app
from joserfc import jwt

from ..clock import timestamp
from .keys import keystore


def security_event_token(*, client, jti: str, event_type: str, event: dict) -> str:
    """A signed SET (RFC 8417 §2.2): iss, iat, jti, aud and one event; typ secevent+jwt (§2.3)."""
    claims = {
        "iss": current_app.config["ISSUER"],
        "iat": timestamp(),
        "jti": jti,
        "aud": client.client_id,
        "events": {event_type: event},
    }
    key = keystore().signing_key(client.id_token_signed_response_alg)
    header = {"alg": key.alg, "kid": key.kid, "typ": "secevent+jwt"}
    return jwt.encode(header, claims, key.key)


def subject(sub: str) -> dict:
    """The "iss_sub" subject identifier format (RFC 9493 §3.2.6)."""
    return {"format": "iss_sub", "iss": current_app.config["ISSUER"], "sub": sub}
