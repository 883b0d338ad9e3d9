"""Queueing deliveries in the outbox, inside the caller's transaction (invariant 7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from ..clock import now
from ..extensions import db
from ..models import OutboxMessage
from ..security import random_token

# How a message is getting to its person, as a page tells it.
SENDING = "sending"  # queued, not tried yet or being tried
DELAYED = "delayed"  # tried and failed, tried again after a back-off
SENT = "sent"  # handed to the mail server or the SMS gateway
FAILED = "failed"  # given up: refused for good, or still failing at its give-up time


def enqueue(
    kind: str, target: str, payload: dict, *, give_up_at: datetime | None = None
) -> OutboxMessage:
    """Add a delivery to the current transaction; it is sent only if the transaction commits.
    It is retried until DELIVERY_GIVE_UP_AFTER has passed, or until `give_up_at` if sooner."""
    moment = now()
    latest = moment + timedelta(seconds=current_app.config["DELIVERY_GIVE_UP_AFTER"])
    message = OutboxMessage(
        kind=kind,
        target=target,
        payload=payload,
        jti=random_token(18),
        status="pending",
        attempts=0,
        created_at=moment,
        next_attempt_at=moment,
        give_up_at=min(latest, give_up_at) if give_up_at else latest,
    )
    db.session.add(message)
    return message


def retry(message: OutboxMessage) -> bool:
    """Give a failed delivery another round of attempts from now (an operator's retry);
    False for a message that is not failed. No commit."""
    if message.status != "failed":
        return False
    moment = now()
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = moment
    message.give_up_at = moment + timedelta(seconds=current_app.config["DELIVERY_GIVE_UP_AFTER"])
    message.locked_by = message.locked_until = None
    return True


def delivery_state(message: OutboxMessage | None) -> str | None:
    """SENDING, DELAYED, SENT or FAILED; None without a message (retention deleted it)."""
    if message is None:
        return None
    if message.status == "delivered":
        return SENT
    if message.status == "failed":
        return FAILED
    return DELAYED if message.last_error else SENDING
