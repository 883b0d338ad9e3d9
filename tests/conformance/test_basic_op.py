"""Basic OP and Form Post OP: the modules of the code flow itself, each as the conformance
suite drives it (openid/OIDCC*.java), with the plan's response mode.

A module's test is named after it; what the module asserts is asserted here, warnings
included, with the suite's condition named where it is not obvious.
"""

from __future__ import annotations

import json
import secrets

import pytest
import requests

from server import clock

from ..support.browser import Browser
from .suite import basic_plans, check_code, register, registered


@basic_plans
def test_oidcc_server(suite, person, browser, plan):
    """OIDCCServerTest: the happy flow with scope openid."""
    suite.authorization_request()
    callback = suite.authorize(browser, login=person.email, password=person.password)
    code = suite.check_success(callback)
    check_code(code)
    tokens = suite.check_token_response(suite.token_request(code))
    claims = suite.check_id_token(tokens["id_token"])
    suite.check_at_hash(tokens, claims)
    # EnsureIdTokenDoesNotContainName, EnsureIdTokenDoesNotContainNonRequestedClaims
    assert "name" not in claims
    suite.check_no_unrequested_claims(claims)
    assert claims["sub"] == person.sub
    assert suite.userinfo_call(tokens["access_token"]).status_code == 200


def test_oidcc_server_client_secret_post(suite_client, person, browser):
    """OIDCCServerTestClientSecretPost: the happy flow, the client authenticating with
    client_secret_post."""
    suite = suite_client(token_endpoint_auth_method="client_secret_post")
    assert "client_secret_post" in suite.metadata["token_endpoint_auth_methods_supported"]
    suite.authorization_request()
    tokens, claims = suite.code_flow(
        browser, login=person.email, password=person.password, auth="client_secret_post"
    )
    assert claims["sub"] == person.sub
    assert suite.userinfo_call(tokens["access_token"]).status_code == 200


def test_oidcc_response_type_missing(suite, browser):
    """OIDCCResponseTypeMissing: no response_type. The answer goes to the redirect URI
    (in the query, or posted), with invalid_request or unsupported_response_type."""
    suite.authorization_request(response_type=None)
    callback = suite.arrival(browser, browser.open(suite.url()))
    suite.check_error(callback, {"invalid_request", "unsupported_response_type"})


def check_userinfo(suite, person, browser, how: str) -> dict:
    """AbstractOIDCCUserInfoTest: userinfo with the access token, then its checks."""
    suite.authorization_request()
    tokens, claims = suite.code_flow(browser, login=person.email, password=person.password)
    return suite.check_userinfo(suite.userinfo_call(tokens["access_token"], how), claims)


def test_oidcc_userinfo_get(suite, person, browser):
    assert check_userinfo(suite, person, browser, "get")["sub"] == person.sub


def test_oidcc_userinfo_post_header(suite, person, browser):
    assert check_userinfo(suite, person, browser, "post-header")["sub"] == person.sub


def test_oidcc_userinfo_post_body(suite, person, browser):
    """RFC 6750 §2.2: the access token as a form field. Optional (a warning if refused);
    Passport takes it."""
    assert check_userinfo(suite, person, browser, "post-body")["sub"] == person.sub


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(suite, person, browser):
    """OIDC Core §3.1.2.1: nonce is optional in the code flow; a code comes back."""
    suite.authorization_request(nonce=None)
    callback = suite.authorize(browser, login=person.email, password=person.password)
    assert suite.check_success(callback)


def scope_flow(suite, person, browser, scope: str) -> tuple[dict, dict]:
    """AbstractOIDCCReturnedClaimsServerTest: the flow with `scope` (skipped by the suite
    when discovery does not list it), then userinfo and its checks."""
    assert set(scope.split()) <= set(suite.metadata["scopes_supported"])
    suite.authorization_request(scope=scope)
    tokens, claims = suite.code_flow(browser, login=person.email, password=person.password)
    info = suite.check_userinfo(suite.userinfo_call(tokens["access_token"]), claims)
    return claims, info


