"""Pushed authorization requests (RFC 9126): the /par endpoint, and what the authorization
endpoint does with the request_uri it hands out. The rules of the stored request (lifetime,
one browser, one answer) are in server/domain/pushed_requests.py.

- /par authenticates the client as the token endpoint does (§2.1), then checks the request
  as /authorize would (redirect URI, response type, scope, PKCE, a request object by value
  merged in), without a person: the prompt is judged when the browser comes. It answers
  201 with `request_uri` and `expires_in` (§2.2), or an RFC 6749 error in JSON (§2.3).
  A DPoP proof sent with the push binds the code to its key (RFC 9449 §10.1).
- At /authorize a request_uri of ours stands for the pushed parameters alone (RFC 9101 §5:
  what the query says besides client_id is not read); the pages on the way (sign-in,
  consent) carry only client_id and request_uri.
- A client registered with `require_pushed_authorization_requests`, or every client when
  the server's REQUIRE_PUSHED_AUTHORIZATION_REQUESTS is on, gets invalid_request for an
  authorization request that was not pushed (§4, §5, §6).
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc9101.errors import InvalidRequestUriError
from flask import Response, current_app, jsonify, session

from ..domain import pushed_requests
from ..domain.client_metadata import follows_fapi2
from ..extensions import db
from . import dpop
from .authorize import check_parameters
from .client_auth import CLIENT_AUTH_METHODS
from .payloads import SettledPayload
from .request_objects import checked_redirect_uri

# The handle hashes of the pushed requests this browser opened (the last few), in its session.
SESSION_KEY = "pushed"
KEPT_IN_SESSION = 5
# What authenticates the client at /par; the rest is the authorization request.
CLIENT_AUTH_PARAMETERS = ("client_secret", "client_assertion", "client_assertion_type")


class PersonNotYetKnown:
    """Stands for the person while a request is pushed: nobody signs in at /par, so the
    prompt is judged when the browser brings the request_uri (Authlib's check would
    otherwise refuse prompt=none for want of a person)."""

    def __bool__(self) -> bool:
        return True


def must_push(client) -> bool:
    metadata = client.client_metadata or {}
    return bool(
        current_app.config["REQUIRE_PUSHED_AUTHORIZATION_REQUESTS"]
        or metadata.get("require_pushed_authorization_requests")
        or follows_fapi2(metadata)  # FAPI 2.0 §5.3.2.2 item 2
    )


class PushedRequests:
    """The authorization server extension, hooked before the request objects are read."""

    def __call__(self, authorization_server) -> None:
        authorization_server.register_hook(
            "before_get_authorization_grant", self.parse_authorization_request
        )

    def parse_authorization_request(self, authorization_server, request) -> None:
        data = request.payload.data
        client_id = data.get("client_id")
        client = authorization_server.query_client(client_id) if client_id else None
        if client is None:
            return  # the grant refuses an unknown client, on a page
        request_uri = data.get("request_uri")
        if getattr(request, "pushing", False):
            if request_uri is not None:  # §2.1
                raise InvalidRequestError("A pushed request cannot have a request_uri.")
            return
        if not pushed_requests.is_pushed(request_uri):
            if must_push(client):
                raise InvalidRequestError(
                    "This client sends its authorization requests to the pushed "
                    "authorization request endpoint first.",
                    redirect_uri=checked_redirect_uri(data, client),
                    state=data.get("state"),
                )
            return
        if "request" in data:
            raise InvalidRequestError("Send request or request_uri, not both.")
        claimed = session.get(SESSION_KEY, [])
        try:
            pushed = pushed_requests.open_request(request_uri, client.id, claimed)
        except pushed_requests.NotUsable as refused:
            raise InvalidRequestUriError(refused.reason) from None
        db.session.commit()
        if pushed.handle_hash not in claimed:
            session[SESSION_KEY] = [*claimed, pushed.handle_hash][-KEPT_IN_SESSION:]
        # RFC 9101 §5: the pushed parameters alone; the pages on the way carry the reference.
        request.payload = SettledPayload(
            {**pushed.parameters, "client_id": client_id},
            carried=[("client_id", client_id), ("request_uri", request_uri)],
        )
        request.pushed = pushed


def pushed_of(oauth_request):
    """The pushed request an authorization request came from, or None."""
    return getattr(oauth_request, "pushed", None)


def spend(oauth_request) -> None:
    """Before the authorization response of a pushed request: mark it answered, or refuse
    when a concurrent answer was given (RFC 9126 §4, one-time use)."""
    pushed = pushed_of(oauth_request)
    if pushed is None:
        return
    if not pushed_requests.spend(pushed.handle_hash):
        db.session.rollback()
        raise InvalidRequestUriError("The request_uri has been used.")
    db.session.commit()


def push(server, http_request) -> Response:
    """POST /par (RFC 9126 §2)."""
    oauth_request = server.create_oauth2_request(http_request)
    try:
        # RFC 9449 §10.1: a proof sent with the push binds the code to its key, as
        # dpop_jkt would; both sent, they must name the same key. Checked first, as at the
        # token endpoint: a client told to use a nonce sends its assertion again.
        proof = dpop.check_proof()
        client = server.authenticate_client(oauth_request, CLIENT_AUTH_METHODS, "token")
    except OAuth2Error as error:
        return server.handle_error_response(oauth_request, error)
    repeated = [name for name, values in oauth_request.payload.datalist.items() if len(values) > 1]
    if repeated:  # RFC 6749 §3.1: a parameter is sent once
        return _error("invalid_request", f"'{repeated[0][:40]}' is given more than once.")
    parameters = {
        name: value
        for name, value in oauth_request.payload.data.items()
        if name not in CLIENT_AUTH_PARAMETERS
    }
    if parameters.get("client_id", client.client_id) != client.client_id:
        return _error("invalid_request", "The client_id is not the authenticated client's.")

    parameters["client_id"] = client.client_id
    if proof is not None and parameters.setdefault("dpop_jkt", proof.jkt) != proof.jkt:
        return _error("invalid_dpop_proof", "The dpop_jkt is not the DPoP proof's key.")
    checked = server.create_oauth2_request(None)
    checked.payload = SettledPayload(parameters)
    checked.pushing = True
    try:
        grant = server.get_consent_grant(checked, end_user=PersonNotYetKnown())
        check_parameters(grant)
    except OAuth2Error as error:
        return _error(error.error, error.description)
    settled = {
        name: value for name, value in grant.request.payload.data.items() if value is not None
    }
    if follows_fapi2(client.client_metadata) and not settled.get("redirect_uri"):
        # FAPI 2.0 §5.3.2.2 item 4 (in the form, or in a request object pushed by value).
        return _error("invalid_request", "A pushed request must name its redirect_uri.")
    request_uri, lifetime = pushed_requests.push(client.id, settled)
    db.session.commit()
    response = jsonify(request_uri=request_uri, expires_in=lifetime)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(error: str, description: str | None) -> Response:
    """§2.3: an error of the pushed request itself, in JSON (there is no redirect)."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    response = jsonify(body)
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response
