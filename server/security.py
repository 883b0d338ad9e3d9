"""Small helpers for random values and their hashes (invariant 8: never stored in the clear)."""

import hashlib
import secrets


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random value with `nbytes` bytes of entropy."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
