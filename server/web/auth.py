"""Sign-in and sign-out pages, and signing a browser in (web/signup.py has the sign-up)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import csp
from ..context import request_context
from ..domain import factors, login_sessions, returns
from ..domain.client_metadata import shown_pages
from ..domain.errors import LoginNotConfirmed, PassportError
from ..domain.identifiers import parse_login
from ..extensions import limiter
from ..services import accounts, sessions
from .errors import form_status, shown_on_page
from .forms import LoginForm, LogoutForm


def trusted_device_cookie() -> str:
    """The name of the cookie a trusted device keeps (config: from the issuer)."""
    return current_app.config["TRUSTED_DEVICE_COOKIE_NAME"]


# What a sign-in keeps of the cookie: the language, and a social network waiting to be
# linked to the Passport being signed in to.
# "pushed": the pushed authorization requests this browser opened (server/oauth/pushed.py).
KEPT_ACROSS_SIGN_IN = ("ui_locales", "pending_upstream", "pushed")
# The sign-up this browser started, by id (web/signup.py): the page waiting for its
# confirmation shows it, and its link opened here needs no password again.
SIGNUP_STARTED = "signup"


# What a browser does to a URL before it reads it (WHATWG URL Standard, "basic URL
# parser"): tabs and newlines vanish wherever they are, C0 controls and spaces are cut from
# both ends, and in an http(s) URL a backslash is a slash. So "/\t/evil.example" and
# "/\\evil.example" are "//evil.example", another host.
_VANISHING = str.maketrans("", "", "\t\n\r")
_TRIMMED = "".join(chr(code) for code in range(0x21))


def local_target(target: object) -> str | None:
    """`target` as the browser will read it, if that is a path on this server; else None.

    Parsed after the browser's own clean-up, it must have no scheme and no host, and a path
    that starts with exactly one slash; what is left holds no control character, so it can
    go in a Location header as it is.
    """
    if not isinstance(target, str) or not target or len(target) > 2000:
        return None
    read = target.translate(_VANISHING).strip(_TRIMMED).replace("\\", "/")
    if not read.startswith("/") or read.startswith("//"):
        return None
    if any(ord(character) < 0x20 or character == "\x7f" for character in read):
        return None
    parts = urlsplit(read)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return read


def safe_next(target: str | None) -> str:
    """Where to send the person on to: a path on this server, else the Passport page; never
    an open redirect. Every `next` and return path goes through here."""
    return local_target(target) or url_for("account.index")


def _login_key() -> str:
    """Rate-limit key: the normalised login, so `+7 912…` and `8912…` count together."""
    raw = request.form.get("login", "")[:320]
    try:
        return "login:" + parse_login(raw)[1]
    except PassportError:
        return "login:" + raw.strip().lower()


def sign_in(account, *, amr: list[str], remember: bool = False, upstream: str | None = None):
    """Sign the account in, in this browser (the old cookie is dropped).

    Signing in again to the account this browser already has (prompt=login, max_age, a
    step-up to a second factor) renews that session's sign-in and keeps its sid, so the
    portals of the session stay signed in; another account ends the previous session.
    `upstream` names the social network of a sign-in whose amr has "fed".
    """
    previous = current_user.id if current_user.is_authenticated else None
    kept = {key: session[key] for key in KEPT_ACROSS_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    login_session = sessions.sign_in(
        account,
        amr=amr,
        remember=remember,
        upstream_provider=upstream,
        previous=previous,
        context=request_context(),
    )
    session.permanent = remember
    login_user(login_session)
    return login_session


def after_first_factor(
    account, *, amr: list[str], remember: bool, next_url: str | None, upstream: str | None = None
):
    """Sign in, or — when 2FA is on and this device is not trusted — ask for the second step.

    The first step alone creates no session: only a note in the cookie of who passed it.
    """
    fresh = session.pop("fresh_second_step", False)
    trusted = not fresh and login_sessions.is_trusted_device(
        account, request.cookies.get(trusted_device_cookie())
    )
    if factors.is_enabled(account) and not trusted:
        session["second_step"] = {
            "account_id": account.id,
            "amr": amr,
            "remember": bool(remember),
            "next": next_url or "",
            "upstream": upstream,
            "at": int(time.time()),
        }
        return redirect(url_for("auth.second_step"))
    sign_in(account, amr=amr, remember=remember, upstream=upstream)
    return redirect(safe_next(next_url))


def wait_for_confirmation(verification_id: int):
    """Remember the sign-up in this browser and show the page that waits for its link or
    code: after signing up, and after signing in with the login and password of a sign-up
    that is not confirmed yet."""
    session[SIGNUP_STARTED] = verification_id
    return redirect(url_for("auth.signup_pending"))


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_LOGIN"], key_func=_login_key, methods=["POST"]
)
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.login.data = request.args.get("login_hint", "")
        fresh = request.args.get("fresh") == "1"
        if fresh:
            # prompt=login, max_age or an MFA request: a fresh second step, trusted device or not.
            session["fresh_second_step"] = True
        if current_user.is_authenticated and not fresh:
            return redirect(safe_next(form.next.data))
    if form.validate_on_submit():
        with shown_on_page() as refused:
            account = accounts.authenticate(
                form.login.data, form.password.data, context=request_context()
            )
            return after_first_factor(
                account, amr=["pwd"], remember=form.remember.data, next_url=form.next.data
            )
        if isinstance(refused.error, LoginNotConfirmed):
            return wait_for_confirmation(refused.error.verification_id)
    portal = returns.client_asking(
        local_target(form.next.data), authorize_path=url_for("oauth.authorize")
    )
    pages = shown_pages(portal.client_metadata) if portal else {}
    page = render_template("auth/login.html", form=form, client=portal, pages=pages)
    return page, *form_status()


def logout():
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            sessions.end_session(current_user.id, context=request_context())
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
        return redirect(url_for("auth.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


def forms_lead_on_to(target: str | None) -> None:
    """This page's form sends the person on to `target`; when that is an authorization
    request, the redirects after the form end at the portal, and Chromium checks each of
    them against the page's form-action. So the page names the portal's registered
    redirect_uri there (server/csp.py), and nothing else."""
    authorize_path = url_for("oauth.authorize")
    csp.allow_form_target(
        returns.redirect_uri_of(local_target(target), authorize_path=authorize_path)
    )


def forms_may_return_to_the_portal(response):
    """The sign-in pages carry `next` in their form (the second step keeps it in the
    cookie); a sign-up being confirmed keeps it with the sign-up and says so itself."""
    if response.status_code not in (200, 400) or response.mimetype != "text/html":
        return response
    forms_lead_on_to(request.values.get("next") or (session.get("second_step") or {}).get("next"))
    return response


def add_routes(bp: Blueprint) -> None:
    """Attach /login and /logout to the sign-in blueprint, and the form-action every page
    of the blueprint needs."""
    bp.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=logout, methods=["GET", "POST"])
    bp.after_request(forms_may_return_to_the_portal)
