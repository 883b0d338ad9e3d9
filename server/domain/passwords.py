"""Password hashing with argon2id (the only slow hash in Passport)."""

from __future__ import annotations

import contextlib
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from .errors import InvalidIdentifier, WeakPassword
from .identifiers import parse_login

MIN_LENGTH = 8
MAX_LENGTH = 256


def _hasher() -> PasswordHasher:
    app = current_app._get_current_object()
    hasher = app.extensions.get("passport.hasher")
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
        )
        app.extensions["passport.hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so a missing account is not told by timing.
        verify_dummy(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def verify_dummy(password: str) -> None:
    app = current_app._get_current_object()
    dummy = app.extensions.get("passport.dummy_hash")
    if dummy is None:
        dummy = app.extensions["passport.dummy_hash"] = hash_password("not a real password")
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher().verify(dummy, password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt").read_text(
        "utf-8"
    )
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_password_policy(password: str, *, logins: tuple[str | None, ...] = ()) -> None:
    """NIST SP 800-63B §5.1.1.2: length 8…256, any characters, not a common password, not a login."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("too_short")
    if len(password) > MAX_LENGTH:
        raise WeakPassword("too_long")
    if password.lower() in common_passwords():
        raise WeakPassword("common")
    if any(login and _is_login(password, login) for login in logins):
        raise WeakPassword("equals_login")


def _is_login(password: str, login: str) -> bool:
    """The login as typed, or in another notation of it (89123456789 for +79123456789)."""
    if password.strip().lower() == login.strip().lower():
        return True
    try:
        return parse_login(password)[1] == login
    except InvalidIdentifier:
        return False
