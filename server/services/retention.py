"""Retention: the rows nobody can use any more, and deleting them in small batches.

What each rule deletes, and why it may (the windows are settings, see config/defaults.toml):

- authorization codes, RETENTION_GRACE past their expiry, used or not. A used code is what
  detects a replay (RFC 6749 §4.1.2: a second redemption revokes what the first issued);
  once expired, a replay is refused as expired anyway, and the grace keeps the detection
  that much longer. A used code's grant outlives it (below), so a replay that still finds
  the code always finds the grant to revoke.
- refresh tokens of a grant revoked more than RETENTION_GRACE ago: the whole family is dead.
- refresh tokens of a family whose every token expired more than RETENTION_GRACE ago. A
  rotated token of a live family stays even when it has expired itself: presenting it
  again is what revokes the family (invariant 6, RFC 9700 §4.14.2).
- grants with no refresh token left, created more than ACCESS_TOKEN_LIFETIME +
  RETENTION_GRACE ago, whose login session is no longer live. Access tokens name their
  grant (`gid`) and userinfo and introspection look it up, so a grant goes only once every
  access token it issued is dead; and the back-channel logout sent when a session ends
  finds the portals through the grants opened in it, so those stay while it lives.
- login sessions SESSION_RETENTION_DAYS after they ended or expired. Grants and codes
  name a session by id without a foreign key; both treat a missing session as ended.
  Sign-in remembers a browser as a known device by its old sessions for that long.
- verifications and trusted devices RETENTION_GRACE past their expiry (used, cancelled
  and revoked ones too: their lifetimes are short, so they wait for it). A sign-up nobody
  confirmed is a verification without an account, so it goes the same way, with the
  password hash it held.
- outbox messages delivered or given up, OUTBOX_RETENTION_DAYS after their last attempt
  was due; a pending message is never deleted (invariant 7).
- audit events older than AUDIT_RETENTION_DAYS (0 keeps them forever).
- pushed authorization requests RETENTION_GRACE past their expiry, answered or not: an
  expired request_uri is refused as expired anyway.
- the jti of client assertions (private_key_jwt, client_secret_jwt) once the assertion has
  expired, leeway included: presented again it is refused as expired (RFC 7523 §3).

Each batch is one DELETE of at most `batch` rows by primary key, committed at once, so a
prune never holds locks for long. On PostgreSQL the rows are picked with FOR UPDATE SKIP
LOCKED: a row that a token request, or another worker's prune, holds is left for the next
pass instead of waited for. Two workers pruning at once delete different rows, or a row
once; the rules only ever match rows that can no longer change back to alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import aliased

from ..clock import now
from ..extensions import db
from ..models import (
    AuditEvent,
    AuthorizationCode,
    DeviceAuthorization,
    Grant,
    LoginSession,
    OutboxMessage,
    PushedRequest,
    RefreshToken,
    TrustedDevice,
    UsedAssertion,
    Verification,
)

FINISHED = ("delivered", "failed")


@dataclass(frozen=True)
class Rule:
    """Rows of `model` matching `condition` may be deleted; `name` labels the count."""

    name: str
    model: type
    condition: ColumnElement[bool]


def rules(moment: datetime) -> list[Rule]:
    """The rules at `moment`, in the order they run: tokens before the grants they empty."""
    config = current_app.config
    dead_before = moment - timedelta(seconds=config["RETENTION_GRACE"])
    unused_grant_before = dead_before - timedelta(seconds=config["ACCESS_TOKEN_LIFETIME"])
    session_before = moment - timedelta(days=config["SESSION_RETENTION_DAYS"])
    outbox_before = moment - timedelta(days=config["OUTBOX_RETENTION_DAYS"])
    found = [
        Rule("authorization_codes", AuthorizationCode, AuthorizationCode.expires_at < dead_before),
        Rule(
            "refresh_tokens_of_revoked_grants",
            RefreshToken,
            RefreshToken.grant_id.in_(select(Grant.id).where(Grant.revoked_at < dead_before)),
        ),
        Rule(
            "refresh_tokens_of_expired_families",
            RefreshToken,
            and_(RefreshToken.expires_at < dead_before, ~_family_has_a_token_after(dead_before)),
        ),
        Rule(
            "grants",
            Grant,
            and_(
                Grant.created_at < unused_grant_before,
                ~exists().where(RefreshToken.grant_id == Grant.id),
                ~_session_is_live(moment),
            ),
        ),
        Rule(
            "login_sessions",
            LoginSession,
            or_(LoginSession.ended_at < session_before, LoginSession.expires_at < session_before),
        ),
        Rule("verifications", Verification, Verification.expires_at < dead_before),
        Rule("trusted_devices", TrustedDevice, TrustedDevice.expires_at < dead_before),
        Rule("pushed_requests", PushedRequest, PushedRequest.expires_at < dead_before),
        Rule(
            "device_authorizations",
            DeviceAuthorization,
            DeviceAuthorization.expires_at < dead_before,
        ),
        Rule(
            "outbox_messages",
            OutboxMessage,
            and_(OutboxMessage.status.in_(FINISHED), OutboxMessage.next_attempt_at < outbox_before),
        ),
    ]
    found.append(Rule("used_client_assertions", UsedAssertion, UsedAssertion.expires_at < moment))
    if config["AUDIT_RETENTION_DAYS"] > 0:
        audit_before = moment - timedelta(days=config["AUDIT_RETENTION_DAYS"])
        found.append(Rule("audit_events", AuditEvent, AuditEvent.created_at < audit_before))
    return found


def _family_has_a_token_after(moment: datetime) -> ColumnElement[bool]:
    sibling = aliased(RefreshToken)
    return exists().where(sibling.grant_id == RefreshToken.grant_id, sibling.expires_at >= moment)


def _session_is_live(moment: datetime) -> ColumnElement[bool]:
    # The absolute lifetime only: a session past its idle timeout counts as live here,
    # which keeps its grants a little longer, never shorter.
    return exists().where(
        LoginSession.id == Grant.session_id,
        LoginSession.ended_at.is_(None),
        LoginSession.expires_at > moment,
    )


def prune(
    moment: datetime | None = None, *, batch: int | None = None, max_batches: int | None = None
) -> dict[str, int]:
    """Delete what the rules allow at `moment` (default: now), `batch` rows per statement and
    transaction. With `max_batches`, each rule stops after that many statements (the worker
    works a backlog off over several passes); without it, each runs until nothing is left.
    Returns how many rows each rule deleted."""
    moment = moment or now()
    batch = batch or current_app.config["RETENTION_BATCH"]
    return {rule.name: _delete_in_batches(rule, batch, max_batches) for rule in rules(moment)}


def _delete_in_batches(rule: Rule, batch: int, max_batches: int | None) -> int:
    key = rule.model.__mapper__.primary_key[0]
    picked = select(key).where(rule.condition).limit(batch)
    if db.engine.dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    statement = (
        delete(rule.model).where(key.in_(picked)).execution_options(synchronize_session=False)
    )
    deleted = rounds = 0
    while max_batches is None or rounds < max_batches:
        count = db.session.execute(statement).rowcount
        db.session.commit()
        deleted += count
        rounds += 1
        if count < batch:
            break
    return deleted
