"""Discovery (OIDC Discovery 1.0) and authorization server metadata (RFC 8414)."""

from __future__ import annotations

from flask import current_app, url_for

from ..domain import resources
from ..domain.client_metadata import (
    ALGORITHMS,
    ASSERTION_ALGORITHMS,
    AUTH_METHODS,
    FAPI2_ALGORITHMS,
    SUBJECT_TYPES,
    USERINFO_ALGORITHMS,
    grant_types_offered,
    response_types_offered,
)
from .claims import CLAIMS_SUPPORTED, SCOPES_SUPPORTED
from .dpop import ALGORITHMS as DPOP_ALGORITHMS
from .exchange import GRANT_TYPE as TOKEN_EXCHANGE_GRANT
from .request_objects import ALGORITHMS as REQUEST_OBJECT_ALGORITHMS
from .response_modes import modes_supported


def server_metadata() -> dict:
    issuer = current_app.config["ISSUER"]

    def endpoint(name: str) -> str:
        return issuer + url_for(name)

    assertion_algorithms = list(dict.fromkeys(a for v in ASSERTION_ALGORITHMS.values() for a in v))

    metadata = {
        "issuer": issuer,
        "authorization_endpoint": endpoint("oauth.authorize"),
        "token_endpoint": endpoint("oauth.token"),
        "userinfo_endpoint": endpoint("oauth.userinfo"),
        "jwks_uri": endpoint("oauth.jwks"),
        "revocation_endpoint": endpoint("oauth.revoke"),
        "introspection_endpoint": endpoint("oauth.introspect"),
        "end_session_endpoint": endpoint("oauth.end_session"),
        "pushed_authorization_request_endpoint": endpoint("oauth.pushed_authorization_request"),
        "device_authorization_endpoint": endpoint("oauth.device_authorization"),
        "require_pushed_authorization_requests": current_app.config[
            "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS"
        ],
        # The OpenID scopes, then those of the APIs the operators registered (RFC 8707).
        "scopes_supported": [*SCOPES_SUPPORTED, *resources.scopes()],
        "response_types_supported": list(response_types_offered()),
        "response_modes_supported": modes_supported(),
        "grant_types_supported": [*grant_types_offered(), TOKEN_EXCHANGE_GRANT],
        "subject_types_supported": list(SUBJECT_TYPES),
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "userinfo_signing_alg_values_supported": list(USERINFO_ALGORITHMS),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algorithms,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": True,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": True,
        "require_request_uri_registration": True,
        "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGORITHMS),
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": list(current_app.config["LANGUAGES"]),
        "acr_values_supported": [
            current_app.config["ACR_PASSWORD"],
            current_app.config["ACR_FEDERATED"],
            current_app.config["ACR_MFA"],
        ],
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "service_documentation": issuer + "/",
    }
    if current_app.config["FAPI2_SECURITY_PROFILE"]:
        # FAPI 2.0 Security Profile for every client: what the profile allows, no more.
        fapi2 = list(FAPI2_ALGORITHMS)
        metadata.update(
            require_pushed_authorization_requests=True,
            response_types_supported=["code"],
            id_token_signing_alg_values_supported=fapi2,
            request_object_signing_alg_values_supported=fapi2,
            userinfo_signing_alg_values_supported=[],
        )
        for endpoint_name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
            metadata[f"{endpoint_name}_auth_methods_supported"] = ["private_key_jwt"]
            metadata[f"{endpoint_name}_auth_signing_alg_values_supported"] = fapi2
    if current_app.config["REGISTRATION"] != "off":
        metadata["registration_endpoint"] = endpoint("oauth.register")
    return metadata
