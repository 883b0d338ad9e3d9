"""The client side of the conformance suite's OP modules, over real HTTP.

`SuiteClient` does what AbstractOIDCCServerTest does: it builds the authorization request
(CreateAuthorizationRequestSteps), sends the browser there and takes what reaches the
redirect URI (processCallback: a redirect's query, or the POST of a form_post page),
redeems the code (client_secret_basic or _post) and calls userinfo. The check_* methods
assert what the suite's conditions assert, and name them.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oidc.core.util import create_half_hash
from joserfc import jws
from joserfc.jwk import RSAKey

from ..support.browser import Browser, Page
from ..support.factories import ClientInfo
from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty

REDIRECTS = (301, 302, 303, 307, 308)
# ValidateIdToken: the suite allows five minutes of clock skew.
SKEW = 300
# CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint
ERROR_PARAMETERS = {"error", "error_description", "error_uri", "state", "session_state", "iss"}
# EnsureIdTokenDoesNotContainNonRequestedClaims: what an ID token may hold unasked.
ID_TOKEN_CLAIMS = {
    "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
    "at_hash", "c_hash", "nbf", "jti", "sid", "s_hash",
}  # fmt: skip
# AbstractVerifyScopesReturnedInClaims.SCOPE_STANDARD_CLAIMS (pyoidc's table)
SCOPE_CLAIMS = {
    "openid": {"sub"},
    "profile": {
        "name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture",
        "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at",
        "preferred_username",
    },
    "email": {"email", "email_verified"},
    "address": {"address"},
    "phone": {"phone_number", "phone_number_verified"},
    "offline_access": set(),
}  # fmt: skip
# AbstractValidateOpenIdStandardClaims: the standard claims and the type each must have.
STRING_CLAIMS = {
    "sub", "name", "given_name", "family_name", "middle_name", "nickname",
    "preferred_username", "profile", "picture", "website", "email", "gender", "zoneinfo",
    "locale", "phone_number",
}  # fmt: skip
BOOLEAN_CLAIMS = {"email_verified", "phone_number_verified"}


@dataclass
class Callback:
    """What reached the redirect URI: how, and with which parameters."""

    method: str
    content_type: str
    query: dict[str, str]
    form: dict[str, str]

    @property
    def params(self) -> dict[str, str]:
        return self.form if self.method == "POST" else self.query


def single(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query).items()}


class SuiteClient(RelyingParty):
    """A client of the suite's modules, with `response_mode` the plan's variant."""

    def __init__(self, issuer: str, client: ClientInfo, *, response_mode: str, endpoint: Receiver):
        super().__init__(issuer, client, scope="openid")
        self.response_mode = response_mode
        self.endpoint = endpoint
        self.request: dict[str, str] = {}

    # --- the authorization request ---
    def authorization_request(self, *, scope: str = "openid", **changes) -> dict[str, str]:
        """CreateAuthorizationRequestSteps, then the module's changes (None drops one)."""
        self.state = secrets.token_urlsafe(22)
        self.nonce = secrets.token_urlsafe(22)
        self.code_verifier = None
        request = {
            "client_id": self.client.client_id,
            "redirect_uri": self.client.redirect_uri,
            "scope": scope,
            "state": self.state,
            "nonce": self.nonce,
            "response_type": "code",
        }
        if self.response_mode == "form_post":
            request["response_mode"] = "form_post"
        request.update(changes)
        self.request = {name: value for name, value in request.items() if value is not None}
        return self.request

    def url(self, request: dict[str, str] | None = None) -> str:
        """BuildPlainRedirectToAuthorizationEndpoint."""
        query = urlencode(request if request is not None else self.request)
        return self.metadata["authorization_endpoint"] + "?" + query

    def authorize(
        self,
        browser: Browser,
        *,
        login: str | None = None,
        password: str | None = None,
        consent: bool = True,
        url: str | None = None,
    ) -> Callback:
        """The browser at the authorization endpoint, through login and consent, to the
        redirect URI."""
        page = browser.open(url or self.url())
        page = self.walk(browser, page, login=login, password=password, consent=consent)
        return self.arrival(browser, page)

    def arrival(self, browser: Browser, page: Page) -> Callback:
        """What the redirect URI gets: the query of a redirect to it, or the POST that a
        form_post page makes (submitted here as the browser would)."""
        redirect_uri = self.client.redirect_uri
        if page.status in REDIRECTS:
            location = page.response.headers["Location"]
            assert location.startswith(redirect_uri), location
            return Callback("GET", "", single(urlsplit(location).query), {})
        [form] = [f for f in page.forms if f.action.startswith(redirect_uri)] or [None]
        assert form is not None and form.method == "post", (page.status, page.text[:300])
        seen = len(self.endpoint.snapshot())
        browser.submit(page)
        arrived = self.endpoint.wait_for(seen + 1)[seen]
        query = urlsplit(arrived.path).query
        return Callback("POST", arrived.content_type, single(query), arrived.form)

    # --- processCallback and onAuthorizationCallbackResponse ---
    def check_callback(self, callback: Callback) -> dict[str, str]:
        """How the response arrived, per the response mode (CheckCallbackHttpMethodIsPost,
        CheckCallbackContentTypeIsFormUrlEncoded, RejectAuthCodeInUrlQuery,
        RejectErrorInUrlQuery), the redirect URI's own query parameters back
        (CheckMatchingCallbackParameters) and the issuer
        (ValidateIssIfPresentInAuthorizationResponse)."""
        own = single(urlsplit(self.client.redirect_uri).query)
        if self.response_mode == "form_post":
            assert callback.method == "POST"
            assert callback.content_type == "application/x-www-form-urlencoded"
            assert "code" not in callback.query and "error" not in callback.query
        else:
            assert callback.method == "GET"
        assert {name: callback.query.get(name) for name in own} == own
        params = callback.params
        assert params.get("iss", self.issuer) == self.issuer
        return params

    def check_success(self, callback: Callback) -> str:
        """CheckIfAuthorizationEndpointError, CheckStateInAuthorizationResponse,
        ExtractAuthorizationCodeFromAuthorizationResponse: returns the code."""
        params = self.check_callback(callback)
        assert "error" not in params, params
        assert params.get("state") == self.request.get("state")
        assert params["code"]
        return params["code"]

    def check_error(self, callback: Callback, errors: set[str]) -> dict[str, str]:
        """performGenericAuthorizationEndpointErrorResponseValidation, then the error
        the module expects."""
        params = self.check_callback(callback)
        assert params.get("state") == self.request.get("state")
        assert params.get("error") in errors, params
        assert "code" not in params
        assert set(params) <= ERROR_PARAMETERS, params
        description = params.get("error_description", "")
        # RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E, and no CR, LF or TAB.
        assert all(c == " " or ("!" <= c <= "~" and c not in '"\\') for c in description)
        return params

    # --- the token endpoint ---
    def token_request(
        self, code: str, *, auth: str = "client_secret_basic", **extra
    ) -> requests.Response:
        """CreateTokenEndpointRequestForAuthorizationCodeGrant with the client's
        authentication (AddBasicAuthClientSecretToRequest or
        AddFormBasedClientSecretToRequest)."""
        form = {"grant_type": "authorization_code", "code": code}
        form["redirect_uri"] = self.request.get("redirect_uri", self.client.redirect_uri)
        form.update(extra)
        return self.token_endpoint(form, auth=auth)

    def token_endpoint(self, form: dict, *, auth: str = "client_secret_basic"):
        credentials = None
        if auth == "client_secret_basic":
            credentials = (self.client.client_id, self.client.client_secret)
        else:
            form = dict(form, client_id=self.client.client_id)
            form["client_secret"] = self.client.client_secret
        return requests.post(
            self.metadata["token_endpoint"], data=form, auth=credentials, timeout=10
        )

    def check_token_response(self, answer: requests.Response) -> dict:
        """CheckTokenEndpointHttpStatus200, CheckForAccessTokenValue, ValidateExpiresIn,
        CheckTokenEndpointCacheHeaders, ExtractIdTokenFromTokenResponse."""
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].startswith("application/json")
        assert "no-store" in answer.headers.get("Cache-Control", "")
        tokens = answer.json()
        assert tokens["access_token"] and tokens["token_type"].lower() == "bearer"
        assert isinstance(tokens["expires_in"], int) and tokens["expires_in"] > 0
        assert tokens["id_token"]
        return tokens

    def check_token_error(self, answer: requests.Response, error: str = "invalid_grant") -> None:
        """CheckTokenEndpointHttpStatus400, CheckTokenEndpointReturnedJsonContentType,
        CheckErrorFromTokenEndpointResponseErrorInvalidGrant,
        ValidateErrorDescriptionFromTokenEndpointResponseError."""
        assert answer.status_code == 400, answer.text
        assert answer.headers["Content-Type"].startswith("application/json")
        body = answer.json()
        assert body["error"] == error
        description = body.get("error_description", "")
        assert all(c == " " or ("!" <= c <= "~" and c not in '"\\') for c in description)

    # --- PerformStandardIdTokenChecks ---
    def check_id_token(self, id_token: str) -> dict:
        """ValidateIdToken, ValidateIdTokenStandardClaims, ValidateIdTokenNonce,
        ValidateIdTokenACRClaimAgainstRequest, ValidateIdTokenSignature,
        CheckForSubjectInIdToken, EnsureIdTokenUpdatedAtValid. Returns the claims."""
        claims = self.verify_id_token(id_token)  # signature, iss, aud, exp, iat, sub
        now = self.server_time()
        assert now - SKEW <= claims["iat"] <= now + SKEW
        assert claims["exp"] >= now - SKEW
        if "auth_time" in claims:
            assert now - 365 * 86400 < claims["auth_time"] <= now + SKEW
        if "acr" in claims:
            assert isinstance(claims["acr"], str) and claims["acr"]
        if "nonce" in self.request:
            assert claims["nonce"] == self.request["nonce"]
        else:
            assert "nonce" not in claims
        check_standard_claims(claims)
        return claims

    def check_at_hash(self, tokens: dict, claims: dict) -> None:
        """ValidateAtHash: at_hash is optional in the token endpoint's ID token (OIDC Core
        §3.1.3.6), and right when present."""
        if "at_hash" in claims:
            alg = self.header(tokens["id_token"])["alg"]
            expected = create_half_hash(tokens["access_token"], alg).decode()
            assert claims["at_hash"] == expected

    def check_no_unrequested_claims(self, claims: dict) -> None:
        """EnsureIdTokenDoesNotContainNonRequestedClaims: the ID token's own claims and
        those of the scopes asked for."""
        allowed = set(ID_TOKEN_CLAIMS)
        for scope in self.request.get("scope", "").split():
            allowed |= SCOPE_CLAIMS.get(scope, set())
        assert set(claims) <= allowed, set(claims) - allowed

    @staticmethod
    def header(token: str) -> dict:
        return jws.extract_compact(token.encode()).headers()

    @staticmethod
    def server_time() -> int:
        from server import clock

        return clock.timestamp()

    # --- userinfo ---
    def userinfo_call(self, access_token: str, how: str = "get") -> requests.Response:
        """CallUserInfoEndpoint (GET, or POST with the header: SetResourceMethodToPost) or
        CallUserInfoEndpointWithBearerTokenInBody."""
        endpoint = self.metadata["userinfo_endpoint"]
        header = {"Authorization": f"Bearer {access_token}"}
        if how == "get":
            return requests.get(endpoint, headers=header, timeout=10)
        if how == "post-header":
            return requests.post(endpoint, headers=header, timeout=10)
        return requests.post(endpoint, data={"access_token": access_token}, timeout=10)

    def check_userinfo(self, answer: requests.Response, id_token_claims: dict) -> dict:
        """EnsureHttpStatusCodeIs200, EnsureContentTypeJson, ValidateUserInfoStandardClaims,
        EnsureUserInfoContainsSub, EnsureUserInfoUpdatedAtValid,
        VerifyUserInfoAndIdTokenInTokenEndpointSameSub."""
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].split(";")[0] == "application/json"
        info = answer.json()
        check_standard_claims(info)
        assert info["sub"] == id_token_claims["sub"]
        return info

    def missing_scope_claims(self, info: dict) -> set[str]:
        """VerifyScopesReturnedInUserInfoClaims (a warning): the standard claims of the
        scopes asked for that userinfo does not hold."""
        wanted = set()
        for scope in self.request["scope"].split():
            wanted |= SCOPE_CLAIMS[scope]
        return wanted - set(info)

    # --- the whole happy flow of AbstractOIDCCServerTest ---
    def code_flow(
        self, browser: Browser, *, login=None, password=None, auth="client_secret_basic", **extra
    ) -> tuple[dict, dict]:
        """Authorize, check the callback, redeem the code, check the ID token: returns
        the token response and the ID token's claims."""
        callback = self.authorize(browser, login=login, password=password)
        code = self.check_success(callback)
        tokens = self.check_token_response(self.token_request(code, auth=auth, **extra))
        claims = self.check_id_token(tokens["id_token"])
        self.check_at_hash(tokens, claims)
        return tokens, claims


