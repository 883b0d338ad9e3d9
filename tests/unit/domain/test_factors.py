"""A TOTP time step is taken once (RFC 6238 §5.2), on SQLite and PostgreSQL: also by two
checks of one code that both read the authenticator before either took the step, as two
requests at the same moment do."""

from __future__ import annotations

import secrets

import pyotp
import pytest

from server import clock
from server.domain import factors
from server.domain.errors import CodeInvalid
from server.extensions import db
from server.models import Account, TotpAuthenticator
from server.services.accounts import create_account

from ..conftest import within


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        yield app


def account_with_an_app() -> tuple[int, pyotp.TOTP]:
    account = create_account(
        email=f"totp-{secrets.token_hex(4)}@example.org",
        password="correct horse battery",
        email_verified=True,
    )
    totp = pyotp.TOTP(factors.start_setup(account))
    factors.confirm_setup(account, totp.at(clock.timestamp()))
    db.session.commit()
    return account.id, totp


def test_a_step_read_as_free_by_two_checks_is_taken_by_one(app):
    account_id, totp = account_with_an_app()
    clock.travel(30)
    code = totp.at(clock.timestamp())
    with app.app_context():
        # The later check has read the authenticator while the step was still free…
        late = db.session.get(Account, account_id)
        read = db.session.get(TotpAuthenticator, account_id)  # held: the session keeps it as read
        assert read.last_used_step < clock.timestamp() // factors.STEP
        with app.app_context():
            # …when the earlier one takes the step and commits.
            assert factors.verify(db.session.get(Account, account_id), code) == "otp"
            db.session.commit()
        with pytest.raises(CodeInvalid):
            factors.verify(late, code)
        db.session.rollback()

    # The next step's code is taken.
    clock.travel(30)
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert factors.verify(account, totp.at(clock.timestamp())) == "otp"
        db.session.commit()
