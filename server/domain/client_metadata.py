"""Passport's policy on client metadata, shared by the developer console and RFC 7591/7592.

Every refusal is an InvalidClientMetadata naming the field and the reason, so the console
can put a translated message next to the field and registration can answer with an RFC 7591
§3.2.2 error description.
"""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..config import is_loopback_host
from ..models.clients import web_origin
from . import resources
from .errors import InvalidClientMetadata

SCOPES_SUPPORTED = ["openid", "email", "phone", "profile", "address", "offline_access"]
ALGORITHMS = ("RS256", "ES256", "PS256")
# Request objects (OIDC Core §6.1): signed with the client's keys, or not at all.
REQUEST_OBJECT_ALGORITHMS = ("none", "RS256", "ES256", "PS256")
MAX_REQUEST_URI_LENGTH = 512  # OIDC Core §6.2
# Signed userinfo responses use the RS256 key (server/oauth/endpoints.py).
USERINFO_ALGORITHMS = ("RS256",)
# RFC 8628 §3.4: a TV's or a command-line tool's sign-in, the person deciding elsewhere.
DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", DEVICE_CODE_GRANT_TYPE)
# OIDC Core §3.2: the implicit flow, offered only when the operator turns it on
# (IMPLICIT_FLOW; RFC 9700 §2.1.2 advises against it).
IMPLICIT_GRANT_TYPE = "implicit"
IMPLICIT_RESPONSE_TYPES = ("id_token", "id_token token")
AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
)
# RFC 7523 §2.2, OIDC Core §9: the algorithms of client assertions, by method.
ASSERTION_ALGORITHMS = {
    "private_key_jwt": ("RS256", "PS256", "ES256"),
    "client_secret_jwt": ("HS256",),
}
# FAPI 2.0 Security Profile §5.4.1: PS256, ES256 (or EdDSA, which Passport does not sign
# with); RS256 is not among them.
FAPI2_ALGORITHMS = ("PS256", "ES256")
SUBJECT_TYPES = ("public", "pairwise")
APPLICATION_TYPES = ("web", "native")
URI_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
ENDPOINT_FIELDS = ("backchannel_logout_uri", "security_events_endpoint")
MAX_URIS = 20
MAX_CONTACTS = 10
MAX_KEYS = 10
MAX_ACR_VALUES = 10
# Registration stores the fields it does not check too (jwks, software_id, …): as a whole,
# a client's metadata stays well within what a page and a token request should load.
MAX_METADATA_BYTES = 65536
# The private members of RFC 7518 §6 keys: a client registers its public keys only.
PRIVATE_KEY_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


def implicit_flow_on() -> bool:
    """Does this server offer the implicit response types (the IMPLICIT_FLOW setting)?"""
    return has_app_context() and bool(current_app.config.get("IMPLICIT_FLOW"))


def response_types_offered() -> tuple[str, ...]:
    return ("code", *IMPLICIT_RESPONSE_TYPES) if implicit_flow_on() else ("code",)


def grant_types_offered() -> tuple[str, ...]:
    return (*GRANT_TYPES, IMPLICIT_GRANT_TYPE) if implicit_flow_on() else GRANT_TYPES


def normal_response_type(value: object) -> object:
    """OAuth 2.0 Multiple Response Types §2: the order of the words does not matter, so
    "token id_token" is "id_token token"."""
    if not isinstance(value, str):
        return value
    words = value.split()
    order = {"code": 0, "id_token": 1, "token": 2}
    return " ".join(sorted(dict.fromkeys(words), key=lambda w: (order.get(w, 3), w)))


def _refuse(field: str, reason: str, message: str, value: object = None) -> InvalidClientMetadata:
    return InvalidClientMetadata(f"{field}: {message}", field=field, reason=reason, value=value)


