"""Only the owner changes a credential (invariant 1), over real HTTP.

Every change that asks for the current password and, with 2FA on, a code of the app —
the password, the login (e-mail, phone), turning 2FA off or resetting it, new recovery
codes, linking and unlinking a social network — is tried with the right password and a
wrong code, then with a wrong password and the right code. Each is refused with the reason,
and nothing changes: the other browser stays signed in (a credential change would have
ended its session), the password, the app, the recovery codes, the login and the linked
networks are what they were.

An account made through a social network has no password: a recent sign-in stands in for
it, and only while it is recent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest

from server import clock

from ..support.browser import Browser, Page
from ..support.devices import signed_in
from ..support.factories import AccountInfo
from ..support.github import GitHubPerson
from ..support.social import Social, go, link_github, running_social
from ..support.two_factor import next_step_code, turn_on, wrong_code

WRONG_CODE = "The code is wrong."
WRONG_PASSWORD = "The current password is wrong."


@pytest.fixture(scope="module")
def social(server_settings, backend, tmp_path_factory):
    """A Passport with upstream networks: GitHub to unlink, the upstream Passport to link."""
    with running_social(server_settings, backend, tmp_path_factory) as servers:
        yield servers


@dataclass
class Owner:
    """A person with a password, GitHub linked and 2FA on, signed in on two browsers."""

    social: Social
    person: AccountInfo
    here: Browser  # where the change is tried, signed in a moment ago
    there: Browser  # another device, which a credential change would sign out
    totp: pyotp.TOTP
    recovery_codes: list[str]


@pytest.fixture
def owner(social, request) -> Owner:
    factories = social.factories
    person = factories.account(phone=factories.phone_number())
    here, there = social.browser(), social.browser()
    request.addfinalizer(here.session.close)
    request.addfinalizer(there.session.close)
    here.sign_in(person.email, person.password)
    page = link_github(here, social.github, GitHubPerson.make(None), person.password)
    assert "GitHub is linked to your Passport." in page.text, page.text[:300]
    totp, codes = turn_on(here, person.password)
    page = there.sign_in(person.email, person.password)
    there.submit(page, "code", code=next_step_code(totp))
    assert signed_in(there)
    return Owner(social, person, here, there, totp, codes)


# --- the changes, each tried with a password and a code --------------------------------


def change_password(owner: Owner, password: str, code: str) -> Page:
    new = "a much better passphrase " + secrets.token_hex(3)
    page = owner.here.get("/account/password")
    return owner.here.submit(page, "new", current=password, new=new, repeat=new, code=code)


def change_email(owner: Owner, password: str, code: str) -> Page:
    email = f"changed-{secrets.token_hex(4)}@example.org"
    page = owner.here.get("/account/email")
    return owner.here.submit(page, "email", email=email, password=password, code=code)


def change_phone(owner: Owner, password: str, code: str) -> Page:
    phone = owner.social.factories.phone_number()
    page = owner.here.get("/account/phone")
    return owner.here.submit(page, "phone", phone=phone, password=password, code=code)


def two_factor_form(action: str) -> Callable[[Owner, str, str], Page]:
    """Turning 2FA off, resetting it, or new recovery codes."""

    def change(owner: Owner, password: str, code: str) -> Page:
        page = owner.here.get("/account/2fa")
        return owner.here.submit(page, to=f"/account/2fa/{action}", password=password, code=code)

    return change


def social_form(provider: str, action: str) -> Callable[[Owner, str, str], Page]:
    def change(owner: Owner, password: str, code: str) -> Page:
        page = owner.here.get("/account/social")
        path = f"/account/social/{provider}/{action}"
        return owner.here.submit(page, to=path, password=password, code=code)

    return change


CHANGES = {
    "password": change_password,
    "login-email": change_email,
    "login-phone": change_phone,
    "2fa-off": two_factor_form("disable"),
    "2fa-reset": two_factor_form("reset"),
    "recovery-codes": two_factor_form("recovery-codes"),
    "social-link": social_form("upstream", "link"),
    "social-unlink": social_form("github", "unlink"),
}


def assert_nothing_changed(owner: Owner) -> None:
    here, person = owner.here, owner.person
    assert signed_in(owner.there)  # no credential change ended the other session
    assert 'id="two-factor-on"' in here.get("/account/2fa").html
    assert "Waiting for confirmation" not in here.get("/account/email").text
    # No new phone number waits for its code: the confirmation page sends back.
    assert here.get("/account/phone/confirm").url.endswith("/account/phone")
    assert set(owner.social.identities(person.id)) == {"github"}
    # The old password and an old recovery code still sign in.
    with owner.social.browser() as browser:
        page = browser.sign_in(person.email, person.password)
        page = browser.submit(page, "code", code=owner.recovery_codes[-1])
        assert page.url.endswith("/account"), page.text[:300]


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_wrong_code_changes_nothing(owner: Owner, change):
    page = change(owner, owner.person.password, wrong_code(owner.totp))

    assert WRONG_CODE in page.text, (page.status, page.url, page.text[:300])
    assert_nothing_changed(owner)
    activity = owner.here.get("/account/activity").html
    assert 'data-kind="second_factor_failed"' in activity


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_wrong_password_changes_nothing(owner: Owner, change):
    """Signed in a moment ago, yet the password is asked: a recent sign-in stands in for a
    password only on an account that has none."""
    page = change(owner, "not the password", next_step_code(owner.totp))

    assert WRONG_PASSWORD in page.text, (page.status, page.url, page.text[:300])
    assert_nothing_changed(owner)


def test_a_wrong_password_does_not_start_setting_up_two_factor(social):
    person = social.factories.account()
    with social.browser() as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/2fa")
        page = browser.submit(page, to="/account/2fa/setup", password="not the password")
        assert WRONG_PASSWORD in page.text and 'id="two-factor-off"' in page.html
        # No secret waits for a code from an app.
        assert browser.get("/account/2fa/confirm").url.endswith("/account/2fa")


def test_an_account_without_a_password_manages_two_factor_while_its_sign_in_is_recent(social):
    with social.browser() as browser:
        social.github.person = GitHubPerson.make(None)
        assert go(browser, "/login/github").url.endswith("/account")
        page = browser.get("/account/2fa")
        assert 'name="password"' not in page.html  # there is none to ask for

        totp, _ = turn_on(browser, None)
        page = browser.submit(
            browser.get("/account/2fa"), to="/account/2fa/recovery-codes", code=next_step_code(totp)
        )
        assert 'id="recovery-codes"' in page.html, page.text[:300]

        # Past the recent-sign-in window, a code alone does not turn 2FA off.
        clock.travel(social.passport.app.config["RECENT_AUTH_WINDOW"] + 60)
        page = browser.submit(
            browser.get("/account/2fa"), to="/account/2fa/disable", code=next_step_code(totp)
        )
        assert "sign in again" in page.text and 'id="two-factor-on"' in page.html
