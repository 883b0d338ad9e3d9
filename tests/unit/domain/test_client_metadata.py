"""Passport's rules on client metadata (shared by the console and RFC 7591/7592)."""

from __future__ import annotations

import pytest

from server.domain.client_metadata import (
    check_client_metadata,
    check_sector_document,
    check_uri,
    has_secret,
    normal_response_type,
    sector_of,
)
from server.domain.errors import InvalidClientMetadata

ACCEPTED = [
    ("https://shop.example/cb", False),
    ("https://shop.example:8443/cb?tenant=1", False),
    ("http://127.0.0.1:8000/cb", False),
    ("http://[::1]:8000/cb", False),
    ("http://localhost/cb", False),
    ("com.example.shop:/oauth2redirect", True),
    ("http://127.0.0.1/cb", True),
]

REFUSED = [
    ("https://shop.example/cb#x", False, "fragment"),
    ("https://shop.example/cb#", False, "fragment"),
    ("http://shop.example/cb", False, "https_required"),
    ("http://127.0.0.1.example/cb", False, "https_required"),
    ("https://*.shop.example/cb", False, "wildcard"),
    ("https://shop.example/*", True, "wildcard"),
    ("/callback", False, "not_absolute"),
    ("shop.example/cb", False, "not_absolute"),
    ("https:///cb", False, "not_absolute"),
    ("https://shop.example/c b", False, "not_absolute"),
    ("com.example.shop:/cb", False, "private_scheme"),
    ("javascript:alert(1)", True, "https_required"),
    ("myapp:/cb", True, "https_required"),
    ("", False, "not_a_string"),
    (42, False, "not_a_string"),
]


@pytest.mark.parametrize(("uri", "native"), ACCEPTED)
def test_accepted_uris(uri, native):
    assert check_uri(uri, field="redirect_uris", native=native) == uri


@pytest.mark.parametrize(("uri", "native", "reason"), REFUSED)
def test_refused_uris(uri, native, reason):
    with pytest.raises(InvalidClientMetadata) as refused:
        check_uri(uri, field="redirect_uris", native=native)
    assert refused.value.reason == reason and refused.value.field == "redirect_uris"


def metadata(**fields) -> dict:
    return {"redirect_uris": ["https://shop.example/cb"], **fields}


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"redirect_uris": []}, "redirect_uris", "required"),
        ({"redirect_uris": "https://shop.example/cb"}, "redirect_uris", "not_a_list"),
        (
            {"backchannel_logout_uri": "https://shop.example/bc#f"},
            "backchannel_logout_uri",
            "fragment",
        ),
        ({"logo_uri": "http://cdn.example/l.png"}, "logo_uri", "https_required"),
        ({"scope": "openid admin"}, "scope", "unsupported_scope"),
        ({"contacts": ["dev at shop"]}, "contacts", "invalid_email"),
        ({"contacts": "dev@shop.example"}, "contacts", "invalid"),
        ({"id_token_signed_response_alg": "HS256"}, "id_token_signed_response_alg", "unsupported"),
        ({"id_token_signed_response_alg": "none"}, "id_token_signed_response_alg", "unsupported"),
        ({"application_type": "desktop"}, "application_type", "unsupported"),
        ({"userinfo_signed_response_alg": "ES256"}, "userinfo_signed_response_alg", "unsupported"),
        ({"userinfo_signed_response_alg": 5}, "userinfo_signed_response_alg", "unsupported"),
        ({"client_name": "  "}, "client_name", "invalid"),
    ],
)
def test_refused_metadata(fields, field, reason):
    with pytest.raises(InvalidClientMetadata) as refused:
        check_client_metadata(metadata(**fields))
    assert (refused.value.field, refused.value.reason) == (field, reason)


def test_private_schemes_only_for_native_apps():
    native = metadata(redirect_uris=["com.example.shop:/cb"], application_type="native")
    assert check_client_metadata(native)["redirect_uris"] == ["com.example.shop:/cb"]
    with pytest.raises(InvalidClientMetadata):
        check_client_metadata(metadata(redirect_uris=["com.example.shop:/cb"]))


def test_stored_metadata_is_normalised():
    stored = check_client_metadata(
        metadata(
            redirect_uris=["https://shop.example/cb", "https://shop.example/cb"],
            scope="openid email openid",
            logo_uri="",
            contacts=["dev@shop.example"],
        )
    )
    assert stored["redirect_uris"] == ["https://shop.example/cb"]
    assert stored["scope"] == "openid email"
    assert "logo_uri" not in stored
    assert stored["application_type"] == "web"
    assert stored["id_token_signed_response_alg"] == "RS256"