def check_uri(uri: object, *, field: str, native: bool = False) -> str:
    """An absolute URI without fragment, wildcard or user name: https, http on a loopback host
    (RFC 8252 §7.3) or, for native apps only, a private-use scheme (RFC 8252 §7.1)."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000:
        raise _refuse(field, "not_a_string", "each URI must be a non-empty string")
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError when out of range
        if any(unicodedata.category(c) in ("Cc", "Cf") for c in uri):
            # Control and invisible formatting characters (NUL, zero-width, bidi overrides)
            # make a URI read as another one.
            raise ValueError("control or formatting character")
        if "\\" in uri:
            # Not a URI character (RFC 3986 §2); browsers read it as "/", so
            # https://evil.example\.shop.example/ would lead to evil.example.
            raise ValueError("backslash")
    except ValueError as error:
        raise _refuse(field, "invalid", f"{uri!r} is not a valid URI", uri) from error
    if not parts.scheme or any(c.isspace() for c in uri):
        raise _refuse(field, "not_absolute", f"{uri!r} must be an absolute URI", uri)
    if parts.fragment or "#" in uri:
        raise _refuse(field, "fragment", f"{uri!r} must not contain a fragment", uri)
    if "*" in uri:
        raise _refuse(field, "wildcard", f"{uri!r} must not contain wildcards", uri)
    if "@" in parts.netloc:
        # RFC 3986 §3.2.1, §7.5: a user name before the host only serves to mislead readers.
        raise _refuse(field, "userinfo", f"{uri!r} must not contain a user name or password", uri)
    scheme = parts.scheme.lower()
    if scheme == "https":
        if not hostname:
            raise _refuse(field, "not_absolute", f"{uri!r} has no host", uri)
        return uri
    if scheme == "http":
        if hostname and is_loopback_host(hostname):
            return uri
        raise _refuse(
            field, "https_required", f"{uri!r} must use https (http only on loopback hosts)", uri
        )
    # A private-use scheme is a reverse domain name (RFC 8252 §7.1): it has a dot, which
    # the schemes that run code or read files (javascript:, data:, file:) have not.
    if "." in scheme:
        if native:
            return uri
        raise _refuse(
            field, "private_scheme", f"{uri!r}: private-use schemes are for native apps only", uri
        )
    raise _refuse(field, "https_required", f"{uri!r} must use https", uri)


def _uri_list(metadata: dict, field: str, *, native: bool) -> list[str]:
    uris = metadata.get(field) or []
    if not isinstance(uris, list):
        raise _refuse(field, "not_a_list", "must be a list of URIs")
    if len(uris) > MAX_URIS:
        raise _refuse(field, "too_many", f"at most {MAX_URIS} URIs")
    return list(dict.fromkeys(check_uri(u, field=field, native=native) for u in uris))


def _check_origins(metadata: dict) -> None:
    """`allowed_cors_origins`: more web origins whose pages may read the client's answers
    (a public client's redirect URIs give theirs already). Each an origin alone — scheme,
    host, port —, held to the rules of a redirect URI, kept as a browser writes it."""
    field = "allowed_cors_origins"
    origins = metadata.get(field)
    if not origins:
        metadata.pop(field, None)
        return
    if not isinstance(origins, list):
        raise _refuse(field, "not_a_list", "must be a list of origins")
    if len(origins) > MAX_URIS:
        raise _refuse(field, "too_many", f"at most {MAX_URIS} origins")
    kept = []
    for origin in origins:
        check_uri(origin, field=field)
        parts = urlsplit(origin)
        if parts.path not in ("", "/") or parts.query or "?" in origin:
            raise _refuse(
                field, "not_an_origin", f"{origin!r} must be an origin: no path or query", origin
            )
        kept.append(web_origin(origin))
    metadata[field] = list(dict.fromkeys(kept))


def _check_scope(scope: object) -> str:
    if scope in (None, ""):
        return ""
    if not isinstance(scope, str):
        raise _refuse("scope", "invalid", "must be a space-separated string")
    # The OpenID scopes, and those of the APIs the operators registered (RFC 8707).
    known = set(SCOPES_SUPPORTED) | set(resources.scopes())
    unknown = [s for s in scope.split() if s not in known]
    if unknown:
        raise _refuse("scope", "unsupported_scope", f"{unknown[0]!r} is not supported", unknown[0])
    return " ".join(dict.fromkeys(scope.split()))


def _check_contacts(contacts: object) -> list[str]:
    if contacts in (None, []):
        return []
    if not isinstance(contacts, list) or len(contacts) > MAX_CONTACTS:
        raise _refuse("contacts", "invalid", f"must be a list of at most {MAX_CONTACTS} e-mails")
    for contact in contacts:
        if not isinstance(contact, str) or not _looks_like_email(contact):
            raise _refuse("contacts", "invalid_email", f"{contact!r} is not an e-mail", contact)
    return list(dict.fromkeys(contacts))


def _looks_like_email(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    return (
        0 < len(value) <= 320
        and bool(local)
        and "." in domain.strip(".")
        and not any(c.isspace() or c in "<>,;\"'" for c in value)
    )


def shown_pages(metadata) -> dict[str, str]:
    """The client's pages a sign-in or consent page links (home page, privacy policy, terms
    of service, OIDC Registration §2) and its logo. The policy let only https, or http on a
    loopback host, in; the logo is shown over https only, the one scheme the pages' CSP
    loads other sites' images from (web/security.py)."""
    shown = {
        name: metadata[name]
        for name in ("client_uri", "policy_uri", "tos_uri")
        if urlsplit(metadata.get(name) or "").scheme in ("https", "http")
    }
    if urlsplit(metadata.get("logo_uri") or "").scheme == "https":
        shown["logo_uri"] = metadata["logo_uri"]
    return shown


