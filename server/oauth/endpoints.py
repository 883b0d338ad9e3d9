"""Revocation (RFC 7009), introspection (RFC 7662), registration (RFC 7591/7592), userinfo."""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.consts import default_json_headers
from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims as _OAuthClientMetadata
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint as _RegistrationEndpoint
from authlib.oauth2.rfc7591 import InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint as _ConfigurationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from authlib.oidc.core import UserInfoEndpoint as _UserInfoEndpoint
from authlib.oidc.registration import ClientMetadataClaims as OIDCClientMetadata
from authlib.oidc.rpinitiated import ClientMetadataClaims as LogoutClientMetadata
from flask import current_app, url_for
from joserfc import jwt
from joserfc.errors import InvalidClaimError, JoseError

from ..domain.client_metadata import CheckedMetadata, check_client_metadata, has_secret
from ..domain.errors import InvalidClientMetadata
from ..services import clients as client_service
from ..services import tokens as token_service
from . import client_auth
from .claims import user_info
from .keys import keystore
from .metadata import server_metadata
from .tokens import decode_access_token


class PresentedToken:
    """A token presented to revocation or introspection, whatever its kind."""

    def __init__(
        self,
        kind: str,
        client_id: str,
        grant_id: str | None,
        payload: dict | None,
        audiences: tuple[str, ...] = (),
    ):
        self.kind = kind
        self.client_id = client_id
        self.grant_id = grant_id
        self.payload = payload  # None when the token is no longer active
        self.audiences = audiences

    def check_client(self, client) -> bool:
        """Revocation: only the client of its grant (revoking revokes the grant)."""
        return client.client_id == self.client_id

    def may_introspect(self, client) -> bool:
        """Introspection: the client of its grant and, for an exchanged token (RFC 8693),
        the audience it was made for, which is the resource that must check it."""
        return self.check_client(client) or client.client_id in self.audiences

    def is_expired(self) -> bool:
        return self.payload is None

    def is_revoked(self) -> bool:
        return self.payload is None


def find_presented_token(token_string: str) -> PresentedToken | None:
    """The token presented to revocation or introspection, of whichever kind it is.

    RFC 7009 §2.1 and RFC 7662 §2.1 let the server search every kind whatever the
    token_type_hint says. The token's own shape tells the kind here, so no lookup is
    wasted: an access token is a JWT (two dots), a refresh token a random URL-safe string
    (none).
    """
    if not token_string or not isinstance(token_string, str) or len(token_string) > 8192:
        return None
    if token_string.count(".") == 2:
        return _find_access_token(token_string)
    return _find_refresh_token(token_string)


def _find_access_token(token_string: str) -> PresentedToken | None:
    if token_string.count(".") != 2:
        return None
    decoded = decode_access_token(token_string)
    if decoded is None:
        return None
    claims, _holder = decoded
    payload = {
        "active": True,
        "scope": claims.get("scope", ""),
        "client_id": claims["client_id"],
        "token_type": "Bearer",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "sub": claims["sub"],
        "aud": claims["aud"],
        "iss": claims["iss"],
        "jti": claims["jti"],
    }
    if "sid" in claims:
        payload["sid"] = claims["sid"]
    if "cnf" in claims:  # RFC 9449 §6.2
        payload.update(cnf=claims["cnf"], token_type="DPoP")
    if "act" in claims:  # RFC 8693 §4.1
        payload["act"] = claims["act"]
    aud = claims["aud"]
    audiences = (aud,) if isinstance(aud, str) else tuple(aud)
    return PresentedToken(
        "access_token", claims["client_id"], claims.get("gid"), payload, audiences
    )


def _find_refresh_token(token_string: str) -> PresentedToken | None:
    record = token_service.lookup_refresh_token(token_string)
    if record is None:
        return None
    grant = record.grant
    payload = None
    if token_service.refresh_token_is_live(record):
        payload = {
            "active": True,
            "scope": grant.scope,
            "client_id": grant.client_id,
            "token_type": "refresh_token",
            "exp": int(record.expires_at.timestamp()),
            "iat": int(record.created_at.timestamp()),
            "sub": token_service.subject_of(record) if grant.account else grant.client_id,
            "iss": current_app.config["ISSUER"],
        }
    return PresentedToken("refresh_token", grant.client_id, grant.id, payload)


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = client_auth.CLIENT_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return find_presented_token(token_string)

    def revoke_token(self, token, request):
        # RFC 7009 §2.1: revoking either token of a grant invalidates the whole grant.
        if token.grant_id:
            token_service.revoke_grant(token.grant_id, reason="revoked_by_client")


