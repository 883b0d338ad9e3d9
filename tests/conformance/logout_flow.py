"""What every module of the RP-Initiated and Back-Channel Logout plans does around its
end-session request (the suite's AbstractOIDCCRpInitiatedLogout): a normal sign-in with the
code flow, the browser sent to the end_session_endpoint with a request the module shapes, and,
where the OP sent the person back, an authorization request with prompt=none that must fail
because the person is signed out.

The suite's client is static and confidential (client_secret_basic, no PKCE, scope openid).
Its addresses hang off the suite's own, as the plans ask: "the same url as the redirect url but
replacing the portion after the alias with /post_logout_redirect". Nothing listens there: the
browser stops at a redirect that leaves Passport, and the test reads where it would have gone.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from ..support.browser import Browser, Page
from ..support.factories import AccountInfo
from ..support.relying_party import RelyingParty

SUITE = "http://127.0.0.1:9/test/a/passport"
REDIRECT_URI = SUITE + "/callback"
POST_LOGOUT_REDIRECT_URI = SUITE + "/post_logout_redirect"
BACKCHANNEL_LOGOUT_PATH = "/backchannel_logout"

# CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface (OIDC Core §3.1.2.6).
USER_INTERFACE_ERRORS = {
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
}
# CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint (RFC 9207 adds iss).
ERROR_RESPONSE_PARAMETERS = {
    "error",
    "error_description",
    "error_uri",
    "state",
    "session_state",
    "iss",
}
# RFC 6749 §4.1.2.1: the characters error_description and error_uri may hold (less TAB, CR and
# LF in a description, which the suite warns of too).
ERROR_DESCRIPTION = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+")
ERROR_URI = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# Spring's UriComponentsBuilder leaves these as they are in a query parameter's value.
SPRING_QUERY_SAFE = "!$'()*+,;:@/?"
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "HS": "oct", "Ed": "OKP"}


def authorization_state() -> str:
    """CreateRandomStateValue with requested_state_length 128: a long state ending in every
    URL-safe punctuation mark, to see the OP hand it back untouched."""
    alphanumeric = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphanumeric) for _ in range(124)) + "-._~"


def end_session_state() -> str:
    """CreateRandomEndSessionState: 50 letters, 10 digits and 30 printable punctuation marks
    (RFC 6749 Appendix A VSCHAR), with '+', ' ' and ';' turned into '~' as the suite does."""
    ranges = ((0x20, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E))
    punctuation = "".join(chr(c) for low, high in ranges for c in range(low, high + 1))

    def pick(alphabet: str, count: int) -> str:
        return "".join(secrets.choice(alphabet) for _ in range(count))

    state = pick(string.ascii_letters, 50) + pick(string.digits, 10) + pick(punctuation, 30)
    return state.translate(str.maketrans("+ ;", "~~~"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify_as_the_suite_does(token: str, jwks: dict) -> tuple[dict, dict]:
    """AbstractVerifyJwsSignature: the header's kid names exactly one key of the JWKS whose kty
    fits the alg, whose alg (if it has one) is the token's and whose use is sig; that key
    verifies the signature. Returns (header, claims)."""
    header = b64url_json(token.split(".")[0])
    alg = header["alg"]
    assert header.get("kid"), header
    keys = [
        key
        for key in jwks["keys"]
        if key.get("kid") == header["kid"]
        and key["kty"] == KEY_TYPES.get(alg[:2])
        and key.get("alg", alg) == alg
        and key.get("use", "sig") == "sig"
    ]
    assert len(keys) == 1, (header, jwks)
    decoded = jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=[alg])
    return dict(decoded.header), dict(decoded.claims)


def discovery(issuer: str) -> dict:
    """GetDynamicServerConfiguration: the document at the well-known address, as JSON."""
    answer = requests.get(issuer + "/.well-known/openid-configuration", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].split(";")[0] == "application/json"
    server = answer.json()
    assert server["issuer"] == issuer
    return server


def endpoints_under_issuer(server: dict) -> list[str]:
    """CheckDiscEndpointAllEndpointsAreHttps, as far as a test on a loopback address goes: every
    *_endpoint is an absolute URL of the issuer's own, so it is https when the issuer is — and
    in production Passport refuses to start with any other issuer (tests/unit/test_config.py)."""
    names = [name for name in server if name.endswith("_endpoint")]
    for name in names:
        assert isinstance(server[name], str), (name, server[name])
        url = urlsplit(server[name])
        assert url.scheme and url.netloc, (name, server[name])
        assert server[name].startswith(server["issuer"] + "/"), (name, server[name])
    return names


def redirected_away(page: Page) -> str | None:
    """Where the OP sent the browser off Passport, if it did."""
    if page.status in (301, 302, 303, 307, 308):
        return page.response.headers.get("Location")
    return None


def post_logout_redirect(page: Page) -> dict | None:
    """The query the suite's /post_logout_redirect would receive from this page, or None when
    the OP did not send the browser there (the suite matches the path, whatever the query)."""
    location = redirected_away(page)
    if location is None:
        return None
    parts = urlsplit(location)
    if parts._replace(query="", fragment="").geturl() != POST_LOGOUT_REDIRECT_URI:
        return None
    query = parse_qs(parts.query, keep_blank_values=True)
    return {name: values[0] for name, values in query.items()}


def asks_to_confirm(page: Page) -> bool:
    """Passport's "Sign out of Passport?" page, with its Sign out button."""
    return page.status == 200 and any(
        name == "confirm" for form in page.forms for name, _ in form.buttons
    )