def _check_authentication_context(metadata: dict) -> None:
    """require_mfa: the portal's policy that every sign-in to it has a second factor.
    default_acr_values (OIDC Registration §2): the acr values asked for when a request
    names none, as voluntary as acr_values."""
    required = metadata.get("require_mfa")
    if required is not None and not isinstance(required, bool):
        raise _refuse("require_mfa", "invalid", "must be true or false")
    if not required:
        metadata.pop("require_mfa", None)
    defaults = metadata.get("default_acr_values")
    if defaults in (None, []):
        metadata.pop("default_acr_values", None)
    elif (
        not isinstance(defaults, list)
        or len(defaults) > MAX_ACR_VALUES
        or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in defaults)
    ):
        raise _refuse(
            "default_acr_values", "invalid", f"must be a list of at most {MAX_ACR_VALUES} strings"
        )


def _check_algorithm(field: str, alg, allowed) -> None:
    """A signing algorithm `field` names: one of `allowed`, or the registration is refused."""
    if alg not in allowed:
        raise _refuse(field, "unsupported", f"must be one of {', '.join(allowed)}")


def _check_request_objects(metadata: dict) -> None:
    """request_object_signing_alg and request_uris (OIDC Registration §2): an algorithm
    Passport verifies, and web addresses of at most 512 characters whose fragment, if
    any, tells a version of the document (which is why a fragment is allowed here).
    require_pushed_authorization_requests (RFC 9126 §6) and dpop_bound_access_tokens (RFC
    9449 §5.2): true or false, kept only when true."""
    for name in ("require_pushed_authorization_requests", "dpop_bound_access_tokens"):
        value = metadata.get(name)
        if value is not None and not isinstance(value, bool):
            raise _refuse(name, "invalid", "must be true or false")
        if not value:
            metadata.pop(name, None)
    alg = metadata.get("request_object_signing_alg")
    if alg is not None:
        _check_algorithm("request_object_signing_alg", alg, REQUEST_OBJECT_ALGORITHMS)
    uris = metadata.get("request_uris")
    if uris in (None, []):
        metadata.pop("request_uris", None)
        return
    if not isinstance(uris, list) or len(uris) > MAX_URIS:
        raise _refuse("request_uris", "not_a_list", f"must be a list of at most {MAX_URIS} URIs")
    for uri in uris:
        if not isinstance(uri, str) or len(uri) > MAX_REQUEST_URI_LENGTH:
            raise _refuse(
                "request_uris", "too_long", f"each at most {MAX_REQUEST_URI_LENGTH} characters"
            )
        check_uri(uri.split("#", 1)[0], field="request_uris")
    metadata["request_uris"] = list(dict.fromkeys(uris))


