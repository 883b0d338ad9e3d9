"""Passkeys (WebAuthn) over HTTP, with a software authenticator that makes real
registration and assertion responses: adding one on the Passport page, signing in with
it (to a portal too, as two factors), removing it — and every answer the server must
refuse: another origin, another relying party, a replayed challenge, no user
verification, a counter that went back, a challenge given to another browser."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from ..support.browser import Browser
from ..support.delivery import deliver, unverified_claims
from ..support.mail import text_of
from ..support.passkeys import (
    add_passkey,
    adding_options,
    answer_sign_in,
    authenticator_for,
    passkey_sign_in,
    sign_in_options,
)
from ..support.relying_party import RelyingParty

# What a response may get wrong that its signature cannot make right.
SPOILS = [
    {"origin": "https://passport.evil.example"},
    {"rp_id": "evil.example"},
    {"verified": False},
]
SPOILED = ["another-origin", "another-rp-id", "no-user-verification"]


@pytest.fixture
def with_passkey(live_server, person):
    """The person, with a passkey they added in a browser signed in with the password."""
    authenticator = authenticator_for(live_server)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        added = add_passkey(browser, person, authenticator)
        assert added.status_code == 200, added.text
    return authenticator


def test_a_person_adds_a_passkey_and_signs_in_with_it(live_server, person, with_passkey):
    with Browser(live_server.url) as browser:
        answer = passkey_sign_in(browser, with_passkey)
        assert answer.status_code == 200, answer.text
        assert answer.json()["redirect"] == "/account"
        page = browser.get("/account/passkeys")
        assert page.status == 200 and "Phone" in page.text and "Synced across" in page.text


def test_a_passkey_sign_in_reaches_a_portal_as_two_factors(
    live_server, factories, person, with_passkey
):
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, with_passkey).status_code == 200
        tokens = portal.exchange(portal.authorize(browser, scope="openid"))
    claims = unverified_claims(tokens["id_token"])
    assert claims["amr"] == ["swk", "user", "mfa"]
    assert claims["acr"] == live_server.app.config["ACR_MFA"]


def test_a_device_bound_passkey_is_shown_so_and_signs_in(live_server, person):
    authenticator = authenticator_for(live_server, synced=False)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert add_passkey(browser, person, authenticator, name="Key").status_code == 200
        assert "Kept on one device" in browser.get("/account/passkeys").text
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, authenticator).status_code == 200


@pytest.mark.parametrize("spoil", SPOILS, ids=SPOILED)
def test_a_spoiled_sign_in_is_refused(live_server, person, with_passkey, spoil):
    with Browser(live_server.url) as browser:
        answer = passkey_sign_in(browser, with_passkey, **spoil)
        assert answer.status_code == 400 and "could not be used" in answer.json()["error"]
        assert browser.get("/account").response.url.startswith(live_server.url + "/login")


@pytest.mark.parametrize("spoil", SPOILS, ids=SPOILED)
def test_a_spoiled_registration_is_refused(live_server, person, spoil):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        answer = add_passkey(browser, person, authenticator_for(live_server), **spoil)
        assert answer.status_code == 400, answer.text
        assert "no-passkeys" in browser.get("/account/passkeys").html


def test_an_answer_is_accepted_once(live_server, person, with_passkey):
    with Browser(live_server.url) as browser:
        options, token = sign_in_options(browser)
        credential = with_passkey.assertion(options)
        assert answer_sign_in(browser, token, credential).status_code == 200
        assert answer_sign_in(browser, token, credential).status_code == 400


def test_a_challenge_is_answered_from_the_browser_it_was_given_to(
    live_server, person, with_passkey
):
    with Browser(live_server.url) as asked, Browser(live_server.url) as other:
        options, _token = sign_in_options(asked)
        _options, token = sign_in_options(other)
        assert answer_sign_in(other, token, with_passkey.assertion(options)).status_code == 400


def test_a_counter_that_went_back_is_refused(live_server, person):
    authenticator = authenticator_for(live_server, synced=False)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert add_passkey(browser, person, authenticator).status_code == 200
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, authenticator, counter=5).status_code == 200
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, authenticator, counter=3).status_code == 400


def test_adding_needs_the_owner_check(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        answer, _token = adding_options(browser, "not the password")
        assert answer.status_code == 400 and answer.json()["error"]


def test_a_registration_for_a_challenge_never_given_is_refused(live_server, person):
    authenticator = authenticator_for(live_server)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        _answer, token = adding_options(browser, person.password)
        invented = {"challenge": "A" * 43, "user": {"id": "eA"}}
        answer = browser.session.post(
            browser.url("/account/passkeys/add"),
            json={"name": "Phone", "credential": authenticator.register(invented)},
            headers={"X-CSRFToken": token},
            timeout=10,
        )
        assert answer.status_code == 400


def test_adding_a_passkey_is_a_credential_change(live_server, person, mailbox):
    with Browser(live_server.url) as other:
        other.sign_in(person.email, person.password)
        with Browser(live_server.url) as browser:
            browser.sign_in(person.email, person.password)
            assert add_passkey(browser, person, authenticator_for(live_server)).status_code == 200
            assert browser.get("/account").status == 200  # this browser stays signed in
        assert other.get("/account").response.url.startswith(live_server.url + "/login")
    deliver(live_server)
    [message] = mailbox.wait_for(person.email)
    assert message["Subject"] == "A passkey was added to your Passport"
    assert "Phone" in text_of(message)


def test_a_person_renames_and_removes_a_passkey(live_server, person, with_passkey):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/passkeys")
        rename = page.form(
            "name", to=next(f.action for f in page.forms if f.action.endswith("/rename"))
        )
        page = browser.submit(page, to=urlsplit(rename.action).path, name="Work laptop")
        assert "Work laptop" in page.text
        remove_path = next(
            urlsplit(f.action).path for f in page.forms if f.action.endswith("/remove")
        )
        page = browser.submit(page, to=remove_path, password=person.password)
        assert "no-passkeys" in page.html
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, with_passkey).status_code == 400


def test_a_locked_passport_does_not_sign_in_with_a_passkey(live_server, person, with_passkey):
    from server.clock import now
    from server.extensions import db
    from server.models import Account

    with live_server.app_context():
        account = db.session.get(Account, person.id)
        account.locked_at = now()
        db.session.commit()
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, with_passkey).status_code == 403


def test_operators_requiring_attestation_refuse_a_passkey_without_one(
    live_server, person, monkeypatch
):
    monkeypatch.setitem(live_server.app.config, "WEBAUTHN_ATTESTATION", "direct")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        answer, _token = adding_options(browser, person.password)
        assert answer.json()["attestation"] == "direct"
        refused = add_passkey(browser, person, authenticator_for(live_server))
        assert refused.status_code == 400 and "not accepted here" in refused.json()["error"]


def test_a_portal_that_requires_two_factors_takes_a_passkey(
    live_server, factories, person, with_passkey
):
    portal = RelyingParty(live_server.url, factories.client(first_party=True, require_mfa=True))
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, with_passkey).status_code == 200
        params = portal.authorize(browser, scope="openid")
    assert "code" in params, params


def test_a_passkey_counts_as_a_way_in_left(live_server, person, with_passkey):
    """The owner check still guards removal; with a password the last passkey may go."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/passkeys")
        remove_path = next(
            urlsplit(f.action).path for f in page.forms if f.action.endswith("/remove")
        )
        refused = browser.submit(page, to=remove_path, password="not the password")
        assert "no-passkeys" not in refused.html


