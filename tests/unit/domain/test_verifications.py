"""Single-use links and codes, each rule alone: what a new one ends, what finds it, how wrong
codes are counted, when it expires, how soon it may be sent again, and that it is spent once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server import clock
from server.domain import notifications, verifications
from server.domain.errors import CodeExpired, CodeInvalid, TooManyAttempts
from server.extensions import db
from server.models import OutboxMessage, Verification

from .conftest import person

PURPOSE = "login_change"


def issue(account=None, *, kind="phone", purpose=PURPOSE, target=None):
    target = target or ("new@example.org" if kind == "email" else "+79120000000")
    verification, secret = verifications.issue(account, purpose=purpose, kind=kind, target=target)
    db.session.commit()
    return verification, secret


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def is_open(verification: Verification) -> bool:
    db.session.refresh(verification)
    return verification.is_open(clock.now())


# --- issuing ---


def test_a_link_and_a_code_are_stored_as_keyed_hashes_with_their_lifetimes(app):
    link, token = issue(person(), kind="email")
    code, secret = issue(person(), kind="phone")
    assert len(token) >= 40 and token not in link.secret_hash
    assert len(secret) == 6 and secret.isdigit() and secret not in code.secret_hash
    assert link.expires_at - link.created_at == timedelta(seconds=app.config["EMAIL_LINK_LIFETIME"])
    assert code.expires_at - code.created_at == timedelta(seconds=app.config["SMS_CODE_LIFETIME"])
    assert (link.attempts, link.sends, link.last_sent_at) == (0, 1, link.created_at)


def test_a_new_one_ends_the_accounts_open_one_of_the_same_purpose_only(app):
    me, someone = person(), person()
    earlier, _ = issue(me, kind="email")
    other_purpose, _ = issue(me, kind="email", purpose="recovery")
    theirs, _ = issue(someone, kind="email")
    issue(me, kind="phone")
    assert not is_open(earlier)
    assert is_open(other_purpose) and is_open(theirs)


def test_sign_ups_without_an_account_never_end_each_other(app):
    first, _ = issue(None, kind="email", purpose="signup", target="same@example.org")
    issue(None, kind="email", purpose="signup", target="same@example.org")
    assert is_open(first)


# --- finding ---


def test_a_link_finds_its_open_verification_of_its_purpose_only(app):
    verification, token = issue(person(), kind="email")
    assert verifications.find_by_link(PURPOSE, token).id == verification.id
    for purpose, presented in [
        ("recovery", token),
        (PURPOSE, token + "x"),
        (PURPOSE, ""),
        (PURPOSE, "x" * 201),
    ]:
        with pytest.raises(CodeExpired):
            verifications.find_by_link(purpose, presented)


def test_a_link_is_refused_once_used_or_expired(app):
    used, used_token = issue(person(), kind="email")
    verifications.use(used)
    db.session.commit()
    with pytest.raises(CodeExpired):
        verifications.find_by_link(PURPOSE, used_token)
    _late, token = issue(person(), kind="email")
    clock.travel(app.config["EMAIL_LINK_LIFETIME"] - 60)
    verifications.find_by_link(PURPOSE, token)
    clock.travel(120)
    with pytest.raises(CodeExpired):
        verifications.find_by_link(PURPOSE, token)


@pytest.mark.parametrize("given", [None, "", "abc", "0", "-1", 2**31, "9" * 30])
def test_an_id_that_names_nothing_finds_nothing(app, given):
    with pytest.raises(CodeExpired):
        verifications.find_by_id(PURPOSE, given)


def test_an_id_finds_only_its_purpose(app):
    verification, _ = issue(person())
    assert verifications.find_by_id(PURPOSE, str(verification.id)).id == verification.id
    with pytest.raises(CodeExpired):
        verifications.find_by_id("recovery", verification.id)


# --- checking a code ---


def test_wrong_codes_are_counted_and_the_right_one_still_works_before_the_limit(app):
    verification, code = issue(person())
    limit = app.config["CODE_MAX_ATTEMPTS"]
    for left in range(limit - 1, 0, -1):
        with pytest.raises(CodeInvalid) as refused:
            verifications.check_code(verification, wrong(code))
        assert refused.value.attempts_left == left
    assert verification.attempts == limit - 1
    verifications.check_code(verification, f" {code[:3]} {code[3:]} ")
    assert verification.attempts == limit - 1


def test_the_last_wrong_code_closes_it_even_to_the_right_one(app):
    verification, code = issue(person())
    verification.attempts = app.config["CODE_MAX_ATTEMPTS"] - 1
    with pytest.raises(TooManyAttempts):
        verifications.check_code(verification, wrong(code))
    with pytest.raises(TooManyAttempts):
        verifications.check_code(verification, code)


def test_a_code_expires_with_its_lifetime(app):
    verification, code = issue(person())
    clock.travel(app.config["SMS_CODE_LIFETIME"] - 60)
    verifications.check_code(verification, code)
    clock.travel(120)
    with pytest.raises(CodeExpired):
        verifications.check_code(verification, code)
    assert verification.attempts == 0


def test_a_code_is_checked_against_its_own_verification(app):
    mine, my_code = issue(person())
    theirs, _their_code = issue(person())
    with pytest.raises(CodeInvalid):
        verifications.check_code(theirs, my_code)
    verifications.check_code(mine, my_code)


# --- spending ---


def test_a_verification_is_spent_once(app):
    verification, _ = issue(person())
    verifications.use(verification)
    db.session.commit()
    with pytest.raises(CodeExpired):
        verifications.use(verification)
    assert not is_open(verification)


# --- sending again ---


def test_a_resend_waits_for_the_cool_down_and_says_how_long(app):
    verification, _ = issue(person())
    cool_down = app.config["RESEND_COOLDOWN"]
    clock.travel(cool_down - 10)
    with pytest.raises(TooManyAttempts) as refused:
        verifications.renew(verification)
    assert refused.value.retry_after == 10
    clock.travel(10)
    verifications.renew(verification)


def test_a_resend_is_a_fresh_secret_with_a_fresh_life_and_tries(app):
    verification, old = issue(person())
    verification.attempts = 3
    clock.travel(app.config["RESEND_COOLDOWN"])
    new = verifications.renew(verification)
    db.session.commit()
    assert verification.attempts == 0 and verification.sends == 2
    assert verification.last_sent_at > verification.created_at
    assert verification.expires_at - verification.last_sent_at == timedelta(
        seconds=app.config["SMS_CODE_LIFETIME"]
    )
    verifications.check_code(verification, new)
    if new != old:  # one chance in a million that the fresh code is the old one
        with pytest.raises(CodeInvalid):
            verifications.check_code(verification, old)


def test_a_renewed_link_replaces_the_old_one(app):
    verification, old = issue(person(), kind="email")
    clock.travel(app.config["RESEND_COOLDOWN"])
    new = verifications.renew(verification)
    db.session.commit()
    assert verifications.find_by_link(PURPOSE, new).id == verification.id
    with pytest.raises(CodeExpired):
        verifications.find_by_link(PURPOSE, old)


def test_sends_stop_at_the_limit(app):
    verification, _ = issue(person())
    cool_down = app.config["RESEND_COOLDOWN"]
    for _ in range(app.config["MAX_SENDS"] - 1):
        clock.travel(cool_down)
        verifications.renew(verification)
    assert verification.sends == app.config["MAX_SENDS"]
    clock.travel(cool_down)
    with pytest.raises(TooManyAttempts) as refused:
        verifications.renew(verification)
    assert refused.value.retry_after is None


def test_a_closed_one_is_not_sent_again(app):
    verification, _ = issue(person())
    verifications.use(verification)
    clock.travel(app.config["RESEND_COOLDOWN"])
    with pytest.raises(CodeExpired):
        verifications.renew(verification)


# --- delivering ---


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_the_secret_is_sent_to_the_target_while_there_is_time_to_use_it(app, kind):
    verification, secret = issue(person(), kind=kind)
    verifications.send(
        verification,
        secret,
        mail="confirm_email",
        sms="confirm_phone",
        link=lambda token: f"https://passport.example/confirm/{token}",
        locale="en",
    )
    db.session.commit()
    message = db.session.get(OutboxMessage, verification.message_id)
    assert message.kind == ("mail" if kind == "email" else "sms")
    assert message.target == verification.target
    life = verification.expires_at - verification.last_sent_at
    assert message.give_up_at == verification.last_sent_at + life / 2
    content = notifications.unseal(message.payload["sealed"])
    assert secret in content["text"]