def test_oidcc_scope_profile(suite, person, browser):
    claims, info = scope_flow(suite, person, browser, "openid profile")
    assert info["name"] == "Anna Petrova" and isinstance(info["updated_at"], int)
    # VerifyScopesReturnedInUserInfoClaims warns for each profile claim a provider does
    # not hold: Passport keeps a name and a language, not given_name, picture, … .
    assert suite.missing_scope_claims(info) <= {
        "given_name", "family_name", "middle_name", "nickname", "profile", "picture",
        "website", "gender", "birthdate", "zoneinfo", "locale", "preferred_username",
    }  # fmt: skip
    # OIDC Core §5.4: with an access token, the scope's claims come from userinfo.
    assert "name" not in claims and "updated_at" not in claims


def test_oidcc_scope_email(suite, person, browser):
    claims, info = scope_flow(suite, person, browser, "openid email")
    assert info["email"] == person.email and info["email_verified"] is True
    assert not suite.missing_scope_claims(info)
    # EnsureIdTokenDoesNotContainName, EnsureIdTokenDoesNotContainEmailForScopeEmail,
    # EnsureUserInfoDoesNotContainName
    assert "name" not in claims and "email" not in claims
    assert "name" not in info


def test_oidcc_scope_phone(suite, person, browser):
    claims, info = scope_flow(suite, person, browser, "openid phone")
    assert info["phone_number"] == person.phone and info["phone_number_verified"] is True
    assert not suite.missing_scope_claims(info)
    assert "phone_number" not in claims


def test_oidcc_scope_address(suite, person, browser):
    claims, info = scope_flow(suite, person, browser, "openid address")
    assert not suite.missing_scope_claims(info)
    assert info["address"]["locality"] == "Moscow"
    # OIDC Core §5.4: with an access token, the scope's claims come from userinfo.
    assert "address" not in claims


def test_oidcc_scope_all(suite, person, browser):
    claims, info = scope_flow(suite, person, browser, "openid email phone address profile")
    assert info["email"] == person.email and info["phone_number"] == person.phone
    assert info["address"]["street_address"] == "Tverskaya 1"
    assert suite.missing_scope_claims(info) <= {
        "given_name", "family_name", "middle_name", "nickname", "profile", "picture",
        "website", "gender", "birthdate", "zoneinfo", "locale", "preferred_username",
    }  # fmt: skip
    assert not {"email", "phone_number", "address", "name"} & claims.keys()


def test_oidcc_alternate_happy_flow(suite, person, browser):
    """OIDCCAlternateHappyFlow: scope email with its values reversed, and the parameters
    in reverse order (RFC 6749 §3.3: their order does not matter)."""
    request = suite.authorization_request(scope="email openid")
    reordered = dict(sorted(request.items(), reverse=True))
    callback = suite.authorize(
        browser, login=person.email, password=person.password, url=suite.url(reordered)
    )
    tokens = suite.check_token_response(suite.token_request(suite.check_success(callback)))
    claims = suite.check_id_token(tokens["id_token"])
    info = suite.check_userinfo(suite.userinfo_call(tokens["access_token"]), claims)
    assert info["email"] == person.email and "email" not in claims


def test_oidcc_display_page(suite, person, browser):
    """OIDC Core §3.1.2.1, §15.1: display=page must not cause an error."""
    suite.authorization_request(display="page")
    page = browser.open(suite.url())
    assert page.status == 200 and any("password" in f.fields for f in page.forms)
    assert suite.code_flow(browser, login=person.email, password=person.password)


def test_oidcc_display_popup(suite, person, browser):
    suite.authorization_request(display="popup")
    assert suite.code_flow(browser, login=person.email, password=person.password)


def first_sign_in(suite, person, browser, **changes) -> dict:
    """The first authorization of the modules that authorize twice."""
    suite.authorization_request(**changes)
    return suite.code_flow(browser, login=person.email, password=person.password)[1]


def second_with_login(suite, person, browser, **changes) -> dict:
    """A second authorization that must show the login page again (ExpectSecondLoginPage)."""
    suite.authorization_request(**changes)
    page = browser.open(suite.url())
    assert any("password" in f.fields for f in page.forms), page.text[:300]
    page = suite.walk(browser, page, login=person.email, password=person.password)
    code = suite.check_success(suite.arrival(browser, page))
    return suite.check_id_token(suite.check_token_response(suite.token_request(code))["id_token"])


