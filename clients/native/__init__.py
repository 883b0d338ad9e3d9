"""A native app signing in with Passport (RFC 8252), as a command-line program does it.

It listens on a random port of 127.0.0.1 (§7.3: the client registered
`http://127.0.0.1/callback` without a port, and Passport takes any port at the request),
opens the system browser at the authorization endpoint with PKCE (RFC 7636, S256), state
and nonce, takes the one redirect that comes back, redeems the code (a public client: no
secret), checks the ID token against the JWKS, and asks userinfo. Authlib's OAuth 2.0
client does the protocol; joserfc checks the token.
"""

from __future__ import annotations

import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

CALLBACK_PATH = "/callback"
PAGE = (
    "<!doctype html><meta charset=utf-8><title>{title}</title>"
    "<p>{title}. You may close this tab and go back to the program.</p>"
)


class SignInFailed(Exception):
    pass


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server asks for
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        self.server.answer = {k: v[0] for k, v in parse_qs(parts.query).items()}
        title = "Signed in" if "code" in self.server.answer else "Not signed in"
        body = PAGE.format(title=title).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass


def sign_in(issuer: str, client_id: str, open_url, *, scope: str = "openid email profile",
            timeout: float = 300) -> dict:  # fmt: skip
    """Sign in through the browser that `open_url(url)` opens; the ID token's claims and
    userinfo's answer. Raises SignInFailed with Passport's error or on a mismatch."""
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    listener = HTTPServer(("127.0.0.1", 0), _Callback)  # a port the system chose, free now
    listener.answer = None
    listener.timeout = timeout
    redirect_uri = f"http://127.0.0.1:{listener.server_port}{CALLBACK_PATH}"
    oauth = OAuth2Session(
        client_id,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(64)
    nonce = secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    waiting = threading.Thread(target=listener.handle_request, daemon=True)
    waiting.start()
    try:
        open_url(url)
        waiting.join(timeout)
    finally:
        listener.server_close()
    answer = listener.answer
    if answer is None:
        raise SignInFailed("no answer came back from the browser in time")
    if answer.get("state") != state:
        raise SignInFailed("the answer is not for this request (state)")
    if "iss" in answer and answer["iss"] != metadata["issuer"]:
        raise SignInFailed("the answer comes from another issuer (RFC 9207)")
    if "error" in answer:
        raise SignInFailed(f"{answer['error']}: {answer.get('error_description', '')}")
    tokens = oauth.fetch_token(
        metadata["token_endpoint"], code=answer["code"], code_verifier=verifier
    )
    claims = _checked_id_token(tokens["id_token"], metadata, client_id, nonce)
    userinfo = oauth.get(metadata["userinfo_endpoint"], timeout=10)
    userinfo.raise_for_status()
    return {"id_token": claims, "userinfo": userinfo.json()}


def _checked_id_token(id_token: str, metadata: dict, client_id: str, nonce: str) -> dict:
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    token = jwt.decode(id_token, keys, algorithms=algorithms)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        sub={"essential": True},
    ).validate(token.claims)
    return token.claims
