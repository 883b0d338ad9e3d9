"""The grants Passport speaks: Authlib's classes with their storage hooks filled in."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    UnauthorizedClientError,
    grants,
    list_to_scope,
    scope_to_list,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode, OpenIDImplicitGrant
from authlib.oidc.core.grants.code import OpenIDToken
from flask import current_app

from ..clock import timestamp
from ..domain.client_metadata import follows_fapi2
from ..services import tokens as token_service
from . import dpop, resource_indicators
from .claims import ClaimsRequest, id_token_claims, user_info
from .client_auth import CLIENT_AUTH_METHODS, CONFIDENTIAL_AUTH_METHODS
from .keys import keystore
from .response_modes import RESPONSE_MODES, ResponseMode, authorization_response, response_mode


def validate_authorization_redirect_uri(request, client):
    # Authlib names an unknown redirect_uri in its error description, where a '"', a '\'
    # or a non-ASCII character may not go (RFC 6749 §5.2): building the error raised.
    uri = request.payload.redirect_uri
    if uri and not client.check_redirect_uri(uri):
        raise InvalidRequestError("The redirect_uri is not registered for this client.")
    return grants.AuthorizationCodeGrant.validate_authorization_redirect_uri(request, client)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    DEFAULT_RESPONSE_MODE = RESPONSE_MODES["code"][0]
    validate_authorization_redirect_uri = staticmethod(validate_authorization_redirect_uri)

    def create_authorization_response(self, redirect_uri, grant_user):
        """RFC 6749 §4.1.2: the code and state, in the request's response mode."""
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        params = [("code", code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return authorization_response(redirect_uri, params, response_mode(self.request.payload))

    def save_authorization_code(self, code, request):
        payload = request.payload.data
        scope = scope_to_list(request.scope) or []
        if not getattr(request, "offline_allowed", False):
            # As the authorization view settled it (OIDC Core §11); request.scope itself
            # cannot carry it: Authlib sets it again when it builds the response.
            scope = [s for s in scope if s != "offline_access"]
        token_service.save_authorization_code(
            code,
            client=request.client,
            session=request.user,
            redirect_uri=request.payload.redirect_uri,
            scope=list_to_scope(scope),
            nonce=payload.get("nonce"),
            code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
            offline="offline_access" in scope,
            requested_claims=ClaimsRequest.of(request.payload).releasable(request.client),
            acr=getattr(request, "acr", None),
            dpop_jkt=payload.get("dpop_jkt"),
            resources=getattr(request, "resources", None),
        )

    def validate_token_request(self):
        super().validate_token_request()
        # RFC 9449 §10: a code bound to a key is redeemed with a proof by that key.
        code = self.request.authorization_code
        dpop.check_binding(self.request.client, code.dpop_jkt)
        resource_indicators.settle_for_token(self.request.form.getlist("resource"), code.resources)

    def query_authorization_code(self, code, client):
        return token_service.find_authorization_code(code, client)

    def authenticate_user(self, authorization_code):
        return token_service.subject_for_code(authorization_code, self.request.client)

    def delete_authorization_code(self, authorization_code):
        # RFC 6749 §4.1.2: single use. Two concurrent redemptions: one wins, one is refused.
        request = self.request
        issued = request.issued_token
        proof = dpop.request_proof()
        if not token_service.redeem_authorization_code(
            authorization_code,
            request.user,
            request.client,
            issued.get("scope", ""),
            issued.get("refresh_token"),
            # RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key.
            dpop_jkt=proof.jkt if proof is not None and request.client.is_public else None,
        ):
            raise InvalidGrantError("The code was already used.")


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self):
        super().validate_token_request()
        grant = self.request.refresh_token.grant
        dpop.check_binding(self.request.client, grant.dpop_jkt)
        resource_indicators.settle_for_token(self.request.form.getlist("resource"), grant.resources)

    def authenticate_refresh_token(self, refresh_token):
        return token_service.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token):
        return token_service.subject_for_refresh(refresh_token, self.request.client)

    def issue_token(self, user, refresh_token):
        # FAPI 2.0 §5.3.2.1 item 10: no rotation (a response lost on the way must not cost
        # the grant): its clients keep their refresh token, which their key and
        # private_key_jwt bind. Every other client's rotates (RFC 9700 §4.14.2).
        scope = self.request.payload.scope or refresh_token.get_scope()
        return self.generate_token(
            user=user,
            scope=scope,
            include_refresh_token=not follows_fapi2(self.request.client.client_metadata),
        )

    def revoke_old_credential(self, refresh_token):
        successor = self.request.issued_token.get("refresh_token")
        if successor is None:
            return  # not rotated (issue_token)
        if not token_service.rotate_refresh_token(refresh_token, successor):
            raise InvalidGrantError("The refresh token was already used.")


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def validate_token_request(self):
        super().validate_token_request()
        dpop.check_binding(self.request.client)
        resource_indicators.settle_for_token(
            self.request.form.getlist("resource"), None, registered_only=True
        )


