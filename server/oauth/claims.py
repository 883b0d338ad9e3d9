"""Which claims about a person a portal gets, and where.

OIDC Core §5.4: a scope asks for its claims at the userinfo endpoint (the code flow always
issues an access token), so an ID token carries the sign-in's own claims only. §5.5: the
claims parameter asks for individual claims, for the ID token, for userinfo, or both; a
portal gets them when it may ask for the scope they belong to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError, scope_to_list
from authlib.oidc.core import UserInfo

from ..domain.client_metadata import SCOPES_SUPPORTED
from ..domain.photos import photo_url

__all__ = [
    "CLAIMS_SUPPORTED",
    "SCOPES_SUPPORTED",
    "ClaimsParameter",
    "ClaimsRequest",
    "id_token_claims",
    "user_info",
]

# OIDC Core §5.4: the claims each scope stands for.
SCOPE_CLAIMS = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "profile": ("name", "picture", "zoneinfo", "locale", "updated_at"),
    "address": ("address",),
}
CLAIM_SCOPE = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    *CLAIM_SCOPE,
]
# Where the claims parameter may ask for claims (§5.5).
TARGETS = ("userinfo", "id_token")


@dataclass(frozen=True)
class ClaimsRequest:
    """The claims parameter (OIDC Core §5.5): for each target, the claims asked for, each
    with its request ({} for null; else essential, value, values as §5.5.1 has them)."""

    userinfo: dict[str, dict[str, Any]] = field(default_factory=dict)
    id_token: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, payload) -> ClaimsRequest:
        """The request's claims parameter, read. Raises InvalidRequestError when it is not
        what §5.5 describes: a JSON object of targets, each an object of claims whose
        requests are null or objects."""
        value = payload.data.get("claims")
        if value in (None, ""):
            return cls()
        try:
            claims = json.loads(value) if isinstance(value, str) else value
        except (ValueError, RecursionError):
            raise InvalidRequestError("The claims parameter is not JSON.") from None
        if not isinstance(claims, dict):
            raise InvalidRequestError("The claims parameter must be a JSON object.")
        targets = {}
        for target in TARGETS:
            asked = claims.get(target) or {}
            if not isinstance(asked, dict):
                raise InvalidRequestError(f"claims.{target} must be a JSON object.")
            targets[target] = {name: _claim(target, name, spec) for name, spec in asked.items()}
        return cls(**targets)

    def releasable(self, client) -> dict[str, list[str]]:
        """What to keep with the code: per target, the person's claims asked for whose
        scope the client may ask for. The others it does not get (§5.5.1: no error)."""
        kept = {}
        for target in TARGETS:
            names = [
                name
                for name in getattr(self, target)
                if name in CLAIM_SCOPE and client.get_allowed_scope(CLAIM_SCOPE[name])
            ]
            if names:
                kept[target] = names
        return kept

    def scopes(self, client) -> list[str]:
        """The scopes of the claims this request gets, as consent must cover them."""
        kept = self.releasable(client)
        return list(dict.fromkeys(CLAIM_SCOPE[n] for names in kept.values() for n in names))


def _claim(target: str, name: str, spec: object) -> dict[str, Any]:
    # The claim's name stays out of the message: an error description is plain ASCII.
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise InvalidRequestError(f"Each claim in claims.{target} must be null or an object.")
    if not isinstance(spec.get("essential", False), bool):
        raise InvalidRequestError(f"An essential member in claims.{target} is not a boolean.")
    if not isinstance(spec.get("values", []), list):
        raise InvalidRequestError(f"A values member in claims.{target} is not an array.")
    if name == "sub" and not isinstance(spec.get("value", ""), str):
        raise InvalidRequestError(f"The value of claims.{target}.sub must be a string.")
    return spec


class ClaimsParameter:
    """A grant extension refusing a claims parameter that is not §5.5's shape, back at the
    client (Authlib sends errors of this hook to the checked redirect URI)."""

    def __call__(self, grant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant, _result=None) -> None:
        ClaimsRequest.of(grant.request.payload)


def _values(account) -> dict[str, Any]:
    """What Passport holds of the person, by claim name; what it does not hold is absent."""
    values: dict[str, Any] = {}
    if account.email:
        values["email"] = account.email
        values["email_verified"] = bool(account.email_verified)
    if account.phone:
        values["phone_number"] = account.phone
        values["phone_number_verified"] = bool(account.phone_verified)
    if account.name:
        values["name"] = account.name
    if account.photo_id:
        values["picture"] = photo_url(account.photo_id)
    if account.zoneinfo:
        values["zoneinfo"] = account.zoneinfo
    if account.locale:
        values["locale"] = account.locale
    if account.address:
        values["address"] = dict(account.address)  # OIDC Core §5.1.1
    values["updated_at"] = int(account.updated_at.timestamp())
    return values


def user_info(
    account, scope: str, requested: dict | None = None, *, sub: str | None = None
) -> UserInfo:
    """Userinfo (§5.3.2): sub, the claims of the granted scopes (§5.4), and those the
    claims parameter asked userinfo for (§5.5). `sub` is the one the client knows the
    person by (pairwise, §8), the account's public one by default."""
    names = [c for s in scope_to_list(scope) or [] for c in SCOPE_CLAIMS.get(s, ())]
    names += (requested or {}).get("userinfo", [])
    values = _values(account)
    info = UserInfo(sub=sub or account.sub)
    info.update((name, values[name]) for name in names if name in values)
    return info


def id_token_claims(
    account, requested: dict | None = None, *, sub: str | None = None
) -> dict[str, Any]:
    """The person's claims an ID token carries: only those the claims parameter asked the
    ID token for (§5.5); the scopes' claims are userinfo's (§5.4). `sub` as in user_info."""
    values = _values(account)
    names = (requested or {}).get("id_token", [])
    return {"sub": sub or account.sub, **{name: values[name] for name in names if name in values}}
