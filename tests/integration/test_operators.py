"""What operators do for people, through `passport users …` (the console calls the same
service functions: tests/e2e/test_admin_console.py): each action with a reason in the audit
log, the credential-change rule where access ends, the person and the portals told."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.cli import main
from server.domain.security_events import ACCOUNT_DISABLED, ACCOUNT_ENABLED
from server.extensions import db
from server.models import Account, AuditEvent

from ..support.browser import Browser
from ..support.delivery import deliver, events_received, run_worker
from ..support.devices import sign_in_to_portal, signed_in
from ..support.mail import link_in, text_of
from ..support.two_factor import turn_on


def passport(live_server, *args: str):
    """`passport ARGS` run in the live server's process, against its database."""
    return live_server.app.test_cli_runner().invoke(main, list(args))


def audit_of(live_server, email: str, kind: str) -> list[dict]:
    with live_server.app_context():
        account = db.session.execute(select(Account).filter_by(email=email)).scalar_one()
        return [
            e.details
            for e in db.session.execute(
                select(AuditEvent).filter_by(account_id=account.id, kind=kind)
            ).scalars()
        ]


def test_a_locked_account_cannot_sign_in_until_unlocked(
    live_server, factories, listening, receiver, mailbox
):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        tokens = sign_in_to_portal(browser, listening, person, offline=True)

        locked = passport(live_server, "users", "lock", person.email, "--reason", "ticket 42")
        assert locked.exit_code == 0 and "locked" in locked.output
        again = passport(live_server, "users", "lock", person.email, "--reason", "ticket 42")
        assert "was locked already" in again.output

        assert not signed_in(browser)
        assert tokens.refresh_refused()
        assert listening.userinfo(tokens.values["access_token"]).status_code == 401
        refused = browser.sign_in(person.email, person.password)
        assert "This Passport is locked." in refused.text and not signed_in(browser)
        # A wrong password says nothing of the lock.
        wrong = browser.sign_in(person.email, "not the password")
        assert "Wrong login or password." in wrong.text and "locked" not in wrong.text

        unlocked = passport(live_server, "users", "unlock", person.email, "--reason", "verified")
        assert unlocked.exit_code == 0 and "unlocked" in unlocked.output
        browser.sign_in(person.email, person.password)
        assert signed_in(browser)
        activity = browser.get("/account/activity?ui_locales=en").text
    assert "Locked by the operators" in activity and "Unlocked by the operators" in activity

    [lock_event] = audit_of(live_server, person.email, "account_locked")
    assert lock_event["operator"] == "cli" and lock_event["reason"] == "ticket 42"
    client_id = listening.client.client_id

    def told() -> bool:
        return len(events_received(live_server, receiver, client_id)) >= 2

    assert run_worker(live_server, told, passes=10)
    kinds = [next(iter(e["events"])) for e in events_received(live_server, receiver, client_id)]
    assert kinds == [ACCOUNT_DISABLED, ACCOUNT_ENABLED]
    subjects = {
        next(iter(mail["Subject"].split(": ")[-1:]))
        for mail in mailbox.wait_for(person.email, count=2)
    }
    assert subjects == {"Your Passport has been locked", "Your Passport has been unlocked"}


def test_every_action_says_why(live_server, factories):
    person = factories.account()
    missing = passport(live_server, "users", "lock", person.email)
    assert missing.exit_code == 2 and "--reason" in missing.output
    blank = passport(live_server, "users", "lock", person.email, "--reason", "   ")
    assert blank.exit_code == 1 and "Say why" in blank.output
    unknown = passport(live_server, "users", "lock", "nobody@example.org", "--reason", "x")
    assert unknown.exit_code == 1 and "no account" in unknown.output
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert signed_in(browser)  # nothing was locked


