"""Response modes: the code and errors as a query (the default) or posted by a page of
Passport's (OAuth 2.0 Form Post Response Mode), under that page's own Content-Security-Policy."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ..support.browser import Browser, Page
from ..support.relying_party import RelyingParty


@pytest.fixture
def callback(receiver):
    """The portal's redirect URI: it records what the browser POSTs to it."""
    return receiver


@pytest.fixture
def portal(live_server, factories, callback):
    client = factories.client(redirect_uri=callback.url + "/callback", first_party=True)
    return RelyingParty(live_server.url, client)


def form_post_page(page: Page, portal: RelyingParty) -> dict[str, str]:
    """The fields of a form_post page, after checking the page is one: a form that POSTs to
    the redirect URI, urlencoded, and a nonced script the page's policy lets run."""
    assert page.status == 200, (page.status, page.text[:300])
    assert page.response.headers["Content-Type"].startswith("text/html")
    assert page.response.headers["Cache-Control"] == "no-store"
    [form] = page.forms
    assert form.method == "post" and form.action == portal.client.redirect_uri
    assert "enctype" not in page.html.split("<form", 1)[1].split(">", 1)[0]

    policy = page.response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(portal.client.redirect_uri))
    assert directives["form-action"] == origin
    [nonce] = re.findall(r'<script nonce="([^"]+)">', page.html)
    assert directives["script-src"] == f"'nonce-{nonce}'"
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "<noscript>" in page.html and 'type="submit"' in page.html
    return form.fields


def test_form_post_brings_the_code_to_the_redirect_uri_in_a_post(
    live_server, person, portal, callback
):
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url(response_mode="form_post"))
        page = portal.walk(browser, page, login=person.email, password=person.password)
        fields = form_post_page(page, portal)
        assert set(fields) == {"code", "state", "iss"}, fields
        assert fields["state"] == portal.state and fields["iss"] == live_server.url
        # The browser submits the form: the redirect URI gets a POST, no code in its URL.
        browser.submit(page)
    [arrived] = callback.wait_for(1)
    assert arrived.path == "/callback"
    assert arrived.content_type == "application/x-www-form-urlencoded"
    assert arrived.form == fields
    tokens = portal.exchange(arrived.form)
    assert portal.verify_id_token(tokens["id_token"])["nonce"] == portal.nonce


def test_form_post_page_in_english_and_russian(live_server, person, portal):
    for language, words in (("en", "Returning to 127.0.0.1"), ("ru", "Возвращаемся на 127.0.0.1")):
        with Browser(live_server.url, accept_language=language) as browser:
            browser.sign_in(person.email, person.password)
            page = browser.open(portal.authorization_url(response_mode="form_post"))
            form_post_page(page, portal)
            assert f'<html lang="{language}">' in page.html and words in page.text


def test_errors_come_back_posted_too(live_server, person, factories, callback):
    """prompt=none without a session, and a denied consent: the error goes back in the
    request's response mode, with the state and the issuer."""
    portal = RelyingParty(
        live_server.url, factories.client(redirect_uri=callback.url + "/callback")
    )
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url(response_mode="form_post", prompt="none"))
        fields = form_post_page(page, portal)
        assert fields == {"error": "login_required", "state": portal.state, "iss": live_server.url}

        page = browser.open(portal.authorization_url(response_mode="form_post"))
        page = portal.walk(
            browser, page, login=person.email, password=person.password, consent=False
        )
        fields = form_post_page(page, portal)
        assert fields["error"] == "access_denied" and fields["state"] == portal.state


def test_query_is_the_default_and_may_be_asked_for(live_server, person, portal):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        for extra in ({}, {"response_mode": "query"}):
            page = browser.open(portal.authorization_url(**extra))
            params = portal.callback_params(page)
            assert page.status == 302 and params["state"] == portal.state and params["code"]


@pytest.mark.parametrize("mode", ["fragment", "jwt", "FORM_POST"])
def test_a_mode_the_code_flow_does_not_use_is_refused_in_the_query(
    live_server, person, portal, mode
):
    """OAuth 2.0 Multiple Response Type Encoding Practices §2.1: query is the code's
    default; fragment is for response types that return tokens, which Passport has none of."""
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(response_mode=mode))
        params = portal.callback_params(page)
        assert params["error"] == "invalid_request" and "code" not in params
        assert "response_mode" in params["error_description"]
        assert params["state"] == portal.state


def test_form_post_to_a_native_app_is_refused_in_the_query(live_server, person, factories):
    """Form Post §2 posts to a web address: an app's private-use scheme learns in the
    query that it cannot have form_post."""
    client = factories.client(
        redirect_uri="com.example.app:/callback", public=True, application_type="native"
    )
    portal = RelyingParty(live_server.url, client)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(response_mode="form_post"))
        params = portal.callback_params(page)
        assert params["error"] == "invalid_request" and "code" not in params
        assert "form_post" in params["error_description"]


def test_form_post_escapes_what_it_echoes(live_server, person, portal, callback):
    """The state comes back exactly, however it looks, and cannot break out of the page."""
    state = '"><script>alert(1)</script>&amp;'
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        url = portal.authorization_url(response_mode="form_post")
        url = re.sub(r"state=[^&]+", "state=" + requests.utils.quote(state, safe=""), url)
        page = browser.open(url)
        assert form_post_page(page, portal)["state"] == state
        assert "<script>alert" not in page.html
        assert parse_qs(urlsplit(url).query)["state"] == [state]


def test_discovery_lists_the_modes_that_work(live_server):
    metadata = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    assert metadata.json()["response_modes_supported"] == ["query", "form_post"]


def test_a_redirect_uri_with_its_own_query_keeps_it(live_server, person, factories, receiver):
    """RFC 6749 §3.1.2: the redirect URI's query stays; form_post posts to the URI with it."""
    redirect_uri = receiver.url + "/callback?dummy1=lorem&dummy2=ipsum"
    portal = RelyingParty(
        live_server.url, factories.client(redirect_uri=redirect_uri, first_party=True)
    )
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.authorization_url(response_mode="form_post"))
        assert form_post_page(page, portal)["code"]
        browser.submit(page)
        query = browser.open(portal.authorization_url()).response.headers["Location"]
    [arrived] = receiver.wait_for(1)
    assert arrived.path == "/callback?dummy1=lorem&dummy2=ipsum" and arrived.form["code"]
    assert query.startswith(redirect_uri + "&code=")
