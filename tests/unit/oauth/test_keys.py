"""Signing keys: generation, delayed activation, retirement, pruning."""

from __future__ import annotations

import stat

import pytest

from server import clock
from server.oauth.keys import KeyStore

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


@pytest.fixture
def store(tmp_path):
    keystore = KeyStore(tmp_path / "keys", retention_seconds=3600)
    keystore.ensure()
    return keystore


def test_first_start_makes_a_key_per_algorithm(store, tmp_path):
    assert sorted(k.alg for k in store.keys()) == ["ES256", "PS256", "RS256"]
    for alg in ("RS256", "PS256"):
        assert store.signing_key(alg).key.as_dict()["kty"] == "RSA"
        assert len(store.signing_key(alg).key.as_dict()["n"]) >= 342  # 2048 bits, base64url
    assert store.signing_key("ES256").key.as_dict()["crv"] == "P-256"
    # PS256 has a key of its own, not the RS256 one under another name.
    assert store.signing_key("PS256").kid != store.signing_key("RS256").kid
    for pem in (tmp_path / "keys").glob("*.pem"):
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert store.ensure() == []  # nothing more on the next start


def test_jwks_has_only_public_members(store):
    for jwk in store.public_jwks()["keys"]:
        assert not PRIVATE_MEMBERS & set(jwk)
        assert jwk["use"] == "sig" and jwk["kid"] and jwk["alg"] in ("RS256", "ES256", "PS256")


def test_rotation_publishes_first_signs_later_and_retires(store):
    old = store.signing_key("RS256")
    new = store.rotate("RS256", delay_seconds=600)
    assert {k.kid for k in store.published()} >= {old.kid, new.kid}
    assert store.signing_key("RS256").kid == old.kid  # not yet
    states = {k.kid: s for k, s in store.states()}
    assert states[new.kid] == "next" and states[old.kid] == "active"

    clock.travel(601)
    assert store.signing_key("RS256").kid == new.kid
    states = {k.kid: s for k, s in store.states()}
    assert states[old.kid] == "retired"
    assert old.kid in {k["kid"] for k in store.public_jwks()["keys"]}  # still verifies old tokens

    clock.travel(3600)
    states = {k.kid: s for k, s in store.states()}
    assert states[old.kid] == "expired"
    assert old.kid not in {k["kid"] for k in store.public_jwks()["keys"]}
    store.rotate("RS256", delay_seconds=0)  # a rotation prunes expired keys
    assert old.kid not in {k.kid for k in store.keys()}


def test_another_process_sees_a_rotation(store, tmp_path):
    other = KeyStore(tmp_path / "keys", retention_seconds=3600, recheck_seconds=0)
    before = {k.kid for k in other.keys()}
    new = store.rotate("ES256", delay_seconds=0)
    assert new.kid not in before and new.kid in {k.kid for k in other.keys()}


def test_unknown_algorithm_is_refused(store):
    with pytest.raises(ValueError):
        store.rotate("HS256", delay_seconds=0)
