"""Two-factor authentication as the person turns it on and off: they are told each time, and
a code that passes the second step of signing in is spent by that step itself."""

from __future__ import annotations

import pyotp
import pytest

from server import clock
from server.domain.errors import CodeInvalid
from server.extensions import db
from server.models import Account
from server.services import two_factor

from ..domain.conftest import CONTEXT, PASSWORD, mark, person, queued

NOTICES = ("two_factor_enabled", "two_factor_disabled")


def turned_on(account: Account) -> tuple[pyotp.TOTP, list[str]]:
    totp = pyotp.TOTP(two_factor.begin_setup(account, PASSWORD, login_session=None))
    codes, _session = two_factor.confirm_setup(
        account, totp.at(clock.timestamp()), login_session=None, context=CONTEXT
    )
    return totp, codes


def notices(since: int, account: Account) -> list[str]:
    return [
        m.payload["template"]
        for m in queued(since, "mail")
        if m.target == account.email and m.payload["template"] in NOTICES
    ]


def test_the_person_is_told_when_two_factor_goes_on_and_when_it_goes_off(app):
    account = person()
    since = mark()
    _totp, codes = turned_on(account)
    assert notices(since, account) == ["two_factor_enabled"]
    two_factor.disable(account, PASSWORD, codes[0], login_session=None, context=CONTEXT)
    assert notices(since, account) == ["two_factor_enabled", "two_factor_disabled"]


def test_a_code_that_passes_the_second_step_is_spent_though_nothing_else_commits(app):
    clock.freeze()
    account = person()
    totp, _codes = turned_on(account)
    clock.travel(30)
    code = totp.at(clock.timestamp())
    assert two_factor.pass_second_step(account, code) == "otp"
    db.session.rollback()  # the request goes no further
    with pytest.raises(CodeInvalid):
        two_factor.pass_second_step(account, code)
