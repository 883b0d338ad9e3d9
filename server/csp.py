"""The Content-Security-Policy of every answer, and where a page's forms may lead.

Forms post only to Passport (`form-action 'self'`), with one kind of exception: a page
from which the authorization flow answers a portal. Chromium applies form-action to every
redirect that follows a form submission, so the consent page (POST /authorize → 302 to
the redirect_uri), the sign-in pages whose `next` is an authorization request, and the
logout confirmation (→ post_logout_redirect_uri) name the one origin that answer goes
to, for that response only. A view says so with `allow_form_target(uri)`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import g

BASE_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)

DEFAULT_PORTS = {"http": 80, "https": 443}
# CSP3 §2.3.1: scheme-part and host-char; a host-source has no room for an IPv6 literal.
_SCHEME = re.compile(r"[a-z][a-z0-9+\-.]*\Z")
_HOST = re.compile(r"[a-z0-9\-]+(\.[a-z0-9\-]+)*\Z")


def source_of(uri: str | None) -> str | None:
    """The CSP source expression that matches exactly where `uri` leads: its origin
    (`https://portal.example:8443`, the host in punycode), or for a native app's
    private-use scheme (RFC 8252 §7.1) the scheme (`com.example.app:`). None for what
    no source expression can name exactly (an IPv6 literal) and for what is not a URI."""
    if not isinstance(uri, str) or not uri:
        return None
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme):
        return None
    if scheme not in DEFAULT_PORTS:
        # Only a reverse-domain name is a private-use scheme (RFC 8252 §7.1), as the
        # registration requires: never javascript:, data: and the like.
        return f"{scheme}:" if "." in scheme else None
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if not _HOST.match(host):
        return None
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def allow_form_target(uri: str | None) -> None:
    """Let this response's forms lead (through redirects) to where `uri` leads."""
    source = source_of(uri)
    if source is not None:
        g.setdefault("form_targets", set()).add(source)


def policy() -> str:
    """The Content-Security-Policy of the response being made."""
    targets = g.get("form_targets")
    if not targets:
        return BASE_POLICY
    return BASE_POLICY + " " + " ".join(sorted(targets))
