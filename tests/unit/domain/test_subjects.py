"""Pairwise subject identifiers (OIDC Core §8.1): stable, per sector, keyed by the salt."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Flask

from server.domain.subjects import subject_for


def client(**metadata):
    return SimpleNamespace(client_metadata=metadata)


def pairwise(salt: str, sub: str, **metadata) -> str:
    app = Flask(__name__)
    app.config["PAIRWISE_SALT"] = salt
    with app.app_context():
        return subject_for(sub, client(subject_type="pairwise", **metadata))


def test_a_public_client_sees_the_public_identifier():
    assert subject_for("abc", client()) == "abc"
    assert subject_for("abc", client(subject_type="public")) == "abc"
    assert subject_for("abc", None) == "abc"


def test_the_pairwise_identifier_depends_on_sector_person_and_salt():
    shop = {"redirect_uris": ["https://shop.example/cb", "https://shop.example/other"]}
    same = pairwise("salt", "abc", **shop)
    assert same == pairwise("salt", "abc", redirect_uris=["https://SHOP.example/x"])
    assert same == pairwise("salt", "abc", sector_identifier_uri="https://shop.example/s.json")
    assert same != pairwise("salt", "abd", **shop)
    assert same != pairwise("pepper", "abc", **shop)
    assert same != pairwise("salt", "abc", redirect_uris=["https://bank.example/cb"])
    assert len(same) == 43 and "abc" not in same


def test_a_new_subject_never_starts_with_a_dash():
    """An operator writes it after `passport users show` as it is: a leading "-" would be
    read as an option (about 1 in 64 of random URL-safe tokens has one)."""
    from server.domain.subjects import new_subject

    subjects = {new_subject() for _ in range(2000)}
    assert len(subjects) == 2000
    assert not [s for s in subjects if s.startswith("-")]
    assert all(len(s) >= 20 for s in subjects)
