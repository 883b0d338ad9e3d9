"""The source expression that names exactly where a URI leads (server/csp.py)."""

from __future__ import annotations

import pytest

from server.csp import source_of


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        ("https://portal.example/callback?x=1", "https://portal.example"),
        ("https://Portal.Example:8443/cb", "https://portal.example:8443"),
        ("https://portal.example:443/cb", "https://portal.example"),
        ("http://127.0.0.1:5001/callback", "http://127.0.0.1:5001"),
        ("https://чайная.рф/cb", "https://xn--80aa0aq1cyc.xn--p1ai"),
        ("com.example.tea:/callback", "com.example.tea:"),
        ("com.example.tea://callback", "com.example.tea:"),
    ],
)
def test_the_origin_or_the_private_scheme(uri, source):
    assert source_of(uri) == source


@pytest.mark.parametrize(
    "uri",
    [
        None,
        "",
        "/authorize",
        "javascript:alert(1)",
        "data:text/html,x",
        "http://[::1]:5000/cb",  # no host-source can name an IPv6 literal
        "https://portal.example:99999/cb",
        "https://portal example/cb",
        "https:///cb",
    ],
)
def test_nothing_for_what_no_source_names_exactly(uri):
    assert source_of(uri) is None
