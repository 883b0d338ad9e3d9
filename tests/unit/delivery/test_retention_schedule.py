"""The outbox worker prunes once per RETENTION_INTERVAL, by the server clock."""

from __future__ import annotations

import threading
import time

import pytest

from server import clock
from server.delivery import worker
from server.domain import audit
from server.extensions import db
from server.models import AuditEvent

from ..conftest import within

DAY = 86400


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def old_event() -> int:
    """An audit event that is past its retention once the clock has moved a year on."""
    event = audit.record("signup_requested", account_id=None)
    db.session.commit()
    return event.id


def gone(event_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(AuditEvent, event_id) is None


def test_the_schedule_prunes_once_per_interval(app):
    # An interval longer than the audit retention, so that one clock move can make an
    # event prunable without the interval having passed.
    app.config["RETENTION_INTERVAL"] = 400 * DAY
    schedule = worker.PruneSchedule()
    first = old_event()
    clock.travel(366 * DAY)
    assert schedule.run_if_due()["audit_events"] >= 1 and gone(first)
    second = old_event()
    clock.travel(366 * DAY)
    assert schedule.run_if_due() is None and not gone(second)
    clock.travel(34 * DAY)
    assert schedule.run_if_due() is not None and gone(second)


def test_an_interval_of_zero_leaves_pruning_to_the_command(app):
    app.config["RETENTION_INTERVAL"] = 0
    kept = old_event()
    clock.travel(366 * DAY)
    assert worker.PruneSchedule().run_if_due() is None and not gone(kept)


def test_the_running_worker_prunes(app):
    event_id = old_event()
    clock.travel(366 * DAY)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(app, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not gone(event_id) and time.monotonic() < deadline:
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert gone(event_id)
