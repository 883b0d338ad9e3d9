"""The protocol endpoints: thin routes over the Authlib server."""

from __future__ import annotations

import base64
import binascii
import json

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AccessDeniedError
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    LoginRequiredError,
)
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    session,
)
from flask_login import logout_user

from .. import csp
from ..context import request_context
from ..extensions import csrf
from ..services import consents
from . import acr, cors, dpop, pushed
from . import authorize as flow
from .ascii_tokens import ASCII_TOKEN_PARAMETERS, is_ascii_token
from .keys import etag_of
from .metadata import server_metadata
from .server import authorization_server

bp = Blueprint("oauth", __name__)

# The endpoints that programs call (portals, resource servers, caches of the keys), never a
# person's browser with its session: no cookie is read or written on them.
PROGRAM_ENDPOINTS = frozenset(
    f"oauth.{name}"
    for name in (
        "token",
        "pushed_authorization_request",
        "device_authorization",
        "revoke",
        "introspect",
        "userinfo",
        "register",
        "client_configuration",
        "jwks",
        "discovery",
    )
)

# The endpoints where a client authenticates, with HTTP Basic among the ways.
CLIENT_AUTHENTICATED = frozenset(
    {
        "oauth.token",
        "oauth.pushed_authorization_request",
        "oauth.device_authorization",
        "oauth.introspect",
        "oauth.revoke",
    }
)


def malformed_client_credentials() -> bool:
    """An Authorization header that Authlib's client authentication raises on instead of
    refusing: a scheme with nothing after it ("Basic "), or Basic credentials that are
    base64 but not UTF-8 (RFC 7617 §2.1)."""
    header = request.headers.get("Authorization", "")
    if " " not in header or request.endpoint not in CLIENT_AUTHENTICATED:
        return False
    parts = header.split(None, 1)
    if len(parts) < 2:
        return True
    kind, encoded = parts
    if kind.lower() != "basic":
        return False
    try:
        base64.b64decode(encoded).decode("utf-8")
    except binascii.Error:
        return False  # not base64 at all: Authlib refuses that itself
    except UnicodeDecodeError:
        return True
    return False


def _non_token_parameter() -> str | None:
    """The name of an ASCII-token parameter whose value is not one, if any. Only the
    parameters the request holds are looked at, in the query and a POST's form."""
    sources = [request.args]
    if request.method == "POST":
        sources.append(request.form)
    for source in sources:
        for name in ASCII_TOKEN_PARAMETERS.intersection(source):
            if not all(is_ascii_token(value) for value in source.getlist(name)):
                return name
    return None


# Where a DPoP proof is read (RFC 9449): their answers to it carry the nonce for the next.
DPOP_ENDPOINTS = frozenset({"oauth.token", "oauth.pushed_authorization_request", "oauth.userinfo"})


@bp.after_request
def offer_dpop_nonce(response: Response) -> Response:
    """§8.2, §9: a fresh nonce with every answer to a proof, so the client's next proof has one."""
    if "HTTP_DPOP" in request.environ and request.endpoint in DPOP_ENDPOINTS:
        response.headers.setdefault("DPoP-Nonce", dpop.current_nonce())
    return response


bp.after_request(cors.add_headers)


@bp.before_request
def refuse_non_ascii_tokens():
    if malformed_client_credentials():
        error = {"error": "invalid_client", "error_description": "Malformed client credentials."}
        return jsonify(error), 401, {"WWW-Authenticate": 'Basic realm="passport"'}
    name = _non_token_parameter()
    if name is not None:
        description = f"'{name}' must be printable ASCII without quotes or backslashes."
        if request.endpoint == "oauth.authorize":
            return render_template(
                "errors/oauth.html", error="invalid_request", description=description
            ), 400
        return jsonify(error="invalid_request", error_description=description), 400
    return None


