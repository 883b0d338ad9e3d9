"""The Authlib authorization server and resource protector, wired to Passport's storage."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    TokenValidator,
    scope_to_list,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from flask import Flask, current_app, request

from ..domain import client_cache, resources
from ..domain.client_metadata import follows_fapi2
from ..models import Client, ClientSnapshot
from . import dpop
from .claims import SCOPES_SUPPORTED, ClaimsParameter
from .client_auth import JWT_AUTH_METHODS
from .device import DeviceAuthorizationEndpoint, DeviceCodeGrant
from .endpoints import (
    ClientConfigurationEndpoint,
    ClientRegistrationEndpoint,
    IntrospectionEndpoint,
    RevocationEndpoint,
    UserInfoEndpoint,
)
from .exchange import TokenExchangeGrant
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
from .pushed import PushedRequests
from .request_objects import RequestObjects
from .resource_indicators import ResourceIndicators
from .response_modes import ResponseMode, authorization_error
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


class PassportAuthorizationServer(AuthorizationServer):
    def get_error_uri(self, request, error):
        return None

    def validate_requested_scope(self, scope):
        # The OpenID scopes and those of the APIs the operators registered (RFC 8707).
        if not scope:
            return
        asked = set(scope_to_list(scope))
        if not asked <= SCOPES_SET and not asked <= SCOPES_SET | set(resources.scopes()):
            raise InvalidScopeError()

    def authenticate_client(self, request, methods, endpoint="token"):
        client = super().authenticate_client(request, methods, endpoint)
        if (
            follows_fapi2(client.client_metadata)
            and client.token_endpoint_auth_method != "private_key_jwt"
        ):
            # FAPI 2.0 §5.3.2.1 items 3 and 6: a client registered before the server was
            # held to the profile authenticates as the profile says, or not at all.
            raise InvalidClientError(
                description="FAPI 2.0 clients authenticate with private_key_jwt."
            )
        return client

    def create_oauth2_request(self, request):
        # The authorization endpoint makes its request once and hands it to each step, so
        # what a step settles (a request object's parameters) is what the next one reads.
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def handle_error_response(self, request, error):
        # An authorization endpoint error with a checked redirect URI goes back in the
        # request's response mode, like every authorization response.
        if getattr(error, "redirect_uri", None):
            return self.handle_response(*authorization_error(error, request.payload))
        return super().handle_error_response(request, error)


class BearerTokens(ResourceProtector):
    """RFC 6750: the access token in the Authorization header (§2.1) or, in a POST, as
    the form-encoded body's access_token (§2.2); never both (§2)."""

    def parse_request_authorization(self, oauth_request):
        in_body = None
        if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
            in_body = request.form.get("access_token")
        if not in_body:
            return super().parse_request_authorization(oauth_request)
        if oauth_request.headers.get("Authorization"):
            raise InvalidRequestError("Send the access token one way only.")
        return self.get_token_validator("bearer"), in_body


SCOPES_SET = frozenset(SCOPES_SUPPORTED)


def for_passport(decoded):
    """A decoded access token made for Passport's own resources (userinfo): its audience
    is the issuer. One exchanged for another API (RFC 8693) is that API's, not userinfo's."""
    if decoded is None:
        return None
    aud = decoded[0].get("aud")
    issuer = current_app.config["ISSUER"]
    return decoded if aud == issuer or (isinstance(aud, list) and issuer in aud) else None


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        decoded = for_passport(decode_access_token(token_string))
        if decoded and "cnf" in decoded[0]:
            # RFC 9449 §7.2: a DPoP-bound token is worth nothing without its key's proof.
            raise InvalidTokenError("The access token is DPoP-bound: present it as DPoP.")
        return AccessToken(*decoded) if decoded else None


class DPoPTokenValidator(TokenValidator):
    """RFC 9449 §7.1: `Authorization: DPoP <token>` with a proof by the key the token's
    cnf.jkt names, made for this request and this token (`ath`)."""

    TOKEN_TYPE = "dpop"

    def authenticate_token(self, token_string):
        decoded = for_passport(decode_access_token(token_string))
        if decoded is None:
            raise dpop.ResourceError("invalid_token", "The access token is not valid.")
        claims, holder = decoded
        bound = (claims.get("cnf") or {}).get("jkt")
        if not bound:
            raise dpop.ResourceError("invalid_token", "The access token is a Bearer token.")
        try:
            proof = dpop.check_proof(access_token=token_string)
        except dpop.UseDPoPNonce as error:
            raise dpop.ResourceError("use_dpop_nonce", error.description) from None
        except dpop.InvalidDPoPProof as error:
            raise dpop.ResourceError("invalid_dpop_proof", error.description) from None
        if proof is None:
            raise dpop.ResourceError("invalid_dpop_proof", "Send a DPoP proof with the token.")
        if proof.jkt != bound:
            raise dpop.ResourceError(
                "invalid_dpop_proof", "The DPoP proof is signed by another key than the token's."
            )
        return AccessToken(claims, holder)

    def validate_token(self, token, scopes, request):
        if self.scope_insufficient(token.get_scope(), scopes):
            raise InsufficientScopeError()


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
        # The holder: its person, the sub its client knows them by, and the claims its
        # grant asked userinfo for.
        return self.holder


def authorization_server() -> PassportAuthorizationServer:
    return current_app.extensions["passport.authorization"]


def init_oauth(app: Flask) -> None:
    authorization = PassportAuthorizationServer()
    require_oauth = BearerTokens()
    authorization.init_app(app, query_client=query_client, save_token=save_token)
    authorization.scopes_supported = SCOPES_SUPPORTED
    authorization.register_token_generator("default", generate_token)
    for method in JWT_AUTH_METHODS:
        authorization.register_client_auth_method(method.CLIENT_AUTH_METHOD, method())
    authorization.register_grant(
        AuthorizationCodeGrant,
        [
            OpenIDCodeExtension(),
            PKCE(required=True),
            ResponseMode(),
            ClaimsParameter(),
            dpop.CodeBinding(),
            ResourceIndicators(),
        ],
    )
    authorization.register_grant(RefreshTokenGrant, [RefreshIDToken()])
    if app.config["IMPLICIT_FLOW"]:
        authorization.register_grant(ImplicitGrant)
    authorization.register_grant(ClientCredentialsGrant)
    authorization.register_grant(DeviceCodeGrant, [RefreshIDToken()])
    authorization.register_grant(TokenExchangeGrant)
    # Authlib runs the hooks of both in no set order: each leaves the other's request_uri.
    authorization.register_extension(PushedRequests())
    authorization.register_extension(RequestObjects())
    authorization.register_endpoint(RevocationEndpoint)
    authorization.register_endpoint(IntrospectionEndpoint)
    authorization.register_endpoint(ClientRegistrationEndpoint)
    authorization.register_endpoint(ClientConfigurationEndpoint)
    authorization.register_endpoint(EndSessionEndpoint)
    authorization.register_endpoint(DeviceAuthorizationEndpoint)
    require_oauth.register_token_validator(AccessTokenValidator())
    require_oauth.register_token_validator(DPoPTokenValidator())
    authorization.register_endpoint(UserInfoEndpoint(resource_protector=require_oauth))
    app.extensions["passport.authorization"] = authorization