def second_step_by_passkey(browser: Browser, page, authenticator):
    """The second step of a sign-in, answered by `authenticator`."""
    token = page.form(to="/login/second-step").fields["csrf_token"]
    options = browser.session.post(
        browser.url("/login/second-step/passkey/options"),
        headers={"X-CSRFToken": token},
        timeout=10,
    ).json()
    return browser.session.post(
        browser.url("/login/second-step/passkey"),
        json={"credential": authenticator.assertion(options)},
        headers={"X-CSRFToken": token},
        timeout=10,
    )


def test_a_passkey_is_the_second_step_instead_of_the_code(live_server, factories, person):
    from ..support.two_factor import next_step_code, turn_on

    authenticator = authenticator_for(live_server)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
        answer, token = adding_options(browser, person.password)
        assert answer.status_code == 400  # two-factor is on: the code is asked too
        data = {
            "csrf_token": token,
            "name": "Phone",
            "password": person.password,
            "code": next_step_code(totp),
        }
        options = browser.session.post(
            browser.url("/account/passkeys/options"), data=data, timeout=10
        ).json()
        added = browser.session.post(
            browser.url("/account/passkeys/add"),
            json={"name": "Phone", "credential": authenticator.register(options)},
            headers={"X-CSRFToken": token},
            timeout=10,
        )
        assert added.status_code == 200, added.text
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        page = browser.sign_in(person.email, person.password)
        assert (
            page.response.url.endswith("/login/second-step") and "passkey-second-step" in page.html
        )
        done = second_step_by_passkey(browser, page, authenticator)
        assert done.status_code == 200, done.text
        tokens = portal.exchange(portal.authorize(browser, scope="openid"))
    assert unverified_claims(tokens["id_token"])["amr"] == ["pwd", "swk", "user", "mfa"]


def test_another_persons_passkey_is_no_second_step(live_server, factories, person, with_passkey):
    from ..support.two_factor import turn_on

    other = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(other.email, other.password)
        turn_on(browser, other.password)
    with Browser(live_server.url) as browser:
        page = browser.sign_in(other.email, other.password)
        refused = second_step_by_passkey(browser, page, with_passkey)
        assert refused.status_code == 400
        assert browser.get("/account").response.url.startswith(live_server.url + "/login")


def test_an_origin_the_operators_added_may_use_the_passkeys(
    live_server, person, with_passkey, monkeypatch
):
    other = "https://accounts.example"
    with Browser(live_server.url) as browser:
        assert passkey_sign_in(browser, with_passkey, origin=other).status_code == 400
        monkeypatch.setitem(live_server.app.config, "WEBAUTHN_ORIGINS", [other])
        assert passkey_sign_in(browser, with_passkey, origin=other).status_code == 200


def test_passkey_attempts_are_limited(live_server, person, with_passkey, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "PASSKEY_RATE_LIMIT", "2 per minute")
    with Browser(live_server.url) as browser:
        statuses = [
            passkey_sign_in(browser, with_passkey, verified=False).status_code for _ in range(3)
        ]
    assert statuses == [400, 400, 429], statuses
