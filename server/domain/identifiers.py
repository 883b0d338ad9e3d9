"""Normalising login identifiers: e-mail addresses and phone numbers (invariant 3)."""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from .errors import InvalidIdentifier

MAX_IDENTIFIER_LENGTH = 320
# What people write in a phone number: digits, a leading +, spaces, brackets, dots, dashes.
# Letters (vanity numbers, "ext. 5", words around the number) are refused, not guessed at.
PHONE_NOTATION = re.compile(r"\+?[\d\s().\-\u2010-\u2015\u2212]+")


def normalise_email(value: str) -> str:
    """The canonical form: IDN domain in Unicode, lower-cased (we treat addresses case-insensitively)."""
    value = (value or "").strip()
    if not value or len(value) > MAX_IDENTIFIER_LENGTH:
        raise InvalidIdentifier("email")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidIdentifier("email", str(error)) from error
    return result.normalized.lower()


def phone_logins() -> bool:
    """Whether phone numbers are logins here (PHONE_LOGINS); off, a Passport of e-mail only."""
    return bool(current_app.config["PHONE_LOGINS"])


def normalise_phone(value: str, region: str | None = None) -> str:
    """E.164 (+79123456789); a Russian trunk prefix 8 is read as +7 in the default region.
    Refused when PHONE_LOGINS is off (a Passport of e-mail logins only)."""
    if not phone_logins():
        raise InvalidIdentifier("email_only")
    value = (value or "").strip()
    if not value or len(value) > 64 or not PHONE_NOTATION.fullmatch(value):
        raise InvalidIdentifier("phone")
    region = (region or current_app.config["DEFAULT_PHONE_REGION"]).upper()
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentifier("phone", str(error)) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier("phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_login(value: str) -> tuple[str, str]:
    """Read what a person typed into the one login field: ('email', …) or ('phone', …)."""
    value = (value or "").strip()
    if "@" in value:
        return "email", normalise_email(value)
    return "phone", normalise_phone(value)
