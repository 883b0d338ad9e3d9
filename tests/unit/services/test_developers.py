"""Who may use the developer console, whose clients are whose, and secret rotation."""

from __future__ import annotations

import secrets

import pytest

from server import clock
from server.domain.errors import (
    GracePeriodTooLong,
    NotADeveloper,
    OperatorsOnly,
    SecretAlreadyRotated,
)
from server.services import developers
from server.services.accounts import create_account

METADATA = {"client_name": "Shop", "redirect_uris": ["https://shop.example/cb"]}


def account(**roles):
    made = create_account(
        email=f"dev-{secrets.token_hex(4)}@example.org",
        password="correct horse battery",
        email_verified=True,
    )
    for role, granted in roles.items():
        developers.set_role(made.email, role, granted)
    return made


def test_the_console_is_for_developers_unless_opened_to_all(app):
    person = account()
    assert not developers.is_developer(person)
    with pytest.raises(NotADeveloper):
        developers.clients_of(person)
    app.config["DEVELOPERS_OPEN"] = True
    assert developers.is_developer(person)
    assert developers.clients_of(person) == []


def test_only_owners_and_operators_find_a_client(app):
    owner, other, operator = (
        account(developer=True),
        account(developer=True),
        account(operator=True),
    )
    client, _ = developers.register_client(owner, METADATA)
    assert developers.find_managed_client(owner, client.client_id) is client
    assert developers.find_managed_client(other, client.client_id) is None
    assert developers.find_managed_client(operator, client.client_id) is client
    assert client in developers.clients_of(operator)
    assert developers.clients_of(other) == []


def test_first_party_is_for_operators(app):
    developer, operator = account(developer=True), account(operator=True)
    with pytest.raises(OperatorsOnly):
        developers.register_client(developer, METADATA, first_party=True)
    client, _ = developers.register_client(operator, METADATA, first_party=True)
    assert client.first_party


def test_rotation_grace_and_its_limits(app):
    owner = account(developer=True)
    client, first = developers.register_client(owner, METADATA)
    maximum = app.config["CLIENT_SECRET_GRACE_MAX"]
    with pytest.raises(GracePeriodTooLong):
        developers.rotate_secret(owner, client, grace_seconds=maximum + 1)
    seen = developers.secret_fingerprint(client)
    second = developers.rotate_secret(owner, client, grace_seconds=60, replacing=seen)
    with pytest.raises(SecretAlreadyRotated):
        developers.rotate_secret(owner, client, replacing=seen)
    assert client.check_client_secret(first) and client.check_client_secret(second)
    clock.travel(61)
    assert not client.check_client_secret(first) and client.check_client_secret(second)
    third = developers.rotate_secret(owner, client)
    assert not client.check_client_secret(second) and client.check_client_secret(third)


def test_two_rotations_at_once_replace_the_secret_only_once(app):
    from sqlalchemy import update

    from server.extensions import db
    from server.models import Client
    from server.security import sha256_hex

    owner = account(developer=True)
    client, _ = developers.register_client(owner, METADATA)
    seen = developers.secret_fingerprint(client)
    # Another request rotates the secret between this one's read of the client and its write.
    with db.engine.begin() as other:
        other.execute(
            update(Client)
            .where(Client.id == client.id)
            .values(client_secret_hash=sha256_hex("rotated elsewhere"))
        )
    with pytest.raises(SecretAlreadyRotated):
        developers.rotate_secret(owner, client, replacing=seen)
    db.session.expire_all()
    assert client.check_client_secret("rotated elsewhere")
