"""How a portal uses DPoP (RFC 9449): one key pair for the portal's life, a proof signed with
it for each call to the token endpoint and userinfo, and the nonce Passport last gave.

With it, the tokens Passport issues are bound to the key (`token_type` "DPoP"): an access
token copied out of the portal's store is refused without a proof only this key can make.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import ECKey


class DPoPKey:
    def __init__(self):
        self.key = ECKey.generate_key("P-256")
        self.nonce: str | None = None

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        claims = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url.split("?", 1)[0],
            "iat": int(time.time()),
        }
        if self.nonce:
            claims["nonce"] = self.nonce
        if access_token:
            digest = hashlib.sha256(access_token.encode("ascii")).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key)

    def learn(self, response: requests.Response) -> bool:
        """Keep the nonce an answer gives; True when it refused the proof for want of one
        (§8: a 400 use_dpop_nonce from the token endpoint, §9: a 401 from a resource)."""
        if "DPoP-Nonce" in response.headers:
            self.nonce = response.headers["DPoP-Nonce"]
        if response.status_code == 401:
            return 'error="use_dpop_nonce"' in response.headers.get("WWW-Authenticate", "")
        if response.status_code == 400:
            try:
                return response.json().get("error") == "use_dpop_nonce"
            except ValueError:
                return False
        return False

    def request(
        self, method: str, url: str, *, access_token: str | None = None, **kwargs
    ) -> requests.Response:
        """A call to the token endpoint (no access_token) or to a resource with a DPoP-bound
        access token; made again once with the nonce the server asks for."""
        headers = dict(kwargs.pop("headers", None) or {})
        if access_token:
            headers["Authorization"] = "DPoP " + access_token
        for _ in range(2):
            headers["DPoP"] = self.proof(method, url, access_token)
            response = requests.request(method, url, headers=headers, timeout=10, **kwargs)
            if not self.learn(response):
                break
        return response

    def session_class(self) -> type[OAuth2Session]:
        """Authlib's session for the code exchange, sending a proof with each request."""
        key = self

        class DPoPSession(OAuth2Session):
            def request(self, method, url, withhold_token=False, auth=None, **kwargs):
                headers = dict(kwargs.pop("headers", None) or {})
                for _ in range(2):
                    headers["DPoP"] = key.proof(method, url)
                    response = super().request(
                        method, url, withhold_token, auth, headers=headers, **kwargs
                    )
                    if not key.learn(response):
                        break
                return response

        return DPoPSession