class PKCE(CodeChallenge):
    """RFC 7636 with S256 only; required of public clients (RFC 9700 §2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        payload = grant.request.payload.data
        challenge = payload.get("code_challenge")
        if challenge and payload.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)
        client = grant.request.client
        if not challenge and (client.is_public or follows_fapi2(client.client_metadata)):
            # FAPI 2.0 §5.3.2.2 item 3: its clients too, confidential as they are.
            raise InvalidRequestError("This client must use PKCE (S256).")


class IDTokenClaims:
    """What both ID token issuers share: keys, algorithm, and claims of the sign-in."""

    def resolve_client_private_key(self, client):
        return keystore().signing_key(self.get_client_algorithm(client)).key

    def get_client_algorithm(self, client):
        return client.id_token_signed_response_alg

    def get_encode_header(self, client):
        key = keystore().signing_key(self.get_client_algorithm(client))
        return {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        issued = timestamp()
        return {
            "iss": current_app.config["ISSUER"],
            "aud": [client.client_id],
            "iat": issued,
            "exp": issued + current_app.config["ID_TOKEN_LIFETIME"],
        }

    def get_compatible_claims(self, request):
        claims = super().get_compatible_claims(request)
        claims.update(request.user.sign_in.claims())
        return claims

    def generate_user_info(self, user, scope):
        # OIDC Core §5.4: the scope's claims are userinfo's; the ID token has those the
        # claims parameter asked it for. Its sub is the one the client knows (§8).
        return id_token_claims(user.account, user.requested_claims, sub=user.subject)


class OpenIDCodeExtension(IDTokenClaims, OpenIDCode):
    def exists_nonce(self, nonce, request):
        # Nonce replay is the relying party's to detect (OIDC Core §3.1.3.7 step 11).
        return False


class RefreshIDToken(IDTokenClaims, OpenIDToken):
    """OIDC Core §12.2: a refresh may return a new ID token with the same sub and auth_time."""


class ImplicitGrant(IDTokenClaims, OpenIDImplicitGrant):
    """OIDC Core §3.2: the ID token (and an access token) straight from the authorization
    endpoint, in the fragment; only while the operator offers it (IMPLICIT_FLOW)."""

    RESPONSE_TYPES = {"id_token", "id_token token", "token id_token"}
    validate_authorization_redirect_uri = staticmethod(validate_authorization_redirect_uri)

    def authenticate_token_endpoint_client(self):
        # The authorization endpoint authenticates no client: it is named, and its
        # registered redirect URI is where the answer goes (RFC 6749 §4.2.1).
        client = self.server.query_client(self.request.payload.client_id)
        if client is None:
            raise InvalidClientError(description="The client does not exist on this server.")
        return client

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        try:
            # The response mode (fragment or form_post: tokens never go in the query,
            # OAuth 2.0 Multiple Response Types §2.1) and the claims parameter (§5.5), as
            # the code flow's extensions check them.
            ResponseMode().validate(self)
            ClaimsRequest.of(self.request.payload)
            if "token" in self.request.payload.response_type.split() and dpop.requires_proof(
                self.request.client
            ):
                # RFC 9449 §5.2: its access tokens are DPoP-bound, which only a token
                # request can make.
                raise UnauthorizedClientError("This client's access tokens are DPoP-bound.")
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def validate_consent_request(self):
        # Authlib's OpenIDImplicitGrant does not keep it; the authorization view's own
        # errors (login_required, consent_required) are sent there.
        self.redirect_uri = super().validate_consent_request()
        return self.redirect_uri

    def exists_nonce(self, nonce, request):
        # Required here (Core §3.2.2.1); its replay is the relying party's to detect.
        return False

    def create_authorization_response(self, redirect_uri, grant_user):
        """OIDC Core §3.2.2.5: the tokens and state, in the request's response mode (the
        fragment by default); denied, an error there with the state (RFC 6749 §4.2.2.1)."""
        if grant_user is None:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        params = self.create_granted_params(grant_user)
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        return authorization_response(redirect_uri, params, response_mode(self.request.payload))

    def create_granted_params(self, grant_user):
        # A grant is started, with no refresh token: its access token names it, and the
        # back-channel logout of the login session finds the portal through it.
        request = self.request
        subject = token_service.start_implicit_grant(
            grant_user,
            request.client,
            request.scope,
            requested_claims=ClaimsRequest.of(request.payload).releasable(request.client),
            acr=getattr(request, "acr", None),
        )
        return super().create_granted_params(subject)

    def generate_user_info(self, user, scope):
        claims = super().generate_user_info(user, scope)
        if self.request.payload.response_type == "id_token":
            # OIDC Core §5.4: no access token is issued, so no userinfo call can fetch the
            # scope's claims: the ID token carries them.
            claims.update(user_info(user.account, scope, sub=user.subject))
        return claims