PUBLIC_KEY = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    "kid": "k1",
}


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, "jwks", "keys_required"),
        (
            {"token_endpoint_auth_method": "tls_client_auth"},
            "token_endpoint_auth_method",
            "unsupported",
        ),
        (
            {"jwks": {"keys": [PUBLIC_KEY]}, "jwks_uri": "https://shop.example/jwks"},
            "jwks",
            "both_keys",
        ),
        ({"jwks": {"keys": [{**PUBLIC_KEY, "d": "secret"}]}}, "jwks", "private_keys"),
        ({"jwks": {"keys": []}}, "jwks", "invalid_keys"),
        ({"jwks": {"keys": [{"kty": "EC", "crv": "P-256"}]}}, "jwks", "invalid_keys"),
        ({"jwks_uri": "http://shop.example/jwks"}, "jwks_uri", "https_required"),
        (
            {
                "token_endpoint_auth_method": "client_secret_jwt",
                "token_endpoint_auth_signing_alg": "RS256",
            },
            "token_endpoint_auth_signing_alg",
            "unsupported",
        ),
        # Without an app that turns IMPLICIT_FLOW on, only the code flow is offered.
        ({"response_types": ["id_token"]}, "response_types", "unsupported"),
        ({"grant_types": ["implicit"]}, "grant_types", "unsupported"),
        (
            {"grant_types": ["client_credentials"], "response_types": ["code"]},
            "grant_types",
            "mismatch",
        ),
        ({"subject_type": "secret"}, "subject_type", "unsupported"),
        (
            {
                "subject_type": "pairwise",
                "redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
            },
            "sector_identifier_uri",
            "sector_required",
        ),
        (
            {"sector_identifier_uri": "https://shop.example/s#f"},
            "sector_identifier_uri",
            "fragment",
        ),
    ],
)
def test_refused_keys_and_flows(fields, field, reason):
    with pytest.raises(InvalidClientMetadata) as refused:
        check_client_metadata(metadata(**fields))
    assert (refused.value.field, refused.value.reason) == (field, reason)


def test_a_client_that_signs_with_its_own_keys_has_no_secret():
    stored = check_client_metadata(
        metadata(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [PUBLIC_KEY]})
    )
    assert not has_secret(stored)
    assert has_secret(
        check_client_metadata(metadata(token_endpoint_auth_method="client_secret_jwt"))
    )
    # Emptied in the console, keys are not registered at all.
    assert "jwks" not in check_client_metadata(metadata(jwks=None, jwks_uri=""))


def test_the_words_of_a_response_type_come_in_one_order():
    assert normal_response_type("token id_token") == "id_token token"
    assert normal_response_type("id_token code") == "code id_token"


def test_a_response_type_that_is_not_a_string_comes_back_as_it_is():
    for value in (None, 42, ["code"]):
        assert normal_response_type(value) == value


@pytest.mark.parametrize("field", ["client_uri", "logo_uri", "jwks_uri", "sector_identifier_uri"])
def test_a_private_use_scheme_is_for_redirect_uris_only_even_in_a_native_app(field):
    native = metadata(redirect_uris=["com.example.shop:/cb"], application_type="native")
    with pytest.raises(InvalidClientMetadata) as refused:
        check_client_metadata({**native, field: "com.example.shop:/page"})
    assert (refused.value.field, refused.value.reason) == (field, "private_scheme")


def test_the_sector_of_a_pairwise_client():
    stored = check_client_metadata(
        metadata(
            subject_type="pairwise",
            redirect_uris=["https://shop.example/cb", "https://shop.example/other"],
        )
    )
    assert stored["subject_type"] == "pairwise" and sector_of(stored) == "shop.example"
    assert (
        sector_of({"sector_identifier_uri": "https://Sector.example/uris.json"}) == "sector.example"
    )
    assert check_client_metadata(metadata())["subject_type"] == "public"


def test_the_sector_document_lists_every_redirect_uri():
    uris = ["https://shop.example/cb", "https://m.shop.example/cb"]
    check_sector_document([*uris, "https://other.shop.example/cb"], uris)
    for document, reason in (
        (uris[:1], "sector_mismatch"),
        ({"redirect_uris": uris}, "sector_invalid"),
        ([1, 2], "sector_invalid"),
    ):
        with pytest.raises(InvalidClientMetadata) as refused:
            check_sector_document(document, uris)
        assert refused.value.reason == reason
