"""Ready presets for the networks Passport's people use, and generic OpenID Connect.

Each preset says where the provider's endpoints are, which scopes to ask, which extra
parameters mean "choose an account" and "sign in again", and how its user data maps to an
UpstreamProfile. Endpoint URLs can be overridden per provider in the configuration
(GitHub Enterprise, a test double).

The mapping functions are pure: they take what the provider returned and build the profile,
so each provider's quirks are tested without the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .profile import UpstreamProfile, joined_name, truthy

VK_API_VERSION = "5.199"


@dataclass(frozen=True)
class Preset:
    title: str
    scope: str
    # An OpenID Connect provider: the identity comes from its validated ID token.
    openid: bool = False
    # For OpenID Connect: where the discovery document is ({issuer} is replaced).
    server_metadata_url: str | None = None
    # For plain OAuth 2.0: the endpoints; {base_url} and {api_base_url} are replaced.
    endpoints: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    token_endpoint_auth_method: str = "client_secret_basic"
    pkce: bool = True
    # Apple answers with a POST to the callback (response_mode=form_post).
    form_post: bool = False
    # Extra authorization parameters: pick an account (linking), sign in again (re-auth).
    choose_account: dict[str, str] = field(default_factory=dict)
    reauthenticate: dict[str, str] = field(default_factory=dict)
    # Reads the user data of a finished flow: fetch(client, token, form) -> UpstreamProfile.
    fetch: Callable | None = None


# --- mappings (pure) -------------------------------------------------------------------


def map_oidc_claims(provider: str, claims: dict) -> UpstreamProfile:
    """ID token (and userinfo) claims of OpenID Connect Core §5.1."""
    phone = claims.get("phone_number") if truthy(claims.get("phone_number_verified")) else None
    return UpstreamProfile(
        provider=provider,
        subject=claims["sub"],
        name=claims.get("name") or joined_name(claims.get("given_name"), claims.get("family_name")),
        email=claims.get("email") or None,
        email_verified=truthy(claims.get("email_verified")),
        phone=phone,
    )


def map_apple(provider: str, claims: dict, user_field: str | None) -> UpstreamProfile:
    """Apple's ID token has no name: the name comes once, on the first sign-in, in the
    `user` form field of the callback (a JSON object); later sign-ins carry none."""
    name = None
    if user_field:
        try:
            user = json.loads(user_field)
        except ValueError:
            user = {}
        names = user.get("name") if isinstance(user, dict) else None
        if isinstance(names, dict):
            name = joined_name(names.get("firstName"), names.get("lastName"))
    profile = map_oidc_claims(provider, claims)
    return UpstreamProfile(
        provider=provider,
        subject=profile.subject,
        name=name,
        email=profile.email,
        email_verified=profile.email_verified,
    )


def map_github(provider: str, user: dict, emails: list | None) -> UpstreamProfile:
    """GitHub's /user has the public e-mail at best; /user/emails says which is the
    primary one and whether it is verified."""
    email, verified = None, False
    entries = [e for e in (emails or []) if isinstance(e, dict) and e.get("email")]
    chosen = next((e for e in entries if e.get("primary")), None)
    if chosen is None or not chosen.get("verified"):
        chosen = next((e for e in entries if e.get("verified")), chosen)
    if chosen is not None:
        email, verified = chosen["email"], bool(chosen.get("verified"))
    elif user.get("email"):
        email = user["email"]
    return UpstreamProfile(
        provider=provider,
        subject=user["id"],
        name=user.get("name") or user.get("login"),
        email=email,
        email_verified=verified,
    )


def map_yandex(provider: str, info: dict) -> UpstreamProfile:
    """login.yandex.ru/info: Yandex gives only addresses it has confirmed."""
    phone = (info.get("default_phone") or {}).get("number")
    email = info.get("default_email") or next(iter(info.get("emails") or []), None)
    return UpstreamProfile(
        provider=provider,
        subject=info["id"],
        name=info.get("real_name") or info.get("display_name") or info.get("login"),
        email=email,
        email_verified=bool(email),
        phone=phone,
    )


def map_vk(provider: str, token: dict, users: dict) -> UpstreamProfile:
    """VK gives the e-mail in the token response (only a confirmed one), the rest in users.get."""
    person = ((users or {}).get("response") or [{}])[0]
    subject = token.get("user_id") or person.get("id")
    email = token.get("email") or None
    return UpstreamProfile(
        provider=provider,
        subject=subject,
        name=joined_name(person.get("first_name"), person.get("last_name")),
        email=email,
        email_verified=bool(email),
    )


def map_mailru(provider: str, info: dict) -> UpstreamProfile:
    """oauth.mail.ru/userinfo: the e-mail is the Mail.ru mailbox itself."""
    email = info.get("email") or None
    return UpstreamProfile(
        provider=provider,
        subject=info["id"],
        name=info.get("name") or joined_name(info.get("first_name"), info.get("last_name")),
        email=email,
        email_verified=bool(email),
    )


# --- fetching (over the network, through the Authlib client) ---------------------------


def _json(response):
    response.raise_for_status()
    return response.json()


def fetch_oidc(provider, client, token, form) -> UpstreamProfile:
    claims = dict(token["userinfo"])
    if not claims.get("email") and client.load_server_metadata().get("userinfo_endpoint"):
        extra = dict(client.userinfo(token=token))
        if extra.get("sub") == claims["sub"]:  # OIDC Core §5.3.2: the same subject or nothing
            claims = {**extra, **claims}
    return map_oidc_claims(provider.name, claims)


def fetch_apple(provider, client, token, form) -> UpstreamProfile:
    return map_apple(provider.name, dict(token["userinfo"]), form.get("user"))


def fetch_github(provider, client, token, form) -> UpstreamProfile:
    headers = {"Accept": "application/vnd.github+json"}
    user = _json(client.get(provider.url("user"), token=token, headers=headers))
    emails = _json(client.get(provider.url("emails"), token=token, headers=headers))
    return map_github(provider.name, user, emails if isinstance(emails, list) else [])


def fetch_yandex(provider, client, token, form) -> UpstreamProfile:
    # Yandex's own scheme is "Authorization: OAuth <token>".
    headers = {"Authorization": "OAuth " + token["access_token"]}
    info = _json(
        client.get(
            provider.url("userinfo"),
            params={"format": "json"},
            headers=headers,
            withhold_token=True,
        )
    )
    return map_yandex(provider.name, info)


def fetch_vk(provider, client, token, form) -> UpstreamProfile:
    params = {"access_token": token["access_token"], "v": VK_API_VERSION}
    users = _json(client.get(provider.url("userinfo"), params=params, withhold_token=True))
    return map_vk(provider.name, token, users)


def fetch_mailru(provider, client, token, form) -> UpstreamProfile:
    params = {"access_token": token["access_token"]}
    info = _json(client.get(provider.url("userinfo"), params=params, withhold_token=True))
    return map_mailru(provider.name, info)


OIDC = Preset(
    title="OpenID Connect",
    scope="openid email profile",
    openid=True,
    server_metadata_url="{issuer}/.well-known/openid-configuration",
    choose_account={"prompt": "select_account"},
    reauthenticate={"prompt": "login", "max_age": "0"},
    fetch=fetch_oidc,
)

PRESETS: dict[str, Preset] = {
    "oidc": OIDC,
    "google": replace(
        OIDC,
        title="Google",
        server_metadata_url="https://accounts.google.com/.well-known/openid-configuration",
    ),
    "apple": Preset(
        title="Apple",
        scope="openid name email",
        openid=True,
        server_metadata_url="https://appleid.apple.com/.well-known/openid-configuration",
        token_endpoint_auth_method="client_secret_post",
        pkce=False,
        form_post=True,
        fetch=fetch_apple,
    ),
    "yandex": Preset(
        title="Yandex ID",
        scope="login:info login:email",
        endpoints={
            "authorize_url": "https://oauth.yandex.ru/authorize",
            "access_token_url": "https://oauth.yandex.ru/token",
        },
        urls={"userinfo": "https://login.yandex.ru/info"},
        choose_account={"force_confirm": "yes"},
        reauthenticate={"force_confirm": "yes"},
        fetch=fetch_yandex,
    ),
    "vk": Preset(
        title="VK ID",
        scope="email",
        endpoints={
            "authorize_url": "https://oauth.vk.com/authorize",
            "access_token_url": "https://oauth.vk.com/access_token",
        },
        urls={"userinfo": "https://api.vk.com/method/users.get"},
        token_endpoint_auth_method="client_secret_post",
        pkce=False,
        choose_account={"revoke": "1"},
        reauthenticate={"revoke": "1"},
        fetch=fetch_vk,
    ),
    "mailru": Preset(
        title="Mail.ru",
        scope="userinfo",
        endpoints={
            "authorize_url": "https://oauth.mail.ru/login",
            "access_token_url": "https://oauth.mail.ru/token",
        },
        urls={"userinfo": "https://oauth.mail.ru/userinfo"},
        token_endpoint_auth_method="client_secret_post",
        pkce=False,
        choose_account={"prompt": "select_account"},
        reauthenticate={"prompt": "login"},
        fetch=fetch_mailru,
    ),
    "github": Preset(
        title="GitHub",
        scope="read:user user:email",
        endpoints={
            "authorize_url": "{base_url}/login/oauth/authorize",
            "access_token_url": "{base_url}/login/oauth/access_token",
        },
        urls={"user": "{api_base_url}/user", "emails": "{api_base_url}/user/emails"},
        token_endpoint_auth_method="client_secret_post",
        choose_account={"prompt": "select_account"},
        reauthenticate={"prompt": "select_account"},
        fetch=fetch_github,
    ),
}

# Defaults of the {placeholders} in endpoint URLs, per preset.
URL_DEFAULTS = {
    "github": {"base_url": "https://github.com", "api_base_url": "https://api.github.com"}
}
