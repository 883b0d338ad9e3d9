"""Login sessions: one row per signed-in browser; its id is the OIDC `sid`."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from .accounts import Account
from .types import UTCDateTime


class LoginSession(UserMixin, db.Model):
    """Flask-Login's user object is the session; the person is `.account`."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str | None] = mapped_column(String(100))
    # The social network signed in through, when amr has "fed".
    upstream_provider: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Both indexed for retention, which deletes sessions some time after either.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    account: Mapped[Account] = relationship(lazy="joined")

    def get_id(self) -> str:
        return self.id

    def is_active_at(self, moment: datetime, idle_timeout: timedelta | None = None) -> bool:
        return session_is_active(
            self.ended_at, self.expires_at, self.remember, self.last_seen_at, moment, idle_timeout
        )


def session_is_active(
    ended_at: datetime | None,
    expires_at: datetime,
    remember: bool,
    last_seen_at: datetime,
    moment: datetime,
    idle_timeout: timedelta | None = None,
) -> bool:
    """Not ended, not past its absolute lifetime, and (unless remembered) not idle too long.
    Takes the columns, so the token paths can decide from a joined row without the entity."""
    if ended_at is not None or expires_at <= moment:
        return False
    if idle_timeout is not None and not remember:
        return last_seen_at + idle_timeout >= moment
    return True
