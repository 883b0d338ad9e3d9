"""Which response mode an answer takes, and where a form_post page's form may go."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload

from server.oauth.response_modes import origin_source, response_mode


@pytest.mark.parametrize(
    ("uri", "source"),
    [
        ("https://shop.example/callback?x=1", "https://shop.example"),
        ("https://Shop.Example:443/callback", "https://shop.example"),
        ("https://shop.example:8443/callback", "https://shop.example:8443"),
        ("http://127.0.0.1:5001/callback", "http://127.0.0.1:5001"),
        ("https://пример.рф/callback", "https://xn--e1afmkfd.xn--p1ai"),
        # CSP3 §2.3.1 has no host-source for an IPv6 literal: the scheme names it.
        ("http://[::1]:8080/callback", "http:"),
    ],
)
def test_the_form_may_go_to_the_redirect_uris_origin(uri, source):
    assert origin_source(uri) == source


@pytest.mark.parametrize(
    ("request_params", "mode"),
    [
        ({"response_type": "code"}, "query"),
        ({"response_type": "code", "response_mode": "query"}, "query"),
        ({"response_type": "code", "response_mode": "form_post"}, "form_post"),
        # Not a mode of the code flow: the error about it goes in the default.
        ({"response_type": "code", "response_mode": "fragment"}, "query"),
        # Without a response type, an error goes in any mode Passport speaks.
        ({"response_mode": "form_post"}, "form_post"),
        ({"response_type": "id_token", "response_mode": "form_post"}, "form_post"),
        ({}, "query"),
    ],
)
def test_the_mode_of_an_answer(request_params, mode):
    assert response_mode(BasicOAuth2Payload(request_params)) == mode
