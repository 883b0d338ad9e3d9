"""The Passport page's overview: how safe the account is at a glance, and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..clock import now
from ..domain import audit, factors
from ..models import Account

# What counts as the password's last change, and what as unusual.
PASSWORD_SET = ("password_changed", "password_created", "password_recovered")
UNUSUAL = ("login_failed", "second_factor_failed")
UNUSUAL_WINDOW = timedelta(days=30)
# A password older than this is worth changing (a suggestion, never a demand: NIST SP
# 800-63B §5.1.1.2 advises against forced periodic changes).
OLD_PASSWORD = timedelta(days=365)


@dataclass
class Overview:
    password_set_at: datetime | None  # None: no password (a social network's account)
    has_password: bool
    two_factor: bool
    email: str | None
    email_confirmed: bool
    phone: str | None
    phone_confirmed: bool
    unusual_events: int  # failed sign-ins and wrong second factors, in the window
    to_do: list[str] = field(default_factory=list)  # the checks not passed, by name

    @property
    def safe(self) -> bool:
        return not self.to_do


def account_overview(account: Account) -> Overview:
    has_password = account.password_hash is not None
    set_at = None
    if has_password:
        set_at = audit.last_time(account, PASSWORD_SET) or account.created_at
    overview = Overview(
        password_set_at=set_at,
        has_password=has_password,
        two_factor=factors.is_enabled(account),
        email=account.email,
        email_confirmed=bool(account.email and account.email_verified),
        phone=account.phone,
        phone_confirmed=bool(account.phone and account.phone_verified),
        unusual_events=audit.count_since(account, UNUSUAL, now() - UNUSUAL_WINDOW),
    )
    if not overview.two_factor:
        overview.to_do.append("two_factor")
    if has_password and now() - set_at > OLD_PASSWORD:
        overview.to_do.append("old_password")
    if account.email and not account.email_verified:
        overview.to_do.append("confirm_email")
    if overview.unusual_events:
        overview.to_do.append("unusual_activity")
    return overview
