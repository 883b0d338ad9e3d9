"""The second step of signing in: a code from the authenticator app, or a recovery code."""

from __future__ import annotations

import time

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

from ..domain import factors
from ..extensions import db
from ..models import Account
from ..services import passkeys, two_factor
from .account_forms import SecondStepForm
from .auth import safe_next, sign_in, trusted_device_cookie
from .errors import form_status, shown_on_page

# How long the first step stays good while the person finds their phone.
SECOND_STEP_WINDOW = 600


def pending_account() -> Account | None:
    """The account that passed the first step in this browser, within the window."""
    pending = session.get("second_step")
    if not pending or time.time() - pending.get("at", 0) > SECOND_STEP_WINDOW:
        return None
    return db.session.get(Account, pending["account_id"])


def second_step():
    account = pending_account()
    if account is None:
        session.pop("second_step", None)
        return redirect(url_for("auth.login"))
    form = SecondStepForm()
    trust_allowed = bool(current_app.config["TRUSTED_DEVICE_DAYS"])
    if form.validate_on_submit():
        with shown_on_page() as refused:
            method = two_factor.pass_second_step(account, form.code.data)
        if not refused:
            pending = session["second_step"]
            # RFC 8176: "otp" for the app's code; a recovery code is something kept on paper.
            amr = pending["amr"] + (["otp", "mfa"] if method == "otp" else ["kba", "mfa"])
            sign_in(
                account, amr=amr, remember=pending["remember"], upstream=pending.get("upstream")
            )
            response = redirect(safe_next(pending["next"]))
            if method == "recovery":
                left = factors.remaining_recovery_codes(account)
                flash(
                    _("Recovery code used. Codes left: %(count)d.", count=left),
                    "error" if left <= current_app.config["RECOVERY_CODES_LOW"] else "success",
                )
            if trust_allowed and form.trust.data:
                token = two_factor.trust_device(
                    account, user_agent=request.headers.get("User-Agent")
                )
                if token:
                    response.set_cookie(
                        trusted_device_cookie(),
                        token,
                        max_age=current_app.config["TRUSTED_DEVICE_DAYS"] * 86400,
                        httponly=True,
                        samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"],
                    )
            return response
    page = render_template(
        "auth/second_step.html",
        form=form,
        trust_allowed=trust_allowed,
        has_passkeys=bool(passkeys.list_passkeys(account)),
    )
    return page, *form_status()


def add_routes(bp: Blueprint) -> None:
    """Attach /login/second-step to the sign-in blueprint."""
    bp.add_url_rule("/login/second-step", view_func=second_step, methods=["GET", "POST"])
