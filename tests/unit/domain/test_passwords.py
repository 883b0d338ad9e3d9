"""argon2id hashes with the configured parameters, and the password policy."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type

from server.config import load_config
from server.domain.errors import WeakPassword
from server.domain.passwords import (
    check_password_policy,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_defaults_are_owasp_argon2id_parameters():
    config = load_config(environ={})
    assert config["ARGON2_MEMORY_COST"] == 19 * 1024
    assert config["ARGON2_TIME_COST"] == 2
    assert config["ARGON2_PARALLELISM"] == 1


def test_hash_is_argon2id_with_the_configured_parameters(app):
    password_hash = hash_password("correct horse battery")
    assert password_hash.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    parameters = extract_parameters(password_hash)
    assert parameters.type is Type.ID
    assert parameters.salt_len >= 16 and parameters.hash_len >= 32
    assert "correct horse battery" not in password_hash


def test_parameters_come_from_configuration(app_factory):
    app = app_factory(ARGON2_MEMORY_COST=9216, ARGON2_TIME_COST=2, ARGON2_PARALLELISM=2)
    with app.app_context():
        password_hash = hash_password("correct horse battery")
    assert password_hash.startswith("$argon2id$v=19$m=9216,t=2,p=2$")


def test_salts_differ(app):
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def test_verify(app):
    password_hash = hash_password("correct horse battery")
    assert verify_password(password_hash, "correct horse battery")
    assert not verify_password(password_hash, "correct horse battery ")
    assert not verify_password(password_hash, "Correct horse battery")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not a hash", "correct horse battery")
    assert not verify_password("$argon2id$v=19$m=8192,t=1,p=1$broken", "x")


def test_a_hash_with_other_parameters_needs_rehash(app_factory):
    old = app_factory(ARGON2_MEMORY_COST=8192, ARGON2_TIME_COST=1)
    new = app_factory(ARGON2_MEMORY_COST=9216, ARGON2_TIME_COST=2)
    with old.app_context():
        old_hash = hash_password("correct horse battery")
        assert not needs_rehash(old_hash)
    with new.app_context():
        assert needs_rehash(old_hash)
        # The old hash still verifies: its parameters are read from the hash itself.
        assert verify_password(old_hash, "correct horse battery")
        assert not needs_rehash(hash_password("correct horse battery"))


@pytest.mark.parametrize(
    "password",
    ["Tr0ub4dor&3x", "x" * 8, "x" * 256, "пароль из четырёх слов", "🔑" * 8, "with  spaces  "],
)
def test_policy_accepts(app, password):
    check_password_policy(password, logins=("person@example.org",))


@pytest.mark.parametrize(
    ("password", "login", "reason"),
    [
        ("", None, "too_short"),
        ("x" * 7, None, "too_short"),
        ("🔑" * 7, None, "too_short"),
        ("x" * 257, None, "too_long"),
        ("x" * 1024, None, "too_long"),
        ("password", None, "common"),
        ("PASSWORD", None, "common"),
        ("12345678", None, "common"),
        ("qwertyuiop", None, "common"),
        ("person@example.org", "person@example.org", "equals_login"),
        ("Person@Example.ORG", "person@example.org", "equals_login"),
        (" person@example.org ", "person@example.org", "equals_login"),
        ("user@xn--e1afmkfd.xn--p1ai", "user@пример.рф", "equals_login"),
        ("+79123456789", "+79123456789", "equals_login"),
        # The phone login in another notation is still the login.
        ("89123456789", "+79123456789", "equals_login"),
        ("+7 (912) 345-67-89", "+79123456789", "equals_login"),
    ],
)
def test_policy_refuses(app, password, login, reason):
    with pytest.raises(WeakPassword) as error:
        check_password_policy(password, logins=(login,))
    assert error.value.reason == reason


def test_another_number_is_not_the_login(app):
    check_password_policy("89123456780", logins=("+79123456789",))


def test_neither_login_of_an_account_with_both_is_a_password(app):
    logins = ("both@example.org", "+79123456789")
    for password in ("both@example.org", "8 912 345-67-89"):
        with pytest.raises(WeakPassword):
            check_password_policy(password, logins=logins)


def test_the_comment_lines_of_the_common_password_list_are_not_passwords():
    common_passwords.cache_clear()  # read the file again, whichever test read it first
    listed = common_passwords()
    assert "password" in listed
    assert not any(line.startswith("#") for line in listed)
