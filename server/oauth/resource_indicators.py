"""Resource indicators (RFC 8707): `resource` at the authorization and token endpoints names
the API a token is for; the access token's `aud` is then that resource (or those).

- At /authorize each resource must be one the operators registered (domain/resources.py),
  or the request is refused with invalid_target at the redirect URI (§2). The code keeps
  them, and so does the grant it starts.
- At the token endpoint `resource` narrows: a code's or a refresh token's token may be made
  for some of the resources the authorization named, never another (invalid_target).
  Without one, the token is for all of them; without any at all, for Passport (userinfo).
- client_credentials names registered resources directly.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidScopeError, scope_to_list
from flask import g

from ..domain import resources


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2, RFC 8693 §2.2.2: the resource or audience is unknown or not acceptable."""

    error = "invalid_target"
    status_code = 400


def named(payload) -> list[str]:
    """The `resource` values of a request (the parameter may be repeated, §2)."""
    values = payload.datalist.get("resource") if hasattr(payload, "datalist") else None
    if values is None:
        one = payload.data.get("resource")
        values = [one] if one else []
    return list(values)


def checked(values) -> list[str]:
    if not values:
        return []
    try:
        return resources.checked(values)
    except resources.UnknownResource as error:
        raise InvalidTargetError(str(error)) from None


class ResourceIndicators:
    """A grant extension: the resources of an authorization request, checked (§2)."""

    def __call__(self, grant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant, _result=None) -> None:
        asked = checked(named(grant.request.payload))
        registered = resources.registered()
        for scope in scope_to_list(grant.request.payload.scope) or []:
            owners = [r for r, names in registered.items() if scope in names]
            if owners and not set(owners) & set(asked):
                raise InvalidScopeError(f"The scope '{scope[:40]}' is its resource's: name it.")
        grant.request.resources = asked


def settle_for_token(asked, granted: list[str] | None, *, registered_only: bool = False) -> None:
    """The resources of the token this request gets: those it names (`asked`, the token
    request's `resource` values: a subset of what was granted, or, for client_credentials,
    registered ones), else all that were granted."""
    asked = checked(asked)
    if asked and not registered_only and not set(asked) <= set(granted or []):
        raise InvalidTargetError("The resource was not named in the authorization request.")
    g.token_resources = asked or list(granted or [])


def token_resources() -> list[str]:
    return g.get("token_resources") or []
