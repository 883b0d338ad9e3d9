"""The address claim made of what the person entered (OIDC Core §5.1.1)."""

from __future__ import annotations

import pytest

from server.domain.addresses import normal_address
from server.domain.errors import InvalidAddress


def test_parts_are_trimmed_and_formatted_one_per_line():
    address = normal_address(
        {
            "street_address": "  1 Main St \r\n\r\n Flat 2 ",
            "locality": " Springfield ",
            "region": "",
            "postal_code": "12345",
            "country": None,
        }
    )
    assert address == {
        "street_address": "1 Main St\nFlat 2",
        "locality": "Springfield",
        "postal_code": "12345",
        "formatted": "1 Main St\nFlat 2\n12345 Springfield",
    }


def test_nothing_entered_is_no_address():
    assert normal_address({"locality": "  ", "country": ""}) is None


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"postal_code": "1" * 21}, "postal_code"),
        ({"country": "Rus\u200bsia"}, "country"),
        ({"street_address": "Main\x00 St"}, "street_address"),
    ],
)
def test_refused_parts_are_named(parts, field):
    with pytest.raises(InvalidAddress) as refused:
        normal_address(parts)
    assert refused.value.field == field