def test_oidcc_prompt_login(suite, person, browser):
    """OIDCCPromptLogin: the second authorization, a second later, with prompt=login,
    shows the login page again, and its auth_time is later."""
    first = first_sign_in(suite, person, browser)
    clock.travel(1)  # WaitForOneSecond
    second = second_with_login(suite, person, browser, prompt="login")
    assert second["auth_time"] > first["auth_time"]  # CheckSecondIdTokenAuthTimeIsLaterIfPresent


def test_oidcc_prompt_none_not_logged_in(suite, browser):
    """OIDCCPromptNoneNotLoggedIn: no session, prompt=none, a 128-character state back
    as sent, and an error that asks for a user interface (OIDC Core §3.1.2.6)."""
    long_state = secrets.token_urlsafe(96)[:128]
    suite.authorization_request(prompt="none", state=long_state)
    callback = suite.arrival(browser, browser.open(suite.url()))
    params = suite.check_error(
        callback,
        {
            "interaction_required",
            "login_required",
            "account_selection_required",
            "consent_required",
        },
    )
    assert params["state"] == long_state


def second_without_login(suite, browser, first: dict, **changes) -> dict:
    """AbstractOIDCCSameAuthTwiceServerTest: the second authorization must not ask the
    person anything; same sub, same auth_time."""
    suite.authorization_request(**changes)
    callback = suite.arrival(browser, browser.open(suite.url()))
    code = suite.check_success(callback)
    second = suite.check_id_token(suite.check_token_response(suite.token_request(code))["id_token"])
    assert second["sub"] == first["sub"]  # CheckIdTokenSubConsistentForSecondAuthorization
    assert second.get("auth_time") == first.get("auth_time")
    return second


def test_oidcc_prompt_none_logged_in(suite, person, browser):
    first = first_sign_in(suite, person, browser)
    second_without_login(suite, browser, first, prompt="none")


def test_oidcc_max_age_1(suite, person, browser):
    """OIDCCMaxAge1: two seconds after the first sign-in, max_age=1 asks for the login
    again; auth_time is then present, later and recent."""
    first = first_sign_in(suite, person, browser)
    clock.travel(2)  # WaitFor2Seconds
    second = second_with_login(suite, person, browser, max_age="1")
    assert second["auth_time"] > first["auth_time"]
    assert second["auth_time"] >= suite.server_time() - 1 - 300  # ...IsRecentIfPresent


def test_oidcc_max_age_10000(suite, person, browser):
    """OIDCCMaxAge10000: max_age=15000 first (auth_time must come back), then
    max_age=10000 without a login, with the same auth_time."""
    first = first_sign_in(suite, person, browser, max_age="15000")
    assert "auth_time" in first  # CheckIdTokenAuthTimeClaimPresentDueToMaxAge
    second = second_without_login(suite, browser, first, max_age="10000")
    assert "auth_time" in second


def test_oidcc_ensure_request_with_unknown_parameter_succeeds(suite, person, browser):
    """RFC 6749 §3.1: unknown parameters are ignored."""
    suite.authorization_request(extra="foobar")
    assert suite.code_flow(browser, login=person.email, password=person.password)


def test_oidcc_id_token_hint(suite, person, browser):
    """OIDCCIdTokenHint: prompt=none with the first ID token as id_token_hint."""
    suite.authorization_request()
    tokens, first = suite.code_flow(browser, login=person.email, password=person.password)
    second_without_login(suite, browser, first, prompt="none", id_token_hint=tokens["id_token"])


def test_oidcc_login_hint(suite, person, browser, live_server):
    """OIDCCLoginHint: login_hint=buffy@<issuer host> must not cause an error; the login
    page opens with it, and the person signs in as themselves."""
    suite.authorization_request(login_hint="buffy@127.0.0.1")
    page = browser.open(suite.url())
    [form] = [f for f in page.forms if "password" in f.fields]
    assert form.fields["login"] == "buffy@127.0.0.1"
    page = suite.walk(browser, page, login=person.email, password=person.password)
    assert suite.check_success(suite.arrival(browser, page))


