"""The outbox worker's arithmetic, on SQLite and PostgreSQL (whose claim reads with
FOR UPDATE SKIP LOCKED): which messages a claim takes and for how long, how an attempt is
counted and its retry scheduled before it is made, the doubling back-off and its cap, and
when a message is given up. A stand-in portal answers instead of the network."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import delete

from server import clock
from server.delivery import worker
from server.delivery.errors import PermanentFailure, TemporaryFailure
from server.domain import outbox
from server.extensions import db
from server.models import OutboxMessage

from ..conftest import at_once, within

KIND = "test_delivery"


class Portal:
    """Stands in for the receiving end: answers each delivery with the next outcome given
    (an exception to raise), or takes it."""

    def __init__(self) -> None:
        self.outcomes: list[Exception] = []
        self.received: list[int] = []

    def __call__(self, message: OutboxMessage) -> None:
        self.received.append(message.id)
        if self.outcomes:
            raise self.outcomes.pop(0)


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        # The module's database is its own: each test starts with an empty outbox.
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        yield app


@pytest.fixture
def portal(monkeypatch) -> Portal:
    stand_in = Portal()
    monkeypatch.setitem(worker.HANDLERS, KIND, stand_in)
    return stand_in


def message(*, kind=KIND, payload=None, **fields) -> int:
    row = outbox.enqueue(kind, "https://portal.example/in", payload or {"sub": "s-1"})
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.commit()
    return row.id


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def lease(app) -> timedelta:
    return timedelta(seconds=app.config["DELIVERY_LEASE"])


# --- claiming ---


def test_a_claim_takes_the_due_pending_messages_earliest_first_up_to_its_limit(app):
    moment = clock.now()
    due = [message(next_attempt_at=moment - timedelta(seconds=s)) for s in (10, 30, 20)]
    message(next_attempt_at=moment + timedelta(seconds=30))  # not due yet
    message(status="delivered")
    message(status="failed")
    before = clock.now()
    assert worker.claim("w1", 2) == [due[1], due[2]]
    for taken in (due[1], due[2]):
        claimed = row(taken)
        assert claimed.locked_by == "w1"
        assert before + lease(app) <= claimed.locked_until <= clock.now() + lease(app)
    # A second worker finds only what the first left.
    assert worker.claim("w2", 10) == [due[0]]
    assert worker.claim("w3", 10) == []


def test_a_lease_run_out_frees_the_message_for_another_worker(app):
    taken = message()
    assert worker.claim("w1", 10) == [taken]
    clock.travel(lease(app).total_seconds() - 1)
    assert worker.claim("w2", 10) == []
    clock.travel(2)
    assert worker.claim("w2", 10) == [taken]
    assert row(taken).locked_by == "w2"


def test_two_workers_claiming_at_once_share_no_message(app):
    due = {message() for _ in range(20)}
    first, second = at_once(app, partial(worker.claim, "w1", 20), partial(worker.claim, "w2", 20))
    assert not set(first) & set(second)
    assert set(first) | set(second) == due
    assert {row(m).locked_by for m in first} <= {"w1"} and {row(m).locked_by for m in second} <= {
        "w2"
    }


def test_released_messages_are_free_at_once_but_only_the_releasing_workers(app):
    mine, theirs = message(), message()
    assert worker.claim("w1", 1) == [mine] and worker.claim("w2", 1) == [theirs]
    worker.release([mine, theirs], "w1")
    assert (row(mine).locked_by, row(mine).locked_until) == (None, None)
    assert row(theirs).locked_by == "w2"
    assert worker.claim("w3", 10) == [mine]


# --- an attempt ---


def test_an_attempt_is_counted_and_its_retry_scheduled_before_it_is_made(app):
    app.config["DELIVERY_RETRY_BASE"] = 7
    taken = message()
    worker.claim("w1", 10)
    before = clock.now()
    assert worker.renew_lease(taken, "w1")
    after = clock.now()
    renewed = row(taken)
    assert renewed.attempts == 1
    assert before + timedelta(seconds=7) <= renewed.next_attempt_at <= after + timedelta(seconds=7)
    assert before + lease(app) <= renewed.locked_until <= after + lease(app)


def test_a_lease_is_renewed_only_by_its_holder_for_a_pending_message(app):
    taken = message()
    worker.claim("w1", 10)
    assert not worker.renew_lease(taken, "w2")
    assert not worker.renew_lease(10**9, "w1")
    done = message(status="delivered", locked_by="w1")
    assert not worker.renew_lease(done, "w1")
    assert row(taken).attempts == 0 and row(done).attempts == 0


def test_a_worker_that_lost_its_lease_does_not_deliver(app, portal):
    taken = message()
    worker.claim("w1", 10)
    clock.travel(lease(app).total_seconds() + 1)
    worker.claim("w2", 10)
    assert worker.deliver_one(taken, "w1") is None
    assert portal.received == [] and row(taken).locked_by == "w2"


# --- outcomes ---


def deliver(message_id: int) -> str | None:
    """Claim what is due, as a worker does, and deliver this message."""
    assert message_id in worker.claim("w1", 100)
    return worker.deliver_one(message_id, "w1")


def test_a_delivered_message_is_done_and_its_sealed_content_dropped(app, portal):
    taken = message(payload={"template": "confirm_email", "sealed": "secret stuff"})
    assert deliver(taken) == "delivered"
    done = row(taken)
    assert (done.status, done.attempts, done.last_error) == ("delivered", 1, None)
    assert done.delivered_at is not None and (done.locked_by, done.locked_until) == (None, None)
    assert done.payload == {"template": "confirm_email"}
    assert portal.received == [taken]


@pytest.mark.parametrize(
    "failure",
    [TemporaryFailure("HTTP 503"), RuntimeError("a bug in the handler")],
    ids=["temporary", "unexpected"],
)
def test_a_failed_attempt_is_tried_again_after_the_back_off(app, portal, failure):
    taken = message(payload={"sealed": "secret stuff"})
    portal.outcomes.append(failure)
    before = clock.now()
    assert deliver(taken) == "pending"
    after = clock.now()
    failed = row(taken)
    assert str(failure) in failed.last_error and failed.attempts == 1
    base = timedelta(seconds=app.config["DELIVERY_RETRY_BASE"])
    assert before + base <= failed.next_attempt_at <= after + base
    assert (failed.locked_by, failed.locked_until) == (None, None)
    assert failed.payload == {"sealed": "secret stuff"}  # still needed for the next try


def test_the_back_off_doubles_up_to_its_cap(app, portal):
    app.config.update(DELIVERY_RETRY_BASE=5, DELIVERY_RETRY_MAX=30)
    taken = message()
    for expected in (5, 10, 20, 30, 30):
        portal.outcomes.append(TemporaryFailure("HTTP 503"))
        before = clock.now()
        assert deliver(taken) == "pending"
        after = clock.now()
        wait = timedelta(seconds=expected)
        assert before + wait <= row(taken).next_attempt_at <= after + wait
        clock.travel(expected - 1)
        assert worker.claim("w1", 100) == []  # not due a second early
        clock.travel(1)
    assert row(taken).attempts == 5


def test_a_message_still_failing_at_its_give_up_time_is_given_up(app, portal):
    taken = message(give_up_at=clock.now() + timedelta(seconds=100))
    portal.outcomes.append(TemporaryFailure("HTTP 503"))
    clock.travel(90)
    assert deliver(taken) == "pending"
    clock.travel(10)
    portal.outcomes.append(TemporaryFailure("HTTP 503"))
    assert deliver(taken) == "failed"
    assert row(taken).status == "failed" and row(taken).last_error == "HTTP 503"


def test_a_permanent_failure_gives_up_at_once(app, portal):
    taken = message(payload={"sealed": "secret stuff"})
    portal.outcomes.append(PermanentFailure("refused: bad token"))
    assert deliver(taken) == "failed"
    failed = row(taken)
    assert (failed.status, failed.last_error, failed.payload) == (
        "failed",
        "refused: bad token",
        {},
    )


def test_a_message_no_handler_knows_is_given_up(app):
    taken = message(kind="no_such_kind")
    assert deliver(taken) == "failed"
    assert row(taken).last_error == "no handler for 'no_such_kind'"