class CheckedMetadata(dict):
    """Client metadata that has passed the policy: what a client stores, never checked twice."""


def follows_fapi2(metadata) -> bool:
    """Is a client with this metadata held to the FAPI 2.0 Security Profile: registered
    with fapi2_security_profile, or every client while FAPI2_SECURITY_PROFILE is on?"""
    if metadata and metadata.get("fapi2_security_profile"):
        return True
    return has_app_context() and bool(current_app.config.get("FAPI2_SECURITY_PROFILE"))


def has_secret(metadata: dict) -> bool:
    """A client that authenticates with a secret has one; a public client (auth method
    "none") and one that signs with its own keys (private_key_jwt) have none."""
    return metadata.get("token_endpoint_auth_method") not in ("none", "private_key_jwt")


def check_client_metadata(metadata: dict) -> CheckedMetadata:
    """Passport's policy on top of RFC 7591's checks; returns the metadata to store."""
    if isinstance(metadata, CheckedMetadata):
        return metadata
    if len(json.dumps(metadata, default=str).encode()) > MAX_METADATA_BYTES:
        raise InvalidClientMetadata(
            f"the client metadata must be at most {MAX_METADATA_BYTES // 1024} KiB",
            reason="too_large",
        )
    metadata = dict(metadata)
    _check_authentication(metadata)
    application_type = metadata.get("application_type") or "web"
    if application_type not in APPLICATION_TYPES:
        raise _refuse("application_type", "unsupported", "must be 'web' or 'native'")
    metadata["application_type"] = application_type
    native = application_type == "native"
    _check_grant_and_response_types(metadata)
    metadata["redirect_uris"] = _uri_list(metadata, "redirect_uris", native=native)
    redirected = {"authorization_code", IMPLICIT_GRANT_TYPE} & set(metadata["grant_types"])
    if redirected and not metadata["redirect_uris"]:
        raise _refuse("redirect_uris", "required", "at least one is required")
    metadata["post_logout_redirect_uris"] = _uri_list(
        metadata, "post_logout_redirect_uris", native=native
    )
    for name in ENDPOINT_FIELDS + URI_FIELDS:
        if metadata.get(name):
            metadata[name] = check_uri(metadata[name], field=name)
        else:
            metadata.pop(name, None)
    _check_origins(metadata)
    _check_keys(metadata)
    _check_subject_type(metadata)
    _check_fapi2(metadata)
    _check_signing_algorithms(metadata)
    if "scope" in metadata:
        metadata["scope"] = _check_scope(metadata["scope"])
    if "contacts" in metadata:
        metadata["contacts"] = _check_contacts(metadata["contacts"])
    _check_authentication_context(metadata)
    _check_request_objects(metadata)
    name = metadata.get("client_name")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
        raise _refuse("client_name", "invalid", "must be a string of 1 to 200 characters")
    return CheckedMetadata(metadata)


def _check_authentication(metadata: dict) -> None:
    """How the client authenticates at the token endpoint (RFC 7591 §2, OIDC Core §9), and
    the algorithm of its assertions when it signs them (OpenID Connect Registration §2)."""
    method = metadata.get("token_endpoint_auth_method") or "client_secret_basic"
    if method not in AUTH_METHODS:
        raise _refuse("token_endpoint_auth_method", "unsupported", f"{method!r} is not supported")
    metadata["token_endpoint_auth_method"] = method
    alg = metadata.get("token_endpoint_auth_signing_alg")
    if alg is None:
        return
    allowed = ASSERTION_ALGORITHMS.get(method) or tuple(
        dict.fromkeys(a for algs in ASSERTION_ALGORITHMS.values() for a in algs)
    )
    _check_algorithm("token_endpoint_auth_signing_alg", alg, allowed)