def test_oidcc_ui_locales(suite, person, live_server):
    """OIDCCUiLocales: ui_locales=se, a language Passport does not speak: no error, and
    the login page in one it does."""
    suite.authorization_request(ui_locales="se")
    with Browser(live_server.url, accept_language="ru") as browser:
        page = browser.open(suite.url())
        assert page.status == 200 and '<html lang="ru">' in page.html
        page = suite.walk(browser, page, login=person.email, password=person.password)
        assert suite.check_success(suite.arrival(browser, page))


def test_oidcc_claims_locales(suite, person, browser):
    """OIDC Core §5.2, §15.1: claims_locales=se must not cause an error."""
    suite.authorization_request(claims_locales="se")
    assert suite.code_flow(browser, login=person.email, password=person.password)


def test_oidcc_claims_essential(suite, person, browser):
    """OIDCCClaimsEssential: scope openid, and name asked for userinfo as essential
    (OIDC Core §5.5): the authorization succeeds and userinfo has the name; the ID token
    does not (EnsureIdTokenDoesNotContainName)."""
    suite.authorization_request(claims=json.dumps({"userinfo": {"name": {"essential": True}}}))
    tokens, claims = suite.code_flow(browser, login=person.email, password=person.password)
    info = suite.check_userinfo(suite.userinfo_call(tokens["access_token"]), claims)
    assert info["name"] == "Anna Petrova"  # EnsureUserInfoContainsName
    assert "name" not in claims


def test_oidcc_codereuse(suite, person, browser):
    """OIDCCAuthCodeReuse: the code a second time, at once: invalid_grant."""
    suite.authorization_request()
    code = suite.check_success(
        suite.authorize(browser, login=person.email, password=person.password)
    )
    suite.check_token_response(suite.token_request(code))
    suite.check_token_error(suite.token_request(code))


def test_oidcc_codereuse_30seconds(suite, person, browser):
    """OIDCCAuthCodeReuseAfter30Seconds: 30 seconds on, the code again is invalid_grant,
    and the access token its first use issued no longer works (RFC 6749 §4.1.2)."""
    suite.authorization_request()
    code = suite.check_success(
        suite.authorize(browser, login=person.email, password=person.password)
    )
    tokens = suite.check_token_response(suite.token_request(code))
    clock.travel(30)  # WaitFor30Seconds
    suite.check_token_error(suite.token_request(code))
    answer = suite.userinfo_call(tokens["access_token"])
    assert 400 <= answer.status_code < 500  # EnsureHttpStatusCodeIs4xx


def test_oidcc_ensure_registered_redirect_uri(suite, person, browser):
    """OIDCCEnsureRegisteredRedirectUri: a redirect URI never registered (the registered
    one with a random tail) gets an error page, and nothing is sent to either URI."""
    browser.sign_in(person.email, person.password)
    suite.authorization_request(redirect_uri=suite.client.redirect_uri + secrets.token_hex(5))
    page = browser.open(suite.url())
    assert page.status == 400 and "Location" not in page.response.headers
    assert "invalid_request" in page.text
    assert not any(f.action.startswith(suite.client.redirect_uri) for f in page.forms)
    assert suite.endpoint.snapshot() == []


def test_oidcc_ensure_post_request_succeeds(suite, person, browser):
    """OIDCCEnsurePostRequestSucceeds: the authorization request as a form POST
    (OIDC Core §3.1.2.1)."""
    request = suite.authorization_request()
    answer = browser.session.post(
        suite.metadata["authorization_endpoint"], data=request, allow_redirects=False, timeout=10
    )
    page = suite.walk(browser, browser.follow(answer), login=person.email, password=person.password)
    code = suite.check_success(suite.arrival(browser, page))
    suite.check_id_token(suite.check_token_response(suite.token_request(code))["id_token"])


