"""Queueing deliveries (invariant 7): a message joins the caller's transaction, due at once,
tried until the earlier of its own deadline and DELIVERY_GIVE_UP_AFTER."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server import clock
from server.domain import outbox
from server.extensions import db
from server.models import OutboxMessage

from .conftest import added, mark

TARGET = "https://portal.example/logout"


def test_a_message_is_pending_and_due_at_once(app):
    before = clock.now()
    message = outbox.enqueue("backchannel_logout", TARGET, {"sub": "s-1"})
    db.session.commit()
    assert (message.kind, message.target, message.payload) == (
        "backchannel_logout",
        TARGET,
        {"sub": "s-1"},
    )
    assert (message.status, message.attempts, message.locked_by) == ("pending", 0, None)
    assert before <= message.next_attempt_at == message.created_at <= clock.now()
    give_up = timedelta(seconds=app.config["DELIVERY_GIVE_UP_AFTER"])
    assert message.give_up_at == message.created_at + give_up


def test_a_deadline_of_its_own_is_kept_when_sooner_only(app):
    give_up = timedelta(seconds=app.config["DELIVERY_GIVE_UP_AFTER"])
    sooner = clock.now() + timedelta(minutes=5)
    assert outbox.enqueue("mail", TARGET, {}, give_up_at=sooner).give_up_at == sooner
    later = outbox.enqueue("mail", TARGET, {}, give_up_at=clock.now() + 2 * give_up)
    assert later.give_up_at == later.created_at + give_up
    db.session.rollback()


def test_each_message_has_its_own_jti(app):
    messages = [outbox.enqueue("mail", TARGET, {}) for _ in range(20)]
    assert len({m.jti for m in messages}) == 20 and all(len(m.jti) >= 20 for m in messages)
    db.session.rollback()


def test_a_message_is_sent_only_if_the_change_commits(app):
    since = mark()
    outbox.enqueue("mail", TARGET, {})
    db.session.rollback()
    assert added(OutboxMessage, since) == []


@pytest.mark.parametrize(
    ("status", "last_error", "state"),
    [
        ("pending", None, outbox.SENDING),
        ("pending", "HTTP 503", outbox.DELAYED),
        ("delivered", None, outbox.SENT),
        ("failed", "HTTP 410", outbox.FAILED),
    ],
)
def test_how_a_message_is_getting_there(status, last_error, state):
    assert outbox.delivery_state(OutboxMessage(status=status, last_error=last_error)) == state


def test_a_message_retention_deleted_tells_nothing():
    assert outbox.delivery_state(None) is None
