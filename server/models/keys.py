"""Signing keys, shared by every node: the private key sealed with KEY_ENCRYPTION_KEY."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class SigningKeyRecord(db.Model):
    __tablename__ = "signing_keys"

    # The key's RFC 7638 thumbprint, its `kid` in the JWKS and in tokens' headers.
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activate_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The private key's PEM, sealed (Fernet) with the configured KEY_ENCRYPTION_KEY.
    private_key_sealed: Mapped[str] = mapped_column(Text)
