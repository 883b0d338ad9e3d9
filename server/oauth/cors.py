"""CORS (Fetch Standard §3.2) for the endpoints a single-page app calls with tokens.

A page on a portal's own origin calls the token, revocation and userinfo endpoints with
fetch(); the browser lets it read an answer only when the answer names its origin. Which
origins, and why:

- /token and /revoke: the origins of the client the request names (`client_id`, or the
  user of HTTP Basic): a public client's redirect URIs' origins, and any client's
  `allowed_cors_origins` (ClientRules.web_origins). A page on another origin sends the
  request — as any HTML form could — but reads nothing of the answer.
- /userinfo: any origin an enabled client registered. The access token is what counts
  there, and the page must read a refusal (`use_dpop_nonce`, `invalid_token`) before it
  knows its token is good.
- A preflight (OPTIONS with Access-Control-Request-Method) names no client: it is
  answered for any origin an enabled client registered, with the methods, the request
  headers a client sends (Authorization, Content-Type, DPoP) and a max age.

Never Access-Control-Allow-Credentials: nothing here reads a cookie. Every answer of these
endpoints varies on Origin. Discovery and the JWKS are public (`*`, views.prepared_json);
pages for people answer no CORS at all.
"""

from __future__ import annotations

from flask import Response, request

from ..domain import client_cache
from ..logs import named_client_id

METHODS = {"oauth.token": "POST", "oauth.revoke": "POST", "oauth.userinfo": "GET, POST"}
REQUEST_HEADERS = "Authorization, Content-Type, DPoP"
EXPOSED_HEADERS = "DPoP-Nonce, WWW-Authenticate"
PREFLIGHT_MAX_AGE = "600"


def add_headers(response: Response) -> Response:
    methods = METHODS.get(request.endpoint)
    if methods is None:
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if not origin:
        return response
    if request.method == "OPTIONS":
        if "Access-Control-Request-Method" in request.headers and _registered(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = methods
            response.headers["Access-Control-Allow-Headers"] = REQUEST_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response
    if _may_read(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def _registered(origin: str) -> bool:
    return origin in client_cache.web_origins()


def _may_read(origin: str) -> bool:
    if request.endpoint == "oauth.userinfo":
        return _registered(origin)
    client = client_cache.find(named_client_id())
    return client is not None and not client.is_disabled and origin in client.web_origins
