"""Sending a person to an upstream provider, and reading what it sends back.

Authlib keeps the state, nonce and PKCE verifier of each flow in the signed session
cookie; Passport adds the `intent` of the flow (sign in, link, confirm) to the same
record, so the callback knows what it was for and a callback this browser did not start
is refused.
"""

from __future__ import annotations

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from flask import current_app, redirect, request, session, url_for
from joserfc.errors import JoseError

from .. import clock
from ..domain.errors import UpstreamFailed
from .profile import UpstreamProfile
from .registry import Provider

# Clock skew allowed between Passport and a provider when reading auth_time (as Authlib
# allows for the ID token's other times).
AUTH_TIME_LEEWAY = 120


def callback_url(provider: Provider) -> str:
    return current_app.config["ISSUER"] + url_for("social.callback", provider=provider.name)


def start(provider: Provider, *, purpose: str, intent: dict):
    """Redirect to the provider. `purpose`: "sign_in", "choose" (linking) or "reauthenticate"."""
    redirect_uri = callback_url(provider)
    if purpose == "reauthenticate":
        intent = dict(intent, fresh_after=clock.timestamp())
    with _upstream_errors(intent):
        provider.check_issuer()
        found = provider.client.create_authorization_url(
            redirect_uri, **provider.authorize_params(purpose)
        )
    url = found.pop("url")
    provider.client.save_authorize_data(redirect_uri=redirect_uri, intent=intent, **found)
    return redirect(url)


def callback_values():
    return request.form if request.method == "POST" else request.args


def pending_intent(provider: Provider) -> dict | None:
    """The intent of the flow this callback answers, or None when this browser did not start it."""
    state = callback_values().get("state")
    if not state:
        return None
    data = provider.client.framework.get_state_data(session, state)
    return None if data is None else dict(data.get("intent") or {})


def finish(provider: Provider) -> tuple[UpstreamProfile, dict]:
    """Check the callback, redeem the code, validate the ID token, map the user data.

    Raises UpstreamFailed; the flow's state is used up either way.
    """
    values = callback_values()
    intent = pending_intent(provider)
    if intent is None:
        raise UpstreamFailed("state")
    if values.get("error") or not values.get("code"):
        provider.client.framework.clear_state_data(session, values.get("state"))
        cancelled = values.get("error") == "access_denied"
        raise UpstreamFailed("cancelled" if cancelled else "refused", intent)
    provider.refresh_secret()
    with _upstream_errors(intent):
        _check_response_issuer(provider, values.get("iss"), intent)
        token = provider.client.authorize_access_token()
        if provider.preset.openid and not token.get("userinfo"):
            raise UpstreamFailed("invalid", intent)  # an OpenID provider must send an ID token
        _check_fresh(provider, token, intent)
        # UpstreamProfile refuses a missing or malformed subject (ValueError: "invalid").
        profile = provider.preset.fetch(provider, provider.client, token, values)
    return profile, intent


def _check_fresh(provider: Provider, token: dict, intent: dict) -> None:
    """A fresh sign-in was asked for with max_age=0: the ID token's auth_time must say the
    person signed in during this very flow (OIDC Core §3.1.2.1 and §3.1.3.7), not that the
    provider let a session it already had answer for them."""
    after = intent.get("fresh_after")
    if (
        after is None
        or not provider.preset.openid
        or "max_age" not in provider.preset.reauthenticate
    ):
        return
    auth_time = token["userinfo"].get("auth_time")
    if auth_time is None:
        # OIDC Core says an ID token answering max_age carries auth_time; a provider whose
        # metadata lists its claims without it (Google) can only be taken at its prompt=login.
        supported = provider.client.load_server_metadata().get("claims_supported")
        if isinstance(supported, list) and "auth_time" not in supported:
            return
    if (
        isinstance(auth_time, bool)
        or not isinstance(auth_time, (int, float))
        or auth_time < after - AUTH_TIME_LEEWAY
    ):
        raise UpstreamFailed("invalid", intent)


def _check_response_issuer(provider: Provider, iss: str | None, intent: dict) -> None:
    """RFC 9207: an answer naming another issuer is a mix-up, and so is one without `iss`
    from a provider whose metadata says it always sends it; the state is used up."""
    if not provider.preset.openid:
        return
    metadata = provider.client.load_server_metadata()
    if iss is None and metadata.get("authorization_response_iss_parameter_supported") is not True:
        return
    expected = metadata.get("issuer")
    if expected and iss != expected:
        provider.client.framework.clear_state_data(session, callback_values().get("state"))
        raise UpstreamFailed("invalid", intent)


class _upstream_errors:  # noqa: N801 - used as a `with` block
    """Turns what can go wrong talking to a provider into UpstreamFailed."""

    def __init__(self, intent: dict):
        self.intent = intent

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or isinstance(error, UpstreamFailed):
            return False
        if isinstance(error, MismatchingStateError):
            raise UpstreamFailed("state", self.intent) from error
        if isinstance(error, (requests.ConnectionError, requests.Timeout)):
            current_app.logger.warning("upstream unreachable: %s", type(error).__name__)
            raise UpstreamFailed("unreachable", self.intent) from error
        if isinstance(error, OAuthError):
            current_app.logger.warning("upstream refused: %s", error.error)
            raise UpstreamFailed("refused", self.intent) from error
        if isinstance(
            error,
            (
                AuthlibBaseError,
                JoseError,
                requests.RequestException,
                RuntimeError,
                ValueError,
                LookupError,
                TypeError,
                AttributeError,
            ),
        ):
            current_app.logger.warning("upstream answer refused: %s", type(error).__name__)
            raise UpstreamFailed("invalid", self.intent) from error
        return False
