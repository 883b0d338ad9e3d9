"""Queueing deliveries in the outbox, inside the caller's transaction (invariant 7)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ..clock import now
from ..extensions import db
from ..models import OutboxMessage
from ..security import random_token


def enqueue(kind: str, target: str, payload: dict) -> OutboxMessage:
    """Add a delivery to the current transaction; it is sent only if the transaction commits."""
    moment = now()
    message = OutboxMessage(
        kind=kind,
        target=target,
        payload=payload,
        jti=random_token(18),
        status="pending",
        attempts=0,
        created_at=moment,
        next_attempt_at=moment,
        give_up_at=moment + timedelta(seconds=current_app.config["DELIVERY_GIVE_UP_AFTER"]),
    )
    db.session.add(message)
    return message
