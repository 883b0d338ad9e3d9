"""The secrets client_secret_jwt signs with, kept sealed.

Passport keeps a client secret as its SHA-256 only (invariant 8), which is all that
client_secret_basic and client_secret_post need. A client_secret_jwt client (OIDC Core §9)
signs its assertions with an HMAC keyed by the secret itself, and the server must compute
the same HMAC: for such a client alone the secret is also stored sealed with Fernet, under a
key from CLIENT_SECRET_KEY (or, when that is empty, derived from SECRET_KEY), and opened
only to check an assertion.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SEALED_FOR = "client_secret_jwt"


def keeps_sealed(metadata) -> bool:
    """Does a client with this metadata need its secret sealed beside the hash?"""
    return (metadata or {}).get("token_endpoint_auth_method") == SEALED_FOR


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str | None) -> str | None:
    """The secret, or None when there is none or this server's key cannot open it."""
    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def _fernet() -> Fernet:
    secret = current_app.config.get("CLIENT_SECRET_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"passport client_secret_jwt"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))
