"""Delete my Passport: after the owner check everything it opened ends, the portals hear the
account is gone, the person gets a last notice, and nothing that names the person stays."""

from __future__ import annotations

from sqlalchemy import func, select

from server.domain.security_events import ACCOUNT_PURGED
from server.extensions import db
from server.models import (
    Account,
    AuditEvent,
    Consent,
    Grant,
    LoginSession,
    UpstreamIdentity,
)

from ..support.browser import Browser
from ..support.console import register
from ..support.delivery import events_received, logouts_received, outbox_rows, run_worker
from ..support.devices import FIREFOX_UBUNTU, device, sign_in_to_portal, signed_in
from ..support.mail import text_of
from ..support.two_factor import next_step_code, turn_on


def delete(browser: Browser, **values):
    page = browser.get("/account/data")
    fields = {f"delete-{name}": value for name, value in values.items()}
    return browser.submit(page, to="/account/delete", **fields)


def rows_of(live_server, account_id: int) -> dict[str, int]:
    with live_server.app_context():
        return {
            model.__name__: db.session.execute(
                select(func.count()).select_from(model).where(model.account_id == account_id)
            ).scalar_one()
            for model in (Consent, Grant, LoginSession, UpstreamIdentity)
        }


def test_deleting_ends_everything_tells_the_portals_and_erases_the_person(
    live_server, factories, listening, receiver, mailbox
):
    person = factories.account(name="Анна Соколова")
    with live_server.app_context():
        account = db.session.execute(select(Account).filter_by(email=person.email)).scalar_one()
        account_id, sub = account.id, account.sub
    here, there = device(live_server.url), device(live_server.url, FIREFOX_UBUNTU)
    here.sign_in(person.email, person.password)
    there.sign_in(person.email, person.password)
    tokens = [
        sign_in_to_portal(here, listening, person),
        sign_in_to_portal(there, listening, person, offline=True),
    ]

    # Refused: a wrong password, or the box not ticked. Nothing changes.
    wrong = delete(here, password="not the password", understood="y")
    assert wrong.status == 400 and "The current password is wrong." in wrong.text
    unticked = delete(here, password=person.password)
    assert unticked.status == 400 and "Tick the box to confirm." in unticked.text
    assert signed_in(here) and signed_in(there) and tokens[1].refresh_works()

    # A message that names the person waits in the outbox: a recovery link.
    with Browser(live_server.url) as stranger:
        stranger.submit(stranger.get("/recover"), "login", login=person.email)
    assert len(outbox_rows(live_server, target=person.email)) == 1

    done = delete(here, password=person.password, understood="y")
    assert done.status == 200 and "Your Passport has been deleted" in done.text
    # Gone from the outbox; only the last notice waits there.
    [notice_row] = outbox_rows(live_server, target=person.email)
    assert notice_row.kind == "mail"

    # Signed out everywhere; every token dead; the login and password open nothing.
    assert not signed_in(here) and not signed_in(there)
    for portal_tokens in tokens:
        assert portal_tokens.refresh_refused()
        assert listening.userinfo(portal_tokens.values["access_token"]).status_code == 401
    with Browser(live_server.url) as stranger:
        page = stranger.sign_in(person.email, person.password)
        assert "Wrong login or password." in page.text

    # The portal hears both logouts and that the account is gone; the person gets a notice.
    client_id = listening.client.client_id

    def told() -> bool:
        events = events_received(live_server, receiver, client_id)
        return len(logouts_received(live_server, receiver, client_id)) >= 2 and bool(events)

    assert run_worker(live_server, told, passes=10)
    [event] = events_received(live_server, receiver, client_id)
    [(kind, body)] = event["events"].items()
    assert kind == ACCOUNT_PURGED
    assert body["subject"] == {"format": "iss_sub", "iss": live_server.url, "sub": sub}
    assert {t.sid for t in tokens} == {
        c["sid"] for c in logouts_received(live_server, receiver, client_id)
    }
    [notice] = mailbox.wait_for(person.email)
    assert notice["Subject"] == "Your Passport has been deleted"
    assert "as you asked" in text_of(notice)

    # What stays: an emptied row under the same sub, and audit events naming nobody.
    assert rows_of(live_server, account_id) == {
        "Consent": 0,
        "Grant": 0,
        "LoginSession": 0,
        "UpstreamIdentity": 0,
    }
    with live_server.app_context():
        account = db.session.get(Account, account_id)
        assert account.deleted_at is not None and account.sub == sub
        kept = [
            account.email,
            account.phone,
            account.password_hash,
            account.name,
            account.address,
            account.photo_id,
        ]
        assert kept == [None] * 6
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.account_id == account_id)
        ).scalars()
        kinds = set()
        for audit_event in events:
            kinds.add(audit_event.kind)
            assert (audit_event.ip_address, audit_event.user_agent) == (None, None)
            assert audit_event.details == {}
        assert {"account_created", "login", "account_deleted"} <= kinds

    # The e-mail is free again: a new Passport, with a new subject.
    again = factories.account(email=person.email)
    with live_server.app_context():
        renewed = db.session.execute(select(Account).filter_by(email=again.email)).scalar_one()
        assert renewed.sub != sub


def test_with_two_factor_on_the_code_is_asked(live_server, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
        without = delete(browser, password=person.password, understood="y")
        assert without.status == 400 and signed_in(browser)
        done = delete(browser, password=person.password, code=next_step_code(totp), understood="y")
        assert "Your Passport has been deleted" in done.text and not signed_in(browser)


def test_a_developer_deletes_the_registered_portals_first(console, developer):
    register(console, client_name="Самовар")
    refused = delete(console, password=developer.password, understood="y")
    assert refused.status == 409 and signed_in(console)
    assert "You registered portals in the developer console (1)" in refused.text


def test_the_danger_zone_speaks_russian(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/data")
        refused = delete(browser, password=person.password)
    assert "Удалить мой Паспорт" in page.text
    assert refused.status == 400 and "Поставьте галочку" in refused.text
