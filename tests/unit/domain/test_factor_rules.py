"""Second factors, each rule alone: which codes pass (the app's, one step of drift either way,
and recovery codes however they look), which are refused and counted, how long a person
waits after wrong codes (to the exact instant), when they are told, and what turning the app
off forgets — theirs only."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from server import clock
from server.domain import factors
from server.domain.errors import CodeInvalid, TooManyAttempts
from server.extensions import db
from server.models import Account, OutboxMessage, RecoveryCode
from server.security import sha256_hex

from .conftest import mark, person, queued

TICK = timedelta(microseconds=1)


def with_an_app() -> tuple[Account, pyotp.TOTP, list[str]]:
    """A person who has turned the app on (its current step spent) and their recovery codes."""
    account = person()
    totp = pyotp.TOTP(factors.start_setup(account))
    codes = factors.confirm_setup(account, totp.at(clock.timestamp()))
    db.session.commit()
    return account, totp, codes


def told(since: int, account: Account, template: str) -> list[OutboxMessage]:
    """The mails of `template` queued to the person since the mark."""
    return [
        m
        for m in queued(since, "mail")
        if m.target == account.email and m.payload["template"] == template
    ]


# --- what is confirmed, what is checked ---


def test_without_a_setup_there_is_nothing_to_confirm(app):
    with pytest.raises(CodeInvalid):
        factors.confirm_setup(person(), "123456")


def test_an_app_already_on_is_not_confirmed_again_nor_given_new_recovery_codes(app):
    clock.freeze()
    account, totp, codes = with_an_app()
    clock.travel(30)
    with pytest.raises(CodeInvalid):
        factors.confirm_setup(account, totp.at(clock.timestamp()))
    db.session.rollback()
    assert factors.verify(account, codes[0]) == "recovery"


def test_without_an_app_turned_on_no_code_passes(app):
    with pytest.raises(CodeInvalid):
        factors.verify(person(), "123456")
    pending = person()
    totp = pyotp.TOTP(factors.start_setup(pending))
    db.session.commit()
    with pytest.raises(CodeInvalid):
        factors.verify(pending, totp.at(clock.timestamp()))


def test_the_code_of_the_step_before_passes(app):
    clock.freeze()
    account, totp, _codes = with_an_app()
    clock.travel(60)
    assert factors.verify(account, totp.at(clock.timestamp() - 30)) == "otp"


def test_a_recovery_code_of_digits_only_is_taken_as_a_recovery_code(app):
    # The alphabet of recovery codes has digits: a code of ten of them is one like any other.
    account, _totp, _codes = with_an_app()
    db.session.add(RecoveryCode(account_id=account.id, code_hash=sha256_hex("2345678923")))
    db.session.commit()
    assert factors.verify(account, "23456-78923") == "recovery"


# --- wrong codes ---


def wrong_code(account: Account) -> None:
    with pytest.raises(CodeInvalid):
        factors.verify(account, "wrong-guess")
    db.session.commit()


def test_the_wait_after_wrong_codes_ends_at_the_exact_instant_it_was_set_to(app):
    clock.freeze()
    account, _totp, codes = with_an_app()
    for _ in range(app.config["SECOND_FACTOR_FREE_ATTEMPTS"] + 1):
        wrong_code(account)
    clock.travel(1 - TICK.total_seconds())  # the first wait past the free tries: one second
    with pytest.raises(TooManyAttempts):
        factors.verify(account, codes[0])
    clock.travel(TICK.total_seconds())
    assert factors.verify(account, codes[0]) == "recovery"


def test_the_person_is_told_once_when_wrong_codes_reach_the_set_number(app):
    account, _totp, _codes = with_an_app()
    since = mark()
    for attempt in range(1, app.config["SECOND_FACTOR_NOTIFY_AFTER"] + 2):
        clock.travel(3600)  # past any wait
        wrong_code(account)
        expected = 1 if attempt >= app.config["SECOND_FACTOR_NOTIFY_AFTER"] else 0
        assert len(told(since, account, "second_factor_failures")) == expected


# --- recovery codes ---


def test_the_person_is_told_when_their_recovery_codes_run_low_and_only_then(app):
    app.config["RECOVERY_CODE_COUNT"] = app.config["RECOVERY_CODES_LOW"] + 2
    clock.freeze()
    account, totp, codes = with_an_app()
    since = mark()
    notices = []
    for code in codes[:3]:
        assert factors.verify(account, code) == "recovery"
        db.session.commit()
        notices.append(len(told(since, account, "recovery_codes_low")))
    # Codes left: LOW + 1, LOW, LOW - 1.
    assert notices == [0, 1, 2]
    clock.travel(30)
    assert factors.verify(account, totp.at(clock.timestamp())) == "otp"
    db.session.commit()
    assert len(told(since, account, "recovery_codes_low")) == 2


def test_the_remaining_recovery_codes_are_the_persons_own_unused_ones(app):
    count = app.config["RECOVERY_CODE_COUNT"]
    me, _totp, codes = with_an_app()
    other, _other_totp, _other_codes = with_an_app()
    assert factors.verify(me, codes[0]) == "recovery"
    db.session.commit()
    assert factors.remaining_recovery_codes(me) == count - 1
    assert factors.remaining_recovery_codes(other) == count


def test_turning_the_app_off_forgets_its_secret_and_recovery_codes_and_no_one_elses(app):
    count = app.config["RECOVERY_CODE_COUNT"]
    me, _totp, codes = with_an_app()
    other, _other_totp, _other_codes = with_an_app()
    factors.remove(me)
    db.session.commit()
    assert not factors.is_enabled(me)
    assert factors.remaining_recovery_codes(me) == 0
    assert factors.is_enabled(other)
    assert factors.remaining_recovery_codes(other) == count
    with pytest.raises(CodeInvalid):
        factors.verify(me, codes[0])


@pytest.mark.parametrize("code", ["１２３４５６", "١٢٣٤٥٦"])
def test_six_digits_of_another_script_are_a_wrong_code_not_an_error(app, code):
    # Fullwidth digits (as a Japanese keyboard types them) and Arabic-Indic ones are digits
    # to str.isdigit, but no app shows them.
    pending = person()
    factors.start_setup(pending)
    with pytest.raises(CodeInvalid):
        factors.confirm_setup(pending, code)
    account, _totp, _codes = with_an_app()
    with pytest.raises(CodeInvalid):
        factors.verify(account, code)
