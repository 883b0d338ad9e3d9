"""A client's public keys: the ONE place that finds them.

A client registers its keys by value (`jwks`) or by reference (`jwks_uri`, RFC 7591 §2).
Whatever checks a signature a client made — a private_key_jwt assertion (RFC 7523 §2.2), a
signed request object (OIDC Core §6.1) — asks `client_keys(client, kid=...)`.

Keys at a jwks_uri are fetched with a timeout and a size limit, from public addresses only
(server/outbound.py), and kept in this process for CLIENT_JWKS_CACHE_TTL seconds. A
signature by a key not among them (the client rotated its keys, OIDC Core §10.1.1) fetches
them again, at most once every CLIENT_JWKS_REFETCH_INTERVAL seconds per client, so a
stream of made-up `kid`s cannot make Passport hammer the client's server.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..clock import now
from ..domain.client_metadata import check_jwks
from ..domain.errors import InvalidClientMetadata
from ..outbound import OutboundRefused, OutboundUnavailable, fetch_json


class KeysUnavailable(Exception):
    """The client has no keys, or its jwks_uri could not be fetched or read."""


def client_keys(client, *, kid: str | None = None) -> KeySet:
    """The public keys of `client` (anything with `client_id` and `client_metadata`).

    `kid` is the key id a signature names: when the keys fetched from the client's
    jwks_uri have no such key, they are fetched again (rate-limited). Raises KeysUnavailable.
    """
    metadata = client.client_metadata or {}
    if metadata.get("jwks"):
        return _registered_keys(json.dumps(metadata["jwks"], sort_keys=True))
    uri = metadata.get("jwks_uri")
    if not uri:
        raise KeysUnavailable("the client registered no keys")
    return _fetched().keys(client.client_id, uri, kid)


@lru_cache(maxsize=1024)
def _registered_keys(jwks_json: str) -> KeySet:
    # Parsed once per distinct set: a client's registration changes rarely.
    try:
        return KeySet.import_key_set(json.loads(jwks_json))
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise KeysUnavailable("the client's registered keys cannot be read") from error


@dataclass
class _Fetched:
    keys: KeySet | None  # None: the last fetch failed, for this reason
    fetched_at: float  # seconds on Passport's clock (server/clock.py)
    failure: str = ""


class _FetchedKeys:
    """(client_id, jwks_uri) -> the keys last fetched from there, in this process. A fetch
    that failed is remembered too, so it is not tried again before the interval either."""

    def __init__(self):
        self._entries: dict[tuple[str, str], _Fetched] = {}
        self._lock = threading.Lock()

    def keys(self, client_id: str, uri: str, kid: str | None) -> KeySet:
        config = current_app.config
        moment = now().timestamp()
        entry = self._entries.get((client_id, uri))
        if entry is not None and self._serves(entry, kid, moment):
            return self._answer(entry)
        with self._lock:
            latest = self._entries.get((client_id, uri))
            if latest is not entry and latest is not None:
                return self._answer(latest)  # another thread fetched them meanwhile
            try:
                fetched = _Fetched(_fetch(uri), moment)
            except KeysUnavailable as error:
                fetched = _Fetched(None, moment, str(error))
            if len(self._entries) >= config["CLIENT_JWKS_CACHE_SIZE"]:
                self._entries.pop(next(iter(self._entries)))  # the oldest one
            self._entries[(client_id, uri)] = fetched
            return self._answer(fetched)

    @staticmethod
    def _serves(entry: _Fetched, kid: str | None, moment: float) -> bool:
        config = current_app.config
        age = moment - entry.fetched_at
        if age >= config["CLIENT_JWKS_CACHE_TTL"]:
            return False
        if age < config["CLIENT_JWKS_REFETCH_INTERVAL"]:
            return True  # fetched a moment ago: whatever is missing stays missing
        if entry.keys is None:
            return False
        return kid is None or any(key.kid == kid for key in entry.keys)

    @staticmethod
    def _answer(entry: _Fetched) -> KeySet:
        if entry.keys is None:
            raise KeysUnavailable(entry.failure)
        return entry.keys


def _fetch(uri: str) -> KeySet:
    try:
        document = fetch_json(uri)
        return KeySet.import_key_set(check_jwks(document, field="jwks_uri"))
    except (OutboundRefused, OutboundUnavailable) as error:
        raise KeysUnavailable(str(error)) from error
    except (InvalidClientMetadata, JoseError, ValueError, TypeError, KeyError) as error:
        raise KeysUnavailable("the client's jwks_uri does not serve a JWK Set") from error


def _fetched() -> _FetchedKeys:
    return current_app.extensions.setdefault("passport.client_keys", _FetchedKeys())
