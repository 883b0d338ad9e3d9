"""The Authlib authorization server and resource protector, wired to Passport's storage."""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, current_app

from ..domain import client_cache
from ..models import Client, ClientSnapshot
from .claims import SCOPES_SUPPORTED
from .client_auth import JWT_AUTH_METHODS
from .endpoints import (
    ClientConfigurationEndpoint,
    ClientRegistrationEndpoint,
    IntrospectionEndpoint,
    RevocationEndpoint,
    UserInfoEndpoint,
)
from .grants import (
    PKCE,
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ImplicitGrant,
    OpenIDCodeExtension,
    RefreshIDToken,
    RefreshTokenGrant,
)
from .logout import EndSessionEndpoint
from .tokens import decode_access_token, generate_token


def query_client(client_id: str) -> ClientSnapshot | None:
    """The enabled client of a protocol request, from this process's cache: a read-only
    copy shared between threads, so grants and endpoints pass on its id, never the object."""
    client = client_cache.find(client_id)
    if client is None or client.is_disabled:
        return None
    return client


def save_token(token: dict, request) -> None:
    """Store what a token response creates; the grant commits it with the code or rotation."""
    subject = request.user
    if subject is None:
        return  # client_credentials: nothing to store, access tokens are self-contained
    # Both are stored by the statement that spends what the client presented, so nothing
    # exists unless that request won: the code's redemption starts the grant with its first
    # refresh token (AuthorizationCodeGrant.delete_authorization_code), the rotation stores
    # the successor (RefreshTokenGrant.revoke_old_credential).
    request.issued_token = token


class Issuer(IssuerParameter):
    def get_issuer(self) -> str:
        return current_app.config["ISSUER"]

    def add_issuer_parameter(self, authorization_server, response):
        # RFC 9207 §2: iss goes where the response's other parameters are; Authlib puts it
        # in the query, which for an answer in the fragment would change the redirect URI.
        location = response.location
        if location and "#" in location:
            response.location = add_params_to_uri(location, {"iss": self.get_issuer()}, True)
            return
        super().add_issuer_parameter(authorization_server, response)


class PassportAuthorizationServer(AuthorizationServer):
    def get_error_uri(self, request, error):
        return None


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        decoded = decode_access_token(token_string)
        return AccessToken(*decoded) if decoded else None


class AccessToken(dict):
    """A validated access token, as Authlib's resource protector expects it."""

    def __init__(self, claims: dict, holder):
        super().__init__(claims)
        self.holder = holder

    def is_expired(self) -> bool:
        return False  # decode_access_token refuses expired tokens

    def is_revoked(self) -> bool:
        return False  # …and revoked ones

    def get_scope(self) -> str:
        return self.get("scope", "")

    @property
    def scope(self) -> str:
        return self.get_scope()

    def get_client(self) -> Client | ClientSnapshot | None:
        return self.holder.client

    def get_user(self):
        # The holder: its person, and the sub its client knows them by (userinfo).
        return self.holder


def authorization_server() -> PassportAuthorizationServer:
    return current_app.extensions["passport.authorization"]


def init_oauth(app: Flask) -> None:
    authorization = PassportAuthorizationServer()
    require_oauth = ResourceProtector()
    authorization.init_app(app, query_client=query_client, save_token=save_token)
    authorization.scopes_supported = SCOPES_SUPPORTED
    authorization.register_token_generator("default", generate_token)
    for method in JWT_AUTH_METHODS:
        authorization.register_client_auth_method(method.CLIENT_AUTH_METHOD, method())
    authorization.register_grant(
        AuthorizationCodeGrant, [OpenIDCodeExtension(), PKCE(required=True)]
    )
    authorization.register_grant(RefreshTokenGrant, [RefreshIDToken()])
    if app.config["IMPLICIT_FLOW"]:
        authorization.register_grant(ImplicitGrant)
    authorization.register_grant(ClientCredentialsGrant)
    authorization.register_extension(Issuer())
    authorization.register_endpoint(RevocationEndpoint)
    authorization.register_endpoint(IntrospectionEndpoint)
    authorization.register_endpoint(ClientRegistrationEndpoint)
    authorization.register_endpoint(ClientConfigurationEndpoint)
    authorization.register_endpoint(EndSessionEndpoint)
    require_oauth.register_token_validator(AccessTokenValidator())
    authorization.register_endpoint(UserInfoEndpoint(resource_protector=require_oauth))
    app.extensions["passport.authorization"] = authorization
