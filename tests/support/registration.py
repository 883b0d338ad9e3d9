"""Clients registered the way portals register themselves: RFC 7591 over HTTP (the test
servers leave registration open)."""

from __future__ import annotations

import requests

from .factories import ClientInfo
from .relying_party import RelyingParty

CALLBACK = "http://127.0.0.1:9/callback"


def register(issuer: str, **metadata) -> requests.Response:
    """POST client metadata to the registration endpoint (RFC 7591 §3.1); its answer."""
    body = {"client_name": "Registered portal", "redirect_uris": [CALLBACK], **metadata}
    return requests.post(issuer + "/register", json=body, timeout=10)


def registered(issuer: str, **metadata) -> dict:
    """The registration response of a client that had to be accepted (RFC 7591 §3.2.1)."""
    answer = register(issuer, **metadata)
    assert answer.status_code == 201, answer.text
    return answer.json()


def portal_of(issuer: str, info: dict, *, scope: str = "openid email", key=None) -> RelyingParty:
    """The portal a registration response describes (private_key_jwt: `key` signs)."""
    redirect_uri = (info.get("redirect_uris") or [CALLBACK])[0]
    client = ClientInfo(info["client_id"], info.get("client_secret"), redirect_uri, info)
    return RelyingParty(issuer, client, scope=scope, key=key)
