"""Logout tokens (OIDC Back-Channel Logout 1.0 §2.4) and RP-Initiated Logout 1.0."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.rpinitiated import EndSessionEndpoint as _EndSessionEndpoint
from flask import current_app
from joserfc import jwt

from ..clock import timestamp
from ..services import sessions
from .keys import ALGORITHMS, keystore

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120


def logout_token(*, client_id: str, alg: str, sub: str, sid: str | None, jti: str) -> str:
    """A signed logout token: iss, aud, iat, exp, jti, events, sub and/or sid; never a nonce."""
    issued = timestamp()
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": client_id,
        "iat": issued,
        "exp": issued + LOGOUT_TOKEN_LIFETIME,
        "jti": jti,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        "sub": sub,
    }
    if sid:
        claims["sid"] = sid
    key = keystore().signing_key(alg)
    header = {"alg": key.alg, "kid": key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, key.key)


class EndSessionEndpoint(_EndSessionEndpoint):
    """RP-Initiated Logout: the hint must be ours (signature and issuer)."""

    def get_server_jwks(self):
        return keystore().verification_keys()

    def get_algorithms(self):
        return list(ALGORITHMS)

    def validate_request(self, request):
        end_request = super().validate_request(request)
        # §3: a post_logout_redirect_uri that is not registered, or that nothing vouches for,
        # is never followed; the person is asked before being signed out instead (§4, §6).
        end_request.redirect_refused = (
            bool(request.payload.data.get("post_logout_redirect_uri"))
            and end_request.redirect_uri is None
        )
        return end_request

    def _validate_id_token_hint(self, id_token_hint):
        if not isinstance(id_token_hint, str) or len(id_token_hint) > 8192:
            raise InvalidRequestError("'id_token_hint' is not valid.")
        try:
            claims = super()._validate_id_token_hint(id_token_hint)
        except (InvalidRequestError, ValueError, TypeError) as error:
            # One answer whatever failed (signature, algorithm, format): the page names the
            # parameter, and whoever sent a forged hint learns nothing of which check caught it.
            raise InvalidRequestError("'id_token_hint' is not valid.") from error
        if claims.get("iss") != current_app.config["ISSUER"]:
            raise InvalidRequestError("'id_token_hint' was not issued by this server.")
        return claims

    def resolve_client_from_id_token_claims(self, id_token_claims):
        # Our ID tokens carry aud as a one-element list (OIDC Core §2 allows it); Authlib
        # resolves only a string, which would leave a hint without client_id never redirected.
        aud = id_token_claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        return self.server.query_client(aud) if isinstance(aud, str) else None

    def end_session(self, end_session_request):
        login_session = getattr(end_session_request, "login_session", None)
        if login_session is not None:
            sessions.end_session(
                login_session.id, context=getattr(end_session_request, "context", None)
            )
