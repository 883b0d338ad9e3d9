"""Device authorization (RFC 8628) on Authlib's classes: the device authorization endpoint
(§3.1–3.2) and the device code grant at the token endpoint (§3.4–3.5). The person's side,
/device, is server/web/device.py; the rules, domain/device_authorizations.py.

Authlib's grant is the base; Passport gives it what RFC 8628 and RFC 6749 ask beyond it:
an unknown device code is invalid_grant (§3.5 defers to RFC 6749 §5.2), the tokens of an
approval are issued once, and a device polling too fast is told slow_down whether or not
the person has decided.
"""

from __future__ import annotations

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.hooks import hooked
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _Endpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _Grant
from authlib.oauth2.rfc8628.errors import (
    AuthorizationPendingError,
    ExpiredTokenError,
    SlowDownError,
)
from flask import current_app, url_for

from ..services import device as device_service
from . import dpop
from .client_auth import CLIENT_AUTH_METHODS


def verification_uri() -> str:
    return current_app.config["ISSUER"] + url_for("device.enter_code")


class DeviceAuthorizationEndpoint(_Endpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def create_endpoint_response(self, request):
        client = self.authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            raise UnauthorizedClientError("The client is not registered for device sign-in.")
        requested = request.payload.scope
        self.server.validate_requested_scope(requested)
        scope = client.get_allowed_scope(requested) if requested else client.scope
        if requested and scope != requested:
            raise InvalidScopeError("The client may not ask for some of these scopes.")
        started = device_service.start(client, scope or "")
        uri = verification_uri()
        body = {
            "device_code": started.device_code,
            "user_code": started.user_code,
            "verification_uri": uri,
            "verification_uri_complete": f"{uri}?user_code={started.user_code}",
            "expires_in": started.expires_in,
            "interval": started.interval,
        }
        return 200, body, [*default_json_headers]


class DeviceCodeGrant(_Grant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self):
        device_code = self.request.payload.data.get("device_code")
        if not device_code:
            raise InvalidRequestError("Missing 'device_code'.")
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not registered for device sign-in.")
        request = device_service.by_device_code(device_code)
        if request is None or request.client_id != client.id:
            raise InvalidGrantError("The device_code is not valid.")
        state = device_service.poll(request)
        if state == "expired":
            raise ExpiredTokenError("The device_code has expired: start again.")
        if state == "used":
            raise InvalidGrantError("The device_code was used.")
        if state == "denied":
            raise AccessDeniedError("The person refused.")
        if state == "slow_down":
            raise SlowDownError("Poll less often: 5 seconds more between polls.")
        if state == "pending":
            raise AuthorizationPendingError("The person has not decided yet.")
        subject = device_service.subject_of(request, client)
        if subject is None:
            raise AccessDeniedError("The person's Passport cannot sign in.")
        dpop.check_binding(client)
        self.request.client = client
        self.request.user = subject
        self.request.credential = request

    @hooked  # the ID token (grants.RefreshIDToken) is added after
    def create_token_response(self):
        client = self.request.client
        request = self.request.credential
        token = self.generate_token(
            user=self.request.user,
            scope=request.scope,
            include_refresh_token=client.check_grant_type("refresh_token"),
        )
        if not device_service.redeem(
            request, self.request.user, client, request.scope, token.get("refresh_token")
        ):
            raise InvalidGrantError("The device_code was used.")
        return 200, token, self.TOKEN_RESPONSE_HEADER
