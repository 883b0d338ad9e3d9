"""Login identifiers are normalised before they are stored or compared (invariant 3)."""

from __future__ import annotations

import pytest

from server.domain.errors import InvalidIdentifier
from server.domain.identifiers import normalise_email, normalise_phone, parse_login


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("person@example.org", "person@example.org"),
        ("Person@Example.ORG", "person@example.org"),
        ("  PERSON@example.org  ", "person@example.org"),
        ("user@пример.рф", "user@пример.рф"),
        ("user@ПРИМЕР.РФ", "user@пример.рф"),
        # The same IDN domain written in its ASCII (punycode) form is the same address.
        ("user@xn--e1afmkfd.xn--p1ai", "user@пример.рф"),
        ("User@XN--E1AFMKFD.XN--P1AI", "user@пример.рф"),
        ("Ivan@Bücher.de", "ivan@bücher.de"),
        ("пользователь@пример.рф", "пользователь@пример.рф"),
    ],
)
def test_email_is_normalised(app, typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "person",
        "person@",
        "@example.org",
        "person@example",
        "person@localhost",
        "a..b@example.org",
        "a@b@example.org",
        "Person <person@example.org>",
        "person@exa mple.org",
        "x" * 320 + "@example.org",
    ],
)
def test_invalid_email_is_refused(app, typed):
    with pytest.raises(InvalidIdentifier) as error:
        normalise_email(typed)
    assert error.value.kind == "email"


@pytest.mark.parametrize(
    "typed",
    [
        "+79123456789",
        "+7 (912) 345-67-89",
        "+7 912 345 67 89",
        "89123456789",
        "8 912 345 67 89",
        "8 (912) 345-67-89",
        "8-912-345-67-89",
        "9123456789",
        " +7-912-345-6789 ",
    ],
)
def test_russian_notations_become_e164(app, typed):
    assert normalise_phone(typed) == "+79123456789"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+44 7911 123456", "+447911123456"),
        ("+1 (650) 253-0000", "+16502530000"),
    ],
)
def test_international_numbers_keep_their_country(app, typed, stored):
    assert normalise_phone(typed) == stored


def test_default_region_is_configurable(app):
    # A British national number means nothing in the default region (RU) ...
    with pytest.raises(InvalidIdentifier):
        normalise_phone("07911 123456")
    # ... and is read as British where the operator says so.
    app.config["DEFAULT_PHONE_REGION"] = "GB"
    assert normalise_phone("07911 123456") == "+447911123456"
    # An explicit country code wins over the default region.
    assert normalise_phone("+7 912 345 67 89") == "+79123456789"


def test_default_region_in_lower_case_works(app):
    app.config["DEFAULT_PHONE_REGION"] = "ru"
    assert normalise_phone("8 912 345 67 89") == "+79123456789"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "garbage",
        "123",
        "+7",
        "8912345678",
        "891234567890123",
        "+999 123 456 789",
        "8912345678a",
        "+79123456789abc",
        "call me at 89123456789",
        "8-800-FLOWERS",
        "+7 912 345 67 89 ext. 5",
        "1" * 65,
    ],
)
def test_invalid_phone_is_refused(app, typed):
    with pytest.raises(InvalidIdentifier) as error:
        normalise_phone(typed)
    assert error.value.kind == "phone"


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("Person@Example.org", ("email", "person@example.org")),
        ("user@пример.рф", ("email", "user@пример.рф")),
        ("+7 (912) 345-67-89", ("phone", "+79123456789")),
        ("89123456789", ("phone", "+79123456789")),
        ("+44 7911 123456", ("phone", "+447911123456")),
    ],
)
def test_one_login_field_takes_either(app, typed, parsed):
    assert parse_login(typed) == parsed


@pytest.mark.parametrize(("typed", "kind"), [("person@", "email"), ("garbage", "phone")])
def test_one_login_field_refuses_neither(app, typed, kind):
    with pytest.raises(InvalidIdentifier) as error:
        parse_login(typed)
    assert error.value.kind == kind


def test_a_passport_of_email_logins_only_refuses_phone_numbers(app):
    app.config["PHONE_LOGINS"] = False  # the fixture restores the configuration afterwards
    with pytest.raises(InvalidIdentifier) as refused:
        parse_login("+7 912 345-67-89")
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert refused.value.message() == "Этот Паспорт принимает только адреса электронной почты."
    assert parse_login("Person@Example.org") == ("email", "person@example.org")


@pytest.mark.parametrize(
    ("phone_logins", "message"),
    [(True, "Enter an e-mail address or a phone number."), (False, "Enter an e-mail address.")],
)
def test_a_missing_login_is_asked_for_as_this_passport_takes_logins(app, phone_logins, message):
    app.config["PHONE_LOGINS"] = phone_logins
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert InvalidIdentifier("login").message() == message
