"""Token exchange (RFC 8693): a portal's back end that calls another API for the person
trades the access token it holds for one made for that API.

- Only clients the operators named in TOKEN_EXCHANGE_CLIENTS may (unauthorized_client
  otherwise); they authenticate as at the token endpoint (confidential clients only).
- The subject token is a live access token Passport issued for a person, to this client,
  or to another with this client as its audience (a chain of back ends). Its grant stays
  the new token's: revoking the grant, the person's credential change or the end of the
  sign-in ends both.
- The audience is a registered, enabled client (`audience`) or a resource of RESOURCES
  (`resource`, RFC 8707); anything else is invalid_target (§2.2.2).
- The new token names the client that asked as the actor (`act`, §4.1), over the actors
  of the subject token; its scope is at most the subject token's, its life at most what is
  left of the subject token's; no refresh token.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import BaseGrant, TokenEndpointMixin
from flask import current_app

from ..clock import timestamp
from ..domain import client_cache
from . import dpop
from .client_auth import CONFIDENTIAL_AUTH_METHODS
from .resource_indicators import InvalidTargetError
from .tokens import decode_access_token, exchanged_token

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def audiences_of(claims) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else list(aud or [])


class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):
    GRANT_TYPE = GRANT_TYPE
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def validate_token_request(self):
        client = self.authenticate_token_endpoint_client()
        if client.client_id not in current_app.config["TOKEN_EXCHANGE_CLIENTS"]:
            raise UnauthorizedClientError(
                "The operators have not allowed this client to exchange tokens."
            )
        data = self.request.payload.data
        if data.get("subject_token_type") != ACCESS_TOKEN_TYPE or not data.get("subject_token"):
            raise InvalidRequestError(
                f"Send an access token as subject_token ({ACCESS_TOKEN_TYPE})."
            )
        if data.get("requested_token_type", ACCESS_TOKEN_TYPE) != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError("Only access tokens are issued.")
        if "actor_token" in data:
            raise InvalidRequestError("actor_token is not accepted: the client is the actor.")
        decoded = decode_access_token(data["subject_token"])
        if decoded is None or not decoded[0].get("gid"):
            raise InvalidGrantError("The subject_token is not a live access token for a person.")
        subject, _holder = decoded
        if subject["client_id"] != client.client_id and client.client_id not in audiences_of(
            subject
        ):
            raise InvalidGrantError("The subject_token was issued to another client.")
        # A DPoP-bound subject token is exchanged with its key's proof, and a client that
        # registered dpop_bound_access_tokens (or FAPI 2.0) gets only bound tokens here too.
        dpop.check_binding(client, (subject.get("cnf") or {}).get("jkt"))
        self.request.client = client
        self.request.subject_claims = subject
        self.request.audience = self._audience(data)
        self.request.scope = self._scope(data, subject)

    def _audience(self, data) -> str:
        audience, resource = data.get("audience"), data.get("resource")
        if bool(audience) == bool(resource):
            raise InvalidRequestError("Name one audience (a client) or one resource.")
        if audience:
            target = client_cache.find(audience)
            if target is None or target.is_disabled:
                raise InvalidTargetError("The audience is not a client of this server.")
            return audience
        if resource not in current_app.config["RESOURCES"]:
            raise InvalidTargetError("The resource is not registered on this server.")
        return resource

    def _scope(self, data, subject) -> str:
        held = scope_to_list(subject.get("scope")) or []
        asked = scope_to_list(data.get("scope")) or held
        if not set(asked) <= set(held):
            raise InvalidScopeError("The scope goes beyond the subject_token's.")
        return " ".join(dict.fromkeys(asked))

    def create_token_response(self):
        request = self.request
        subject = request.subject_claims
        lifetime = min(current_app.config["ACCESS_TOKEN_LIFETIME"], subject["exp"] - timestamp())
        access_token = exchanged_token(
            subject,
            request.client,
            audience=request.audience,
            scope=request.scope,
            lifetime=lifetime,
        )
        proof = dpop.request_proof()
        body = {
            "access_token": access_token,
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "DPoP" if proof is not None else "Bearer",
            "expires_in": lifetime,
            "scope": request.scope,
        }
        return 200, body, self.TOKEN_RESPONSE_HEADER
