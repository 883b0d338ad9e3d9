"""The outbox worker: claims due messages, delivers them, retries with back-off.

Several workers may run at once. A message is claimed by a lease (locked_by, locked_until)
set in a short transaction — on PostgreSQL the candidate rows are read with
`FOR UPDATE SKIP LOCKED`, and on every database the lease is taken by a conditional UPDATE,
so two workers never hold the same message. The network call happens outside any
transaction. Each attempt is counted, and the next one scheduled, before it is made: a
worker killed mid-delivery leaves its lease to expire, and the message is then delivered
again (at least once, with the same jti, so the receiver can tell it is a retry) no
sooner than the back-off says, and never beyond the give-up time.

Between deliveries the worker also prunes (services/retention.py) once per
RETENTION_INTERVAL, so rows do not grow without bound on any installation that runs one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from .. import metrics
from ..clock import now
from ..extensions import db
from ..models import OutboxMessage
from ..services import retention
from . import backchannel, events, mail, sms
from .errors import PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[OutboxMessage], None]] = {
    "backchannel_logout": backchannel.deliver,
    "mail": mail.deliver,
    "sms": sms.deliver,
    "security_event": events.deliver,
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def claim(worker: str, limit: int) -> list[int]:
    moment = now()
    lease = moment + timedelta(seconds=current_app.config["DELIVERY_LEASE"])
    free = or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < moment)
    candidates = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= moment, free)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = []
    for message_id in db.session.execute(candidates).scalars().all():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, free)
            .values(locked_by=worker, locked_until=lease)
        )
        if result.rowcount == 1:
            claimed.append(message_id)
    db.session.commit()
    return claimed


def renew_lease(message_id: int, worker: str) -> bool:
    """Take a fresh lease on a claimed message just before sending it, and count the attempt
    it is about to make; False if the lease was lost.

    The lease taken at claim time covers the whole batch, and one slow endpoint can outlast
    it; by then another worker may have taken (and even delivered) the rest of the batch.
    The attempt is counted now, with the next one scheduled as if this one failed: a worker
    killed while a portal hangs still spends an attempt and waits its back-off.
    """
    moment = now()
    attempts = db.session.execute(
        select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)
    ).scalar_one_or_none()
    if attempts is None:
        db.session.rollback()
        return False
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.locked_by == worker,
            OutboxMessage.status == "pending",
            OutboxMessage.attempts == attempts,
        )
        .values(
            locked_until=moment + timedelta(seconds=current_app.config["DELIVERY_LEASE"]),
            attempts=attempts + 1,
            next_attempt_at=moment + _back_off(attempts + 1),
        )
    )
    db.session.commit()
    return result.rowcount == 1


def _back_off(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling, capped."""
    config = current_app.config
    delay = config["DELIVERY_RETRY_BASE"] * 2 ** (attempts - 1)
    return timedelta(seconds=min(delay, config["DELIVERY_RETRY_MAX"]))


def deliver_one(message_id: int, worker: str) -> str | None:
    """Deliver a claimed message; returns its new status (None: another worker has it now)."""
    if not renew_lease(message_id, worker):
        return None
    message = db.session.get(OutboxMessage, message_id)
    kind = message.kind
    handler = HANDLERS.get(kind)
    db.session.expunge(message)  # a detached copy: nothing reloads it during the call
    db.session.commit()
    error = None
    permanent = handler is None
    if handler is None:
        error = f"no handler for {message.kind!r}"
    else:
        try:
            handler(message)
        except PermanentFailure as failure:
            error, permanent = str(failure), True
        except TemporaryFailure as failure:
            error = str(failure)
        except Exception as failure:  # a bug in a handler must not stop the worker
            log.exception("delivery %s failed unexpectedly", message_id)
            error = f"{type(failure).__name__}: {failure}"
    status = _record_outcome(message_id, worker, error, permanent)
    metrics.delivered(kind, status)
    return status


def _record_outcome(message_id: int, worker: str, error: str | None, permanent: bool) -> str:
    moment = now()
    message = db.session.get(OutboxMessage, message_id)
    # The attempt was counted and its retry scheduled when it began (renew_lease).
    values: dict = {"locked_by": None, "locked_until": None}
    finished = error is None or permanent or moment >= message.give_up_at
    if finished and "sealed" in (message.payload or {}):
        # A sent (or abandoned) message's link or code is of no use to anyone: drop it.
        values["payload"] = {k: v for k, v in message.payload.items() if k != "sealed"}
    if error is None:
        values.update(status="delivered", delivered_at=moment, last_error=None)
    elif permanent or moment >= message.give_up_at:
        values.update(status="failed", last_error=error[:2000])
    else:
        values.update(next_attempt_at=moment + _back_off(message.attempts), last_error=error[:2000])
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.locked_by == worker)
        .values(**values)
    )
    db.session.commit()
    return values.get("status", "pending")


def run_once(
    worker: str | None = None, limit: int = 20, stop: threading.Event | None = None
) -> int:
    """Deliver what is due now; returns how many messages were tried. Once `stop` is set,
    the delivery under way finishes and the claimed rest is released at once, for another
    worker, instead of waiting out its lease."""
    worker = worker or worker_name()
    ids = claim(worker, limit)
    for index, message_id in enumerate(ids):
        if stop is not None and stop.is_set():
            release(ids[index:], worker)
            return index
        deliver_one(message_id, worker)
    return len(ids)


def release(message_ids: list[int], worker: str) -> None:
    """Give back the leases of claimed messages this worker will not send."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.locked_by == worker)
        .values(locked_by=None, locked_until=None)
    )
    db.session.commit()


class PruneSchedule:
    """Retention once per RETENTION_INTERVAL of the server clock, in the worker's loop.

    Each worker keeps its own schedule: with several workers the table is pruned more
    often, which the batches' SKIP LOCKED makes harmless."""

    def __init__(self) -> None:
        self.next_at: datetime | None = None

    def run_if_due(self) -> dict[str, int] | None:
        """Prune if the interval has passed since the last time (or never ran); the counts."""
        config = current_app.config
        moment = now()
        if config["RETENTION_INTERVAL"] <= 0:
            return None
        if self.next_at is not None and moment < self.next_at:
            return None
        self.next_at = moment + timedelta(seconds=config["RETENTION_INTERVAL"])
        counts = retention.prune(
            moment, batch=config["RETENTION_BATCH"], max_batches=config["RETENTION_MAX_BATCHES"]
        )
        if any(counts.values()):
            log.info("retention: %s", ", ".join(f"{k}={v}" for k, v in counts.items() if v))
        return counts


def run_forever(app: Flask, stop: threading.Event) -> None:
    worker = worker_name()
    interval = app.config["DELIVERY_POLL_INTERVAL"]
    pruning = PruneSchedule()
    while not stop.is_set():
        try:
            with app.app_context():
                busy = run_once(worker, stop=stop)
                db.session.remove()
        except Exception:
            log.exception("delivery worker pass failed; retrying")
            busy = 0
        try:
            with app.app_context():
                pruning.run_if_due()
                db.session.remove()
        except Exception:  # deliveries go on; the next interval tries again
            log.exception("retention pass failed")
        if not busy:
            stop.wait(interval)


def start_in_thread(app: Flask) -> tuple[threading.Event, threading.Thread]:
    """Run a worker beside the development server; set the event, then join the thread,
    to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(app, stop), name="outbox-worker", daemon=True
    )
    thread.start()
    return stop, thread
