"""A client's public keys: the one place that finds them.

A client registers its keys by value (`jwks`, RFC 7591 §2). Whatever checks a signature a
client made — a signed request object (OIDC Core §6.1) — asks `client_keys(client)`. Keys
by reference (`jwks_uri`) come with private_key_jwt, and are read here too then.
"""

from __future__ import annotations

import json
from functools import lru_cache

from joserfc.errors import JoseError
from joserfc.jwk import KeySet


class KeysUnavailable(Exception):
    """The client has no keys, or its keys cannot be read."""


def client_keys(client, *, kid: str | None = None) -> KeySet:
    """The public keys of `client` (anything with `client_metadata`); `kid` names the key
    a signature was made with. Raises KeysUnavailable."""
    jwks = (client.client_metadata or {}).get("jwks")
    if not jwks:
        raise KeysUnavailable("the client registered no keys")
    return _registered_keys(json.dumps(jwks, sort_keys=True))


@lru_cache(maxsize=1024)
def _registered_keys(jwks_json: str) -> KeySet:
    # Parsed once per distinct set: a client's registration changes rarely.
    try:
        return KeySet.import_key_set(json.loads(jwks_json))
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise KeysUnavailable("the client's registered keys cannot be read") from error
