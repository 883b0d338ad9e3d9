"""The client the OpenID Foundation's conformance suite registers for its Dynamic OP plan.

It registers itself as OIDCCCreateDynamicClientRegistrationRequest does: a fresh RS256 key
of its own published in `jwks` (or at a jwks_uri), private_key_jwt, the grant types of its
response type, one redirect URI and a contact. It then runs the authorization request the
modules run (state and nonce, no PKCE: it is a confidential client), authenticates at the
token endpoint with a client assertion signed by that key (aud: the token endpoint), and
unregisters (RFC 7592) when the module ends.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from server import clock

from .assertions import assertion_form, new_key, public_jwks
from .browser import Browser, Page
from .relying_party import RelyingParty

REDIRECT_URI = "https://rp.conformance.example/test/a/passport/callback"
SUPPORT_EMAIL = "certification@oidf.org"


class DynamicRelyingParty:
    def __init__(
        self,
        issuer: str,
        *,
        response_type: str = "code",
        redirect_uri: str = REDIRECT_URI,
        key=None,
        jwks_uri: str | None = None,
        **metadata,
    ):
        self.issuer = issuer
        self.server = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
        self.response_type = response_type
        self.redirect_uri = redirect_uri
        # GenerateRS256ClientJWKs makes a key without kid; with a jwks_uri, with one.
        self.key = key or new_key("RS256", kid="" if jwks_uri else None)
        self.request = self.registration_request(jwks_uri=jwks_uri, **metadata)
        self.info: dict = {}
        self.state: str | None = None
        self.nonce: str | None = None

    # --- registration (RFC 7591, OpenID Connect Registration 1.0) ---
    def registration_request(self, *, jwks_uri: str | None = None, **metadata) -> dict:
        words = self.response_type.split()
        grant_types = []
        if "code" in words:
            grant_types.append("authorization_code")
        if "id_token" in words or "token" in words:
            grant_types.append("implicit")
        request = {
            "client_name": "oidcc-dynamic " + secrets.token_hex(3),
            "grant_types": grant_types,
            "token_endpoint_auth_method": "private_key_jwt",
            "response_types": [self.response_type],
            "redirect_uris": [self.redirect_uri],
            "contacts": [SUPPORT_EMAIL],
        }
        if jwks_uri:
            request["jwks_uri"] = jwks_uri
        else:
            request["jwks"] = public_jwks(self.key)
        request.update(metadata)
        return request

    def register(self) -> requests.Response:
        answer = requests.post(self.server["registration_endpoint"], json=self.request, timeout=10)
        if answer.status_code == 201:
            self.info = answer.json()
        return answer

    def registered(self) -> DynamicRelyingParty:
        """Register, as CallDynamicRegistrationEndpointAndVerifySuccessfulResponse checks."""
        answer = self.register()
        assert answer.status_code == 201, answer.text
        assert answer.headers["Content-Type"].split(";")[0] == "application/json"
        assert "error" not in self.info and self.info["client_id"]
        # VerifyClientManagementCredentials: both or neither, and the URI is ours.
        assert self.info["registration_client_uri"].startswith(self.issuer + "/")
        assert self.info["registration_access_token"]
        # VerifyDynamicRegistrationResponseClientCredentials: a secret has its expiry.
        if "client_secret" in self.info:
            assert "client_secret_expires_at" in self.info
        return self

    def unregister(self) -> None:
        """UnregisterDynamicallyRegisteredClient: DELETE answers 204 No Content."""
        answer = requests.delete(
            self.info["registration_client_uri"],
            headers={"Authorization": "Bearer " + self.info["registration_access_token"]},
            timeout=10,
        )
        assert answer.status_code == 204, answer.text

    @property
    def client_id(self) -> str:
        return self.info["client_id"]

    # --- the authorization endpoint ---
    def authorization_url(self, **params) -> str:
        self.state = secrets.token_urlsafe(10)
        self.nonce = secrets.token_urlsafe(10)
        query = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid",
            "state": self.state,
            "nonce": self.nonce,
            "response_type": self.response_type,
        }
        query.update(params)
        query = {name: value for name, value in query.items() if value is not None}
        return self.server["authorization_endpoint"] + "?" + urlencode(query)

    def authorize(self, browser: Browser, person, **params) -> Page:
        """Open the request in a fresh browser, sign in and consent: the page that answers."""
        page = browser.open(self.authorization_url(**params))
        return RelyingParty.walk(browser, page, login=person.email, password=person.password)

    def callback(self, page: Page) -> dict:
        """The authorization response at the redirect URI: query for the code flow, fragment
        otherwise (RejectAuthCodeInUrlQuery, RejectErrorInUrlQuery); state and iss checked
        (CheckStateInAuthorizationResponse, ValidateIssIfPresentInAuthorizationResponse)."""
        location = page.response.headers.get("Location", "")
        assert page.status == 302 and location.startswith(self.redirect_uri), (
            page.status,
            location,
            page.text[:300],
        )
        parts = urlsplit(location)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        fragment = {k: v[0] for k, v in parse_qs(parts.fragment).items()}
        if self.response_type == "code":
            params = query
        else:
            assert "code" not in query and "error" not in query
            params = fragment
        assert params.get("state") == self.state, params
        assert params.get("iss", self.issuer) == self.issuer
        return params

    # --- the token endpoint, with private_key_jwt ---
    def token(self, form: dict, **assertion_options) -> requests.Response:
        audience = assertion_options.pop("audience", self.server["token_endpoint"])
        options = {"alg": "RS256", **assertion_options}
        form = {**form, **assertion_form(self.client_id, self.key, audience, **options)}
        return requests.post(self.server["token_endpoint"], data=form, timeout=10)

    def redeem(self, code: str, **assertion_options) -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
        }
        return self.token(form, **assertion_options)

    def refresh(self, refresh_token: str, scope: str | None = None) -> requests.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope:
            form["scope"] = scope
        return self.token(form)

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            self.server["userinfo_endpoint"],
            headers={"Authorization": "Bearer " + access_token},
            timeout=10,
        )

    # --- what the modules check of the answers ---
    def server_keys(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.server["jwks_uri"], timeout=10).json())

    def id_token(self, token: str, *, nonce: bool = True) -> tuple[dict, dict]:
        """PerformStandardIdTokenChecks: signature by a published key, iss, aud, exp, iat,
        sub, and the nonce of the request; (header, claims)."""
        decoded = jwt.decode(token, self.server_keys(), algorithms=["RS256", "ES256"])
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=clock.timestamp(),
            leeway=300,
            iss={"essential": True, "value": self.issuer},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        )
        registry.validate(claims)
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert self.client_id in audience
        if nonce:
            assert claims.get("nonce") == self.nonce
        assert claims.get("acr", None) != ""
        return dict(decoded.header), claims


def token_response_headers_are_not_cached(answer: requests.Response) -> None:
    """CheckTokenEndpointCacheHeaders (RFC 6749 §5.1): no-store, and Pragma no-cache."""
    assert "no-store" in answer.headers.get("Cache-Control", "")
    assert answer.headers.get("Pragma") == "no-cache"
