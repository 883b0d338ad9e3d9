"""Client authentication with a signed JWT: private_key_jwt and client_secret_jwt (RFC 7523
§2.2, OIDC Core §9), at the token, introspection and revocation endpoints.

Authlib's JWTBearerClientAssertion reads and checks the assertion; Passport adds which
client each method serves, the keys (client_keys.py, or the sealed secret), the algorithm
a client registered, and the memory of used `jti`s.
"""

from __future__ import annotations

from datetime import UTC, datetime

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7523.client import ASSERTION_TYPE
from flask import current_app, request, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from ..clock import timestamp
from ..domain import client_assertions, client_secrets
from ..domain.client_metadata import ASSERTION_ALGORITHMS, FAPI2_ALGORITHMS, follows_fapi2
from .client_keys import KeysUnavailable, client_keys

# RFC 7518 §3.1: the kind of key each algorithm signs with.
KEY_TYPES = {"RS256": "RSA", "PS256": "RSA", "ES256": "EC", "HS256": "oct"}
LEEWAY = 60  # seconds of clock skew allowed on exp (and kept on the jti memory)
MAX_JTI_LENGTH = 255


class ClientAssertion(JWTBearerClientAssertion):
    """One method of JWT client authentication; it serves the clients registered for it
    and leaves every other client to the method registered for that one."""

    CLIENT_AUTH_METHOD = ""

    def __init__(self):
        super().__init__(validate_jti=True, leeway=LEEWAY)

    def __call__(self, query_client, request):
        assertion = request.form.get("client_assertion")
        if request.form.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
            return None
        headers, claims = self.extract_assertion(assertion)
        client_id = claims.get("sub")
        if not isinstance(client_id, str):
            raise InvalidClientError(description="The assertion has no 'sub' naming a client.")
        client = query_client(client_id)
        if client is None:
            raise InvalidClientError(description="The client does not exist on this server.")
        if client.token_endpoint_auth_method != self.CLIENT_AUTH_METHOD:
            return None  # the method the client registered answers for it
        alg = self.check_algorithm(client, headers)
        request.client = client
        claims = self.verify_signature(assertion, alg, self.candidate_keys(client, alg, headers))
        if follows_fapi2(client.client_metadata) and claims["aud"] != current_app.config["ISSUER"]:
            # FAPI 2.0 §5.3.2.1 item 8: the issuer identifier, as a string, and nothing else.
            raise InvalidClientError(description="The assertion's 'aud' must be the issuer.")
        return client

    def check_algorithm(self, client, headers: dict) -> str:
        """OpenID Connect Registration §2: an assertion signed with another algorithm than
        the one the client registered is refused."""
        alg = headers.get("alg")
        registered = client.token_endpoint_auth_signing_alg
        fapi2 = follows_fapi2(client.client_metadata)
        if (
            alg not in ASSERTION_ALGORITHMS[self.CLIENT_AUTH_METHOD]
            or (registered and alg != registered)
            or (fapi2 and alg not in FAPI2_ALGORITHMS)  # FAPI 2.0 §5.4.1
        ):
            raise InvalidClientError(description="The assertion's algorithm is not accepted.")
        return alg

    def candidate_keys(self, client, alg: str, headers: dict) -> list:
        raise NotImplementedError

    def verify_signature(self, assertion: str, alg: str, keys: list) -> dict:
        """The claims of an assertion one of `keys` signed (then checked as RFC 7523 §3 says)."""
        for key in keys:
            try:
                token = jwt.decode(assertion, key, algorithms=[alg])
            except (JoseError, ValueError, TypeError):
                continue
            self.verify_claims(token.claims)
            return token.claims
        raise InvalidClientError(description="The assertion's signature is not valid.")

    def verify_claims(self, claims: dict) -> None:
        """RFC 7523 §3: Authlib's checks, on Passport's clock (server/clock.py)."""
        registry = jwt.JWTClaimsRegistry(
            now=timestamp(),
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise InvalidClientError(description=error.description) from error
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="Issuer and Subject MUST match.")
        if not self.validate_jti(claims, claims.get("jti")):
            raise InvalidClientError(description="The assertion was used before.")

    def get_audiences(self) -> list[str]:
        """RFC 7523 §3 item 3, OIDC Core §9: the token endpoint's URL, or the issuer; at the
        pushed authorization request endpoint its URL too (RFC 9126 §2)."""
        issuer = current_app.config["ISSUER"]
        audiences = [issuer + url_for("oauth.token"), issuer]
        if request.endpoint == "oauth.pushed_authorization_request":
            audiences.append(issuer + url_for("oauth.pushed_authorization_request"))
        return audiences

    def validate_jti(self, claims, jti) -> bool:
        """RFC 7523 §3 item 7: a jti is used once. It is remembered until the assertion
        expires (plus the leeway); an assertion meant to live longer than
        CLIENT_ASSERTION_MAX_LIFETIME is refused, so the memory stays bounded."""
        if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
            raise InvalidClientError(description="The assertion's 'jti' is not valid.")
        expires = claims["exp"]
        if expires - timestamp() > current_app.config["CLIENT_ASSERTION_MAX_LIFETIME"]:
            raise InvalidClientError(description="The assertion lives too long.")
        kept_until = datetime.fromtimestamp(expires + LEEWAY, UTC)
        return client_assertions.use_once(claims["sub"], jti, kept_until)


class PrivateKeyJWT(ClientAssertion):
    """Signed with a key of the client's own (its jwks or jwks_uri)."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def candidate_keys(self, client, alg: str, headers: dict) -> list:
        kid = headers.get("kid")
        try:
            keys = client_keys(client, kid=kid if isinstance(kid, str) else None)
        except KeysUnavailable as error:
            current_app.logger.info("client %s: keys unavailable: %s", client.client_id, error)
            raise InvalidClientError(description="The client's keys are not available.") from error
        return [
            key
            for key in keys
            if key.key_type == KEY_TYPES[alg] and (kid is None or key.kid == kid)
        ]


class ClientSecretJWT(ClientAssertion):
    """Signed with an HMAC keyed by the client's secret (kept sealed for it)."""

    CLIENT_AUTH_METHOD = "client_secret_jwt"

    def candidate_keys(self, client, alg: str, headers: dict) -> list:
        sealed = [client.client_secret_sealed]
        if client.previous_secret_in_grace:
            sealed.append(client.previous_secret_sealed)
        secrets = [client_secrets.unseal(s) for s in sealed]
        return [OctKey.import_key(secret) for secret in secrets if secret]


JWT_AUTH_METHODS = (ClientSecretJWT, PrivateKeyJWT)
# Every way a client may authenticate at the token, introspection and revocation
# endpoints; each client uses the one it registered (ClientRules.check_endpoint_auth_method).
CLIENT_AUTH_METHODS = [
    "client_secret_basic",
    "client_secret_post",
    ClientSecretJWT.CLIENT_AUTH_METHOD,
    PrivateKeyJWT.CLIENT_AUTH_METHOD,
    "none",
]
CONFIDENTIAL_AUTH_METHODS = [m for m in CLIENT_AUTH_METHODS if m != "none"]
