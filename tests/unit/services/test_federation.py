"""Upstream identities: keyed by (provider, subject) by the database; signing in and linking."""

from __future__ import annotations

import contextlib
import secrets
import threading

import pyotp
import pytest
from sqlalchemy.exc import IntegrityError

from server.domain import factors
from server.domain.errors import (
    IdentityLinkedElsewhere,
    LastLoginMethod,
    ProviderAlreadyLinked,
    UpstreamEmailHeld,
)
from server.extensions import db
from server.federation import init_federation
from server.federation.profile import UpstreamProfile
from server.federation.registry import EXTENSION
from server.models import Account, LoginSession, UpstreamIdentity
from server.services import federation, sessions, two_factor
from server.services.accounts import create_account

from ..conftest import within


def profile(provider: str = "github", *, email: str | None = None, verified: bool = True):
    return UpstreamProfile(
        provider=provider,
        subject=secrets.token_hex(6),
        name="Person",
        email=email,
        email_verified=verified,
    )


def unique_email() -> str:
    return f"social-{secrets.token_hex(4)}@example.org"


def person(password: str | None = "correct horse battery"):
    return create_account(email=unique_email(), password=password, email_verified=True)


def test_the_database_keeps_an_upstream_account_to_one_passport(app):
    first, second = person(), person()
    db.session.add(UpstreamIdentity(account_id=first.id, provider="vk", subject="42"))
    db.session.commit()
    db.session.add(UpstreamIdentity(account_id=second.id, provider="vk", subject="42"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # One account of each network per Passport.
    db.session.add(UpstreamIdentity(account_id=first.id, provider="vk", subject="43"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_new_passport_is_verified_only_when_the_provider_says_so(app):
    trusted = profile(email=unique_email())
    account, created = federation.sign_in_with_upstream(trusted)
    assert created and account.email_verified and account.password_hash is None
    again, created = federation.sign_in_with_upstream(trusted)
    assert again.id == account.id and not created

    doubtful, created = federation.sign_in_with_upstream(
        profile(email=unique_email(), verified=False)
    )
    assert created and not doubtful.email_verified
    nameless, created = federation.sign_in_with_upstream(profile(email="not an address"))
    assert created and nameless.email is None


def test_an_email_held_by_a_passport_never_signs_in(app):
    owner = person()
    with pytest.raises(UpstreamEmailHeld) as raised:
        federation.sign_in_with_upstream(profile(email=owner.email.upper()))
    assert raised.value.email == owner.email
    assert federation.linked_identities(owner) == {}


def test_linking_refuses_an_account_linked_elsewhere_and_a_second_of_one_network(app):
    first, second = person(), person()
    octo = profile()
    federation.link_social(first, octo)
    assert federation.link_social(first, octo).account_id == first.id  # linking again is a no-op
    with pytest.raises(IdentityLinkedElsewhere):
        federation.link_social(second, octo)
    with pytest.raises(ProviderAlreadyLinked):
        federation.link_social(first, profile())


def test_the_last_way_to_sign_in_is_kept(app):
    account, _created = federation.sign_in_with_upstream(profile("yandex", email=unique_email()))
    with pytest.raises(LastLoginMethod):
        federation.unlink_social(account, "yandex", None, login_session=None)
    assert "yandex" in federation.linked_identities(account)


# --- two unlinks at once ----------------------------------------------------------------

NETWORKS = {"github": {"client_id": "x", "client_secret": "y"}, "yandex": {"client_id": "x"}}


@pytest.fixture
def offered(backend_app):
    with within(backend_app) as app:
        app.extensions.pop(EXTENSION, None)
        app.config["UPSTREAM_PROVIDERS"] = NETWORKS
        init_federation(app)
        yield app
        app.config["UPSTREAM_PROVIDERS"] = {}
        init_federation(app)


def test_two_unlinks_at_once_with_two_factor_leave_a_way_to_sign_in(offered, monkeypatch):
    """An account without a password, 2FA on, two networks: two browsers unlink one each at
    the same moment, each with its own recovery code. The second factor is checked under the
    account's lock, so at most one unlink wins and one network stays."""
    app = offered
    account, _created = federation.sign_in_with_upstream(profile("github", email=unique_email()))
    federation.link_social(account, profile("yandex"))
    browser = sessions.start_session(account, amr=["fed"], acr=None, remember=False)
    secret = two_factor.begin_setup(account, None, login_session=browser)
    codes, _ = two_factor.confirm_setup(account, pyotp.TOTP(secret).now(), login_session=browser)
    others = [
        sessions.start_session(account, amr=["fed", "mfa"], acr=None, remember=False)
        for _ in range(2)
    ]
    account_id, session_ids = account.id, [s.id for s in others]
    db.session.remove()

    # Each unlink, once past the second factor, waits a moment for the other to get there
    # too: were the lock released by then, both would pass the last-way-to-sign-in check.
    verify, arrived = factors.verify, threading.Barrier(2)

    def verify_then_wait(*args, **kwargs):
        method = verify(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            arrived.wait(timeout=1)
        return method

    monkeypatch.setattr(factors, "verify", verify_then_wait)
    start, outcomes = threading.Barrier(2), []

    def unlink(provider: str, session_id: str, code: str) -> None:
        with app.app_context():
            start.wait()
            try:
                account = db.session.get(Account, account_id)
                login_session = db.session.get(LoginSession, session_id)
                federation.unlink_social(
                    account, provider, None, login_session=login_session, code=code
                )
                outcomes.append("unlinked")
            except LastLoginMethod:
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 - any other outcome fails the test
                outcomes.append(repr(error))
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [
        threading.Thread(target=unlink, args=args)
        for args in zip(("github", "yandex"), session_ids, codes, strict=False)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "unlinked"], outcomes
    assert len(federation.linked_identities(db.session.get(Account, account_id))) == 1
