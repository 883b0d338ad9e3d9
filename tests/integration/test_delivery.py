"""The outbox worker delivering back-channel logouts to a real HTTP endpoint.

Delivery is at least once: a message is sent again when the worker cannot know that the
first try arrived (it died, or its lease ran out). The logout token's jti stays the same
across tries, so a portal that remembers the jtis it has seen acts on each logout once;
the receiver here counts both the raw POSTs and the distinct jtis.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from server import clock
from server.delivery import worker
from server.domain import logouts, outbox
from server.extensions import db
from server.models import Account, Client, OutboxMessage

from ..support.delivery import (
    WorkerProcess,
    logout_tokens_for,
    outbox_rows,
    set_aside_pending,
    unverified_claims,
    verify_logout_token,
    wait_until,
)
from ..support.devices import device, sign_in_to_portal


@pytest.fixture(autouse=True)
def empty_outbox(live_server):
    """The outbox holds only this test's messages: earlier tests' leftovers are set aside."""
    set_aside_pending(live_server)


def messages(live_server, portal) -> list[OutboxMessage]:
    """This portal's messages in the outbox, oldest first."""
    return outbox_rows(live_server, target=portal.client.metadata["backchannel_logout_uri"])


def jtis(receiver, portal) -> list[str]:
    tokens = logout_tokens_for(receiver.snapshot(), portal.client.client_id)
    return [unverified_claims(t)["jti"] for t in tokens]


def sign_in_and_out(live_server, portal, person) -> str:
    """A person signs in to the portal and then out of Passport; returns the session id."""
    with device(live_server.url) as browser:
        sid = sign_in_to_portal(browser, portal, person).sid
        browser.submit(browser.get("/logout"), "csrf_token")
    return sid


def queue_logouts(live_server, portal, person, count: int) -> None:
    """Queue `count` logout tokens for the portal, as ending that many sessions would."""
    with live_server.app_context():
        client = db.session.query(Client).filter_by(client_id=portal.client.client_id).one()
        account = db.session.get(Account, person.id)
        for number in range(count):
            outbox.enqueue(
                logouts.BACKCHANNEL_LOGOUT,
                client.client_metadata["backchannel_logout_uri"],
                {"client_id": client.client_id, "sub": account.sub, "sid": f"session-{number}"},
            )
        db.session.commit()


def test_failing_endpoint_gets_the_logout_later(live_server, factories, portal, receiver):
    person = factories.account()
    receiver.fail_first(3)
    sid = sign_in_and_out(live_server, portal, person)
    config = live_server.app.config

    with live_server.app_context():
        for attempt in (1, 2, 3):
            assert worker.run_once() == 1
            [row] = messages(live_server, portal)
            assert (row.status, row.attempts, row.last_error) == ("pending", attempt, "HTTP 500")
            # Back-off doubles from DELIVERY_RETRY_BASE.
            delay = row.next_attempt_at - clock.now()
            expected = config["DELIVERY_RETRY_BASE"] * 2 ** (attempt - 1)
            assert timedelta(seconds=expected - 2) < delay <= timedelta(seconds=expected)
            # Not due yet: nothing is sent before the back-off is over.
            assert worker.run_once() == 0
            clock.travel(expected)
        assert worker.run_once() == 1

    [row] = messages(live_server, portal)
    assert row.status == "delivered" and row.attempts == 4 and row.last_error is None
    assert [r.status for r in receiver.snapshot()] == [500, 500, 500, 200]
    # Each try is a fresh token (new iat) with the same jti.
    tokens = logout_tokens_for(receiver.snapshot(), portal.client.client_id)
    assert len({unverified_claims(t)["jti"] for t in tokens}) == 1
    assert len({unverified_claims(t)["iat"] for t in tokens}) == 4
    claims = unverified_claims(tokens[-1])
    assert claims["jti"] == row.jti and claims["sid"] == sid and claims["sub"] == person.sub


def test_delivery_gives_up_after_its_deadline(live_server, factories, portal, receiver):
    person = factories.account()
    receiver.fail_first(1000)
    sign_in_and_out(live_server, portal, person)
    with live_server.app_context():
        assert worker.run_once() == 1
        clock.travel(live_server.app.config["DELIVERY_GIVE_UP_AFTER"] + 1)
        assert worker.run_once() == 1
        assert worker.run_once() == 0
        clock.travel(live_server.app.config["DELIVERY_RETRY_MAX"] + 1)
        assert worker.run_once() == 0
    [row] = messages(live_server, portal)
    assert row.status == "failed" and row.attempts == 2
    assert len(receiver.snapshot()) == 2