def shows_signed_out(page: Page) -> bool:
    return page.status == 200 and "You have signed out." in page.text


@dataclass
class LogoutFlow:
    """One module's run: the suite's client, the person's browser, and what the first
    authorization gave."""

    portal: RelyingParty
    browser: Browser
    person: AccountInfo
    tokens: dict = field(default_factory=dict)
    id_token_claims: dict = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.portal.metadata["issuer"]

    @property
    def id_token(self) -> str:
        return self.tokens["id_token"]

    def authorization_url(self, state: str, nonce: str, **params) -> str:
        """BuildPlainRedirectToAuthorizationEndpoint: code flow, scope openid, no PKCE."""
        query = {
            "client_id": self.portal.client.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "response_type": "code",
            **params,
        }
        return self.portal.metadata["authorization_endpoint"] + "?" + urlencode(query)

    def sign_in(self) -> None:
        """The first authorization: the pages to the redirect back, the token endpoint, the
        ID token's checks (PerformStandardIdTokenChecks) and the userinfo endpoint."""
        state, nonce = authorization_state(), secrets.token_urlsafe(16)
        page = self.browser.open(self.authorization_url(state, nonce))
        page = RelyingParty.walk(
            self.browser, page, login=self.person.email, password=self.person.password
        )
        params = self.portal.callback_params(page)
        assert "error" not in params, params
        assert params["state"] == state
        assert params.get("iss", self.issuer) == self.issuer
        answer = self.portal.post(
            "token_endpoint",
            {
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": REDIRECT_URI,
            },
        )
        assert answer.status_code == 200, answer.text
        self.tokens = answer.json()
        assert self.tokens["access_token"] and self.tokens["id_token"]
        self.id_token_claims = self.portal.verify_id_token(self.id_token)
        assert self.id_token_claims["nonce"] == nonce
        assert verify_as_the_suite_does(self.id_token, self.jwks())[1] == self.id_token_claims
        assert self.portal.userinfo(self.tokens["access_token"]).status_code == 200

    def jwks(self) -> dict:
        return requests.get(self.portal.metadata["jwks_uri"], timeout=10).json()

    def end_session_request(self) -> dict[str, str]:
        """CreateEndSessionEndpointRequest: the ID token as the hint, the registered
        post_logout_redirect_uri and a fresh state, in that order."""
        return {
            "id_token_hint": self.id_token,
            "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
            "state": end_session_state(),
        }

    def end_session_with(self, **changes: str | None) -> tuple[dict[str, str], Page]:
        """The module's customiseEndSessionEndpointRequest: the usual request with some
        parameters changed, or taken out (None), sent; returns the request and the page."""
        request = self.end_session_request()
        for name, value in changes.items():
            if value is None:
                del request[name]
            else:
                request[name] = value
        return request, self.end_session(request)

    def end_session(self, request: dict[str, str]) -> Page:
        """BuildRedirectToEndSessionEndpoint, its query written as Spring writes it, and the
        browser sent there."""
        url = self.portal.metadata["end_session_endpoint"]
        if request:
            url += "?" + "&".join(
                f"{name}={quote(value, safe=SPRING_QUERY_SAFE)}" for name, value in request.items()
            )
        return self.browser.open(url)

    def confirm(self, page: Page) -> Page:
        """The person presses "Sign out" on the confirmation page."""
        assert asks_to_confirm(page), (page.status, page.text[:300])
        return self.browser.submit(page, "confirm", button="confirm")

    def authorize_with_prompt_none(self) -> dict:
        """The second authorization, with prompt=none. The person is signed out, so the OP must
        answer with an error that asks for a user interface, and the answer must pass the
        suite's performGenericAuthorizationEndpointErrorResponseValidation."""
        state = authorization_state()
        page = self.browser.open(
            self.authorization_url(state, secrets.token_urlsafe(16), prompt="none")
        )
        params = self.portal.callback_params(page)
        assert params.get("state") == state
        assert params.get("iss", self.issuer) == self.issuer
        assert "code" not in params
        assert set(params) <= ERROR_RESPONSE_PARAMETERS, params
        if "error_description" in params:
            assert ERROR_DESCRIPTION.fullmatch(params["error_description"]), params
        if "error_uri" in params:
            assert ERROR_URI.fullmatch(params["error_uri"]), params
        assert params.get("error") in USER_INTERFACE_ERRORS, params
        return params
