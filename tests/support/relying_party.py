"""A relying party built on Authlib's OAuth client, driving Passport as a portal would."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from server import clock

from .assertions import assertion_form
from .browser import Browser, Page
from .dpop import DPoPKey
from .factories import ClientInfo

# The methods in which the portal signs an assertion instead of sending its secret.
JWT_AUTH_METHODS = ("private_key_jwt", "client_secret_jwt")


def response_params(location: str) -> dict:
    """The parameters of an authorization response, from the query of the redirect."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class RelyingParty:
    def __init__(
        self,
        issuer: str,
        client: ClientInfo,
        *,
        scope: str = "openid email phone profile",
        key=None,
        dpop: DPoPKey | None = None,
        audience: str | None = None,
    ):
        self.issuer = issuer
        self.client = client
        self.metadata = requests.get(
            issuer + "/.well-known/openid-configuration", timeout=10
        ).json()
        auth_method = client.metadata.get("token_endpoint_auth_method", "client_secret_basic")
        self.auth_method = auth_method
        # private_key_jwt: the portal's private key; client_secret_jwt signs with the secret.
        self.key = key if key is not None else client.client_secret
        # RFC 9449: with a DPoP key, every call to the token endpoint and userinfo has a proof.
        self.dpop = dpop
        # The audience of its client assertions: the token endpoint unless given.
        self.audience = audience
        self.oauth = OAuth2Session(
            client.client_id,
            client.client_secret,
            scope=scope,
            redirect_uri=client.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=auth_method,
        )
        self.code_verifier: str | None = None
        self.state: str | None = None
        self.nonce: str | None = None

    def authorization_url(self, **params) -> str:
        self.code_verifier = secrets.token_urlsafe(48)
        self.nonce = secrets.token_urlsafe(16)
        url, self.state = self.oauth.create_authorization_url(
            self.metadata["authorization_endpoint"],
            code_verifier=self.code_verifier,
            nonce=self.nonce,
            **params,
        )
        return url

    def push(self, **params) -> requests.Response:
        """Push an authorization request (RFC 9126), authenticated as the client is at the
        token endpoint; its state, nonce and code verifier are this portal's from now on."""
        url = self.authorization_url(**params)
        form = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
        return self.post("pushed_authorization_request_endpoint", form)

    def pushed_url(self, request_uri: str, **query) -> str:
        """The authorization request that brings a pushed one: client_id and request_uri."""
        query = {"client_id": self.client.client_id, "request_uri": request_uri, **query}
        return self.metadata["authorization_endpoint"] + "?" + urlencode(query)

    def authorize(
        self,
        browser: Browser,
        *,
        login: str | None = None,
        password: str | None = None,
        consent: bool = True,
        **params,
    ) -> dict:
        """Walk the pages (login, consent) to the redirect back; returns its query parameters."""
        page = browser.open(self.authorization_url(**params))
        page = self.walk(browser, page, login=login, password=password, consent=consent)
        return self.callback_params(page)

    @staticmethod
    def walk(browser: Browser, page: Page, *, login=None, password=None, consent=True) -> Page:
        for _ in range(4):
            if page.status in (301, 302, 303, 307, 308):
                return page
            if any("password" in f.fields for f in page.forms) and login is not None:
                page = browser.submit(page, "password", login=login, password=password)
            elif any(n == "decision" for f in page.forms for n, _ in f.buttons):
                page = browser.submit(
                    page, "decision", button="decision", decision="allow" if consent else "deny"
                )
            else:
                return page
        return page

    def callback_params(self, page: Page) -> dict:
        location = page.response.headers.get("Location", "")
        assert location.startswith(self.client.redirect_uri), (
            page.status,
            location,
            page.text[:300],
        )
        return response_params(location)

    def fragment_params(self, page: Page) -> dict:
        """The parameters of a response in the fragment (OIDC Core §3.2.2.5), and nothing
        of the query: the implicit flow's answer must not reach the portal's server."""
        location = page.response.headers.get("Location", "")
        assert location.startswith(self.client.redirect_uri + "#"), (page.status, location)
        return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}

    def code_form(self, params: dict) -> dict:
        """The token request that redeems the code of an authorization response."""
        return {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": self.client.redirect_uri,
            "code_verifier": self.code_verifier,
        }

    def exchange(self, params: dict) -> dict:
        if self.auth_method in JWT_AUTH_METHODS or self.dpop is not None:
            answer = self.post("token_endpoint", self.code_form(params))
            assert answer.status_code == 200, answer.text
            return answer.json()
        return self.oauth.fetch_token(
            self.metadata["token_endpoint"],
            code=params["code"],
            code_verifier=self.code_verifier,
            state=self.state,
        )

    def sign_in(self, browser: Browser, login: str, password: str, **params) -> dict:
        params_back = self.authorize(browser, login=login, password=password, **params)
        assert "code" in params_back, params_back
        return self.exchange(params_back)

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=10).json())

    def verify_id_token(self, id_token: str) -> dict:
        token = jwt.decode(id_token, self.jwks(), algorithms=["RS256", "ES256", "PS256"])
        claims = token.claims
        registry = jwt.JWTClaimsRegistry(
            now=clock.timestamp,  # the server's clock, which tests may move forward
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client.client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        )
        registry.validate(claims)
        return claims

    def post(self, endpoint: str, data: dict, **assertion_options) -> requests.Response:
        """POST to one of the server's endpoints, authenticated the way the client registered
        (an assertion's audience is the token endpoint, unless `audience` says otherwise)."""
        auth = None
        if self.auth_method in JWT_AUTH_METHODS:
            audience = assertion_options.pop(
                "audience", self.audience or self.metadata["token_endpoint"]
            )
            data = dict(
                data,
                **assertion_form(self.client.client_id, self.key, audience, **assertion_options),
            )
        elif self.client.client_secret:
            auth = (self.client.client_id, self.client.client_secret)
        else:
            data = dict(data, client_id=self.client.client_id)
        if self.dpop is not None:
            return self.dpop.send("POST", self.metadata[endpoint], data=data, auth=auth)
        return requests.post(self.metadata[endpoint], data=data, auth=auth, timeout=10)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.post(
            "token_endpoint", {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    def userinfo(self, access_token: str) -> requests.Response:
        if self.dpop is not None:
            return self.dpop.send(
                "GET", self.metadata["userinfo_endpoint"], access_token=access_token
            )
        return requests.get(
            self.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=10,
        )

    def profile_of(self, browser: Browser) -> dict:
        """What userinfo says of the person signed in in `browser`, after a fresh code flow
        with the profile scope."""
        tokens = self.exchange(self.authorize(browser, scope="openid profile"))
        return self.userinfo(tokens["access_token"]).json()

    def introspect(self, token: str, hint: str | None = None) -> dict:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        return self.post("introspection_endpoint", data).json()

    def revoke(self, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token}
        if hint:
            data["token_type_hint"] = hint
        return self.post("revocation_endpoint", data)
