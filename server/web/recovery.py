"""Recovering access: /recover, the link from the e-mail, the code from the SMS."""

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
from flask_babel import gettext as _
from flask_login import logout_user

from ..context import request_context
from ..domain.errors import CodeInvalid, PassportError
from ..domain.identifiers import parse_login
from ..extensions import limiter
from ..services import recovery
from .account_forms import RecoverForm, ResetByCodeForm, ResetPasswordForm
from .auth import after_first_factor
from .errors import form_status, shown_on_page


def _identifier_key() -> str:
    raw = request.form.get("login", "")[:320]
    try:
        return "recover:" + parse_login(raw)[1]
    except PassportError:
        return "recover:" + raw.strip().lower()


def recovery_link(token: str) -> str:
    """The link that opens the new-password page, as the mail shows it."""
    return current_app.config["ISSUER"] + url_for("auth.recover_reset", token=token)


@limiter.limit(lambda: current_app.config["RECOVERY_RATE_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["RECOVERY_RATE_LIMIT_PER_IDENTIFIER"],
    key_func=_identifier_key,
    methods=["POST"],
)
def recover():
    form = RecoverForm()
    if form.validate_on_submit():
        with shown_on_page():
            kind, verification_id = recovery.request_recovery(
                form.login.data, link=recovery_link, context=request_context()
            )
            if kind == "phone":
                # The same page whether or not the number has an account.
                session["recovery"] = verification_id
                return redirect(url_for("auth.recover_code"))
            return render_template("auth/recover_sent.html")
    return render_template("auth/recover.html", form=form), *form_status()


def recover_reset(token):
    with shown_on_page() as refused:
        verification = recovery.recovery_by_link(token)
    if refused:
        return render_template("auth/recover_reset.html", form=None), *form_status()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        done = _complete(verification, form)
        if done:
            return done
    return render_template("auth/recover_reset.html", form=form), *form_status()


@limiter.limit(lambda: current_app.config["RECOVERY_RATE_LIMIT_PER_IP"], methods=["POST"])
def recover_code():
    form = ResetByCodeForm()
    if form.validate_on_submit():
        # Unknown number and spent code read the same: nothing tells whether an account exists.
        with shown_on_page(shown_as=CodeInvalid()) as refused:
            verification = recovery.recovery_by_code(session.get("recovery"), form.code.data)
        done = None if refused else _complete(verification, form)
        if done:
            session.pop("recovery", None)
            return done
    return render_template("auth/recover_code.html", form=form), *form_status()


def _complete(verification, form):
    with shown_on_page() as refused:
        account = recovery.complete_recovery(
            verification, form.new.data, form.repeat.data, context=request_context()
        )
    if refused:
        return None
    logout_user()
    flash(_("Your password has been changed and you were signed out everywhere else."), "success")
    # The link or code proves the mailbox or the phone, a first factor at most: with 2FA on,
    # this browser still passes the second step before it is signed in.
    return after_first_factor(
        account, amr=["pwd"], remember=False, next_url=url_for("account.index")
    )


def add_routes(bp: Blueprint) -> None:
    """Attach /recover, the link from the e-mail and the code from the SMS to the sign-in
    blueprint."""
    bp.add_url_rule("/recover", view_func=recover, methods=["GET", "POST"])
    bp.add_url_rule("/recover/reset/<token>", view_func=recover_reset, methods=["GET", "POST"])
    bp.add_url_rule("/recover/code", view_func=recover_code, methods=["GET", "POST"])