@basic_plans
def test_oidcc_refresh_token(suite_client, person, browser, plan):
    """OIDCCRefreshToken: offline_access (discovery lists it) with prompt=consent, a
    refresh with the scope, an ID token like the first (OIDC Core §12.2), userinfo with
    the new access token; then a second client's refresh token is refused to the first."""
    first, second = suite_client(), suite_client()
    assert "offline_access" in first.metadata["scopes_supported"]

    def tokens_of(suite):
        suite.authorization_request(scope="openid offline_access", prompt="consent")
        return suite.code_flow(browser, login=person.email, password=person.password)

    tokens, claims = tokens_of(first)
    refresh_token = tokens["refresh_token"]
    assert all(0x20 <= ord(c) <= 0x7E for c in refresh_token)
    assert "refresh_token" in first.metadata["grant_types_supported"]
    clock.travel(1)  # WaitForOneSecond, so iat differs
    answer = first.token_endpoint(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "scope": first.request["scope"],
        }
    )
    refreshed = first.check_token_response(answer)
    again = first.verify_id_token(refreshed["id_token"])
    # CompareIdTokenClaims
    assert (again["iss"], again["sub"], again["aud"]) == (
        claims["iss"],
        claims["sub"],
        claims["aud"],
    )
    assert again["iat"] > claims["iat"] and again["auth_time"] == claims["auth_time"]
    assert ("azp" in again) == ("azp" in claims)
    assert refreshed["access_token"] != tokens["access_token"]
    assert first.userinfo_call(refreshed["access_token"]).status_code == 200

    other_tokens, _ = tokens_of(second)
    answer = first.token_endpoint(
        {"grant_type": "refresh_token", "refresh_token": other_tokens["refresh_token"]}
    )
    first.check_token_error(answer)  # RefreshTokenRequestExpectingErrorSteps


def test_oidcc_ensure_request_with_valid_pkce_succeeds(suite, person, browser):
    """OIDCCEnsureRequestWithValidPkceSucceeds: S256 PKCE (RFC 7636) with the code."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = secrets.token_urlsafe(48)
    suite.authorization_request(
        code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256"
    )
    tokens, claims = suite.code_flow(
        browser, login=person.email, password=person.password, code_verifier=verifier
    )
    assert claims["sub"] == person.sub


def test_oidcc_ensure_request_with_acr_values_succeeds(suite, person, browser):
    """OIDCCEnsureRequestWithAcrValuesSucceeds: acr_values with every advertised value
    (OIDC Core §3.1.2.1: voluntary); the ID token's acr should be one of them."""
    requested = suite.metadata["acr_values_supported"]
    suite.authorization_request(acr_values=" ".join(requested))
    tokens, claims = suite.code_flow(browser, login=person.email, password=person.password)
    assert claims["acr"] in requested  # ValidateIdTokenACRClaimAgainstAcrValuesRequest


def test_oidcc_idtoken_signature(live_server, response_mode, receiver, person, browser):
    """OIDCCIdTokenSignature: a client registered dynamically without an ID token
    algorithm gets RS256 tokens with a kid (OIDC Core §10.1)."""
    suite = registered(live_server, receiver, response_mode)
    suite.authorization_request()
    tokens, claims = suite.code_flow(browser, login=person.email, password=person.password)
    header = suite.header(tokens["id_token"])
    assert header["alg"] == "RS256" and header["kid"]  # EnsureIdTokenSignatureIsRS256


@basic_plans
def test_oidcc_idtoken_unsigned(live_server, response_mode, receiver, person, browser, plan):
    """OIDCCIdTokenUnsigned (skipTestIfSigningAlgorithmNotSupported): when discovery lists
    "none" among the ID token algorithms, a client registered for it gets ID tokens with
    alg none (CheckIdTokenSignatureAlgorithm); when it does not, the module skips itself,
    as certification allows — then Passport must refuse to register such a client."""
    metadata = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    if "none" not in metadata.json()["id_token_signing_alg_values_supported"]:
        answer = register(live_server, receiver, id_token_signed_response_alg="none")
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_client_metadata"
        pytest.skip("the module skips itself: no 'none' in id_token_signing_alg_values_supported")
    suite = registered(live_server, receiver, response_mode, id_token_signed_response_alg="none")
    suite.authorization_request()
    code = suite.check_success(
        suite.authorize(browser, login=person.email, password=person.password)
    )
    tokens = suite.check_token_response(suite.token_request(code))
    assert suite.header(tokens["id_token"])["alg"] == "none"
