"""Upstream identities: the social-network accounts linked to a Passport."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from .accounts import Account
from .types import UTCDateTime


class UpstreamIdentity(db.Model):
    """One account at an upstream provider, keyed by (provider, subject) — never by e-mail.

    The database enforces that an upstream account opens one Passport only, and that a
    Passport links one account of each provider (changing it = unlink, then link anew).
    """

    __tablename__ = "upstream_identities"
    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_upstream_identities_provider_subject"),
        UniqueConstraint("account_id", "provider", name="uq_upstream_identities_account_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The provider's name in UPSTREAM_PROVIDERS and its stable subject identifier.
    provider: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    # What the provider said at the last sign-in, to show which account is linked.
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()

    def __repr__(self) -> str:
        return f"<UpstreamIdentity {self.provider} {self.id}>"