def _check_grant_and_response_types(metadata: dict) -> None:
    """RFC 7591 §2.1: grant types and response types that go together; the implicit ones
    only while the server offers them."""
    offered = response_types_offered()
    response_types = metadata.get("response_types")
    if response_types is not None:
        if not isinstance(response_types, list) or not all(
            isinstance(r, str) for r in response_types
        ):
            raise _refuse("response_types", "unsupported", "must be a list of response types")
        response_types = list(dict.fromkeys(normal_response_type(r) for r in response_types))
        if any(r not in offered for r in response_types):
            raise _refuse("response_types", "unsupported", f"must be among {', '.join(offered)}")
    grant_types = metadata.get("grant_types") or _grant_types_for(response_types)
    allowed = grant_types_offered()
    if not isinstance(grant_types, list) or any(g not in allowed for g in grant_types):
        raise _refuse("grant_types", "unsupported", f"must be among {', '.join(allowed)}")
    grant_types = list(dict.fromkeys(grant_types))
    if metadata["token_endpoint_auth_method"] == "none" and "client_credentials" in grant_types:
        raise _refuse("grant_types", "public_client_credentials", "public clients cannot use it")
    if response_types is None:
        response_types = ["code"] if "authorization_code" in grant_types else []
        if IMPLICIT_GRANT_TYPE in grant_types:
            response_types.append("id_token")
    if set(_grant_types_for(response_types)) - set(grant_types):
        raise _refuse(
            "grant_types", "mismatch", "must include the grant type of every response type"
        )
    metadata["grant_types"] = grant_types
    metadata["response_types"] = response_types


def _grant_types_for(response_types: list[str] | None) -> list[str]:
    if response_types is None:
        return ["authorization_code"]
    grants = []
    if any("code" in r.split() for r in response_types):
        grants.append("authorization_code")
    if any(r.split() != ["code"] for r in response_types):
        grants.append(IMPLICIT_GRANT_TYPE)
    return grants


def _check_keys(metadata: dict) -> None:
    """The client's public keys, by value (jwks) or by reference (jwks_uri), never both
    (RFC 7591 §2); private_key_jwt needs one of them."""
    jwks, jwks_uri = metadata.get("jwks"), metadata.get("jwks_uri") or None
    for name, value in (("jwks", jwks), ("jwks_uri", jwks_uri)):
        if value is None:
            metadata.pop(name, None)  # not given, or emptied in the console
    if jwks is not None and jwks_uri is not None:
        raise _refuse("jwks", "both_keys", "jwks and jwks_uri must not both be present")
    if jwks_uri is not None:
        metadata["jwks_uri"] = check_uri(jwks_uri, field="jwks_uri")
    if jwks is not None:
        metadata["jwks"] = check_jwks(jwks)
    if metadata["token_endpoint_auth_method"] == "private_key_jwt" and not (jwks or jwks_uri):
        raise _refuse("jwks", "keys_required", "private_key_jwt needs jwks or jwks_uri")


