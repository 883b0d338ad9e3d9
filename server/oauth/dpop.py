"""DPoP (RFC 9449): tokens bound to a key the client holds.

A client sends, with a token request or a call to userinfo, a `DPoP` header: a JWT it
signed with its private key, whose header carries the public key and whose claims name
the request (`htm`, `htu`), its time (`iat`), a unique `jti`, the server's `nonce`, and
at a resource the hash of the access token (`ath`). The token endpoint then issues
`token_type` "DPoP" tokens: the access token's `cnf.jkt` is the key's thumbprint (RFC
7638), and a public client's refresh tokens are bound to it as well (§5). Userinfo
accepts such a token only with a fresh proof by the same key (§7).

Nonces (§8, §9) are made, not stored: an HMAC of the current period under SECRET_KEY, so
every node of a cluster makes and accepts the same ones. A proof's `jti` is kept, per key,
as long as its `iat` could still be accepted (§11.1), in the table that keeps client
assertions' (domain/client_assertions.py): one INSERT decides between two requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import current_app, g, request, url_for
from joserfc import jwk, jws, jwt
from joserfc.errors import JoseError, SecurityWarning

from ..clock import timestamp
from ..domain import client_assertions
from ..domain.client_metadata import follows_fapi2

# §4.2: asymmetric algorithms only. "EdDSA" is the name RFC 9449's examples and most
# client libraries still send for Ed25519 (RFC 9864 deprecates it for "Ed25519").
ALGORITHMS = ("ES256", "ES384", "PS256", "RS256", "Ed25519", "EdDSA")
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

MAX_PROOF_LENGTH = 8192


class ProofRegistry(jws.JWSRegistry):
    """The algorithms above, and room in the header for a public RSA key of up to 4096 bits
    (joserfc's default stops at 512 bytes: an EC key's size)."""

    max_header_length = 2048


REGISTRY = ProofRegistry(algorithms=ALGORITHMS)
MAX_JTI_LENGTH = 255
# A thumbprint is the base64url SHA-256 of the key: 43 characters.
JKT_LENGTH = 43
REPLAY_PREFIX = "dpop:"


class InvalidDPoPProof(OAuth2Error):
    """§5 and §7.1: the proof is missing where it is required, malformed, or does not fit
    the request, the token or the key the token is bound to."""

    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonce(OAuth2Error):
    """§8: the proof lacks the server's current nonce; the answer carries one."""

    error = "use_dpop_nonce"
    status_code = 400

    def get_headers(self):
        return [*super().get_headers(), ("DPoP-Nonce", current_nonce())]


class ResourceError(OAuth2Error):
    """§7.1: a resource's refusal names the DPoP scheme, with the algorithms it accepts."""

    status_code = 401

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error

    def get_headers(self):
        challenge = (
            f'DPoP error="{self.error}", error_description="{self.description}", '
            f'algs="{" ".join(ALGORITHMS)}"'
        )
        headers = [*super().get_headers(), ("WWW-Authenticate", challenge)]
        if self.error == "use_dpop_nonce":
            headers.append(("DPoP-Nonce", current_nonce()))
        return headers


@dataclass(frozen=True, slots=True)
class Proof:
    """A proof that passed every check: the thumbprint of the key that signed it."""

    jkt: str


def thumbprint_of_token(access_token: str) -> str:
    """§4.2 `ath`: the base64url SHA-256 of the access token's ASCII."""
    return _b64(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def is_thumbprint(value) -> bool:
    """Whether `value` can be a JWK SHA-256 thumbprint (`dpop_jkt`, §10)."""
    return (
        isinstance(value, str)
        and len(value) == JKT_LENGTH
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in value)
    )


def endpoint_url(endpoint: str) -> str:
    """The URL a client is told of in discovery: what its proofs' `htu` names."""
    return current_app.config["ISSUER"] + url_for(endpoint)


