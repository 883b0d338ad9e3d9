"""Pending confirmations: a new login waiting for its link or code, a password recovery, a
sign-up waiting for its login to be confirmed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from .accounts import Account
from .types import UTCDateTime


class Verification(db.Model):
    """A single-use link or code. Only a keyed hash of the secret is stored (invariant 8)."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty for a sign-up: its account is made only when the login is confirmed.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # "login_change", "recovery" or "signup"
    purpose: Mapped[str] = mapped_column(String(20))
    # "email" or "phone": where the secret was sent
    kind: Mapped[str] = mapped_column(String(10))
    # The address or number the secret went to (the new login, for a login change and a
    # sign-up); sign-in looks a sign-up up by it.
    target: Mapped[str] = mapped_column(String(320), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Tell linked portals about the new login (the "update in all portals" box).
    propagate: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    sends: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A sign-up's claim: what its account is made of once the login is confirmed. Only the
    # argon2 hash of the password is kept, as on an account (invariant 8); `next_url` is
    # the path on this server the person goes on to (a portal's authorization request).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    next_url: Mapped[str | None] = mapped_column(String(2000))
    # The outbox message carrying the latest link or code (no foreign key: retention deletes
    # finished messages on its own schedule, and a missing one has nothing left to tell).
    message_id: Mapped[int | None] = mapped_column()

    account: Mapped[Account | None] = relationship()

    def is_open(self, moment: datetime) -> bool:
        return self.used_at is None and self.cancelled_at is None and self.expires_at > moment
