"""Sign-ups waiting for their login to be confirmed, each rule alone: a sign-up claims
nothing, the one sign-in checks is the newest open one of the login as typed, and a confirmed
one makes an account of what it holds."""

from __future__ import annotations

import secrets

import pytest

from server import clock
from server.domain import signups, verifications
from server.domain.passwords import verify_password
from server.extensions import db
from server.models import Verification

from .conftest import PASSWORD, person

PASSWORD_HASH = "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
PHONE = "+79123456789"


def unique_email() -> str:
    return f"new-{secrets.token_hex(4)}@example.org"


def claim(value: str, kind: str = "email", **fields) -> tuple[Verification, str]:
    values = {"password_hash": PASSWORD_HASH, "name": None, "locale": "ru", "next_url": None}
    verification, secret = signups.claim(kind, value, **{**values, **fields})
    db.session.commit()
    return verification, secret


def test_a_sign_up_holds_what_the_account_will_be_made_of(app):
    email = unique_email()
    verification, token = claim(email, name="  Anna  ", next_url="/authorize?client_id=x")
    assert verification.account_id is None and verification.purpose == signups.PURPOSE
    assert (verification.kind, verification.target) == ("email", email)
    assert verification.password_hash == PASSWORD_HASH
    assert (verification.name, verification.locale) == ("Anna", "ru")
    assert verification.next_url == "/authorize?client_id=x"
    assert verifications.find_by_link(signups.PURPOSE, token).id == verification.id


@pytest.mark.parametrize(
    ("given", "kept"),
    [("   ", None), (None, None), ("A" * 250, "A" * 200)],
    ids=["blank", "none", "too long"],
)
def test_a_blank_name_is_none_and_a_long_one_is_cut(app, given, kept):
    verification, _ = claim(unique_email(), name=given)
    assert verification.name == kept


def test_a_sign_up_claims_nothing(app):
    email = unique_email()
    first, _ = claim(email)
    second, _ = claim(email)
    db.session.refresh(first)
    assert first.is_open(clock.now()) and second.is_open(clock.now())


def test_sign_in_finds_the_newest_open_sign_up_of_the_login_as_typed(app):
    email = unique_email()
    claim(email)
    newest, _ = claim(email)
    assert signups.waiting(f"  {email.upper()} ").id == newest.id
    by_phone, _ = claim(PHONE, kind="phone")
    assert signups.waiting("8 912 345-67-89").id == by_phone.id


def test_a_spent_cancelled_or_expired_sign_up_is_not_waiting(app):
    used, cancelled, late = (claim(unique_email())[0] for _ in range(3))
    verifications.use(used)
    cancelled.cancelled_at = clock.now()
    db.session.commit()
    assert signups.waiting(used.target) is None
    assert signups.waiting(cancelled.target) is None
    clock.travel(app.config["EMAIL_LINK_LIFETIME"] - 60)
    assert signups.waiting(late.target).id == late.id
    clock.travel(120)
    assert signups.waiting(late.target) is None


def test_only_a_sign_up_waits_for_its_login(app):
    me = person()
    email = unique_email()
    verifications.issue(me, purpose="login_change", kind="email", target=email)
    db.session.commit()
    assert signups.waiting(email) is None
    for typed in ("", "not a login", "x" * 400 + "@example.org"):
        assert signups.waiting(typed) is None


def test_the_browser_that_signed_up_is_the_one_its_cookie_names(app):
    verification, _ = claim(unique_email())
    assert not signups.started_elsewhere(verification, verification.id)
    assert signups.started_elsewhere(verification, verification.id + 1)
    assert signups.started_elsewhere(verification, None)


@pytest.mark.parametrize(("kind", "value"), [("email", "anna@example.org"), ("phone", PHONE)])
def test_a_confirmed_sign_up_makes_an_account_of_what_it_holds(app, kind, value):
    password_hash = person().password_hash  # a real argon2 hash of PASSWORD
    verification, _ = claim(value, kind=kind, password_hash=password_hash, name="Anna")
    account = signups.account_of(verification)
    assert account not in db.session
    assert getattr(account, kind) == value and getattr(account, f"{kind}_verified")
    other = "phone" if kind == "email" else "email"
    assert getattr(account, other) is None and not getattr(account, f"{other}_verified")
    assert verify_password(account.password_hash, PASSWORD)
    assert (account.name, account.locale) == ("Anna", "ru")
    assert len(account.sub) >= 16 and account.sub != signups.account_of(verification).sub
