"""Upstream identities: keyed by (provider, subject) by the database; signing in and linking."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.federation.profile import UpstreamProfile
from server.models import UpstreamIdentity
from server.services import federation
from server.services.accounts import create_account
from server.services.errors import (
    IdentityLinkedElsewhere,
    LastLoginMethod,
    ProviderAlreadyLinked,
    UpstreamEmailHeld,
)


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
