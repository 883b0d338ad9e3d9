"""The per-process client cache: what it hands out, and when it lets go (SQLite)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from server import clock
from server.domain import client_cache
from server.extensions import db
from server.models import Client, ClientSnapshot
from server.services import clients, developers
from server.services.accounts import create_account

METADATA = {
    "client_name": "Batch job",
    "redirect_uris": ["https://batch.example/cb"],
    "grant_types": ["client_credentials"],
}


def new_client(**metadata):
    client, secret = clients.create_client({**METADATA, **metadata})
    return client.client_id, secret


def test_the_cache_hands_out_a_read_only_copy_that_follows_the_rows_rules(app):
    client_id, secret = new_client()
    cached = client_cache.find(client_id)
    assert isinstance(cached, ClientSnapshot)
    assert client_cache.find(client_id) is cached  # the second lookup is the same copy
    assert cached.check_client_secret(secret) and not cached.check_client_secret("guess")
    assert cached.check_grant_type("client_credentials")
    assert cached.redirect_uris == ["https://batch.example/cb"]
    with pytest.raises(TypeError):
        cached.client_metadata["redirect_uris"] = ["https://evil.example/cb"]
    with pytest.raises(AttributeError):
        cached.disabled_at = None
    assert client_cache.find("no-such-client") is None
    assert client_cache.find(None) is None and client_cache.find("x" * 65) is None


def test_a_change_committed_here_is_seen_at_once(app):
    client_id, _ = new_client()
    assert not client_cache.find(client_id).is_disabled
    row = clients.find_client(client_id)
    row.disabled_at = clock.now()
    db.session.commit()
    assert client_cache.find(client_id).is_disabled
    clients.delete_client(row)
    assert client_cache.find(client_id) is None


def test_a_rotation_by_bulk_update_is_seen_at_once_and_keeps_its_grace(app):
    owner = create_account(
        email="rotating@example.org", password="correct horse battery", email_verified=True
    )
    developers.set_role(owner.email, "developer", True)
    client, old = developers.register_client(owner, METADATA)
    client_id = client.client_id
    assert client_cache.find(client_id).check_client_secret(old)
    new = developers.rotate_secret(owner, client, grace_seconds=60)
    cached = client_cache.find(client_id)
    assert cached.check_client_secret(new) and cached.check_client_secret(old)
    clock.travel(61)  # the grace is judged when the secret is presented, not when cached
    assert not cached.check_client_secret(old)


def test_an_uncommitted_change_is_not_shared_and_a_rollback_leaves_nothing(app):
    client_id, _ = new_client()
    client_cache.find(client_id)
    row = clients.find_client(client_id)
    row.disabled_at = clock.now()
    db.session.flush()
    # This session sees its own change; nobody else may, so it is not cached.
    assert client_cache.find(client_id).is_disabled
    db.session.rollback()
    assert not client_cache.find(client_id).is_disabled


def test_a_change_from_another_process_is_seen_within_the_local_ttl(app):
    client_id, _ = new_client()
    assert not client_cache.find(client_id).is_disabled
    # Another process (the CLI beside `passport run`): its commit does not reach this one.
    with db.engine.begin() as other:
        other.execute(
            update(Client).where(Client.client_id == client_id).values(disabled_at=clock.now())
        )
    db.session.rollback()  # end this session's read, as the end of a request does
    assert not client_cache.find(client_id).is_disabled
    time.sleep(app.config["CLIENT_CACHE_TTL_LOCAL"])
    assert client_cache.find(client_id).is_disabled
