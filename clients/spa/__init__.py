"""The single-page example portal: a static page that signs in to Passport with
oidc-client-ts (authorization code + PKCE, a rotating refresh token, RP-initiated logout),
calling the token, userinfo and revocation endpoints from the browser, across origins.

This module is only the tiny server of its files: the page (static/), the library as npm
installed it (`npm ci` in this folder; package-lock.json pins it), and /config.json — the
issuer and client_id the page signs in with.
"""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Request, Response

HERE = Path(__file__).resolve().parent
LIBRARY = HERE / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
PAGES = {"/": "index.html", "/callback": "index.html", "/app.js": "app.js"}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def library_installed() -> bool:
    return LIBRARY.is_file()


def create_spa(issuer: str, client_id: str):
    """The WSGI application serving the example for `client_id` at `issuer`."""
    if not library_installed():
        raise RuntimeError("oidc-client-ts is not installed: run `npm ci` in clients/spa")
    issuer = issuer.rstrip("/")
    config = json.dumps({"issuer": issuer, "client_id": client_id}).encode()
    # The page runs only its own scripts and talks only to itself and to Passport.
    policy = (
        f"default-src 'self'; connect-src 'self' {issuer}; frame-src {issuer}; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )

    @Request.application
    def application(request: Request) -> Response:
        if request.path == "/config.json":
            body, kind = config, "application/json"
        elif request.path == "/oidc-client-ts.js":
            body, kind = LIBRARY.read_bytes(), TYPES[".js"]
        elif request.path in PAGES:
            path = HERE / "static" / PAGES[request.path]
            body, kind = path.read_bytes(), TYPES[path.suffix]
        else:
            raise NotFound()
        response = Response(body, content_type=kind)
        response.headers["Content-Security-Policy"] = policy
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return application
