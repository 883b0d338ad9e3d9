"""The subject identifier (`sub`) a portal knows a person by (OIDC Core §8).

A public client sees the account's public identifier (Account.sub, random, never the row
id): the same for every such portal. A pairwise client sees an identifier of its own
sector (§8.1): HMAC-SHA256 keyed by PAIRWISE_SALT over the sector's host and the account's
public identifier, so portals of different sectors cannot tell they serve the same person,
while the portals of one sector (one sector_identifier_uri) see the same value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

from ..security import random_token
from .client_metadata import sector_of


def subject_for(sub: str, client) -> str:
    """The `sub` that `client` (anything with client_metadata) sees for the person whose
    public identifier is `sub`."""
    metadata = (client.client_metadata or {}) if client is not None else {}
    if metadata.get("subject_type") != "pairwise":
        return sub
    salt = current_app.config["PAIRWISE_SALT"].encode()
    message = f"{sector_of(metadata)}\x00{sub}".encode()
    digest = hmac.new(salt, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_subject() -> str:
    """A new account's public identifier: random, and never starting with "-", so an
    operator can write it after `passport users show` without `--` before it."""
    while (sub := random_token(16)).startswith("-"):
        pass
    return sub
