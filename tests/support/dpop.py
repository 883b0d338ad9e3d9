"""A DPoP client (RFC 9449): a key pair, the proofs it signs, and the nonce it was last given."""

from __future__ import annotations

import base64
import hashlib
import secrets

import requests
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

from server import clock


def new_key(alg: str):
    if alg.startswith("ES"):
        return ECKey.generate_key({"ES256": "P-256", "ES384": "P-384"}[alg])
    if alg in ("Ed25519", "EdDSA"):
        return OKPKey.generate_key("Ed25519")
    return RSAKey.generate_key(2048)


def token_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DPoPKey:
    """One client's DPoP key. `proof` signs a proof for a request; `send` makes the request
    with one, and once more with the server's nonce when it answers use_dpop_nonce."""

    def __init__(self, alg: str = "ES256"):
        self.alg = alg
        self.key = new_key(alg)
        self.nonce: str | None = None

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        header: dict | None = None,
        **claims,
    ) -> str:
        """A proof for `method` `url`; `claims` (None drops one) and `header` override."""
        values = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": clock.timestamp(),  # the server's clock, which tests may move
        }
        if self.nonce:
            values["nonce"] = self.nonce
        if access_token is not None:
            values["ath"] = token_hash(access_token)
        values.update(claims)
        values = {name: value for name, value in values.items() if value is not None}
        protected = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.key.as_dict(private=False)}
        protected.update(header or {})
        protected = {name: value for name, value in protected.items() if value is not None}
        return jwt.encode(protected, values, self.key, algorithms=[self.alg])

    def send(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        headers: dict | None = None,
        **kwargs,
    ) -> requests.Response:
        """The request with a fresh proof; with the nonce the server asks for, if it does."""
        for _ in range(2):
            sent = dict(headers or {})
            sent["DPoP"] = self.proof(method, url, access_token=access_token)
            if access_token is not None:
                sent["Authorization"] = f"DPoP {access_token}"
            answer = requests.request(method, url, headers=sent, timeout=10, **kwargs)
            if "DPoP-Nonce" in answer.headers:
                self.nonce = answer.headers["DPoP-Nonce"]
            if not asks_for_nonce(answer):
                return answer
        return answer


def asks_for_nonce(answer: requests.Response) -> bool:
    if answer.status_code == 401:
        return 'error="use_dpop_nonce"' in answer.headers.get("WWW-Authenticate", "")
    if answer.status_code == 400 and answer.headers.get("Content-Type", "").startswith(
        "application/json"
    ):
        return answer.json().get("error") == "use_dpop_nonce"
    return False