def check_proof(*, access_token: str | None = None) -> Proof | None:
    """The DPoP proof of the current request, checked (§4.3); None when it has none.

    `htu` must name the endpoint as discovery gives it, `htm` the request's method; at a
    resource (`access_token` given), `ath` must be the token's hash. A proof is accepted
    once: its `jti` is recorded last, so a refused proof spends nothing."""
    if "HTTP_DPOP" not in request.environ:  # the common case, asked cheaply
        return None
    values = request.headers.getlist("DPoP")
    if len(values) > 1:
        raise InvalidDPoPProof("Send one DPoP proof.")
    header, claims, key = _verified(values[0])
    if claims.get("htm") != request.method:
        raise InvalidDPoPProof("The DPoP proof's 'htm' is not this request's method.")
    htu = claims.get("htu")
    if not isinstance(htu, str) or _normal(htu) != _normal(endpoint_url(request.endpoint)):
        raise InvalidDPoPProof("The DPoP proof's 'htu' is not this endpoint.")
    iat = claims.get("iat")
    window = current_app.config["DPOP_PROOF_LIFETIME"]
    moment = timestamp()
    if not isinstance(iat, int) or isinstance(iat, bool) or abs(iat - moment) > window:
        raise InvalidDPoPProof("The DPoP proof's 'iat' is not recent.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidDPoPProof("The DPoP proof's 'jti' is missing or too long.")
    if access_token is not None and claims.get("ath") != thumbprint_of_token(access_token):
        raise InvalidDPoPProof("The DPoP proof's 'ath' is not the access token's hash.")
    if current_app.config["DPOP_REQUIRE_NONCE"] and not nonce_is_current(claims.get("nonce")):
        raise UseDPoPNonce("Sign the DPoP proof with the nonce in the DPoP-Nonce header.")
    jkt = key.thumbprint()
    kept_until = datetime.fromtimestamp(iat + window, UTC)
    if not client_assertions.use_once(REPLAY_PREFIX + jkt, jti, kept_until):
        raise InvalidDPoPProof("The DPoP proof was used before.")
    return Proof(jkt)


def _verified(value: str) -> tuple[dict, dict, jwk.Key]:
    """The header, claims and public key of a proof whose signature its own key verifies."""
    if not value or len(value) > MAX_PROOF_LENGTH or value.count(".") != 2:
        raise InvalidDPoPProof("The DPoP proof is not a signed JWT.")
    try:
        header = jws.extract_compact(value.encode("ascii"), registry=REGISTRY).headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise InvalidDPoPProof("The DPoP proof is not a signed JWT.") from error
    if header.get("typ") != "dpop+jwt":
        raise InvalidDPoPProof("The DPoP proof's 'typ' must be dpop+jwt.")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidDPoPProof(f"The DPoP proof's 'alg' must be one of {', '.join(ALGORITHMS)}.")
    public = header.get("jwk")
    if not isinstance(public, dict):
        raise InvalidDPoPProof("The DPoP proof's header must carry its public key as 'jwk'.")
    try:
        key = jwk.import_key(public)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidDPoPProof("The DPoP proof's 'jwk' is not a public key.") from error
    if key.is_private or key.key_type == "oct":
        raise InvalidDPoPProof("The DPoP proof's 'jwk' must be a public key, and only that.")
    try:
        token = jwt.decode(value, key, registry=REGISTRY)
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidDPoPProof("The DPoP proof's signature is not valid.") from error
    return header, token.claims, key


def _normal(uri: str) -> str:
    """RFC 3986 §6.2.2–6.2.3 as §4.3 asks: scheme and host in lower case, no default port,
    no query or fragment."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port and (scheme, port) not in (("https", 443), ("http", 80)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", "", ""))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _nonce_of(period: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return _b64(hmac.new(key, b"dpop-nonce:%d" % period, hashlib.sha256).digest()[:18])


def _period(offset: int = 0) -> int:
    return timestamp() // current_app.config["DPOP_NONCE_LIFETIME"] + offset


def current_nonce() -> str:
    """The nonce a proof made now should carry (§8.1, §9)."""
    return _nonce_of(_period())


def nonce_is_current(value) -> bool:
    """Made in this period or the one before: a nonce lives one to two periods."""
    if not isinstance(value, str) or len(value) != 24:
        return False
    return any(hmac.compare_digest(value, _nonce_of(_period(-back))) for back in (0, 1))


def request_proof() -> Proof | None:
    """The proof the token endpoint checked for this request (views.token), if any."""
    return g.get("dpop_proof")


def requires_proof(client) -> bool:
    """§5.2: a client registered with `dpop_bound_access_tokens` gets DPoP-bound tokens only,
    and so does every client held to FAPI 2.0 (its §5.3.2.1 items 4 and 5)."""
    metadata = client.client_metadata or {}
    return bool(metadata.get("dpop_bound_access_tokens")) or follows_fapi2(metadata)


def check_binding(client, bound_jkt: str | None = None) -> Proof | None:
    """At the token endpoint, after the client and what it presents are known: the proof a
    client must send (its registration), and the key a code (§10) or a public client's
    refresh token (§5) is bound to. Returns the request's proof."""
    proof = request_proof()
    if proof is None:
        if bound_jkt:
            raise InvalidDPoPProof("What is presented is bound to a DPoP key: send a proof.")
        if requires_proof(client):
            raise InvalidDPoPProof("This client must send a DPoP proof with its token requests.")
        return None
    if bound_jkt and not hmac.compare_digest(proof.jkt, bound_jkt):
        raise InvalidDPoPProof("The DPoP proof is signed by another key than the one bound.")
    return proof


class CodeBinding:
    """A grant extension: `dpop_jkt` of an authorization request (§10) is a thumbprint."""

    def __call__(self, grant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant, _result=None) -> None:
        jkt = grant.request.payload.data.get("dpop_jkt")
        if jkt is not None and not is_thumbprint(jkt):
            raise InvalidRequestError("'dpop_jkt' is not a JWK SHA-256 thumbprint.")
