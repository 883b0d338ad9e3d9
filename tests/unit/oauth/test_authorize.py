"""How the consent page names the place a redirect URI leads to."""

from __future__ import annotations

import pytest

from server.oauth.authorize import destination


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("https://shop.example/callback", "shop.example"),
        ("https://Shop.Example:443/callback?x=1", "shop.example"),
        ("https://shop.example:8443/callback", "shop.example:8443"),
        ("http://127.0.0.1:5001/callback", "127.0.0.1:5001"),
        ("http://[::1]:8080/callback", "[::1]:8080"),
        ("http://localhost/callback", "localhost"),
        ("com.example.tea:/callback", "com.example.tea"),
        # A Cyrillic "а" in a look-alike of apple.com shows as what it is.
        ("https://\u0430pple.com/callback", "xn--pple-43d.com"),
        ("https://пример.рф/callback", "xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_destination_is_the_host_a_person_can_check(uri, shown):
    assert destination(uri) == shown
