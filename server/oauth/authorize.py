"""The steps of the authorization endpoint, each named after what it decides."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError, list_to_scope, scope_to_list
from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from .. import csp
from ..clock import now
from ..domain.client_metadata import shown_pages
from ..domain.destinations import destination
from ..domain.pushed_requests import signed_in_for
from ..domain.subjects import subject_for
from ..models import LoginSession
from ..services import consents
from . import response_modes
from .claims import SCOPES_SUPPORTED, ClaimsRequest

MAX_PARAMETER_LENGTH = 2048


def current_login_session() -> LoginSession | None:
    return current_user if current_user.is_authenticated else None


def prompts(grant) -> set[str]:
    return set((grant.request.payload.data.get("prompt") or "").split())


def check_parameters(grant) -> None:
    """What the grant's own checks leave: the parameters' sizes, and max_age."""
    check_request_size(grant)
    _max_age(grant)


def check_request_size(grant) -> None:
    for name, values in grant.request.payload.datalist.items():
        if len(name) > 100 or any(len(v) > MAX_PARAMETER_LENGTH for v in values):
            raise InvalidRequestError(
                f"Parameter '{name[:40]}' is too long.", redirect_uri=grant.redirect_uri
            )


def _max_age(grant) -> int | None:
    value = grant.request.payload.data.get("max_age")
    if value in (None, ""):
        return None
    try:
        max_age = int(value)
    except ValueError:
        raise InvalidRequestError(
            "'max_age' must be a whole number of seconds.", redirect_uri=grant.redirect_uri
        ) from None
    if max_age < 0:
        raise InvalidRequestError(
            "'max_age' must not be negative.", redirect_uri=grant.redirect_uri
        )
    return max_age


def needs_login(grant, login_session: LoginSession | None) -> bool:
    """No session, prompt=login, or a sign-in older than max_age (OIDC Core §3.1.2.1). For
    a pushed request, a sign-in made after the browser opened it answers both: the way
    back from the sign-in page carries only the request_uri (server/oauth/pushed.py)."""
    max_age = _max_age(grant)
    if login_session is None:
        return True
    pushed = getattr(grant.request, "pushed", None)
    if pushed is not None and signed_in_for(pushed, login_session.auth_time):
        return False
    if "login" in prompts(grant):
        return True
    if max_age is not None:
        age = (now() - login_session.auth_time).total_seconds()
        return age > max_age
    return False


def render_mfa_required(grant):
    """The portal requires a second factor this Passport does not have yet: say so, offer
    to turn it on."""
    return render_template("auth/mfa_required.html", client=grant.client), 403


def redirect_to_login(grant, *, fresh: bool = False):
    """Send the person to /login and back here; `prompt=login` and `max_age` are dropped from
    the way back: the sign-in made there is as fresh as they ask (with max_age=0, a sign-in
    some milliseconds old would otherwise be sent to sign in again, forever). A request
    object comes back as the parameters it settled (server/oauth/request_objects.py), so
    its prompt and max_age are dropped too, and a request_uri is not fetched again. A
    pushed request comes back as its client_id and request_uri alone."""
    carried = getattr(grant.request.payload, "carried", None)
    args = (
        {name: [value] for name, value in carried}
        if carried
        else dict(grant.request.payload.datalist)
    )
    if not carried:
        args.pop("csrf_token", None)
        args.pop("decision", None)
        args.pop("max_age", None)
        remaining = sorted(p for p in prompts(grant) if p != "login")
        if remaining:
            args["prompt"] = [" ".join(remaining)]
        else:
            args.pop("prompt", None)
    back = url_for("oauth.authorize") + "?" + urlencode(args, doseq=True)
    login_args = {"next": back}
    if hint := grant.request.payload.data.get("login_hint"):
        login_args["login_hint"] = hint[:320]
    if locales := grant.request.payload.data.get("ui_locales"):
        login_args["ui_locales"] = locales[:100]
    if fresh or "login" in prompts(grant) or _max_age(grant) is not None:
        login_args["fresh"] = "1"
    return redirect(url_for("auth.login", **login_args))


def needs_consent(grant, login_session: LoginSession) -> bool:
    client = grant.client
    asked = "consent" in prompts(grant)
    if client.first_party and not asked:
        return False
    if asked:
        return True
    return not consents.has_consent(login_session.account, client, consent_scope(grant))


def consent_scope(grant) -> str:
    """What the person consents to: the scopes asked for, and the scopes of the claims the
    claims parameter asks for one by one (OIDC Core §5.5)."""
    scopes = scope_to_list(grant.request.scope) or []
    scopes += ClaimsRequest.of(grant.request.payload).scopes(grant.client)
    return list_to_scope(list(dict.fromkeys(scopes)))


def names_another_person(grant, login_session: LoginSession) -> bool:
    """OIDC Core §5.5.1: a sub asked for with a value is answered for that person only, by
    the sub this client knows them by (pairwise or public, §8)."""
    request = ClaimsRequest.of(grant.request.payload)
    wanted = {
        spec["value"]
        for spec in (request.id_token.get("sub"), request.userinfo.get("sub"))
        if spec and "value" in spec
    }
    return bool(wanted) and wanted != {subject_for(login_session.account.sub, grant.client)}


def offline_access_allowed(grant, *, consented_now: bool) -> bool:
    """OIDC Core §11: offline_access is granted only with consent given in this request (or
    to a first-party portal, which is never asked), to a client that may use refresh
    tokens; otherwise the code is issued without it (grants.py drops it)."""
    if "offline_access" not in (scope_to_list(grant.request.scope) or []):
        return False
    allowed = consented_now or grant.client.first_party
    return allowed and grant.client.check_grant_type("refresh_token")


def switch_account_url(parameters: list[tuple[str, str]], *, pushed: bool) -> str:
    """The same authorization request with prompt=login added (OIDC Core §3.1.2.1): the
    person signs in again, as whoever they choose, and comes back to this consent. A
    pushed request's parameters cannot change: the sign-in page is asked for a fresh
    sign-in directly, and leads back to the request_uri."""
    if pushed:
        back = url_for("oauth.authorize") + "?" + urlencode(parameters)
        return url_for("auth.login", next=back, fresh="1")
    prompts = {p for name, value in parameters if name == "prompt" for p in value.split()}
    kept = [(name, value) for name, value in parameters if name != "prompt"]
    kept.append(("prompt", " ".join(sorted(prompts | {"login"}))))
    return url_for("oauth.authorize") + "?" + urlencode(kept)


def carried_parameters(payload=None) -> list[tuple[str, str]]:
    """The request's parameters (or those a request object settled, in `payload`), to
    carry through a confirmation form as hidden fields."""
    if carried := getattr(payload, "carried", None):
        return list(carried)  # a pushed request: its client_id and request_uri
    values = payload.datalist if payload is not None else request.values.to_dict(flat=False)
    return [
        (name, value)
        for name, values in values.items()
        if name not in ("csrf_token", "decision", "confirm")
        for value in values
    ]


def hint_names_session(end_request, login_session: LoginSession) -> bool:
    """A valid id_token_hint for this very session (or, without sid, this person), with the
    sub its client knows the person by (pairwise or public, OIDC Core §8)."""
    claims = end_request.id_token_claims
    if not claims or claims.get("sub") != subject_for(
        login_session.account.sub, end_request.client
    ):
        return False
    return claims.get("sid") in (None, login_session.id)


def _posted_from_our_form() -> bool:
    """A POST that carries a valid CSRF token: it came from a page we rendered."""
    if request.method != "POST":
        return False
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def logout_confirmed() -> bool:
    """The person pressed "Sign out" on our confirmation page."""
    return request.form.get("confirm") == "yes" and _posted_from_our_form()


def consent_decision() -> str | None:
    """ "allow" or "deny" from our consent page; None when the person has not decided yet."""
    decision = request.form.get("decision")
    if decision not in ("allow", "deny") or not _posted_from_our_form():
        return None
    return decision


def render_consent(grant, login_session: LoginSession):
    """The consent page: who asks (name, logo, home page), what for, and where the answer goes."""
    client = grant.client
    pages = shown_pages(client.client_metadata or {})
    home_page = pages.get("client_uri")
    asked = scope_to_list(consent_scope(grant)) or []
    scopes = [s for s in asked if s in SCOPES_SUPPORTED]
    # Allow or deny, the answer is a redirect to the portal after this page's form.
    csp.allow_form_target(grant.redirect_uri)
    hidden = carried_parameters(grant.request.payload)
    return render_template(
        "auth/consent.html",
        client=client,
        account=login_session.account,
        scopes=scopes,
        hidden=hidden,
        switch_account=switch_account_url(hidden, pushed=hasattr(grant.request, "pushed")),
        pages=pages,
        home_page=home_page,
        home_host=destination(home_page) if home_page else None,
        return_host=destination(grant.redirect_uri),
        return_to_app=not urlsplit(grant.redirect_uri).hostname,
        # RFC 8707: the APIs the portal asks a token for, with their scopes.
        apis=getattr(grant.request, "resources", None) or [],
        api_scopes=[s for s in asked if s not in SCOPES_SUPPORTED],
    )


def error_response(error, payload=None):
    """RFC 6749 §4.1.2.1: to the client only at a redirect URI that was checked, in the
    request's response mode; else an error page."""
    if getattr(error, "redirect_uri", None):
        status, body, headers = response_modes.authorization_error(error, payload)
        return Response(body, status, headers)
    return (
        render_template("errors/oauth.html", error=error.error, description=error.description),
        400,
    )
