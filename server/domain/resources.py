"""Resources (RFC 8707): the APIs the operators registered (the RESOURCES setting), each
with the scopes of its own it accepts. A portal names one with `resource` at the
authorization and token endpoints; the access token it gets has it as its audience.

A resource is an absolute URI without a fragment (§2); one the operators did not register
is refused (invalid_target). Its scopes join the OpenID ones a client may register and ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import current_app, has_app_context

MAX_RESOURCES = 5


class UnknownResource(Exception):
    """RFC 8707 §2: a resource that is not a registered API of this server."""


def registered() -> dict[str, list[str]]:
    return dict(current_app.config.get("RESOURCES") or {}) if has_app_context() else {}


def scopes() -> list[str]:
    """Every scope of every registered resource, each once."""
    return list(dict.fromkeys(s for names in registered().values() for s in names))


def checked(values: Iterable[str] | None) -> list[str]:
    """The resources a request names, each registered and written once; [] for none.
    Raises UnknownResource."""
    names = list(dict.fromkeys(values or []))
    if len(names) > MAX_RESOURCES:
        raise UnknownResource(f"At most {MAX_RESOURCES} resources at once.")
    known = registered()
    for name in names:
        parts = urlsplit(name) if isinstance(name, str) else None
        if parts is None or not parts.scheme or parts.fragment or name not in known:
            raise UnknownResource("The resource is not registered on this server.")
    return names


def audience(resources: list[str], issuer: str) -> str | list[str]:
    """A token's `aud`: its resource, or its resources; the issuer when it names none."""
    if not resources:
        return issuer
    return resources[0] if len(resources) == 1 else list(resources)
