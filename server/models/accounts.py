"""The account aggregate: a person's Passport."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db
from .types import UTCDateTime


class Account(db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        # At most one demo account (migration 0014).
        Index(
            "ix_accounts_demo",
            "is_demo",
            unique=True,
            sqlite_where=text("is_demo"),
            postgresql_where=text("is_demo"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public subject identifier: random, never the row id.
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    # Login identifiers, normalised (see services/identifiers.py); unique by constraint.
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_verified: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    phone_verified: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    # An IANA time zone name ("Europe/Moscow"): the pages' times, and the zoneinfo claim.
    zoneinfo: Mapped[str | None] = mapped_column(String(64))
    # The random name the profile photo is served under (the picture claim); a new photo
    # gets a new one, so a photo's address never shows another picture.
    photo_id: Mapped[str | None] = mapped_column(String(32))
    # The postal address the person gave (OIDC Core §5.1.1: formatted, street_address,
    # locality, region, postal_code, country), released for the address scope.
    address: Mapped[dict | None] = mapped_column(JSON)
    # Goes up on every credential change; tokens carry the value they were issued under.
    credential_epoch: Mapped[int] = mapped_column(default=0)
    is_developer: Mapped[bool] = mapped_column(default=False)
    # Operators manage every client and may mark one first-party.
    is_operator: Mapped[bool] = mapped_column(default=False)
    # The account `passport demo` seeded: it is found by this mark, since the person trying
    # Passport may change its e-mail and phone like any other.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # The person deleted the Passport: the row stays, emptied (domain/erasure.py), so that
    # the audit keeps its events and the `sub` is never given to anybody else.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An operator locked the account: it cannot sign in until an operator unlocks it.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def login(self) -> str:
        return self.email or self.phone or self.sub

    def __repr__(self) -> str:
        return f"<Account {self.id}>"


class AccountPhoto(db.Model):
    """The bytes of a person's profile photo, as Passport re-encoded them: a square JPEG.
    Kept apart from the account, so that reading an account never loads them."""

    __tablename__ = "account_photos"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    media_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
