"""What operators do for people: find an account, see it whole, act on it.

The operators' console (/admin) and `passport users …` call these same functions. Every
action names who acted (an operator's account, or "cli" for the command line) and why; both
go into the audit event on the person's account. The person is told where they should
know: a lock, an unlock, sessions ended, two-factor authentication reset, the deletion.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from ..clock import now
from ..context import RequestContext
from ..domain import audit, factors, login_sessions, notifications, outbox, security_events
from ..domain.errors import (
    AccountLocked,
    InvalidIdentifier,
    NotOnYourself,
    OperatorsOnlyConsole,
    ReasonRequired,
)
from ..domain.identifiers import normalise_email, normalise_phone
from ..extensions import db
from ..models import (
    Account,
    AuditEvent,
    Client,
    LoginSession,
    OutboxMessage,
    UpstreamIdentity,
)
from . import login_change, my_data, recovery
from .accounts import find_by_login
from .portals import LinkedPortal, linked_portals

REASON_MAX = 500
PAGE = 50
OUTBOX_STATES = ("pending", "failed", "delivered")
ROLES = {"developer": "is_developer", "operator": "is_operator"}


@dataclass(frozen=True)
class Actor:
    """Who acts: an operator signed in to the console, or the command line."""

    account: Account | None = None
    context: RequestContext = RequestContext()

    @property
    def name(self) -> str:
        return self.account.sub if self.account is not None else "cli"


def require_operator(account: Account | None) -> None:
    if account is None or not account.is_operator or account.locked_at is not None:
        raise OperatorsOnlyConsole()


# --- finding and seeing -----------------------------------------------------------------


def find_accounts(text: str, *, limit: int = 50) -> list[Account]:
    """Accounts whose e-mail, phone, name or subject matches `text`: the exact login or
    subject first, then e-mail addresses and names containing it. Deleted accounts are
    never found."""
    text = (text or "").strip()[:320]
    if not text:
        return []
    exact = [Account.sub == text]
    for normalise, column in ((normalise_email, Account.email), (normalise_phone, Account.phone)):
        with contextlib.suppress(InvalidIdentifier):
            exact.append(column == normalise(text))
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    query = (
        select(Account)
        .where(
            Account.deleted_at.is_(None),
            or_(
                *exact,
                Account.email.like(pattern, escape="\\"),
                func.lower(Account.name).like(pattern, escape="\\"),
            ),
        )
        .order_by(Account.created_at.desc())
        .limit(limit)
    )
    found = list(db.session.execute(query).scalars())
    first = {a.id for a in found if a.sub == text or a.email == text.lower()}
    return sorted(found, key=lambda a: a.id not in first)


def account_by_sub(sub: str) -> Account | None:
    if not sub or len(sub) > 64:
        return None
    return db.session.execute(
        select(Account).where(Account.sub == sub, Account.deleted_at.is_(None))
    ).scalar_one_or_none()


@dataclass
class AccountFile:
    """An account as the help desk sees it."""

    account: Account
    two_factor: bool
    networks: list[UpstreamIdentity]
    sessions: list[LoginSession]
    portals: list[LinkedPortal]
    clients: list[Client]
    events: list[AuditEvent]


def account_file(account: Account, *, events: int = 50) -> AccountFile:
    return AccountFile(
        account=account,
        two_factor=factors.is_enabled(account),
        networks=list(
            db.session.execute(
                select(UpstreamIdentity)
                .where(UpstreamIdentity.account_id == account.id)
                .order_by(UpstreamIdentity.provider)
            ).scalars()
        ),
        sessions=login_sessions.active_sessions(account),
        portals=linked_portals(account),
        clients=list(
            db.session.execute(
                select(Client).where(Client.owner_id == account.id).order_by(Client.created_at)
            ).scalars()
        ),
        events=list(
            db.session.execute(
                select(AuditEvent)
                .where(AuditEvent.account_id == account.id)
                .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                .limit(events)
            ).scalars()
        ),
    )


# --- acting -----------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReasonRequired()
    return reason[:REASON_MAX]


def _not_yourself(account: Account, actor: Actor) -> None:
    if actor.account is not None and actor.account.id == account.id:
        raise NotOnYourself()


def _record(kind: str, account: Account, actor: Actor, reason: str, **details) -> None:
    audit.record(
        kind,
        account_id=account.id,
        ip_address=actor.context.ip_address,
        user_agent=actor.context.user_agent,
        operator=actor.name,
        reason=reason,
        **details,
    )


def _end_everything(account: Account, actor: Actor, reason: str) -> int:
    """Invariant 2 without a new credential: the epoch goes up (access tokens die), every
    session ends and every grant is revoked. The row is held till the commit."""
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(credential_epoch=Account.credential_epoch + 1, updated_at=now())
    )
    db.session.refresh(account)
    ended = login_sessions.end_all(account, keep=None, reason=reason, context=actor.context)
    return len(ended)


def lock(account: Account, reason: str | None, actor: Actor) -> bool:
    """Lock the account: it cannot sign in; its sessions end and its tokens die; portals
    hear RISC account-disabled; the person is told. False if it was locked already."""
    reason = _reason(reason)
    _not_yourself(account, actor)
    if account.locked_at is not None:
        return False
    ended = _end_everything(account, actor, "account_locked")
    account.locked_at = now()
    security_events.queue_account_state(account, security_events.ACCOUNT_DISABLED)
    notifications.notify(account, "passport_locked")
    _record("account_locked", account, actor, reason, sessions_ended=ended)
    db.session.commit()
    return True


def unlock(account: Account, reason: str | None, actor: Actor) -> bool:
    """Let the account sign in again; portals hear RISC account-enabled; the person is
    told. False if it was not locked."""
    reason = _reason(reason)
    if account.locked_at is None:
        return False
    account.locked_at = None
    account.updated_at = now()
    security_events.queue_account_state(account, security_events.ACCOUNT_ENABLED)
    notifications.notify(account, "passport_unlocked")
    _record("account_unlocked", account, actor, reason)
    db.session.commit()
    return True


def end_sessions(account: Account, reason: str | None, actor: Actor) -> int:
    """End every session of the account and revoke its tokens; returns how many ended."""
    reason = _reason(reason)
    ended = _end_everything(account, actor, "sessions_ended_by_operator")
    notifications.notify(account, "sessions_ended")
    _record("sessions_ended_by_operator", account, actor, reason, sessions_ended=ended)
    db.session.commit()
    return ended


def reset_two_factor(account: Account, reason: str | None, actor: Actor) -> bool:
    """Turn two-factor authentication off for a person who lost the authenticator (the help
    desk verified who asks): a credential change. False if it was off."""
    reason = _reason(reason)
    if not factors.is_enabled(account):
        return False
    factors.remove(account)
    ended = _end_everything(account, actor, "2fa_reset")
    security_events.queue_credential_change(account, credential_type="app", change_type="delete")
    notifications.notify(account, "two_factor_disabled")
    _record("2fa_reset", account, actor, reason, sessions_ended=ended)
    db.session.commit()
    return True


def send_recovery(
    account: Account, reason: str | None, actor: Actor, *, link: Callable[[str], str]
) -> str:
    """Send the person a password recovery link (or code) at their login; returns where."""
    reason = _reason(reason)
    if account.locked_at is not None:
        raise AccountLocked()  # unlock first: a locked account recovers nothing
    login = account.email or account.phone
    if login is None:
        raise InvalidIdentifier("login")
    recovery.request_recovery(login, link=link, context=actor.context)
    _record("recovery_sent_by_operator", account, actor, reason)
    db.session.commit()
    return login


def change_login(
    account: Account,
    kind: str,
    value: str,
    reason: str | None,
    actor: Actor,
    *,
    link: Callable[[str], str],
) -> None:
    """Start a change of the login on the person's behalf: the new e-mail or phone gets its
    confirmation, and it becomes the login only once the person confirms it."""
    reason = _reason(reason)
    if kind not in ("email", "phone"):
        raise InvalidIdentifier(kind)
    login_change.start_login_change(
        account,
        kind,
        value,
        propagate=True,
        link=link,
        context=actor.context,
        operator=actor.name,
        reason=reason,
    )


def set_role(account: Account, role: str, granted: bool, reason: str | None, actor: Actor) -> bool:
    """Give or take the developer or operator role; False if nothing changed."""
    reason = _reason(reason)
    if role == "operator" and not granted:
        _not_yourself(account, actor)
    attribute = ROLES[role]
    if getattr(account, attribute) == granted:
        return False
    setattr(account, attribute, granted)
    _record("role_granted" if granted else "role_revoked", account, actor, reason, role=role)
    db.session.commit()
    return True


def delete(account: Account, reason: str | None, actor: Actor) -> None:
    """Delete the Passport as the person could (my_data.purge): everything ends, the person
    is erased; the one audit event left names the operator and the reason."""
    reason = _reason(reason)
    _not_yourself(account, actor)
    my_data.purge(account, context=actor.context, operator=actor.name, reason=reason)


# --- the whole server -------------------------------------------------------------------


@dataclass
class Page:
    """One page of a long list, newest first; `more` when an older page exists."""

    rows: list
    number: int
    more: bool


def _page(query, number: int) -> Page:
    number = max(1, min(number, 10_000))
    rows = list(db.session.execute(query.offset((number - 1) * PAGE).limit(PAGE + 1)).scalars())
    return Page(rows[:PAGE], number, len(rows) > PAGE)


def audit_log(*, kind: str | None = None, who: str | None = None, page: int = 1) -> Page:
    """The audit log of the whole server, newest first: of one kind of event (audit.KINDS),
    of one account (its login or subject), or all."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if kind in audit.KINDS:
        query = query.where(AuditEvent.kind == kind)
    if who:
        account = account_by_sub(who) or find_by_login(who)
        query = query.where(AuditEvent.account_id == (account.id if account else -1))
    return _page(query, page)


def deliveries(status: str = "failed", *, page: int = 1) -> Page:
    """The outbox: deliveries pending, failed or delivered, newest first."""
    if status not in OUTBOX_STATES:
        status = "failed"
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    return _page(query, page)


def retry_delivery(message_id: int, actor: Actor) -> bool:
    """Try a failed delivery again from now; False if there is no such failed delivery."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or not outbox.retry(message):
        return False
    audit.record(
        "delivery_retried",
        account_id=actor.account.id if actor.account else None,
        ip_address=actor.context.ip_address,
        user_agent=actor.context.user_agent,
        operator=actor.name,
        message=message.id,
        delivery=message.kind,
    )
    db.session.commit()
    return True