def test_find_by_email_name_phone_or_subject(live_server, factories):
    phone = factories.phone_number()
    person = factories.account(name="Зинаида Крючкова", phone=phone)
    other = factories.account(name="Зинаида Петрова")
    with live_server.app_context():
        sub = db.session.execute(select(Account.sub).filter_by(email=person.email)).scalar_one()

    def found(text: str) -> list[str]:
        result = passport(live_server, "users", "find", "--", text)
        assert result.exit_code == 0, result.output
        return [json.loads(line)["email"] for line in result.output.splitlines()]

    assert found(person.email.upper()) == [person.email]
    assert found(person.email.split("@")[0][3:]) == [person.email]
    assert set(found("зинаида")) >= {person.email, other.email}
    assert found("Крючкова") == [person.email]
    assert found(phone) == [person.email]
    assert found(sub) == [person.email]
    assert found("100%_") == []

    shown = json.loads(passport(live_server, "users", "show", sub).output)
    assert shown["email"] == person.email and shown["two_factor"] is False


def test_reset_two_factor_for_a_person_who_lost_the_phone(live_server, factories, mailbox):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        turn_on(browser, person.password)
    reset = passport(live_server, "users", "reset-2fa", person.email, "--reason", "passport seen")
    assert reset.exit_code == 0 and "reset" in reset.output
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert signed_in(browser)  # no code asked
    deliver(live_server)
    assert any("two-factor" in text_of(m).lower() for m in mailbox.wait_for(person.email, 1))
    assert audit_of(live_server, person.email, "2fa_reset")[-1]["reason"] == "passport seen"
    off = passport(live_server, "users", "reset-2fa", person.email, "--reason", "again")
    assert "had no two-factor authentication" in off.output


def test_end_sessions_and_send_recovery(live_server, factories, mailbox):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        ended = passport(live_server, "users", "end-sessions", person.email, "--reason", "lost")
        assert ended.exit_code == 0 and "sessions ended: 1" in ended.output
        assert not signed_in(browser)

    sent = passport(live_server, "users", "send-recovery", person.email, "--reason", "asked")
    assert sent.exit_code == 0 and person.email in sent.output
    deliver(live_server)
    link = next(link_in(m) for m in mailbox.wait_for(person.email, 2) if "/recover/" in text_of(m))
    assert link.startswith(live_server.url + "/recover/")


def test_delete_from_the_command_line(live_server, factories):
    person = factories.account()
    deleted = passport(live_server, "users", "delete", person.email, "--reason", "asked by mail")
    assert deleted.exit_code == 0 and "deleted" in deleted.output
    assert passport(live_server, "users", "find", person.email).output == ""
    with live_server.app_context():
        event = (
            db.session.execute(
                select(AuditEvent).filter_by(kind="account_deleted").order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
        )
        assert event.details == {"operator": "cli", "reason": "asked by mail"}


def test_a_locked_account_recovers_nothing(live_server, factories, mailbox):
    person = factories.account()
    with Browser(live_server.url) as stranger:
        stranger.submit(stranger.get("/recover"), "login", login=person.email)
    deliver(live_server)
    [early] = [m for m in mailbox.wait_for(person.email) if "/recover/reset/" in text_of(m)]
    passport(live_server, "users", "lock", person.email, "--reason", "fraud suspected")
    deliver(live_server)
    sent_before = len(mailbox.messages_to(person.email))

    with Browser(live_server.url) as stranger:
        page = stranger.submit(stranger.get("/recover"), "login", login=person.email)
        assert page.status == 200  # the same answer as for any login
        deliver(live_server)
        assert len(mailbox.messages_to(person.email)) == sent_before  # nothing sent
        # The link sent before the lock opens nothing either.
        new = "a new passphrase after the lock"
        refused = stranger.submit(stranger.open(link_in(early)), "new", new=new, repeat=new)
        assert "This Passport is locked." in refused.text
    with Browser(live_server.url) as browser:
        assert "This Passport is locked." in browser.sign_in(person.email, person.password).text
    refused = passport(live_server, "users", "send-recovery", person.email, "--reason", "x")
    assert refused.exit_code == 1 and "locked" in refused.output