class IntrospectionEndpoint(_IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = client_auth.CLIENT_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return find_presented_token(token_string)

    def check_permission(self, token, client, request):
        return token.may_introspect(client)

    def introspect_token(self, token):
        return dict(token.payload)


class OAuthClientMetadata(_OAuthClientMetadata):
    def validate_redirect_uris(self):
        # Passport's own rule (services/client_metadata.py) decides, and it admits what
        # Authlib's generic URL check does not: private-use schemes of native apps.
        pass


class PassportClientMetadata(BaseClaims):
    """Client metadata beyond Authlib's classes: Back-Channel Logout 1.0 §2.2, RFC 8417
    push, RFC 9126 §6, RFC 9449 §5.2, and Passport's require_mfa (server/oauth/acr.py) and
    fapi2_security_profile (domain/client_metadata.py)."""

    REGISTERED_CLAIMS = [
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
        "security_events_endpoint",
        "require_mfa",
        "require_pushed_authorization_requests",
        "dpop_bound_access_tokens",
        "fapi2_security_profile",
    ]

    def validate(self, now=None, leeway=0):
        super().validate(now, leeway)
        for name in ("backchannel_logout_uri", "security_events_endpoint"):
            uri = self.get(name)
            if uri is not None and not isinstance(uri, str):
                raise InvalidClaimError(name)
        for name in (
            "backchannel_logout_session_required",
            "require_mfa",
            "require_pushed_authorization_requests",
            "dpop_bound_access_tokens",
            "fapi2_security_profile",
        ):
            if self.get(name) is not None and not isinstance(self[name], bool):
                raise InvalidClaimError(name)


CLAIMS_CLASSES = [
    OAuthClientMetadata,
    OIDCClientMetadata,
    LogoutClientMetadata,
    PassportClientMetadata,
]


def error_description(error: Exception) -> str:
    """RFC 6749 §5.2: error_description uses %x20-21 / %x23-5B / %x5D-7E only."""
    text = str(error) or "Invalid client metadata."
    cleaned = "".join(c if (" " <= c <= "~" and c not in '"\\') else "?" for c in text)
    return cleaned[:300]


def registration_error(error: InvalidClientMetadata) -> InvalidClientMetadataError:
    """Passport's refusal as RFC 7591 §3.2.2 says it: a bad redirect URI has its own code."""
    if error.field == "redirect_uris":
        return InvalidRedirectURIError(error_description(error))
    return InvalidClientMetadataError(error_description(error))


def check_metadata(metadata: dict) -> dict:
    try:
        return check_client_metadata(metadata)
    except InvalidClientMetadata as error:
        raise registration_error(error) from error


class RegistrationMixin:
    def get_server_metadata(self):
        return server_metadata()

    def extract_client_metadata(self, request):
        try:
            data = request.payload.data
        except RecursionError as error:  # within the size limit, "[[[[…" still nests too deep
            raise InvalidClientMetadataError("The body is nested too deeply.") from error
        if not isinstance(data, dict) or not data:
            raise InvalidClientMetadataError("The body must be a JSON object of client metadata.")
        # Passport's policy first, on what was sent: the same rules and messages as the
        # developer console; then Authlib's checks of the registered claims, whose names
        # decide what is kept (with the values the policy settled, and its defaults).
        checked = check_metadata(data)
        if "response_types" in data:
            # Authlib compares them with response_types_supported as written; the policy
            # wrote them in their one order ("token id_token" is "id_token token").
            data["response_types"] = checked["response_types"]
        try:
            registered = super().extract_client_metadata(request)
        except (ValueError, TypeError, AttributeError, LookupError, JoseError) as error:
            raise InvalidClientMetadataError(error_description(error)) from error
        return CheckedMetadata(
            (name, value)
            for name, value in checked.items()
            if name in registered or name not in data
        )

    def generate_client_registration_info(self, client, request):
        token = getattr(request, "registration_access_token", None)
        info = {
            "registration_client_uri": current_app.config["ISSUER"]
            + url_for("oauth.client_configuration", client_id=client.client_id),
        }
        if token:
            info["registration_access_token"] = token
        return info


class ClientRegistrationEndpoint(RegistrationMixin, _RegistrationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=CLAIMS_CLASSES)

    def authenticate_token(self, request):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        if token:
            credential = client_service.find_initial_access_token(token)
            if credential is None:
                raise InvalidTokenError("The initial access token is not valid.")
            return credential
        if current_app.config["REGISTRATION"] == "open":
            return client_service.OPEN_REGISTRATION
        raise AccessDeniedError("Registration needs an initial access token.")

    def generate_client_info(self, request):
        info = super().generate_client_info(request)
        data = request.payload.data if isinstance(request.payload.data, dict) else {}
        if not has_secret(data):
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        return info

    def generate_client_secret(self, request):
        return client_service.new_client_secret()

    def generate_client_id(self, request):
        return client_service.new_client_id()

    def save_client(self, client_info, client_metadata, request):
        try:
            client, token = client_service.register_client(
                client_info, client_metadata, initial_access_token=request.credential
            )
        except InvalidClientMetadata as error:
            raise registration_error(error) from error
        request.registration_access_token = token
        return client


class RegistrationCredential:
    """RFC 7592 §3: a registration access token is valid for its own client only."""

    def __init__(self, client):
        self.client = client

    def check_client(self, client) -> bool:
        return client.id == self.client.id


class ClientConfigurationEndpoint(RegistrationMixin, _ConfigurationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=CLAIMS_CLASSES)

    def authenticate_token(self, request):
        header = request.headers.get("Authorization", "")
        client = None
        if header.lower().startswith("bearer "):
            client = client_service.find_client_by_registration_token(header[7:].strip())
        if client is None or client.is_disabled:
            # RFC 7592 §2: an invalid registration access token is a 401 (RFC 6750 §3.1).
            # A disabled client gets nothing, not even its own registration to change.
            raise InvalidTokenError("The registration access token is not valid.")
        return RegistrationCredential(client)

    def authenticate_client(self, request):
        # The client named by the path (/register/<client_id>), never by the query string.
        client_id = urlsplit(request.uri).path.rstrip("/").rsplit("/", 1)[-1]
        return client_service.find_client(client_id)

    def revoke_access_token(self, request, token):
        pass  # the token names a client that no longer exists: it is dead already

    def check_permission(self, client, request):
        return True

    def introspect_client(self, client):
        return client_service.client_registration_info(client)

    def delete_client(self, client, request):
        client_service.delete_client(client)

    def update_client(self, client, client_metadata, request):
        try:
            return client_service.update_client_metadata(client, client_metadata)
        except InvalidClientMetadata as error:
            raise registration_error(error) from error

    def create_update_client_response(self, client, request):
        if not isinstance(request.payload.data, dict):
            raise InvalidRequestError("The body must be a JSON object.")
        return super().create_update_client_response(client, request)


class UserInfoEndpoint(_UserInfoEndpoint):
    def __call__(self, request):
        token = self.resource_protector.acquire_token("openid")
        client = token.get_client()
        info = self.generate_user_info(token.get_user(), token.scope)
        alg = client.client_metadata.get("userinfo_signed_response_alg")
        if not alg:
            return 200, info, default_json_headers
        # OIDC Core §5.3.2: signed, with iss and aud; the kid names the key, as the ID
        # token's does, so a client picks it among the published keys during a rotation.
        info.update(iss=self.get_issuer(), aud=client.client_id)
        key = keystore().signing_key(alg)
        header = {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
        body = jwt.encode(header, dict(info), key.key, algorithms=[key.alg])
        return 200, body, [("Content-Type", "application/jwt")]

    def get_issuer(self) -> str:
        return current_app.config["ISSUER"]

    def generate_user_info(self, holder, scope):
        if holder.account is None:
            # A client_credentials token stands for the portal itself: no person to describe.
            raise InvalidTokenError("The access token was not issued for a person.")
        return user_info(holder.account, scope, holder.requested_claims, sub=holder.subject)

    def resolve_private_key(self):
        return current_app.extensions["passport.keys"].signing_key("RS256").key
