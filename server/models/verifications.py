"""Pending confirmations: a new login waiting for its link or code, a password recovery."""

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
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # "login_change" or "recovery"
    purpose: Mapped[str] = mapped_column(String(20))
    # "email" or "phone": where the secret was sent
    kind: Mapped[str] = mapped_column(String(10))
    # The address or number the secret went to (the new login, for a login change).
    target: Mapped[str] = mapped_column(String(320))
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

    account: Mapped[Account] = relationship()

    def is_open(self, moment: datetime) -> bool:
        return self.used_at is None and self.cancelled_at is None and self.expires_at > moment
