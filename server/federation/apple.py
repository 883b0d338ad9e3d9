"""Sign in with Apple's client secret: an ES256 JWT signed with the team's private key.

Apple takes no static secret; the client authenticates with a JWT (iss = team id,
sub = the Services ID, aud = Apple) that lives at most six months. Passport signs a
short-lived one and renews it before it expires.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import ECKey

APPLE_AUDIENCE = "https://appleid.apple.com"
SECRET_LIFETIME = 3600


def client_secret(
    *, team_id: str, client_id: str, key_id: str, private_key: str, issued_at: int | None = None
) -> str:
    issued_at = int(time.time()) if issued_at is None else issued_at
    header = {"alg": "ES256", "kid": key_id}
    claims = {
        "iss": team_id,
        "iat": issued_at,
        "exp": issued_at + SECRET_LIFETIME,
        "aud": APPLE_AUDIENCE,
        "sub": client_id,
    }
    return jwt.encode(header, claims, ECKey.import_key(private_key), algorithms=["ES256"])


class AppleSecret:
    """The current client secret, signed again when half of its life has passed."""

    def __init__(self, settings: dict):
        self.team_id = settings["team_id"]
        self.key_id = settings["key_id"]
        self.client_id = settings["client_id"]
        key = settings.get("private_key")
        if not key and settings.get("private_key_file"):
            key = Path(settings["private_key_file"]).read_text()
        self.private_key = key or ""
        ECKey.import_key(self.private_key)  # a wrong key fails at start, not at sign-in
        self._lock = threading.Lock()
        self._value: str | None = None
        self._issued_at = 0

    def current(self) -> str:
        with self._lock:
            if self._value is None or time.time() - self._issued_at > SECRET_LIFETIME / 2:
                self._issued_at = int(time.time())
                self._value = client_secret(
                    team_id=self.team_id,
                    client_id=self.client_id,
                    key_id=self.key_id,
                    private_key=self.private_key,
                    issued_at=self._issued_at,
                )
            return self._value
