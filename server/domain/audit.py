"""Writing audit events; always inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from .. import metrics
from ..extensions import db
from ..models import AuditEvent

# Every kind of event Passport records, in the groups the activity page filters by. The
# activity page has words for each, in every language (web/words.py); `record` takes no
# other, so a new kind is added here first.
GROUPS: dict[str, frozenset[str]] = {
    # signing up, in and out, and a wrong second factor on the way
    "sign-ins": frozenset(
        {
            "signup_requested",
            "account_created",
            "login",
            "login_failed",
            "logout",
            "logout_everywhere",
            "second_factor_failed",
        }
    ),
    # credentials (the reasons of domain.credentials.credential_changed among them) and
    # what the person tells portals
    "security": frozenset(
        {
            "password_changed",
            "password_created",
            "recovery_requested",
            "password_recovered",
            "login_change_requested",
            "login_changed",
            "2fa_enabled",
            "2fa_disabled",
            "2fa_reset",
            "recovery_codes_regenerated",
            "social_linked",
            "social_unlinked",
            "passkey_added",
            "passkey_removed",
            "address_changed",
            "name_changed",
            "photo_changed",
            "photo_removed",
            "data_downloaded",
            "account_deleted",
        }
    ),
    "portals": frozenset(
        {"consent_granted", "portal_revoked", "grant_revoked", "device_approved", "device_denied"}
    ),
    # what an operator did to the account (the reason and the operator in the details)
    "operators": frozenset(
        {
            "account_locked",
            "account_unlocked",
            "sessions_ended_by_operator",
            "recovery_sent_by_operator",
            "role_granted",
            "role_revoked",
            "delivery_retried",
        }
    ),
    # the developer console
    "developers": frozenset(
        {
            "client_created",
            "client_updated",
            "client_secret_rotated",
            "client_disabled",
            "client_enabled",
            "client_deleted",
        }
    ),
}
KINDS = frozenset().union(*GROUPS.values())


def record(
    kind: str,
    *,
    account_id: int | None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    **details,
) -> AuditEvent:
    """Add an event of `kind` (one of KINDS; another is a ValueError) to the caller's
    transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}: add it to audit.KINDS")
    event = AuditEvent(
        kind=kind,
        account_id=account_id,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:512] or None,
        details=details,
    )
    db.session.add(event)
    metrics.audited(kind, details)
    return event


# A revoked grant is listed for the person only when its revocation is the news: a reused
# code or refresh token. Otherwise the change that revoked it has its own row already.
REVOCATIONS_LISTED = ("code_reused", "refresh_token_reused")


def recent_events(
    account, limit: int = 100, *, offset: int = 0, group: str | None = None
) -> list[AuditEvent]:
    """The account's activity, newest first, as the person sees it: `limit` events after
    the first `offset`, of one of GROUPS if `group` names one."""
    query = select(AuditEvent).where(
        AuditEvent.account_id == account.id,
        or_(
            AuditEvent.kind != "grant_revoked",
            AuditEvent.details["reason"].as_string().in_(REVOCATIONS_LISTED),
        ),
    )
    if group in GROUPS:
        query = query.where(AuditEvent.kind.in_(sorted(GROUPS[group])))
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return list(db.session.execute(query.offset(offset).limit(limit)).scalars())


def last_time(account, kinds: tuple[str, ...]):
    """When the account last recorded an event of one of `kinds`; None if never."""
    return db.session.execute(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.account_id == account.id, AuditEvent.kind.in_(kinds)
        )
    ).scalar()


def count_since(account, kinds: tuple[str, ...], since) -> int:
    """How many events of `kinds` the account recorded since `since`."""
    return db.session.execute(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.account_id == account.id,
            AuditEvent.kind.in_(kinds),
            AuditEvent.created_at >= since,
        )
    ).scalar_one()