@bp.route("/authorize", methods=["GET", "POST"])
@csrf.exempt  # OIDC Core §3.1.2.1: portals may POST the request; the consent form checks CSRF itself
def authorize():
    """OIDC Core §3.1.2: authenticate the person, ask consent when needed, issue a code."""
    server = authorization_server()
    login_session = flow.current_login_session()
    oauth_request = server.create_oauth2_request(None)
    try:
        grant = server.get_consent_grant(oauth_request, end_user=login_session)
        flow.check_request_size(grant)
        if flow.needs_login(grant, login_session):
            if flow.prompts(grant) & {"none"}:
                raise LoginRequiredError(redirect_uri=grant.redirect_uri)
            return flow.redirect_to_login(grant)
        if flow.names_another_person(grant, login_session):
            if flow.prompts(grant) & {"none"}:
                raise LoginRequiredError(redirect_uri=grant.redirect_uri)
            return flow.redirect_to_login(grant, fresh=True)
        step = acr.next_step(grant, login_session, interactive="none" not in flow.prompts(grant))
        if step.turn_on_mfa:
            return flow.render_mfa_required(grant)
        if step.step_up:
            return flow.redirect_to_login(grant, fresh=True)
        # The code states the acr this request got (OIDC Core §5.5.1.1).
        grant.request.acr = step.acr
        needs_consent = flow.needs_consent(grant, login_session)
        if needs_consent and "none" in flow.prompts(grant):
            raise ConsentRequiredError(redirect_uri=grant.redirect_uri)
        if needs_consent:
            decision = flow.consent_decision()
            if decision is None:
                return flow.render_consent(grant, login_session)
            if decision != "allow":
                raise AccessDeniedError(redirect_uri=grant.redirect_uri)
        # A pushed request is answered once (RFC 9126 §4): spent before its answer.
        pushed.spend(oauth_request)
        if needs_consent:
            consents.grant_consent(login_session.account, grant.client, flow.consent_scope(grant))
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None) and pushed.pushed_of(oauth_request):
            try:
                pushed.spend(oauth_request)  # an error answers it as well
            except OAuth2Error as spent:
                error = spent
        return flow.error_response(error, oauth_request.payload)

    grant.request.offline_allowed = flow.offline_access_allowed(grant, consented_now=needs_consent)
    return server.create_authorization_response(
        oauth_request, grant=grant, grant_user=login_session
    )


@bp.route("/par", methods=["POST"])
@csrf.exempt
def pushed_authorization_request():
    """RFC 9126: a client pushes an authorization request and gets a request_uri for it."""
    return pushed.push(authorization_server(), request)


@bp.route("/device_authorization", methods=["POST"])
@csrf.exempt
def device_authorization():
    """RFC 8628 §3.1: a device asks to act for a person; it gets the codes to show and poll."""
    return authorization_server().create_endpoint_response("device_authorization")


@bp.route("/token", methods=["POST"])
@csrf.exempt
def token():
    server = authorization_server()
    try:
        # RFC 9449 §5: the proof is checked first; the grant binds what it issues to its key.
        g.dpop_proof = dpop.check_proof()
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
    return server.create_token_response()


@bp.route("/revoke", methods=["POST"])
@csrf.exempt
def revoke():
    return authorization_server().create_endpoint_response("revocation")


@bp.route("/introspect", methods=["POST"])
@csrf.exempt
def introspect():
    return authorization_server().create_endpoint_response("introspection")


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    return authorization_server().create_endpoint_response("userinfo")


@bp.route("/register", methods=["POST"])
@csrf.exempt
def register():
    if current_app.config["REGISTRATION"] == "off":
        abort(404)
    return authorization_server().create_endpoint_response("client_registration")


@bp.route("/register/<client_id>", methods=["GET", "PUT", "DELETE"])
@csrf.exempt
def client_configuration(client_id):
    if current_app.config["REGISTRATION"] == "off":
        abort(404)
    return authorization_server().create_endpoint_response("client_configuration")


@bp.route("/end-session", methods=["GET", "POST"])
@csrf.exempt
def end_session():
    """RP-Initiated Logout 1.0: without a hint that names this session, ask first."""
    server = authorization_server()
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template(
            "errors/oauth.html", error=error.error, description=error.description
        ), 400
    login_session = flow.current_login_session()
    end_request.login_session = login_session
    end_request.context = request_context()
    needs_confirmation = login_session is not None and (
        end_request.redirect_refused or not flow.hint_names_session(end_request, login_session)
    )
    if needs_confirmation and not flow.logout_confirmed():
        # Confirmed, the form's answer redirects to the portal's post_logout_redirect_uri.
        csp.allow_form_target(end_request.redirect_uri)
        return render_template(
            "auth/end_session.html",
            client=end_request.client,
            hidden=flow.carried_parameters(),
            redirect_refused=end_request.redirect_refused,
        )
    response = server.create_endpoint_response("end_session", end_request)
    if login_session is not None:
        logout_user()
        session.clear()
    return response or render_template("auth/logged_out.html")


@bp.route("/jwks.json")
def jwks():
    view = current_app.extensions["passport.keys"].view()
    return prepared_json(view.jwks_json, view.jwks_etag)


@bp.route("/.well-known/openid-configuration")
@bp.route("/.well-known/oauth-authorization-server")
def discovery():
    prepared = current_app.extensions.get("passport.discovery")
    if prepared is None:
        body = json.dumps(server_metadata(), separators=(",", ":")).encode()
        prepared = (body, etag_of(body))
        current_app.extensions["passport.discovery"] = prepared  # it follows the configuration only
    return prepared_json(*prepared)


def prepared_json(body: bytes, etag: str) -> Response:
    """A public JSON document served from bytes made once, with an ETag so a cache that has
    it gets 304 Not Modified instead of the body. Any page may read it (CORS): a
    single-page app discovers the endpoints and checks ID tokens from its own origin."""
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": "public, max-age=300",
        "Access-Control-Allow-Origin": "*",
    }
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)
