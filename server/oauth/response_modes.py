"""How an authorization response travels back to the client: its response mode.

OAuth 2.0 Multiple Response Type Encoding Practices §2.1: `query` puts the parameters in
the redirect URI's query, the default of the `code` response type; OAuth 2.0 Form Post
Response Mode §2: `form_post` has the browser POST them to the redirect URI from a page
that submits itself. `fragment` is the default of response types that return tokens from
the authorization endpoint (§5): the implicit flow's `id_token` and `id_token token`,
offered only while the operator turns IMPLICIT_FLOW on (RFC 9700 §2.1.2 advises against
it). Tokens never go in the query (§2.1).

Every answer — a code, or an error once the redirect URI is known (RFC 6749 §4.1.2.1) —
goes through `authorization_response`, which also names the issuer (RFC 9207 §2).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.grants.util import validate_form_post_redirect_uri
from flask import current_app, render_template

from .. import csp
from ..domain.client_metadata import implicit_flow_on, normal_response_type
from ..domain.destinations import destination

# The modes each response type may use; the first is its default.
CODE_MODES = {"code": ("query", "form_post")}
IMPLICIT_MODES = {
    "id_token": ("fragment", "form_post"),
    "id_token token": ("fragment", "form_post"),
}
RESPONSE_MODES = {**CODE_MODES, **IMPLICIT_MODES}
TOKEN_WORDS = {"id_token", "token"}


def response_modes() -> dict[str, tuple[str, ...]]:
    """The response types offered now, each with its modes: the implicit ones only while
    IMPLICIT_FLOW is on."""
    return RESPONSE_MODES if implicit_flow_on() else CODE_MODES


def modes_supported() -> list[str]:
    """Discovery's response_modes_supported: every mode of a response type offered now."""
    return list(dict.fromkeys(m for modes in response_modes().values() for m in modes))


def response_type_key(value: object) -> str:
    """A response type as RESPONSE_MODES names it: "token id_token" is "id_token token"."""
    return normal_response_type(value) if isinstance(value, str) else ""


def response_mode(payload) -> str:
    """The mode an answer to this request travels in: the one it asks for when Passport
    speaks it for the response type, else the response type's default. A request whose
    response type Passport does not issue gets its error in any mode Passport speaks, by
    default in the query — or in the fragment when that response type would return tokens
    (§5), as the client then reads the fragment."""
    data = payload.data if payload is not None else {}
    asked = data.get("response_mode")
    response_type = response_type_key(data.get("response_type"))
    modes = response_modes().get(response_type)
    if modes is None:
        supported = modes_supported()
        default = "fragment" if set(response_type.split()) & TOKEN_WORDS else supported[0]
        modes = (default, *supported)
    return asked if asked in modes else modes[0]


class ResponseMode:
    """A grant extension refusing a response mode the response type does not use here."""

    def __call__(self, grant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant, _result=None) -> None:
        # Authlib sends the error to the checked redirect URI (and passes this hook no URI).
        request = grant.request
        asked = request.payload.data.get("response_mode")
        if asked is None:
            return
        response_type = response_type_key(request.payload.response_type)
        if asked not in response_modes().get(response_type, ()):
            raise InvalidRequestError(
                f"The response_mode '{asked[:40]}' is not supported for this response_type."
            )
        # Form Post §2: the page posts to the redirect URI, which must be a web address.
        redirect_uri = grant.validate_authorization_redirect_uri(request, request.client)
        validate_form_post_redirect_uri(grant, redirect_uri)


def authorization_response(
    redirect_uri: str, params: list[tuple[str, str]], mode: str
) -> tuple[int, str, list[tuple[str, str]]]:
    """The answer that carries `params` and the issuer to the client, in `mode`."""
    params = [*params, ("iss", current_app.config["ISSUER"])]
    if mode == "form_post" and urlsplit(redirect_uri).scheme in ("http", "https"):
        return form_post(redirect_uri, params)
    # The query: the code's default, and how an app's redirect URI learns that it cannot
    # have form_post (a page cannot post to a private-use scheme); or the fragment, for a
    # response type whose default it is.
    location = add_params_to_uri(redirect_uri, params, fragment=mode == "fragment")
    return 302, "", [("Location", location)]


def authorization_error(error: OAuth2Error, payload) -> tuple[int, str, list[tuple[str, str]]]:
    """An error for a request whose redirect URI was checked (RFC 6749 §4.1.2.1): `error`,
    `error_description`, and `state` as the request sent it (from inside a request object
    too)."""
    if not error.state and payload is not None:
        error.state = payload.state
    return authorization_response(error.redirect_uri, error.get_body(), response_mode(payload))


def form_post(
    redirect_uri: str, params: list[tuple[str, str]]
) -> tuple[int, str, list[tuple[str, str]]]:
    """Form Post §2: a page whose form POSTs the parameters to the redirect URI.

    The page runs one script, carrying a nonce made for this response, and its policy
    lets its form go to the redirect URI's origin and nowhere else; with scripts off, the
    person presses the form's button.
    """
    nonce = secrets.token_urlsafe(16)
    page = render_template(
        "auth/form_post.html",
        action=redirect_uri,
        fields=params,
        nonce=nonce,
        return_host=destination(redirect_uri),
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", form_post_policy(redirect_uri, nonce)),
    ]
    return 200, page, headers


def form_post_policy(redirect_uri: str, nonce: str) -> str:
    """The Content-Security-Policy of a form_post page: its own nonced script, Passport's
    stylesheet, and a form that may go to the redirect URI's origin only."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; "
        f"form-action {origin_source(redirect_uri)}; frame-ancestors 'none'; base-uri 'none'"
    )


def origin_source(uri: str) -> str:
    """The CSP source expression of `uri`'s origin (server/csp.py); a host no host-source
    can name (an IPv6 literal) is allowed by its scheme, for this page only."""
    return csp.source_of(uri) or f"{urlsplit(uri).scheme.lower()}:"
