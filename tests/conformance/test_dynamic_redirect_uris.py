"""Dynamic OP: the redirect_uri modules (OIDC Core §3.1.2.1, RFC 6749 §3.1.2). A
redirect_uri that is missing where two are registered, or that differs from the registered
one in its query, gets an error page from Passport and never a redirect; a query that is
registered is kept; registration refuses a redirect URI with a fragment."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ..support.browser import Browser, Page
from ..support.dynamic_rp import REDIRECT_URI, DynamicRelyingParty


def error_page(page: Page) -> None:
    """ExpectRedirectUriErrorPage: the person sees Passport's error page; the browser is
    sent nowhere (processCallback would fail the module)."""
    assert page.status == 400, (page.status, page.response.headers.get("Location"))
    assert "Location" not in page.response.headers
    assert "redirect_uri" in page.text


def test_oidcc_ensure_redirect_uri_in_authorization_request(implicit_server, person):
    # AddMultipleRedirectUriToDynamicRegistrationRequest
    rp = DynamicRelyingParty(
        implicit_server.url, redirect_uris=[REDIRECT_URI, "https://example.org/redirect"]
    ).registered()
    with Browser(implicit_server.url) as browser:
        # RemoveRedirectUriFromAuthorizationEndpointRequest
        error_page(rp.authorize(browser, person, redirect_uri=None))
    rp.unregister()


def test_oidcc_redirect_uri_query_ok(implicit_server, person):
    with_query = REDIRECT_URI + "?bar=foo"  # AddQueryToRedirectUri
    rp = DynamicRelyingParty(implicit_server.url, redirect_uri=with_query).registered()
    with Browser(implicit_server.url) as browser:
        page = rp.authorize(browser, person)
    answer = rp.callback(page)
    # The registered query stays as it is, the response's parameters beside it.
    assert parse_qs(urlsplit(page.response.headers["Location"]).query)["bar"] == ["foo"]
    tokens = rp.redeem(answer["code"])
    assert tokens.status_code == 200, tokens.text
    rp.id_token(tokens.json()["id_token"])
    rp.unregister()


def test_oidcc_redirect_uri_query_mismatch(implicit_server, person):
    rp = DynamicRelyingParty(implicit_server.url, redirect_uri=REDIRECT_URI + "?bar=foo")
    rp.registered()
    with Browser(implicit_server.url) as browser:
        # ReplaceRedirectUriQueryInAuthorizationRequest
        error_page(rp.authorize(browser, person, redirect_uri=REDIRECT_URI + "?foo=bar"))
    rp.unregister()


def test_oidcc_redirect_uri_query_added(implicit_server, person):
    rp = DynamicRelyingParty(implicit_server.url).registered()
    with Browser(implicit_server.url) as browser:
        # AddQueryToRedirectUriInAuthorizationRequest
        error_page(rp.authorize(browser, person, redirect_uri=REDIRECT_URI + "?foo=bar"))
    rp.unregister()


def test_oidcc_redirect_uri_regfrag(implicit_server):
    rp = DynamicRelyingParty(implicit_server.url, redirect_uri=REDIRECT_URI + "#foobar")
    answer = rp.register()
    # EnsureContentTypeJson, EnsureHttpStatusCodeIs400, and the error (OIDCR-3.3)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].split(";")[0] == "application/json"
    assert answer.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata")
