"""Signing keys in the database: shared by every node, sealed, imported from a keys/ folder."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from server import clock
from server.extensions import db
from server.models import SigningKeyRecord
from server.oauth.keys import DatabaseKeys, FolderKeys, KeyStore

from ..conftest import within


def node(**options) -> KeyStore:
    """One node's view of the keys (its own cache, the shared table)."""
    return KeyStore(DatabaseKeys(**options), retention_seconds=3600, recheck_seconds=0)


@pytest.fixture
def app(backend_app):
    with within(backend_app) as app:
        db.session.execute(SigningKeyRecord.__table__.delete())
        db.session.commit()
        yield app


def test_a_rotation_on_one_node_is_seen_by_the_other(app):
    first = KeyStore(
        DatabaseKeys(), retention_seconds=3600, recheck_seconds=0, generate_missing=True
    )
    second = node()
    signing = {k.kid for k in first.keys()}
    assert len(signing) == 3 and {k.kid for k in second.keys()} == signing
    new = second.rotate("ES256", delay_seconds=0)
    assert new.kid in {k.kid for k in first.keys()}
    assert first.signing_key("ES256").kid == second.signing_key("ES256").kid == new.kid
    assert first.public_jwks() == second.public_jwks()


def test_a_node_sees_a_change_only_after_its_recheck_interval(app):
    first = KeyStore(
        DatabaseKeys(), retention_seconds=3600, recheck_seconds=3600, generate_missing=True
    )
    before = {k.kid for k in first.keys()}
    node().rotate("RS256", delay_seconds=0)
    assert {k.kid for k in first.keys()} == before  # cached: no query per request
    first._checked_at = float("-inf")  # the interval has passed
    assert len({k.kid for k in first.keys()}) == 4


def test_private_keys_are_sealed_with_the_key_encryption_key(app):
    KeyStore(DatabaseKeys(), retention_seconds=3600, generate_missing=True).keys()
    sealed = db.session.execute(select(SigningKeyRecord.private_key_sealed)).scalars().all()
    assert len(sealed) == 3 and not any("PRIVATE KEY" in value for value in sealed)
    kept = app.config["KEY_ENCRYPTION_KEY"]
    app.config["KEY_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    try:
        with pytest.raises(RuntimeError, match="KEY_ENCRYPTION_KEY is not the key"):
            node().keys()
    finally:
        app.config["KEY_ENCRYPTION_KEY"] = kept


def test_a_keys_folder_is_imported_on_the_first_start(app, tmp_path):
    folder = KeyStore(FolderKeys(tmp_path / "keys"), retention_seconds=3600)
    folder.ensure()
    retired = folder.rotate("RS256", delay_seconds=0)
    kids = {k.kid for k in folder.keys()}
    started = KeyStore(
        DatabaseKeys(import_from=FolderKeys(tmp_path / "keys")),
        retention_seconds=3600,
        generate_missing=True,
    )
    assert {k.kid for k in started.keys()} == kids  # nothing generated beside them
    assert started.signing_key("RS256").kid == retired.kid
    # Imported once: a second node finds them in the table, folder or not.
    assert {k.kid for k in node().keys()} == kids


def test_keys_sign_in_the_order_of_their_activation(app):
    store = KeyStore(
        DatabaseKeys(), retention_seconds=3600, recheck_seconds=0, generate_missing=True
    )
    store.keys()
    later = store.rotate("RS256", delay_seconds=600)
    assert store.signing_key("RS256").kid != later.kid
    clock.travel(601)
    assert store.signing_key("RS256").kid == later.kid
