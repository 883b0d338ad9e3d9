"""The client metadata policy at its edges: every limit at its value and one past it,
every kind of value a field must not take, and what is stored when a field is empty."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from server.domain.client_metadata import (
    MAX_ACR_VALUES,
    MAX_CONTACTS,
    MAX_KEYS,
    MAX_METADATA_BYTES,
    MAX_REQUEST_URI_LENGTH,
    MAX_URIS,
    CheckedMetadata,
    check_client_metadata,
    check_jwks,
    check_uri,
    shown_pages,
)
from server.domain.errors import InvalidClientMetadata

from .test_client_metadata import PUBLIC_KEY, metadata


def refusal(fields: dict) -> tuple[str | None, str]:
    with pytest.raises(InvalidClientMetadata) as refused:
        check_client_metadata(metadata(**fields))
    return refused.value.field, refused.value.reason


def uri_of_length(length: int, start: str = "https://shop.example/") -> str:
    return start + "a" * (length - len(start))


# --- URIs -----------------------------------------------------------------------------


def test_a_uri_may_be_2000_characters_long_and_no_longer():
    assert check_uri(uri_of_length(2000), field="client_uri") == uri_of_length(2000)
    with pytest.raises(InvalidClientMetadata) as refused:
        check_uri(uri_of_length(2001), field="client_uri")
    assert refused.value.reason == "not_a_string"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://shop.example/c\u200bb", "invalid"),  # invisible: reads as another URI
        ("https://shop.example/\u202ebc", "invalid"),
        ("https://shop.example/c\x00b", "invalid"),
        ("https://evil.example\\.shop.example/cb", "invalid"),
        ("https://shop.example:99999/cb", "invalid"),
        ("https://shop.example/cb?x=#", "fragment"),
        ("https://dev@shop.example/cb", "userinfo"),
        ("https://dev:pw@shop.example/cb", "userinfo"),
        ("https:/cb", "not_absolute"),
        ("http:/cb", "https_required"),
        ("http://192.168.0.5/cb", "https_required"),
        ("ftp://shop.example/cb", "https_required"),
        ("javascript:alert(1)//", "https_required"),
        ("data:text/html,hi", "https_required"),
        ("file:///etc/passwd", "https_required"),
    ],
)
def test_uris_that_are_refused(uri, reason):
    for native in (False, True):
        with pytest.raises(InvalidClientMetadata) as refused:
            check_uri(uri, field="redirect_uris", native=native)
        assert (refused.value.field, refused.value.reason) == ("redirect_uris", reason)
        assert refused.value.value in (uri, None)


@pytest.mark.parametrize(
    "uri",
    [
        "HTTPS://shop.example/cb",
        "https://shop.example/cb?next=%2Fhome",
        "http://localhost:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]/cb",
    ],
)
def test_uris_that_are_accepted_as_they_are(uri):
    assert check_uri(uri, field="redirect_uris") == uri


@pytest.mark.parametrize("field", ["redirect_uris", "post_logout_redirect_uris"])
def test_a_client_registers_at_most_20_uris_of_a_kind(field):
    many = [f"https://shop.example/{n}" for n in range(MAX_URIS)]
    assert check_client_metadata(metadata(**{field: many}))[field] == many
    assert refusal({field: [*many, "https://shop.example/one-more"]}) == (field, "too_many")
    assert refusal({field: "https://shop.example/cb"}) == (field, "not_a_list")
    assert refusal({field: ["https://shop.example/cb#x"]}) == (field, "fragment")


def test_a_native_apps_post_logout_uri_may_use_its_own_scheme():
    native = metadata(
        redirect_uris=["com.example.shop:/cb"],
        post_logout_redirect_uris=["com.example.shop:/bye"],
        application_type="native",
    )
    assert check_client_metadata(native)["post_logout_redirect_uris"] == ["com.example.shop:/bye"]
    assert refusal({"post_logout_redirect_uris": ["com.example.shop:/bye"]}) == (
        "post_logout_redirect_uris",
        "private_scheme",
    )


def test_redirect_uris_are_required_only_of_clients_that_are_redirected_to():
    service = check_client_metadata({"grant_types": ["client_credentials"], "response_types": []})
    assert service["redirect_uris"] == [] and service["grant_types"] == ["client_credentials"]
    assert refusal({"redirect_uris": None}) == ("redirect_uris", "required")


@pytest.mark.parametrize(
    "field",
    [
        "backchannel_logout_uri",
        "security_events_endpoint",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
    ],
)
def test_every_page_and_endpoint_uri_is_checked_and_dropped_when_empty(field):
    assert check_client_metadata(metadata(**{field: "https://shop.example/x"}))[field] == (
        "https://shop.example/x"
    )
    assert field not in check_client_metadata(metadata(**{field: ""}))
    assert refusal({field: "http://shop.example/x"}) == (field, "https_required")


def test_the_pages_a_sign_in_page_links_and_the_logo_it_shows():
    shown = shown_pages(
        {
            "client_uri": "https://shop.example/",
            "policy_uri": "http://127.0.0.1:8000/privacy",
            "tos_uri": "ftp://shop.example/terms",
            "logo_uri": "http://127.0.0.1:8000/logo.png",
        }
    )
    assert shown == {
        "client_uri": "https://shop.example/",
        "policy_uri": "http://127.0.0.1:8000/privacy",
    }
    assert shown_pages({"logo_uri": "https://cdn.example/l.png"}) == {
        "logo_uri": "https://cdn.example/l.png"
    }
    assert shown_pages({}) == {}


# --- scope, contacts, names -----------------------------------------------------------


def test_scope():
    assert check_client_metadata(metadata(scope=None))["scope"] == ""
    assert check_client_metadata(metadata(scope=""))["scope"] == ""
    assert "scope" not in check_client_metadata(metadata())
    assert refusal({"scope": ["openid"]}) == ("scope", "invalid")
    assert refusal({"scope": 5}) == ("scope", "invalid")


def test_at_most_ten_contacts_each_an_address():
    ten = [f"dev{n}@shop.example" for n in range(MAX_CONTACTS)]
    assert check_client_metadata(metadata(contacts=ten))["contacts"] == ten
    assert check_client_metadata(metadata(contacts=[]))["contacts"] == []
    assert check_client_metadata(metadata(contacts=None))["contacts"] == []
    assert refusal({"contacts": [*ten, "one@more.example"]}) == ("contacts", "invalid")
    doubled = check_client_metadata(metadata(contacts=["a@shop.example", "a@shop.example"]))
    assert doubled["contacts"] == ["a@shop.example"]


@pytest.mark.parametrize(
    "contact",
    [
        "@shop.example",
        "dev@shop",
        "dev@shop.",
        "dev@.example",
        "dev @shop.example",
        "<dev@shop.example>",
        "dev@shop.example,x@y.example",
        "d" * 310 + "@shop.example",
        "",
        5,
    ],
)
def test_what_is_no_contact_address(contact):
    assert refusal({"contacts": [contact]}) == ("contacts", "invalid_email")


def test_the_longest_contact_address_is_320_characters():
    longest = "d" * (320 - len("@shop.example")) + "@shop.example"
    assert check_client_metadata(metadata(contacts=[longest]))["contacts"] == [longest]


def test_a_client_name_is_one_to_200_characters():
    assert check_client_metadata(metadata(client_name="x" * 200))["client_name"] == "x" * 200
    assert refusal({"client_name": "x" * 201}) == ("client_name", "invalid")
    assert refusal({"client_name": 7}) == ("client_name", "invalid")
    assert "client_name" not in check_client_metadata(metadata())


def test_application_type_defaults_to_web():
    assert check_client_metadata(metadata(application_type=""))["application_type"] == "web"
    native = metadata(application_type="native", redirect_uris=["http://127.0.0.1/cb"])
    assert check_client_metadata(native)["application_type"] == "native"


def test_the_whole_metadata_is_at_most_64_kib():
    room = MAX_METADATA_BYTES - len(json.dumps(metadata(software_id="")).encode())
    check_client_metadata(metadata(software_id="s" * room))  # exactly 64 KiB
    with pytest.raises(InvalidClientMetadata) as refused:
        check_client_metadata(metadata(software_id="s" * (room + 1)))
    assert refused.value.reason == "too_large"


def test_checked_metadata_is_never_checked_again():
    checked = check_client_metadata(metadata())
    assert isinstance(checked, CheckedMetadata)
    assert check_client_metadata(checked) is checked


# --- authentication, keys -------------------------------------------------------------


def test_the_authentication_method_and_its_assertion_algorithm():
    assert check_client_metadata(metadata())["token_endpoint_auth_method"] == (
        "client_secret_basic"
    )
    keyed = {"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [PUBLIC_KEY]}}
    for alg in ("RS256", "PS256", "ES256"):
        check_client_metadata(metadata(**keyed, token_endpoint_auth_signing_alg=alg))
    assert refusal({**keyed, "token_endpoint_auth_signing_alg": "HS256"}) == (
        "token_endpoint_auth_signing_alg",
        "unsupported",
    )
    check_client_metadata(
        metadata(
            token_endpoint_auth_method="client_secret_jwt", token_endpoint_auth_signing_alg="HS256"
        )
    )
    # A method that signs nothing may name any algorithm an assertion could have.
    check_client_metadata(metadata(token_endpoint_auth_signing_alg="ES256"))
    assert refusal({"token_endpoint_auth_signing_alg": "none"}) == (
        "token_endpoint_auth_signing_alg",
        "unsupported",
    )


def test_a_key_set_of_one_to_ten_public_keys():
    ten = {"keys": [{**PUBLIC_KEY, "kid": f"k{n}"} for n in range(MAX_KEYS)]}
    assert check_jwks(ten) == ten
    for refused_set, reason in (
        ({"keys": [*ten["keys"], PUBLIC_KEY]}, "invalid_keys"),
        ({"keys": ["not a key"]}, "invalid_keys"),
        ({"keys": PUBLIC_KEY}, "invalid_keys"),
        ([PUBLIC_KEY], "invalid_keys"),
        ({"keys": [{**PUBLIC_KEY, "x": "%%%"}]}, "invalid_keys"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private_keys"),
    ):
        with pytest.raises(InvalidClientMetadata) as refused:
            check_jwks(refused_set, field="jwks")
        assert (refused.value.field, refused.value.reason) == ("jwks", reason)


def test_keys_by_reference_are_checked_and_dropped_when_empty():
    stored = check_client_metadata(metadata(jwks_uri="https://shop.example/jwks.json"))
    assert stored["jwks_uri"] == "https://shop.example/jwks.json" and "jwks" not in stored
    assert "jwks_uri" not in check_client_metadata(metadata(jwks_uri=""))
    keyed = check_client_metadata(
        metadata(token_endpoint_auth_method="private_key_jwt", jwks_uri="https://shop.example/k")
    )
    assert keyed["token_endpoint_auth_method"] == "private_key_jwt"


# --- the authentication context, request objects --------------------------------------


def test_require_mfa_is_kept_only_when_true():
    assert check_client_metadata(metadata(require_mfa=True))["require_mfa"] is True
    assert "require_mfa" not in check_client_metadata(metadata(require_mfa=False))
    assert "require_mfa" not in check_client_metadata(metadata(require_mfa=None))
    assert refusal({"require_mfa": "yes"}) == ("require_mfa", "invalid")
    assert refusal({"require_mfa": 1}) == ("require_mfa", "invalid")


@pytest.mark.parametrize(
    "name",
    ["require_pushed_authorization_requests", "dpop_bound_access_tokens", "fapi2_security_profile"],
)
def test_the_flags_are_kept_only_when_true(name):
    """RFC 9126 §6, RFC 9449 §5.2 and the FAPI 2.0 profile: true or false, stored only when
    true (the FAPI profile's own rules are in test_fapi2.py, over HTTP)."""
    if name != "fapi2_security_profile":
        assert check_client_metadata(metadata(**{name: True}))[name] is True
    assert name not in check_client_metadata(metadata(**{name: False}))
    assert name not in check_client_metadata(metadata(**{name: None}))
    assert refusal({name: "yes"}) == (name, "invalid")
    assert refusal({name: 1}) == (name, "invalid")


def test_default_acr_values_are_up_to_ten_short_strings():
    ten = [f"urn:acr:{n}" for n in range(MAX_ACR_VALUES)]
    assert check_client_metadata(metadata(default_acr_values=ten))["default_acr_values"] == ten
    assert "default_acr_values" not in check_client_metadata(metadata(default_acr_values=[]))
    longest = "a" * 200
    assert check_client_metadata(metadata(default_acr_values=[longest]))["default_acr_values"] == [
        longest
    ]
    for refused_values in ([*ten, "one-more"], [""], ["a" * 201], [5], "urn:acr:1"):
        assert refusal({"default_acr_values": refused_values}) == (
            "default_acr_values",
            "invalid",
        )


def test_request_objects_signed_as_passport_verifies_from_short_web_addresses():
    for alg in ("none", "RS256", "ES256", "PS256"):
        stored = check_client_metadata(metadata(request_object_signing_alg=alg))
        assert stored["request_object_signing_alg"] == alg
    assert refusal({"request_object_signing_alg": "HS256"}) == (
        "request_object_signing_alg",
        "unsupported",
    )
    longest = uri_of_length(MAX_REQUEST_URI_LENGTH)
    stored = check_client_metadata(
        metadata(request_uris=[longest, longest, "https://shop.example/r.jwt#v2"])
    )
    assert stored["request_uris"] == [longest, "https://shop.example/r.jwt#v2"]
    assert "request_uris" not in check_client_metadata(metadata(request_uris=[]))
    assert "request_uris" not in check_client_metadata(metadata(request_uris=None))
    twenty = [f"https://shop.example/{n}.jwt" for n in range(MAX_URIS)]
    assert check_client_metadata(metadata(request_uris=twenty))["request_uris"] == twenty
    many = [f"https://shop.example/{n}" for n in range(MAX_URIS + 1)]
    for refused_uris, reason in (
        ([uri_of_length(MAX_REQUEST_URI_LENGTH + 1)], "too_long"),
        ([5], "too_long"),
        ("https://shop.example/r.jwt", "not_a_list"),
        (many, "not_a_list"),
        (["http://shop.example/r.jwt"], "https_required"),
    ):
        assert refusal({"request_uris": refused_uris}) == ("request_uris", reason)


# --- grant and response types ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"response_types": "code"}, "unsupported"),
        ({"response_types": {"code": True}}, "unsupported"),
        ({"response_types": [5]}, "unsupported"),
        ({"response_types": ["token"]}, "unsupported"),
        ({"grant_types": "authorization_code"}, "unsupported"),
        ({"grant_types": ["password"]}, "unsupported"),
    ],
)
def test_what_no_grant_or_response_type_is(fields, reason):
    field, why = refusal(fields)
    assert why == reason and field in ("grant_types", "response_types")