def test_killed_worker_restarted_delivers_exactly_once(live_server, factories, portal, receiver):
    person = factories.account()
    # The portal takes its time answering the first POST: long enough to kill the worker.
    receiver.hold_first(1, 30)
    # The lease outlives the HTTP timeout (a config check insists), and the kill comes first.
    settings = {"DELIVERY_LEASE": 4, "DELIVERY_RETRY_BASE": 1, "DELIVERY_TIMEOUT": 3}
    first = WorkerProcess(live_server, **settings)
    try:
        sid = sign_in_and_out(live_server, portal, person)
        assert receiver.wait_for(1, timeout=20), first.output()
    finally:
        first.kill()
    [row] = messages(live_server, portal)
    # The attempt the kill interrupted counts (it used not to, so a portal
    # that hangs could be tried without end by workers that get killed).
    assert row.status == "pending" and row.locked_by and row.attempts == 1

    second = WorkerProcess(live_server, **settings)
    try:
        # It waits for the dead worker's lease (4 s) to run out, then sends again.
        delivered = wait_until(
            lambda: messages(live_server, portal)[0].status == "delivered", timeout=20
        )
    finally:
        output = second.stop()
    assert delivered, output
    [row] = messages(live_server, portal)
    assert row.attempts == 2 and row.locked_by is None

    # Two POSTs arrived: the first reached the portal before the worker was killed, so the
    # worker never learned of it and its successor sent it again. Same jti: one logout.
    assert len(receiver.snapshot()) == 2
    assert jtis(receiver, portal) == [row.jti, row.jti]
    tokens = logout_tokens_for(receiver.snapshot(), portal.client.client_id)
    claims = verify_logout_token(live_server.url, tokens[-1])[1]
    assert claims["sid"] == sid and claims["jti"] == row.jti


def test_a_stopping_worker_gives_back_what_it_claimed(live_server, factories, portal, receiver):
    """Stopped between deliveries (SIGTERM), a worker releases its claimed messages at once
    instead of leaving them locked until the lease runs out; nothing is counted or lost."""
    person = factories.account()
    queue_logouts(live_server, portal, person, 3)
    stop = threading.Event()
    stop.set()
    with live_server.app_context():
        assert worker.run_once(stop=stop) == 0
    rows = messages(live_server, portal)
    assert [(r.status, r.attempts, r.locked_by) for r in rows] == [("pending", 0, None)] * 3
    with live_server.app_context():
        assert worker.run_once() == 3
    assert {r.status for r in messages(live_server, portal)} == {"delivered"}
    assert len(receiver.snapshot()) == 3


def test_two_workers_deliver_each_message_once(live_server, factories, portal, receiver):
    person = factories.account()
    queue_logouts(live_server, portal, person, 50)
    receiver.slow_down(0.01)  # so the two workers overlap
    start = threading.Barrier(2, timeout=10)
    tried = Counter()
    errors = []

    def work(name: str) -> None:
        try:
            start.wait()
            with live_server.app_context():
                for _ in range(200):  # bounded; a pass that lost every race finds 0
                    tried[name] += worker.run_once(name, limit=5)
                    if sum(tried.values()) >= 50:
                        break
                    time.sleep(0.005)
                db.session.remove()
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads), errors

    rows = messages(live_server, portal)
    assert len(rows) == 50 and {r.status for r in rows} == {"delivered"}
    assert {r.attempts for r in rows} == {1}
    assert len(receiver.snapshot()) == 50
    assert sorted(jtis(receiver, portal)) == sorted(r.jti for r in rows)
    assert tried["left"] + tried["right"] == 50
    assert tried["left"] and tried["right"], tried


def test_worker_that_lost_its_lease_does_not_send_the_rest(
    live_server, factories, portal, receiver
):
    """One slow portal outlasts a worker's lease; the batch's other message is not sent twice."""
    person = factories.account()
    queue_logouts(live_server, portal, person, 2)
    receiver.hold_first(1, 10)
    errors = []

    def slow_worker():
        try:
            with live_server.app_context():
                assert worker.run_once("slow", limit=2) == 2
                db.session.remove()
        except Exception as error:
            errors.append(error)

    slow = threading.Thread(target=slow_worker)
    slow.start()
    try:
        assert receiver.wait_for(1, timeout=10)
        clock.travel(live_server.app.config["DELIVERY_LEASE"] + 1)
        with live_server.app_context():
            assert worker.run_once("quick") == 2
    finally:
        receiver.release()
        slow.join(timeout=20)
    assert not errors and not slow.is_alive(), errors

    rows = messages(live_server, portal)
    assert {r.status for r in rows} == {"delivered"}
    counts = Counter(jtis(receiver, portal))
    first, second = rows
    # The first message was being sent when the lease ran out: sent twice, same jti.
    assert counts[first.jti] == 2
    # The second one had not been started: only the worker that holds it now sends it.
    assert counts[second.jti] == 1


def test_production_does_not_deliver_to_private_addresses(live_server, factories, portal, receiver):
    """A registered back-channel URI on this machine's network is not POSTed to: the worker
    gives up at once and says why. (The suite's portals live on 127.0.0.1, so the setting
    is switched here only.)"""
    person = factories.account()
    sign_in_and_out(live_server, portal, person)
    config = live_server.app.config
    config["DELIVERY_PRIVATE_TARGETS"] = False
    try:
        with live_server.app_context():
            assert worker.run_once() == 1
            assert worker.run_once() == 0  # nothing left to retry
    finally:
        config["DELIVERY_PRIVATE_TARGETS"] = True
    [row] = messages(live_server, portal)
    assert row.status == "failed" and row.attempts == 1
    assert "127.0.0.1 is not a public address" in row.last_error
    assert receiver.snapshot() == []
