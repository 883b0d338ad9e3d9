"""Request objects (OIDC Core §6, RFC 9101): an authorization request's parameters in a JWT,
by value (`request`) or by reference (`request_uri`).

- Signed or not (OIDC Registration §2): a client that registered
  `request_object_signing_alg` uses that algorithm and no other; one that registered none
  may use any Passport supports — RS256 or ES256 with its keys (client_keys.py), or
  unsigned (`alg: none`), which carries no more weight than the query's own parameters.
  A request_uri needs registered `request_uris`; without them the client gets
  request_uri_not_supported, back at its redirect URI.
- Where a request_uri may point: one of the client's registered `request_uris` (Discovery
  `require_request_uri_registration`), fetched once per request, with a deadline and a
  size limit, from a public address only (server/outbound.py), no redirects.
- Precedence (OIDC Core §6.3.3): the object's parameters win over those of the query;
  client_id and response_type, when in both, must be the same (§6.1).

Authlib's JWTAuthenticationRequest (RFC 9101) is the frame: its checks of the reference,
the signature and the client_id. On top: the merge of §6.3.3, where Authlib keeps only
the object (RFC 9101 §5); errors at the redirect URI; who may use which algorithm.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit, urlunsplit

import requests
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc9101 import JWTAuthenticationRequest
from authlib.oauth2.rfc9101.errors import (
    InvalidRequestObjectError,
    RequestNotSupportedError,
    RequestUriNotSupportedError,
)
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from ..clock import timestamp
from ..domain.client_metadata import FAPI2_ALGORITHMS, MAX_REQUEST_URI_LENGTH, follows_fapi2
from ..domain.client_metadata import REQUEST_OBJECT_ALGORITHMS as ALGORITHMS
from ..domain.pushed_requests import is_pushed
from ..outbound import OutboundRefused, OutboundUnavailable, check_public_address
from .ascii_tokens import ASCII_TOKEN_PARAMETERS, is_ascii_token
from .client_keys import KeysUnavailable, client_keys
from .payloads import SettledPayload

MAX_REQUEST_LENGTH = 16384
MEDIA_TYPES = "application/oauth-authz-req+jwt, application/jwt"


def algorithms_for(client) -> tuple[str, ...]:
    """The algorithms `client` may sign its request objects with: the one it registered,
    else any Passport supports, "none" included (OIDC Registration §2: "The default, if
    omitted, is that any algorithm supported by the OP and the RP MAY be used")."""
    registered = client.client_metadata.get("request_object_signing_alg")
    if registered:
        return (registered,)
    if follows_fapi2(client.client_metadata):
        return FAPI2_ALGORITHMS  # FAPI 2.0 §5.4.1
    return ALGORITHMS


def merged(outside: dict[str, str], inside: dict) -> SettledPayload:
    """The request's parameters after its request object: the object's win (§6.3.3)."""
    data = {k: v for k, v in outside.items() if k not in ("request", "request_uri")}
    for name, value in inside.items():
        if value is not None:
            data[name] = value if isinstance(value, str) else json.dumps(value)
    return SettledPayload(data)


class RequestObjects(JWTAuthenticationRequest):
    """The authorization server extension: reads a request object before the grant is
    chosen, and hands the grant the merged parameters."""

    def parse_authorization_request(self, authorization_server, request) -> None:
        data = request.payload.data
        if "request" not in data and "request_uri" not in data:
            return
        if is_pushed(data.get("request_uri")):
            return  # a pushed request's (server/oauth/pushed.py), not a request object's
        client = authorization_server.query_client(request.payload.client_id)
        if client is None:
            return  # the grant refuses an unknown client, on a page
        outside = {name: data.get(name) for name in data}
        query = request.payload
        try:
            self._check_client_may(client, outside)
            super().parse_authorization_request(authorization_server, request)
            check_object(outside, request.payload.data, client)
        except OAuth2Error as error:
            # §6.3.1 and RFC 9101 §6.3: the error goes to the redirect URI the query names,
            # once checked, as for any authorization request, in the query's response mode
            # (the object refused is not read, its response_type neither).
            request.payload = query
            error.redirect_uri = checked_redirect_uri(outside, client)
            error.state = error.state or outside.get("state")
            raise
        request.payload = merged(outside, request.payload.data)

    def _check_client_may(self, client, outside: dict) -> None:
        """One way of sending the object (RFC 9101 §5); by reference, from a registered
        request_uri (Discovery `require_request_uri_registration`)."""
        by_reference = "request_uri" in outside
        if by_reference and "request" in outside:
            raise InvalidRequestError("Send request or request_uri, not both.")
        if by_reference and not client.client_metadata.get("request_uris"):
            raise RequestUriNotSupportedError()

    # --- Authlib's hooks ---
    def get_server_metadata(self) -> dict:
        return {}

    def get_request_object_signing_algorithms(self, client) -> list[str]:
        return list(algorithms_for(client))

    def resolve_client_public_key(self, client):
        try:
            return client_keys(client)
        except KeysUnavailable:
            return None  # an unsigned object needs none; a signed one then fails to verify

    def validate_request_uri(self, request_uri: str, client) -> bool:
        """One of the client's registered request_uris, its fragment aside (OIDC
        Registration §2: a fragment tells a new version of the same document)."""
        if not isinstance(request_uri, str) or len(request_uri) > MAX_REQUEST_URI_LENGTH:
            return False
        try:
            asked = _without_fragment(request_uri)
        except ValueError:  # not a URI at all
            return False
        return asked in {_without_fragment(uri) for uri in client.client_metadata["request_uris"]}

    def get_request_object(self, request_uri: str) -> str | None:
        return fetch_request_object(_without_fragment(request_uri))

    @property
    def claims_validator(self) -> jwt.JWTClaimsRegistry:
        # RFC 9101 §4, OIDC Core §6.1: aud, when present, names this issuer; exp and nbf,
        # when present, hold; client_id is there.
        return jwt.JWTClaimsRegistry(
            now=timestamp,
            client_id={"essential": True},
            aud={"value": current_app.config["ISSUER"]},
        )

    def _decode_request_object(self, request, client, raw_request_object: str):
        """An unsigned object is read by joserfc without its JWS registry, which warns at
        every use of "none"; a signed one goes through Authlib's checks."""
        if not isinstance(raw_request_object, str) or len(raw_request_object) > MAX_REQUEST_LENGTH:
            raise InvalidRequestObjectError()
        if _alg_of(raw_request_object) != "none":
            try:
                return super()._decode_request_object(request, client, raw_request_object)
            except ValueError as error:
                # Authlib words the error with joserfc's reason, which may quote the token
                # (a "crit" name) in characters an error description may not hold (§5.2).
                raise InvalidRequestObjectError() from error
        if "none" not in algorithms_for(client):
            raise (
                RequestUriNotSupportedError
                if "request_uri" in request.payload.data
                else RequestNotSupportedError
            )("This client signs its request objects.")
        return _unsigned(raw_request_object, self.claims_validator, request.payload.client_id)


class _Unsigned:
    """A verified request object, as Authlib hands one on: its claims."""

    def __init__(self, claims: dict):
        self.claims = claims


def _unsigned(raw: str, validator: jwt.JWTClaimsRegistry, client_id: str) -> _Unsigned:
    try:
        token = extract_compact(raw.encode())
        claims = json.loads(token.payload)
        if token.segments.get("signature") or not isinstance(claims, dict):
            raise ValueError("an unsigned object has no signature, and holds a JSON object")
        validator.validate(claims)
    except (JoseError, ValueError, RecursionError) as error:
        raise InvalidRequestObjectError() from error
    if claims["client_id"] != client_id:
        raise InvalidRequestError("The request object is of another client.")
    if "request" in claims or "request_uri" in claims:
        raise InvalidRequestError("A request object cannot hold another.")
    return _Unsigned(claims)


def _alg_of(raw: str) -> str | None:
    try:
        return extract_compact(raw.encode()).headers().get("alg")
    except (JoseError, ValueError, UnicodeError):
        raise InvalidRequestObjectError() from None


def check_object(outside: dict, inside: dict, client) -> None:
    """OIDC Core §6.1: client_id and response_type as in the query; the object's own
    claims what RFC 9101 §4 says of a signed one (iss is the client); its ASCII-token
    parameters are such tokens (ascii_tokens.py)."""
    if "response_type" in inside and outside.get("response_type") not in (
        None,
        inside["response_type"],
    ):
        raise InvalidRequestError("response_type differs in the query and the request object.")
    if "iss" in inside and inside["iss"] != client.client_id:
        raise InvalidRequestObjectError("The request object's iss is not the client.")
    for name in ASCII_TOKEN_PARAMETERS.intersection(inside):
        if not is_ascii_token(inside[name]):
            raise InvalidRequestObjectError("A parameter of the request object is malformed.")


def checked_redirect_uri(outside: dict, client) -> str | None:
    """RFC 6749 §4.1.2.1: the query's redirect_uri if the client registered it; without
    one, the client's only registered one; else no redirect at all."""
    asked = outside.get("redirect_uri")
    if asked:
        return asked if client.check_redirect_uri(asked) else None
    return client.get_default_redirect_uri()


def _without_fragment(uri: str) -> str:
    return urlunsplit(urlsplit(uri)._replace(fragment=""))


def fetch_request_object(url: str) -> str | None:
    """GET a request object from a client's request_uri; None when it cannot be had.

    A public address only (server/outbound.py), no redirects, CLIENT_FETCH_TIMEOUT seconds
    for the whole answer and CLIENT_FETCH_MAX_BYTES at most (RFC 9101 §10.4.1)."""
    config = current_app.config
    timeout, limit = config["CLIENT_FETCH_TIMEOUT"], config["CLIENT_FETCH_MAX_BYTES"]
    deadline = time.monotonic() + timeout
    try:
        check_public_address(url, allow_private=config["DELIVERY_PRIVATE_TARGETS"])
        with requests.get(
            url,
            headers={"Accept": MEDIA_TYPES, "User-Agent": "Passport"},
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        ) as answer:
            if answer.status_code != 200:
                raise OutboundUnavailable(f"HTTP {answer.status_code}")
            body = bytearray()
            for chunk in answer.iter_content(chunk_size=4096):
                body += chunk
                if len(body) > limit or time.monotonic() > deadline:
                    raise OutboundUnavailable("too large or too slow")
        return body.decode("ascii").strip()
    except (OutboundRefused, OutboundUnavailable, requests.RequestException, UnicodeError) as error:
        current_app.logger.info("request_uri %s not fetched: %s", url[:200], error)
        return None
