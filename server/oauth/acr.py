"""The authentication context a request asks for, and the one its answer states.

OIDC Core §3.1.2.1: acr_values are voluntary, "in order of preference"; the request is
satisfied as well as this person can be, and the ID token's acr says how. §5.5.1.1: an acr
asked for as an essential claim must be met, or the request fails — back at the client,
with unmet_authentication_requirements (OpenID Connect Core Error Code
unmet_authentication_requirements 1.0). A portal that must have a second factor says so
in its registration (`require_mfa`), and a person without one is told to turn it on.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import InteractionRequiredError
from flask import current_app

from ..domain import factors
from ..models import LoginSession
from .claims import ClaimsRequest


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """The person cannot be authenticated as an essential acr claim requires."""

    error = "unmet_authentication_requirements"


@dataclass(frozen=True)
class Step:
    """What the authorization endpoint does next about the authentication context."""

    acr: str | None = None  # go on; the answer states this acr
    step_up: bool = False  # sign in again, with the second factor
    turn_on_mfa: bool = False  # the portal requires a second factor the person has not


def requested(grant) -> tuple[tuple[str, ...], bool]:
    """The acr values asked for, in order of preference, and whether they are essential:
    an acr claim with values in the claims parameter, else acr_values, else the client's
    default_acr_values (OIDC Registration §2)."""
    spec = ClaimsRequest.of(grant.request.payload).id_token.get("acr") or {}
    values = spec.get("values") or ([spec["value"]] if "value" in spec else [])
    if values:
        return tuple(v for v in values if isinstance(v, str)), bool(spec.get("essential"))
    asked = (grant.request.payload.data.get("acr_values") or "").split()
    if asked:
        return tuple(asked), False
    return tuple(grant.client.client_metadata.get("default_acr_values") or ()), False


def satisfied(login_session: LoginSession, wanted: str) -> bool:
    """The sign-in meets `wanted`: its own acr, or one a second factor adds to (a password
    or a social network sign-in, then a second factor, meets a request for either)."""
    config = current_app.config
    if wanted == login_session.acr:
        return True
    if login_session.acr != config["ACR_MFA"]:
        return False
    methods = login_session.amr or []
    return (wanted == config["ACR_PASSWORD"] and "pwd" in methods) or (
        wanted == config["ACR_FEDERATED"] and "fed" in methods
    )


def next_step(grant, login_session: LoginSession, *, interactive: bool) -> Step:
    """Decide, for a signed-in person, what the request's authentication context needs.

    Raises UnmetAuthenticationRequirementsError for an essential acr this person cannot
    meet, and InteractionRequiredError when meeting what must be met needs the person but
    prompt=none forbids asking.
    """
    mfa = current_app.config["ACR_MFA"]
    has_mfa = login_session.acr == mfa
    if grant.client.client_metadata.get("require_mfa") and not has_mfa:
        return _ask(grant, interactive, turn_on=not factors.is_enabled(login_session.account))
    values, essential = requested(grant)
    # In order of preference: the first value this sign-in meets, or a second step for a
    # second factor the person has.
    for wanted in values:
        if satisfied(login_session, wanted):
            return Step(acr=wanted)
        if wanted == mfa and interactive and factors.is_enabled(login_session.account):
            return Step(step_up=True)
    if not essential:
        return Step(acr=login_session.acr)  # voluntary: the best this person can do now
    if mfa in values and factors.is_enabled(login_session.account):
        raise InteractionRequiredError(redirect_uri=grant.redirect_uri)
    raise UnmetAuthenticationRequirementsError(
        "The sign-in cannot meet the acr values asked for.", redirect_uri=grant.redirect_uri
    )


def _ask(grant, interactive: bool, *, turn_on: bool = False) -> Step:
    if not interactive:
        raise InteractionRequiredError(redirect_uri=grant.redirect_uri)
    return Step(turn_on_mfa=turn_on, step_up=not turn_on)
