"""Each preset's user-data mapping, and the configuration of the providers; no network."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from server import create_app
from server.config import ConfigError
from server.federation import apple
from server.federation.presets import (
    map_apple,
    map_github,
    map_mailru,
    map_oidc_claims,
    map_vk,
    map_yandex,
)

from ...conftest import TEST_SETTINGS


def test_openid_claims_with_given_and_family_names():
    profile = map_oidc_claims(
        "google",
        {
            "sub": "1090",
            "given_name": "Anna",
            "family_name": "Smirnova",
            "email": "anna@example.org",
            "email_verified": True,
            "phone_number": "+79120000000",
            "phone_number_verified": False,
        },
    )
    assert (profile.subject, profile.name, profile.email) == (
        "1090",
        "Anna Smirnova",
        "anna@example.org",
    )
    assert profile.email_verified and profile.phone is None  # an unverified phone is not taken


def test_openid_claims_without_email_verified_are_not_verified():
    profile = map_oidc_claims("corp", {"sub": "x", "email": "a@example.org"})
    assert profile.email == "a@example.org" and not profile.email_verified


def test_vk_takes_the_email_from_the_token_response():
    token = {
        "access_token": "vk1.a",
        "expires_in": 86400,
        "user_id": 210700286,
        "email": "ivan@mail.example",
    }
    users = {"response": [{"id": 210700286, "first_name": "Иван", "last_name": "Петров"}]}
    profile = map_vk("vk", token, users)
    assert profile.subject == "210700286" and profile.name == "Иван Петров"
    assert profile.email == "ivan@mail.example" and profile.email_verified


def test_vk_without_email_permission():
    profile = map_vk(
        "vk", {"access_token": "t", "user_id": 5}, {"response": [{"id": 5, "first_name": "A"}]}
    )
    assert profile.email is None and not profile.email_verified and profile.subject == "5"


def test_github_takes_the_verified_primary_email():
    user = {"id": 583231, "login": "octocat", "name": None, "email": "public@example.org"}
    emails = [
        {"email": "old@example.org", "primary": False, "verified": True},
        {"email": "octo@example.org", "primary": True, "verified": True},
    ]
    profile = map_github("github", user, emails)
    assert profile.subject == "583231" and profile.name == "octocat"
    assert profile.email == "octo@example.org" and profile.email_verified


def test_github_passes_over_an_unverified_primary_email():
    emails = [
        {"email": "unconfirmed@example.org", "primary": True, "verified": False},
        {"email": "confirmed@example.org", "primary": False, "verified": True},
    ]
    profile = map_github("github", {"id": 1, "login": "o"}, emails)
    assert profile.email == "confirmed@example.org" and profile.email_verified


def test_github_with_no_verified_email_is_unverified():
    emails = [{"email": "unconfirmed@example.org", "primary": True, "verified": False}]
    profile = map_github("github", {"id": 1, "login": "o"}, emails)
    assert profile.email == "unconfirmed@example.org" and not profile.email_verified
    assert map_github("github", {"id": 2, "login": "p"}, []).email is None


def test_yandex_info():
    info = {
        "id": "1000034426",
        "login": "ivan",
        "real_name": "Иван Иванов",
        "display_name": "ivan",
        "default_email": "ivan@yandex.ru",
        "emails": ["ivan@yandex.ru", "other@yandex.ru"],
        "default_phone": {"id": 12345678, "number": "+79037659418"},
    }
    profile = map_yandex("yandex", info)
    assert (profile.subject, profile.name, profile.email) == (
        "1000034426",
        "Иван Иванов",
        "ivan@yandex.ru",
    )
    assert profile.email_verified and profile.phone == "+79037659418"


def test_mailru_userinfo():
    info = {
        "id": "3768418763",
        "email": "test@mail.ru",
        "first_name": "Тест",
        "last_name": "Тестов",
        "name": "",
    }
    profile = map_mailru("mailru", info)
    assert profile.subject == "3768418763" and profile.name == "Тест Тестов"
    assert profile.email == "test@mail.ru" and profile.email_verified


def test_apple_name_comes_only_with_the_first_sign_in():
    claims = {
        "sub": "001234.abcd",
        "email": "x1@privaterelay.appleid.com",
        "email_verified": "true",
    }
    user = json.dumps(
        {"name": {"firstName": "Olga", "lastName": "Ivanova"}, "email": claims["email"]}
    )
    first = map_apple("apple", claims, user)
    assert first.name == "Olga Ivanova" and first.email_verified  # Apple sends "true" as a string
    later = map_apple("apple", dict(claims, email_verified="false"), None)
    assert later.name is None and not later.email_verified and later.subject == "001234.abcd"
    assert map_apple("apple", claims, "not json").name is None


def test_apple_client_secret_is_an_es256_jwt_signed_with_the_team_key():
    key = ECKey.generate_key("P-256")
    secret = apple.client_secret(
        team_id="TEAM123456",
        client_id="org.example.passport",
        key_id="KEY1234567",
        private_key=key.as_pem(private=True).decode(),
        issued_at=1_700_000_000,
    )
    token = jwt.decode(secret, key, algorithms=["ES256"])
    assert token.header["kid"] == "KEY1234567" and token.header["alg"] == "ES256"
    assert token.claims == {
        "iss": "TEAM123456",
        "iat": 1_700_000_000,
        "exp": 1_700_000_000 + apple.SECRET_LIFETIME,
        "aud": "https://appleid.apple.com",
        "sub": "org.example.passport",
    }


def test_apple_secret_is_reused_then_renewed():
    key = ECKey.generate_key("P-256").as_pem(private=True).decode()
    secret = apple.AppleSecret(
        {"team_id": "T", "key_id": "K", "client_id": "c", "private_key": key}
    )
    assert secret.current() == secret.current()
    secret._issued_at -= apple.SECRET_LIFETIME
    assert jwt.decode(secret.current(), ECKey.import_key(key)).claims["iss"] == "T"


def app_with(tmp_path, providers):
    return create_app(
        dict(
            TEST_SETTINGS,
            INSTANCE_DIR=str(tmp_path / "instance"),
            KEYS_DIR=str(tmp_path / "keys"),
            DATABASE_URL="sqlite://",
            UPSTREAM_PROVIDERS=providers,
        )
    )


def test_presets_and_overridden_endpoints(tmp_path):
    app = app_with(
        tmp_path,
        {
            "github": {
                "client_id": "a",
                "client_secret": "b",
                "base_url": "https://git.example.org",
                "api_base_url": "https://git.example.org/api/v3",
            },
            "corp": {
                "issuer": "https://sso.example.org/",
                "client_id": "c",
                "client_secret": "ends with a slash/",
                "title": "Example SSO",
            },
            "old": {"preset": "yandex", "client_id": "d", "enabled": False},
        },
    )
    registry = app.extensions["passport.federation"]
    github, corp = registry.get("github"), registry.get("corp")
    assert registry.get("old") is None
    assert (
        github.title == "GitHub"
        and github.client.authorize_url == "https://git.example.org/login/oauth/authorize"
    )
    assert github.url("emails") == "https://git.example.org/api/v3/user/emails"
    assert (
        corp.title == "Example SSO"
        and corp.preset.openid
        and corp.issuer == "https://sso.example.org"
    )
    assert corp.client.client_secret == "ends with a slash/"
    assert (
        corp.client._server_metadata_url
        == "https://sso.example.org/.well-known/openid-configuration"
    )


@pytest.mark.parametrize(
    "providers, message",
    [
        ({"corp": {"client_id": "c"}}, "needs issuer"),
        ({"github": {"client_secret": "s"}}, "needs client_id"),
        ({"x": {"preset": "myspace", "client_id": "c"}}, "unknown preset"),
        (
            {"apple": {"client_id": "c", "team_id": "t", "key_id": "k", "private_key": "no"}},
            "Apple needs",
        ),
        ({"bad name!": {"issuer": "https://a.example", "client_id": "c"}}, "not a usable name"),
    ],
)
def test_misconfigured_providers_fail_at_start(tmp_path, providers, message):
    with pytest.raises(ConfigError, match=message):
        app_with(tmp_path, providers)


def test_providers_from_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "PASSPORT_UPSTREAM_PROVIDERS",
        json.dumps({"google": {"client_id": "g", "client_secret": "s"}}),
    )
    app = create_app(
        dict(
            TEST_SETTINGS,
            INSTANCE_DIR=str(tmp_path / "i"),
            KEYS_DIR=str(tmp_path / "k"),
            DATABASE_URL="sqlite://",
        )
    )
    assert app.extensions["passport.federation"].get("google").title == "Google"


def test_the_example_configuration_starts(tmp_path):
    import tomllib

    from server.config import RESOURCES

    with (RESOURCES / "config" / "upstream-providers.example.toml").open("rb") as handle:
        providers = tomllib.load(handle)["UPSTREAM_PROVIDERS"]
    key_file = tmp_path / "AuthKey.p8"
    key_file.write_bytes(ECKey.generate_key("P-256").as_pem(private=True))
    providers["apple"]["private_key_file"] = str(key_file)
    registry = app_with(tmp_path, providers).extensions["passport.federation"]
    assert [p.title for p in registry.all()] == [
        "Google",
        "Yandex ID",
        "VK ID",
        "Mail.ru",
        "Apple",
        "GitHub",
        "Company SSO",
    ]


def test_openid_claims_of_odd_types_or_sizes():
    profile = map_oidc_claims(
        "oidc",
        {
            "sub": 42,
            "name": ["Anna"],
            "given_name": {"x": 1},
            "email": "a" * 400 + "@example.org",
            "email_verified": True,
            "phone_number": 79120000000,
            "phone_number_verified": True,
        },
    )
    assert (profile.subject, profile.name, profile.email, profile.email_verified) == (
        "42",
        None,
        None,
        False,
    )
    assert profile.phone is None


@pytest.mark.parametrize("sub", [None, True, ["1"], {"id": 1}, "", "  ", "x" * 256])
def test_an_openid_subject_that_is_no_identifier_is_refused(sub):
    with pytest.raises(ValueError):
        map_oidc_claims("oidc", {"sub": sub})


class _Metadata:
    def __init__(self, metadata: dict):
        self.metadata = metadata

    def load_server_metadata(self) -> dict:
        return self.metadata


@pytest.mark.parametrize(
    "claims_supported, auth_time, taken",
    [
        (["sub", "auth_time"], 1_000_000, True),
        (["sub", "auth_time"], 1_000_000 - 3600, False),  # an old sign-in answered silently
        (["sub", "auth_time"], None, False),  # promised and missing
        (None, None, False),  # nothing said: OIDC Core's rule holds
        (["sub", "email"], None, True),  # a provider that never sends it (Google)
        (["sub", "email"], 1_000_000 - 3600, False),  # sent, and old
        (["sub", "auth_time"], "1000000", False),
    ],
)
def test_a_fresh_sign_in_is_read_from_auth_time(claims_supported, auth_time, taken):
    from types import SimpleNamespace

    from server.domain.errors import UpstreamFailed
    from server.federation import flow
    from server.federation.presets import PRESETS

    metadata = {} if claims_supported is None else {"claims_supported": claims_supported}
    provider = SimpleNamespace(preset=PRESETS["google"], client=_Metadata(metadata))
    claims = {"sub": "1"} if auth_time is None else {"sub": "1", "auth_time": auth_time}
    intent = {"fresh_after": 1_000_000}
    if taken:
        flow._check_fresh(provider, {"userinfo": claims}, intent)
    else:
        with pytest.raises(UpstreamFailed):
            flow._check_fresh(provider, {"userinfo": claims}, intent)
