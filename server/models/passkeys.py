"""Passkeys (WebAuthn): the credentials a person's devices hold, and the challenges of the
ceremonies that add and use them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db
from .types import UTCDateTime


class Passkey(db.Model):
    """A public-key credential registered for an account (WebAuthn Level 3 §6.1, §7.1).

    `credential_id` is the authenticator's handle (base64url); `public_key` the COSE key it
    signs with; `sign_count` the last signature counter seen (0 for authenticators that
    keep none). `device_type` is "multi_device" for a synced passkey, "single_device" for
    one bound to its device; `backed_up` whether it is backed up now.
    """

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[list | None] = mapped_column(JSON)
    aaguid: Mapped[str | None] = mapped_column(String(36))
    device_type: Mapped[str] = mapped_column(String(20))
    backed_up: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser for one ceremony (`purpose` "register" or
    "authenticate"), kept as its SHA-256 until it is answered (once) or expires. A
    registration's challenge belongs to its account; a sign-in's to the browser that asked
    (its `browser` key, kept in that browser's session)."""

    __tablename__ = "passkey_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    browser: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
