"""The operators' console over HTTP: only operators get in; an operator finds an account and
acts on it, each action with a reason; the audit log and the outbox of the whole server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import Account, OutboxMessage

from ..support.browser import Browser, Page
from ..support.console import grant_role
from ..support.delivery import deliver
from ..support.devices import signed_in
from ..support.two_factor import turn_on


@pytest.fixture
def operator(live_server, factories):
    person = factories.account(name="Ольга Операторова")
    grant_role(live_server, person.email, "operator")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        browser.person = person
        yield browser


def sub_of(live_server, email: str) -> str:
    with live_server.app_context():
        return db.session.execute(select(Account.sub).filter_by(email=email)).scalar_one()


def act(console: Browser, sub: str, action: str, **values) -> Page:
    page = console.get(f"/admin/accounts/{sub}")
    return console.submit(page, to=f"/admin/accounts/{sub}/{action}", **values)


def test_only_operators_get_in(live_server, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        assert "/login" in browser.get("/admin/accounts").url
        browser.sign_in(person.email, person.password)
        for path in ("/admin/accounts", "/admin/audit", "/admin/outbox", "/admin/clients"):
            page = browser.get(path)
            assert page.status == 403 and "for the operators" in page.text
        sub = sub_of(live_server, person.email)
        post = browser.session.post(
            browser.url(f"/admin/accounts/{sub}/lock"), data={"reason": "x"}, timeout=10
        )
        assert post.status_code in (400, 403)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert signed_in(browser)  # nothing happened to the account


def test_find_and_lock_with_a_reason(live_server, factories, operator):
    person = factories.account(name="Пётр Найденов")
    found = operator.get("/admin/accounts?q=найденов")
    assert person.email in found.text
    sub = sub_of(live_server, person.email)
    assert f'href="/admin/accounts/{sub}"' in found.html
    assert "No account matches." in operator.get("/admin/accounts?q=nobody-at-all").text

    with Browser(live_server.url) as victim:
        victim.sign_in(person.email, person.password)
        refused = act(operator, sub, "lock", reason="  ")
        assert "Say why" in refused.text and signed_in(victim)
        locked = act(operator, sub, "lock", reason="ticket 7: stolen laptop")
        assert "The Passport has been locked" in locked.text
        assert 'id="locked"' in locked.html and not signed_in(victim)
        assert "stolen laptop" in locked.text  # in the account's activity, with the operator
        page = victim.sign_in(person.email, person.password)
        assert "This Passport is locked." in page.text

        unlocked = act(operator, sub, "unlock", reason="ticket 7 closed")
        assert "The Passport has been unlocked." in unlocked.text
        victim.sign_in(person.email, person.password)
        assert signed_in(victim)

    audit = operator.get(f"/admin/audit?who={person.email}&kind=account_locked")
    assert "ticket 7: stolen laptop" in audit.text and "ticket 7 closed" not in audit.text


def test_reset_two_factor_roles_and_change_of_login(live_server, factories, operator, mailbox):
    person = factories.account()
    sub = sub_of(live_server, person.email)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        turn_on(browser, person.password)
    page = operator.get(f"/admin/accounts/{sub}")
    assert 'id="two-factor-on"' in page.html
    done = act(operator, sub, "reset-2fa", reason="identity checked by video call")
    assert "Two-factor authentication has been turned off." in done.text
    assert 'id="two-factor-on"' not in done.html

    granted = act(operator, sub, "role", role="developer", granted="yes", reason="new hire")
    assert "The role has been granted." in granted.text
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert browser.get("/developers/clients").status == 200

    new_email = "moved-" + person.email
    changed = act(
        operator, sub, "change-login", kind="email", value=new_email, reason="old mailbox gone"
    )
    assert f"A confirmation has been sent to {new_email}" in changed.text
    deliver(live_server)
    [confirmation] = mailbox.wait_for(new_email)
    assert re.search(r"/account/email/confirm/", confirmation.get_body().get_content())
    assert person.email in operator.get(f"/admin/accounts/{sub}").text  # not yet changed


def test_an_operator_does_not_lock_or_delete_themselves(live_server, operator):
    sub = sub_of(live_server, operator.person.email)
    for action in ("lock", "delete"):
        page = act(operator, sub, action, reason="oops")
        assert "Not on your own Passport" in page.text
    demote = act(operator, sub, "role", role="operator", granted="no", reason="oops")
    assert "Not on your own Passport" in demote.text
    assert operator.get("/admin/accounts").status == 200


def test_delete_from_the_console(live_server, factories, operator):
    person = factories.account()
    sub = sub_of(live_server, person.email)
    page = act(operator, sub, "delete", reason="asked by letter")
    assert f"The Passport of {person.email} has been deleted." in page.text
    assert operator.get(f"/admin/accounts/{sub}").status == 404
    with Browser(live_server.url) as browser:
        assert "Wrong login or password." in browser.sign_in(person.email, person.password).text


def test_the_outbox_shows_failures_and_retries_them(live_server, factories, operator):
    person = factories.account()
    sub = sub_of(live_server, person.email)
    act(operator, sub, "send-recovery", reason="asked on the phone")
    with live_server.app_context():
        message_id = (
            db.session.execute(
                select(OutboxMessage.id)
                .where(OutboxMessage.target == person.email)
                .order_by(OutboxMessage.id.desc())
            )
            .scalars()
            .first()
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="failed", last_error="550 mailbox unavailable")
        )
        db.session.commit()
    failed = operator.get("/admin/outbox?status=failed")
    assert (
        f'data-message="{message_id}"' in failed.html and "550 mailbox unavailable" in failed.text
    )
    retried = operator.submit(failed, to=f"/admin/outbox/{message_id}/retry")
    assert "The delivery will be tried again now." in retried.text
    assert f'data-message="{message_id}"' in retried.html  # on the pending page now
    twice = operator.submit(failed, to=f"/admin/outbox/{message_id}/retry")
    assert "Only a failed delivery can be tried again." in twice.text
    audit = operator.get("/admin/audit?kind=delivery_retried")
    assert f"message: {message_id}" in audit.text


def test_every_client_is_listed(live_server, factories, operator):
    client = factories.client(client_name="Чайная лавка")
    page = operator.get("/admin/clients")
    assert "Чайная лавка" in page.text and client.client_id in page.html


def test_the_console_speaks_russian(live_server, operator):
    operator.session.headers["Accept-Language"] = "ru"
    page = operator.get("/admin/accounts?ui_locales=ru")
    assert "Консоль операторов" in page.text and "Найти" in page.text
