"""The whole single sign-on flow over real HTTP, with Authlib's client as the portal."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


@pytest.fixture
def person(factories):
    return factories.account(phone=factories.phone_number(), name="Anna Petrova")


@pytest.fixture
def portal(factories, live_server):
    return RelyingParty(live_server.url, factories.client())


@pytest.mark.parametrize("login_with", ["email", "phone"])
def test_full_flow(live_server, person, portal, login_with):
    login = (
        person.email
        if login_with == "email"
        else "8 (" + person.phone[2:5] + ") " + person.phone[5:]
    )
    with Browser(live_server.url) as browser:
        params = portal.authorize(
            browser,
            login=login,
            password=person.password,
            scope="openid email phone profile offline_access",
            prompt="consent",
        )
    # RFC 9207: the issuer comes back with the code.
    assert params["iss"] == live_server.url
    assert params["state"] == portal.state
    tokens = portal.exchange(params)
    assert tokens["token_type"].lower() == "bearer"
    assert "offline_access" in tokens["scope"]

    claims = portal.verify_id_token(tokens["id_token"])
    assert claims["sub"] == person.sub
    assert claims["nonce"] == portal.nonce
    assert claims["amr"] == ["pwd"] and claims["acr"]
    assert claims["sid"] and claims["auth_time"] <= claims["iat"]
    # OIDC Core §5.4: the scopes' claims are userinfo's, not the ID token's.
    assert not {"email", "phone_number", "name"} & set(claims)

    info = portal.userinfo(tokens["access_token"])
    assert info.status_code == 200
    assert info.json()["sub"] == person.sub
    assert info.json()["name"] == "Anna Petrova"
    assert info.json()["email"] == person.email and info.json()["phone_number"] == person.phone

    # Refresh rotation: a new refresh token; the old one is then refused…
    rotated = portal.refresh(tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    new_tokens = rotated.json()
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    refreshed = portal.verify_id_token(new_tokens["id_token"])
    # OIDC Core §12.2: the same sign-in, said the same way.
    assert refreshed["auth_time"] == claims["auth_time"]
    assert (refreshed["amr"], refreshed["acr"], refreshed["sid"]) == (
        claims["amr"],
        claims["acr"],
        claims["sid"],
    )
    reused = portal.refresh(tokens["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    # …and the reuse revoked the whole family, the newest token and its access token included.
    assert portal.refresh(new_tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.userinfo(new_tokens["access_token"]).status_code == 401
    assert portal.introspect(new_tokens["access_token"]) == {"active": False}


def test_revocation_and_introspection(live_server, person, portal):
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password)
    active = portal.introspect(tokens["access_token"])
    assert active["active"] is True
    assert active["sub"] == person.sub and active["client_id"] == portal.client.client_id
    assert portal.introspect(tokens["refresh_token"], "refresh_token")["active"] is True

    assert portal.revoke(tokens["refresh_token"], "refresh_token").status_code == 200
    assert portal.introspect(tokens["refresh_token"]) == {"active": False}
    assert portal.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.userinfo(tokens["access_token"]).status_code == 401
    # RFC 7009 §2.2: an unknown token is answered 200 as well.
    assert portal.revoke("no-such-token").status_code == 200


def test_code_is_single_use_and_replay_revokes(live_server, person, portal):
    with Browser(live_server.url) as browser:
        params = portal.authorize(browser, login=person.email, password=person.password)
    tokens = portal.exchange(params)
    replay = portal.post(
        "token_endpoint",
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": portal.client.redirect_uri,
            "code_verifier": portal.code_verifier,
        },
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert portal.userinfo(tokens["access_token"]).status_code == 401
    assert portal.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_consent_is_remembered_and_deny_returns_access_denied(live_server, person, factories):
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url) as browser:
        denied = portal.authorize(
            browser, login=person.email, password=person.password, consent=False
        )
        assert denied["error"] == "access_denied" and denied["state"] == portal.state
        allowed = portal.authorize(browser, consent=True)
        assert "code" in allowed
        # Consent remembered: straight back with a code, no page in between.
        again = browser.open(portal.authorization_url())
        assert again.status == 302
        assert "code" in portal.callback_params(again)


def test_prompt_none_without_session_is_login_required(live_server, portal):
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url(prompt="none"))
    params = portal.callback_params(page)
    assert params["error"] == "login_required"
    assert params["iss"] == live_server.url


def test_unregistered_redirect_uri_is_never_followed(live_server, person, portal):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        for bad in (
            "http://127.0.0.1:9/callback/x",
            "http://127.0.0.1:9/callback?x=1",
            "https://evil.example/callback",
        ):
            url = portal.authorization_url().replace(
                "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback",
                "redirect_uri=" + requests_quote(bad),
            )
            page = browser.open(url)
            assert page.status == 400
            assert "Location" not in page.response.headers


def test_public_client_needs_pkce(live_server, person, factories):
    client = factories.client(public=True)
    portal = RelyingParty(live_server.url, client)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        url = portal.authorization_url()
        stripped = "&".join(p for p in url.split("&") if not p.startswith("code_challenge"))
        params = portal.callback_params(browser.open(stripped))
        assert params["error"] == "invalid_request"
        params = portal.authorize(browser)
        tokens = portal.exchange(params)
    assert portal.verify_id_token(tokens["id_token"])["sub"] == person.sub


def test_login_hint_prefills_login(live_server, portal):
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url(login_hint="someone@example.org"))
    assert page.form("login").fields["login"] == "someone@example.org"


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_a_client_gets_its_id_token_in_its_algorithm(live_server, person, factories, alg):
    """id_token_signed_response_alg (OIDC Registration §2); PS256 as FAPI 2.0 allows."""
    portal = RelyingParty(live_server.url, factories.client(id_token_signed_response_alg=alg))
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password)
    from joserfc import jws

    header = jws.extract_compact(tokens["id_token"].encode()).protected
    assert header["alg"] == alg
    [key] = [k for k in portal.jwks().keys if k.kid == header["kid"]]
    assert key.alg == alg  # signed with the published key of that algorithm, not another's
    assert portal.verify_id_token(tokens["id_token"])["sub"] == person.sub
    # …and it is a hint the logout endpoint takes (RP-Initiated Logout §2).
    with Browser(live_server.url) as browser:
        portal.sign_in(browser, person.email, person.password)
        page = browser.open("/end-session?" + urlencode({"id_token_hint": tokens["id_token"]}))
        assert page.status == 200 and "invalid_request" not in page.text, page.text[:300]


def requests_quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def test_portal_may_post_the_authorization_request(live_server, person, factories):
    """OIDC Core §3.1.2.1: the authorization endpoint takes POST as well as GET."""
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        url = portal.authorization_url()
        endpoint, query = url.split("?", 1)
        from urllib.parse import parse_qsl

        response = browser.session.post(
            endpoint, data=dict(parse_qsl(query)), allow_redirects=False, timeout=15
        )
        assert response.status_code == 302
        assert "code=" in response.headers["Location"]


def test_consent_without_csrf_decides_nothing(live_server, person, portal):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        url = portal.authorization_url()
        endpoint, query = url.split("?", 1)
        from urllib.parse import parse_qsl

        forged = dict(parse_qsl(query), decision="allow")
        response = browser.session.post(endpoint, data=forged, allow_redirects=False, timeout=15)
        # No valid CSRF token: the consent page is shown again, no code is issued.
        assert response.status_code == 200 and 'name="decision"' in response.text


def test_a_third_party_portal_asks_for_offline_access_every_time(live_server, factories):
    """OIDC Core §11: offline access (a refresh token that outlives the sign-in) is granted
    with the person's consent given in the request itself: a consent given before lets the
    other scopes through, not this one."""
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    scope = "openid email offline_access"
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        first = portal.exchange(portal.authorize(browser, scope=scope))
        assert "offline_access" in first["scope"].split() and first.get("refresh_token")
        page = browser.open(portal.authorization_url(scope=scope))
        assert page.status == 200 and "Access while you are not signed in" in page.text
        assert portal.authorize(browser, scope=scope, prompt="none")["error"] == (
            "consent_required"
        )
        online = portal.exchange(portal.authorize(browser, scope="openid email", consent=False))
    assert online["scope"].split() == ["openid", "email"]  # its refresh token ends with the sign-in


def test_offline_access_needs_the_refresh_token_grant(live_server, factories):
    person = factories.account()
    no_refresh = factories.client(first_party=True, grant_types=["authorization_code"])
    portal = RelyingParty(live_server.url, no_refresh)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        tokens = portal.exchange(portal.authorize(browser, scope="openid offline_access"))
    assert tokens["scope"].split() == ["openid"] and "refresh_token" not in tokens


def test_a_first_party_portal_gets_offline_access_without_a_consent_page(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        tokens = portal.exchange(
            portal.authorize(browser, scope="openid offline_access", consent=False)
        )
    assert "offline_access" in tokens["scope"].split() and tokens.get("refresh_token")
