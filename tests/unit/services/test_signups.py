"""Signing up: a sign-up claims nothing until its login is confirmed; sign-in tells only the
password chosen at that sign-up that it waits."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from server import clock
from server.domain import notifications
from server.domain import signups as pending_signups
from server.domain.errors import (
    CodeExpired,
    IdentifierTaken,
    InvalidCredentials,
    InvalidIdentifier,
    LoginNotConfirmed,
    WeakPassword,
    WrongSignupPassword,
)
from server.extensions import db
from server.models import Account, AuditEvent, OutboxMessage, Verification
from server.services.accounts import authenticate, create_account
from server.services.signups import (
    check_signup_link,
    confirm_signup_by_code,
    confirm_signup_by_link,
    pending_signup,
    request_signup,
)

PASSWORD = "correct horse battery"
LINKS: dict[str, str] = {}


def unique_email() -> str:
    return f"person-{secrets.token_hex(4)}@example.org"


def link(token: str) -> str:
    """Keeps the secret the mail carries, as the mailbox would."""
    LINKS["last"] = token
    return f"https://passport.example/signup/confirm/{token}"


def sign_up(login: str, password: str = PASSWORD, **fields) -> tuple[Verification, str | None]:
    """The sign-up, and the secret of its link (None for a phone: a code goes by SMS)."""
    LINKS.pop("last", None)
    values = {"name": None, "locale": "en", "next_url": None, **fields}
    verification = request_signup(login, password, link=link, **values)
    return verification, LINKS.get("last")


def accounts(email: str) -> int:
    return db.session.scalar(select(func.count()).where(Account.email == email))


def test_a_sign_up_sends_a_link_and_makes_no_account(app):
    email = unique_email()
    verification, token = sign_up(email.upper(), name="  Anna  ", next_url="/authorize?x=1")
    assert accounts(email) == 0
    assert verification.account_id is None and verification.target == email
    assert verification.name == "Anna" and verification.next_url == "/authorize?x=1"
    assert token not in verification.secret_hash
    [message] = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.target == email)
    ).scalars()
    assert message.payload["template"] == "confirm_signup"
    kinds = db.session.execute(
        select(AuditEvent.details).where(
            AuditEvent.kind == "signup_requested", AuditEvent.account_id.is_(None)
        )
    ).scalars()
    assert {"identifier": "email"} in list(kinds)


@pytest.mark.parametrize(
    ("login", "password", "error"),
    [
        ("not-an-address@", PASSWORD, InvalidIdentifier),
        ("{email}", "short", WeakPassword),
        ("{email}", "{email}", WeakPassword),
    ],
)
def test_refused_sign_ups_send_nothing(app, login, password, error):
    email = unique_email()
    before = db.session.scalar(select(func.count()).select_from(Verification))
    with pytest.raises(error):
        sign_up(login.format(email=email), password.format(email=email))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Verification)) == before


def test_a_login_an_account_holds_is_refused_at_once(app):
    email = unique_email()
    create_account(email=email, password=PASSWORD, email_verified=True)
    with pytest.raises(IdentifierTaken):
        sign_up(email)


def test_two_sign_ups_of_one_login_both_stand_until_one_is_confirmed(app):
    email = unique_email()
    first, first_token = sign_up(email, "the first person's phrase")
    second, second_token = sign_up(email, "the second person's phrase")
    assert first.is_open(clock.now()) and second.is_open(clock.now())

    account, next_url = confirm_signup_by_link(second_token, None, started_here=second.id)
    assert account.email == email and account.email_verified and next_url is None
    assert authenticate(email, "the second person's phrase").id == account.id
    with pytest.raises(IdentifierTaken):
        check_signup_link(first_token)
    with pytest.raises(IdentifierTaken):
        confirm_signup_by_link(first_token, None, started_here=first.id)
    with pytest.raises(IdentifierTaken):
        pending_signup(first.id)
    with pytest.raises(CodeExpired):
        check_signup_link(second_token)
    assert accounts(email) == 1


def test_another_browser_gives_the_password_chosen_at_sign_up(app):
    email = unique_email()
    verification, token = sign_up(email)
    for wrong in (None, "", "not the password"):
        with pytest.raises(WrongSignupPassword):
            confirm_signup_by_link(token, wrong, started_here=None)
    assert pending_signups.started_elsewhere(verification, verification.id + 1)
    account, _ = confirm_signup_by_link(token, PASSWORD, started_here=verification.id + 1)
    assert account.email == email


def test_sign_in_tells_only_the_sign_ups_own_password_that_it_waits(app):
    email = unique_email()
    older, _ = sign_up(email, "the older phrase")
    newer, _ = sign_up(email, "the newer phrase")
    with pytest.raises(LoginNotConfirmed) as waiting:
        authenticate(email.upper(), "the newer phrase")
    assert waiting.value.verification_id == newer.id
    with app.test_request_context():
        assert waiting.value.message() == (
            f"Your Passport is not ready yet: open the link we sent to {email}."
        )
    # One hash is checked, the newest sign-up's: the older one reads as unknown.
    for password in ("the older phrase", "a guess"):
        with pytest.raises(InvalidCredentials):
            authenticate(email, password)
    assert older.is_open(clock.now())


def test_a_phone_sign_up_is_confirmed_by_its_code(app):
    phone = "+7912" + "".join(secrets.choice("0123456789") for _ in range(7))
    verification, _ = sign_up(phone)
    with pytest.raises(LoginNotConfirmed) as waiting:
        authenticate(phone, PASSWORD)
    with app.test_request_context():
        assert "confirm the number" in waiting.value.message()
    # The code is in the SMS waiting in the outbox, sealed.
    [message] = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.target == phone)
    ).scalars()
    text = notifications.unseal(message.payload["sealed"])["text"]
    assert text.startswith("Passport sign-up code: ")
    account, _ = confirm_signup_by_code(verification.id, re.search(r"\d{6}", text).group())
    assert account.phone == phone and account.phone_verified and account.email is None
    assert authenticate(phone, PASSWORD).id == account.id


def test_an_expired_sign_up_is_gone_for_sign_in_and_confirmation(app):
    email = unique_email()
    verification, token = sign_up(email)
    clock.travel(app.config["EMAIL_LINK_LIFETIME"] + 1)
    with pytest.raises(CodeExpired):
        check_signup_link(token)
    with pytest.raises(CodeExpired):
        pending_signup(verification.id)
    with pytest.raises(InvalidCredentials):
        authenticate(email, PASSWORD)