def test_a_public_client_cannot_use_client_credentials():
    assert refusal(
        {
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "client_credentials"],
        }
    ) == ("grant_types", "public_client_credentials")
    public = check_client_metadata(metadata(token_endpoint_auth_method="none"))
    assert public["grant_types"] == ["authorization_code"]


def test_grant_and_response_types_are_stored_whole_and_once():
    stored = check_client_metadata(
        metadata(
            grant_types=["authorization_code", "refresh_token", "authorization_code"],
            response_types=["code", "code"],
        )
    )
    assert stored["grant_types"] == ["authorization_code", "refresh_token"]
    assert stored["response_types"] == ["code"]
    assert check_client_metadata(metadata())["response_types"] == ["code"]
    service = check_client_metadata({"grant_types": ["client_credentials"], "response_types": None})
    assert service["response_types"] == []


@pytest.fixture
def implicit_on():
    app = Flask(__name__)
    app.config["IMPLICIT_FLOW"] = True
    with app.app_context():
        yield


def test_with_the_implicit_flow_on_its_response_types_come_with_its_grant(implicit_on):
    stored = check_client_metadata(metadata(response_types=["token id_token", "code"]))
    assert stored["response_types"] == ["id_token token", "code"]
    assert stored["grant_types"] == ["authorization_code", "implicit"]
    by_grant = check_client_metadata(metadata(grant_types=["implicit"]))
    assert by_grant["response_types"] == ["id_token"]
    both = check_client_metadata(metadata(grant_types=["authorization_code", "implicit"]))
    assert both["response_types"] == ["code", "id_token"]
    assert refusal({"response_types": ["id_token"], "grant_types": ["authorization_code"]}) == (
        "grant_types",
        "mismatch",
    )
    assert refusal({"response_types": ["code"], "grant_types": ["implicit"]}) == (
        "grant_types",
        "mismatch",
    )
    assert refusal({"response_types": ["token"]}) == ("response_types", "unsupported")
    assert refusal({"response_types": ["code id_token"]}) == ("response_types", "unsupported")
    implicit_only = check_client_metadata(
        metadata(response_types=["id_token"], grant_types=["implicit"])
    )
    assert implicit_only["grant_types"] == ["implicit"]


