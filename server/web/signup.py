"""Signing up: /signup, the page that waits for the confirmation (and takes the SMS code),
the link from the e-mail, and sending the link or code again.

The browser that signs up keeps the id of its sign-up in the (signed) cookie: that is what
the waiting page shows, what "send again" renews, and how the link knows it is opened
where the password was typed.
"""

from __future__ import annotations

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
from flask_babel import get_locale
from flask_babel import gettext as _

from ..context import request_context
from ..domain.signups import started_elsewhere
from ..extensions import limiter
from ..services import signups
from .account_forms import ResendForm
from .auth import (
    SIGNUP_STARTED,
    forms_lead_on_to,
    local_target,
    safe_next,
    sign_in,
    wait_for_confirmation,
)
from .errors import form_status, shown_on_page
from .forms import SignupCodeForm, SignupConfirmForm, SignupForm


def signup_link(token: str) -> str:
    """The link that confirms the e-mail of a sign-up, as the mail shows it."""
    return current_app.config["ISSUER"] + url_for("auth.confirm_signup", token=token)


def _welcome(account, next_url: str | None):
    sign_in(account, amr=["pwd"])
    flash(_("Welcome! Your Passport is ready."), "success")
    return redirect(safe_next(next_url))


@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT_PER_IP"], methods=["POST"])
def signup():
    form = SignupForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        with shown_on_page():
            pending = signups.request_signup(
                form.login.data,
                form.password.data,
                name=form.name.data,
                locale=str(get_locale()),
                next_url=local_target(form.next.data),
                link=signup_link,
                context=request_context(),
            )
            return wait_for_confirmation(pending.id)
    return render_template("auth/signup.html", form=form), *form_status()


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
def signup_pending():
    """The page that waits for the confirmation: the link sent by mail, or for a phone the
    form for the code."""
    with shown_on_page() as refused:
        pending = signups.pending_signup(session.get(SIGNUP_STARTED))
    if refused:
        return redirect(url_for("auth.signup"))
    form = SignupCodeForm()
    forms_lead_on_to(pending.next_url)
    if pending.kind == "phone" and form.validate_on_submit():
        with shown_on_page():
            account, next_url = signups.confirm_signup_by_code(
                pending.id, form.code.data, context=request_context()
            )
            return _welcome(account, next_url)
    return render_template(
        "auth/signup_pending.html", pending=pending, form=form, resend_form=ResendForm()
    ), *form_status()


@limiter.limit(lambda: current_app.config["SMS_RATE_LIMIT_PER_IP"], methods=["POST"])
def resend_signup():
    form = ResendForm()
    if form.validate_on_submit():
        with shown_on_page():
            signups.resend_signup(session.get(SIGNUP_STARTED), link=signup_link)
            flash(_("Sent again."), "success")
    return redirect(url_for("auth.signup_pending"))


@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
def confirm_signup(token):
    """The link from the mail; a button confirms, so that link scanners create nothing."""
    with shown_on_page() as refused:
        pending = signups.check_signup_link(token)
    if refused:
        return render_template("auth/signup_confirm.html", form=None), *form_status()
    form = SignupConfirmForm()
    forms_lead_on_to(pending.next_url)
    if form.validate_on_submit():
        with shown_on_page():
            account, next_url = signups.confirm_signup_by_link(
                token,
                form.password.data,
                started_here=session.get(SIGNUP_STARTED),
                context=request_context(),
            )
            return _welcome(account, next_url)
    return render_template(
        "auth/signup_confirm.html",
        form=form,
        pending=pending,
        ask_password=started_elsewhere(pending, session.get(SIGNUP_STARTED)),
    ), *form_status()


def add_routes(bp: Blueprint) -> None:
    """Attach /signup, its waiting page, its link and "send again" to the sign-in blueprint."""
    bp.add_url_rule("/signup", view_func=signup, methods=["GET", "POST"])
    bp.add_url_rule("/signup/confirm", view_func=signup_pending, methods=["GET", "POST"])
    bp.add_url_rule("/signup/confirm/<token>", view_func=confirm_signup, methods=["GET", "POST"])
    bp.add_url_rule("/signup/resend", view_func=resend_signup, methods=["POST"])
