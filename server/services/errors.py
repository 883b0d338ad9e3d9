"""Domain errors raised by services; views turn them into translated messages."""

from __future__ import annotations


class PassportError(Exception):
    """Base of every domain error."""


class InvalidIdentifier(PassportError):
    """The text is neither a valid e-mail address nor a valid phone number."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(detail or kind)
        self.kind = kind


class IdentifierTaken(PassportError):
    """Another account already holds this e-mail address or phone number."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class InvalidCredentials(PassportError):
    """Unknown login or wrong password: the two are never told apart."""


class WeakPassword(PassportError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidClientMetadata(PassportError):
    """Client metadata that cannot be registered; the message says why."""