# --- subjects, signing -----------------------------------------------------------------


def test_a_pairwise_client_with_a_sector_document_may_redirect_to_several_hosts():
    stored = check_client_metadata(
        metadata(
            subject_type="pairwise",
            redirect_uris=["https://a.example/cb", "https://b.example/cb"],
            sector_identifier_uri="https://a.example/sector.json",
        )
    )
    assert stored["sector_identifier_uri"] == "https://a.example/sector.json"
    assert "sector_identifier_uri" not in check_client_metadata(metadata(sector_identifier_uri=""))
    public = check_client_metadata(
        metadata(redirect_uris=["https://a.example/cb", "https://b.example/cb"])
    )
    assert public["subject_type"] == "public"


def test_id_tokens_are_signed_as_the_client_registers():
    for alg in ("RS256", "ES256", "PS256"):
        stored = check_client_metadata(metadata(id_token_signed_response_alg=alg))
        assert stored["id_token_signed_response_alg"] == alg
    assert (
        check_client_metadata(metadata(id_token_signed_response_alg=""))[
            "id_token_signed_response_alg"
        ]
        == "RS256"
    )
    stored = check_client_metadata(metadata(userinfo_signed_response_alg="RS256"))
    assert stored["userinfo_signed_response_alg"] == "RS256"
