"""The upstream providers of one app, built from UPSTREAM_PROVIDERS at start.

Each configured provider gets an Authlib Flask client (registered on an `OAuth` object of
this app, kept in app.extensions), so discovery, JWKS, ID-token validation, nonce, PKCE
and state are Authlib's.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask

from ..config import ConfigError
from .apple import AppleSecret
from .presets import PRESETS, URL_DEFAULTS, Preset

EXTENSION = "passport.federation"
BASE_URLS = ("issuer", "base_url", "api_base_url")


@dataclass
class Provider:
    name: str
    title: str
    preset_name: str
    preset: Preset
    client: object
    urls: dict[str, str]
    apple_secret: AppleSecret | None = None
    issuer: str | None = None

    def check_issuer(self) -> None:
        """OIDC Discovery §4.3: the document must name the issuer it was fetched for."""
        if self.issuer is None:
            return
        found = str(self.client.load_server_metadata().get("issuer", "")).rstrip("/")
        if found != self.issuer:
            raise ValueError(f"the discovery document of {self.name} names another issuer")

    def url(self, key: str) -> str:
        return self.urls[key]

    def authorize_params(self, purpose: str) -> dict[str, str]:
        """Extra parameters: "choose" (linking) or "reauthenticate" (a fresh sign-in)."""
        params = {}
        if purpose == "choose":
            params.update(self.preset.choose_account)
        elif purpose == "reauthenticate":
            params.update(self.preset.reauthenticate)
        if self.preset.openid and "prompt" in params:
            # OIDC Discovery: use a prompt value only where the provider lists it.
            supported = self.client.load_server_metadata().get("prompt_values_supported")
            if supported is not None and params["prompt"] not in supported:
                params["prompt"] = "login" if "login" in supported else None
                if params["prompt"] is None:
                    del params["prompt"]
        if self.preset.form_post:
            params["response_mode"] = "form_post"
        return params

    def refresh_secret(self) -> None:
        if self.apple_secret is not None:
            self.client.client_secret = self.apple_secret.current()


class Registry:
    def __init__(self, providers: dict[str, Provider]):
        self.providers = providers

    def get(self, name: str) -> Provider | None:
        return self.providers.get(name)

    def all(self) -> list[Provider]:
        return list(self.providers.values())


def init_federation(app: Flask) -> None:
    configured = app.config.get("UPSTREAM_PROVIDERS") or {}
    oauth = OAuth(app)
    providers = {}
    for name, settings in configured.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"UPSTREAM_PROVIDERS.{name} must be a table of settings")
        if settings.get("enabled", True):
            providers[name] = _build(oauth, name, settings, app.config["UPSTREAM_TIMEOUT"])
    app.extensions[EXTENSION] = Registry(providers)


def _build(oauth: OAuth, name: str, settings: dict, timeout: float) -> Provider:
    if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 64:
        raise ConfigError(
            f"UPSTREAM_PROVIDERS: {name!r} is not a usable name (letters, digits, -, _)"
        )
    preset_name = settings.get("preset") or (name if name in PRESETS else "oidc")
    preset = PRESETS.get(preset_name)
    if preset is None:
        known = ", ".join(sorted(PRESETS))
        raise ConfigError(f"UPSTREAM_PROVIDERS.{name}: unknown preset {preset_name!r} ({known})")
    for required in ("client_id",) + (("issuer",) if preset_name == "oidc" else ()):
        if not settings.get(required):
            raise ConfigError(f"UPSTREAM_PROVIDERS.{name} needs {required}")
    # The base URLs the presets' endpoint templates are made of ({issuer}, {base_url}, …).
    values = dict(URL_DEFAULTS.get(preset_name, {}))
    values.update({k: str(settings[k]).rstrip("/") for k in BASE_URLS if settings.get(k)})
    client_kwargs = {
        "scope": settings.get("scope") or preset.scope,
        "token_endpoint_auth_method": preset.token_endpoint_auth_method,
        "default_timeout": float(settings.get("timeout") or timeout),
    }
    if preset.pkce:
        client_kwargs["code_challenge_method"] = "S256"
    register = {"client_id": settings["client_id"], "client_secret": settings.get("client_secret")}
    if preset.openid:
        register["server_metadata_url"] = settings.get("server_metadata_url") or (
            preset.server_metadata_url.format(**values)
        )
    for key, template in preset.endpoints.items():
        register[key] = settings.get(key) or template.format(**values)
    apple_secret = None
    if preset_name == "apple":
        try:
            apple_secret = AppleSecret(settings)
        except (KeyError, ValueError, OSError) as error:
            raise ConfigError(
                f"UPSTREAM_PROVIDERS.{name}: Apple needs team_id, key_id and private_key "
                f"(or private_key_file) of an ES256 key: {error}"
            ) from error
    client = oauth.register(name, client_kwargs=client_kwargs, **register)
    urls = {
        key: settings.get(f"{key}_url") or template.format(**values)
        for key, template in preset.urls.items()
    }
    return Provider(
        name=name,
        title=settings.get("title") or (name if preset_name == "oidc" else preset.title),
        preset_name=preset_name,
        preset=preset,
        client=client,
        urls=urls,
        apple_secret=apple_secret,
        issuer=values.get("issuer") if preset.openid and preset_name == "oidc" else None,
    )