def check_standard_claims(claims: dict) -> None:
    """AbstractValidateOpenIdStandardClaims: each standard claim present has its type; no
    claim is present with an empty or "null" value."""
    for name, value in claims.items():
        if name in STRING_CLAIMS:
            assert isinstance(value, str) and value.strip() and value.lower() != "null", name
        elif name in BOOLEAN_CLAIMS:
            assert isinstance(value, bool), name
        elif name == "updated_at":
            assert isinstance(value, int | float) and not isinstance(value, bool), name


def entropy_bits(value: str) -> float:
    """AbstractEnsureMinimumEntropy: Shannon entropy per character times the length."""
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_char * len(value)


def check_code(code: str) -> None:
    """EnsureMinimumAuthorizationCodeLength (128 bits) and
    EnsureMinimumAuthorizationCodeEntropy (96 bits, measured)."""
    assert len(code.encode()) * 8 >= 128
    assert entropy_bits(code) >= 96


def printable(value: str) -> bool:
    """EnsureRefreshTokenContainsAllowedCharactersOnly: %x20-7E (RFC 6749 A.17)."""
    return bool(re.fullmatch(r"[\x20-\x7e]+", value))


# Modules the Dynamic plan lists too, where it runs them with dynamic registration and
# private_key_jwt: their tests stand for them in Basic and Form Post only.
basic_plans = pytest.mark.parametrize(
    ("response_mode", "plan"), [("query", "basic"), ("form_post", "formpost")]
)


def register(live_server, receiver, **metadata) -> requests.Response:
    """OIDCCCreateDynamicClientRegistrationRequest: a client with an RS256 key set."""
    key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig"})
    body = {
        "client_name": "conformance " + secrets.token_hex(3),
        "grant_types": ["authorization_code"],
        "jwks": {"keys": [key.as_dict(private=False)]},
        "token_endpoint_auth_method": "client_secret_basic",
        "response_types": ["code"],
        "redirect_uris": [receiver.url + "/callback"],
        "contacts": ["certification@example.org"],
    }
    body.update(metadata)
    return requests.post(live_server.url + "/register", json=body, timeout=10)


def registered(live_server, receiver, response_mode, **metadata):
    answer = register(live_server, receiver, **metadata)
    assert answer.status_code == 201, answer.text
    info = answer.json()
    client = ClientInfo(info["client_id"], info["client_secret"], info["redirect_uris"][0], info)
    return SuiteClient(live_server.url, client, response_mode=response_mode, endpoint=receiver)
