"""Where an authorization request sends the browser back to: the portal's redirect_uri.

The sign-in pages carry the person on to `next`; when that is an authorization request,
the redirect at the end of their form leads on to the portal (server/csp.py lets the
page's forms go there). Only a redirect_uri the client registered counts (RFC 6749
§3.1.2.3, simple string comparison), so a crafted `next` widens nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from . import client_cache, pushed_requests


def client_asking(target: str | None, *, authorize_path: str):
    """The enabled client whose authorization request `target` (a local path, as `next`
    holds it) is; None when `target` is not such a request."""
    query = _authorization_query(target, authorize_path)
    client_ids = query.get("client_id", []) if query is not None else []
    if len(client_ids) != 1:
        return None
    client = client_cache.find(client_ids[0])
    return None if client is None or client.is_disabled else client


def redirect_uri_of(target: str | None, *, authorize_path: str) -> str | None:
    """The registered redirect_uri the authorization request `target` (a local path, as
    `next` holds it) would answer; None when `target` is not such a request. A pushed
    request (RFC 9126) names it in its stored parameters, not in `target`."""
    client = client_asking(target, authorize_path=authorize_path)
    query = _authorization_query(target, authorize_path) if client else {}
    uris = query.get("redirect_uri", [])
    pushed = query.get("request_uri", [])
    if len(pushed) == 1 and pushed_requests.is_pushed(pushed[0]):
        parameters = pushed_requests.parameters_of(pushed[0], client.id) or {}
        uris = [parameters["redirect_uri"]] if "redirect_uri" in parameters else []
    if client is None or len(uris) > 1:
        return None
    if not uris:
        return client.get_default_redirect_uri()
    return uris[0] if client.check_redirect_uri(uris[0]) else None


def _authorization_query(target: str | None, authorize_path: str) -> dict | None:
    if not target or len(target) > 8000:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path != authorize_path:
        return None
    return parse_qs(parts.query)