def check_jwks(jwks: object, *, field: str = "jwks") -> dict:
    """A JWK Set (RFC 7517 §5) of at most MAX_KEYS public keys that parse; returns it."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS:
        raise _refuse(field, "invalid_keys", f"must be a JWK Set of 1 to {MAX_KEYS} keys")
    for key in keys:
        if not isinstance(key, dict):
            raise _refuse(field, "invalid_keys", "each key must be a JSON object")
        if any(member in key for member in PRIVATE_KEY_MEMBERS):
            raise _refuse(field, "private_keys", "must hold public keys only")
    try:
        KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise _refuse(field, "invalid_keys", "holds a key that cannot be read") from error
    return jwks


def _check_subject_type(metadata: dict) -> None:
    """OIDC Core §8: public or pairwise subjects. A pairwise client's sector is the host of
    its sector_identifier_uri, or of its redirect URIs when they share one host (§8.1); the
    document at sector_identifier_uri is checked where it is fetched (check_sector_document)."""
    subject_type = metadata.get("subject_type") or "public"
    if subject_type not in SUBJECT_TYPES:
        raise _refuse("subject_type", "unsupported", "must be 'public' or 'pairwise'")
    metadata["subject_type"] = subject_type
    sector_uri = metadata.get("sector_identifier_uri")
    if sector_uri:
        metadata["sector_identifier_uri"] = check_uri(sector_uri, field="sector_identifier_uri")
    else:
        metadata.pop("sector_identifier_uri", None)
        if subject_type == "pairwise" and len(_hosts(metadata["redirect_uris"])) > 1:
            raise _refuse(
                "sector_identifier_uri",
                "sector_required",
                "redirect URIs on several hosts need a sector_identifier_uri",
            )


def _hosts(uris: list[str]) -> set[str]:
    return {(urlsplit(uri).hostname or urlsplit(uri).scheme).lower() for uri in uris}


def sector_of(metadata) -> str:
    """The sector identifier of a pairwise client (OIDC Core §8.1): the host of its
    sector_identifier_uri, else the one host of its redirect URIs."""
    uri = metadata.get("sector_identifier_uri")
    if uri:
        return (urlsplit(uri).hostname or "").lower()
    return min(_hosts(list(metadata.get("redirect_uris") or [])), default="")


def check_sector_document(document: object, redirect_uris: list[str]) -> None:
    """OIDC Core §8.1: the sector_identifier_uri serves a JSON array of redirect URIs that
    holds every redirect URI the client registers."""
    if not isinstance(document, list) or not all(isinstance(u, str) for u in document):
        raise _refuse("sector_identifier_uri", "sector_invalid", "must serve a JSON array of URIs")
    missing = [uri for uri in redirect_uris if uri not in document]
    if missing:
        raise _refuse(
            "sector_identifier_uri",
            "sector_mismatch",
            f"does not list the redirect URI {missing[0]!r}",
            missing[0],
        )


def _check_fapi2(metadata: dict) -> None:
    """The FAPI 2.0 Security Profile (final) asks of a client: private_key_jwt (§5.3.3; mTLS
    is the proxy's, not Passport's), the code flow only (§5.3.2.2 item 1), https redirect
    URIs (item 6: a confidential client has no loopback exception), the signing algorithms of
    §5.4.1 (its ID tokens PS256 unless it registers ES256), pushed authorization requests
    (item 2) and sender-constrained tokens (§5.3.2.1 items 4, 5: DPoP). The last two are
    stored as require_pushed_authorization_requests and dpop_bound_access_tokens, so the
    rules that enforce those enforce them for it."""
    value = metadata.get("fapi2_security_profile")
    if value is not None and not isinstance(value, bool):
        raise _refuse("fapi2_security_profile", "invalid", "must be true or false")
    if not value:
        metadata.pop("fapi2_security_profile", None)
    if not follows_fapi2(metadata):
        return
    if metadata["token_endpoint_auth_method"] != "private_key_jwt":
        raise _refuse("token_endpoint_auth_method", "fapi2", "must be private_key_jwt (FAPI 2.0)")
    if any(r != "code" for r in metadata["response_types"]):
        raise _refuse("response_types", "fapi2", "must be code alone (FAPI 2.0)")
    for uri in metadata["redirect_uris"]:
        if urlsplit(uri).scheme != "https":
            raise _refuse("redirect_uris", "fapi2", "must use https (FAPI 2.0)", uri)
    metadata.setdefault("id_token_signed_response_alg", FAPI2_ALGORITHMS[0])
    for name in (
        "id_token_signed_response_alg",
        "token_endpoint_auth_signing_alg",
        "request_object_signing_alg",
        "userinfo_signed_response_alg",
    ):
        if name in metadata:
            _check_algorithm(name, metadata[name], FAPI2_ALGORITHMS)
    metadata["require_pushed_authorization_requests"] = True
    metadata["dpop_bound_access_tokens"] = True


def _check_signing_algorithms(metadata: dict) -> None:
    # Every ID token is signed: "none" (OpenID Connect Registration §2 allows it for the
    # code flow) is not offered.
    alg = metadata.get("id_token_signed_response_alg") or "RS256"
    _check_algorithm("id_token_signed_response_alg", alg, ALGORITHMS)
    metadata["id_token_signed_response_alg"] = alg
    userinfo_alg = metadata.get("userinfo_signed_response_alg")
    if userinfo_alg is not None:
        _check_algorithm("userinfo_signed_response_alg", userinfo_alg, USERINFO_ALGORITHMS)
