"""Passport pages that change credentials: login (e-mail, phone) and password."""

from __future__ import annotations

import functools

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user

from ..context import request_context
from ..domain.errors import (
    CodeInvalid,
    IdentifierTaken,
    InvalidIdentifier,
    PasswordMismatch,
    SameIdentifier,
    SecondFactorRequired,
    WeakPassword,
    WrongPassword,
)
from ..domain.identifiers import phone_logins
from ..extensions import limiter
from ..services import login_change, password_change
from .account_forms import (
    CodeForm,
    ConfirmForm,
    EmailChangeForm,
    PasswordChangeForm,
    PhoneChangeForm,
    ResendForm,
)
from .errors import at_fields, form_status, shown_on_page

# What the Passport pages say of the link or code of a pending change of the login
# (services/login_change.py, PendingChange.delivery).
DELIVERY_SENTENCES = {
    ("email", "sending"): _l("We are sending the link to %(value)s."),
    ("email", "delayed"): _l("The link to %(value)s has not been delivered yet; we keep trying."),
    ("email", "sent"): _l(
        "The link has been sent to %(value)s. Check the inbox, and the spam folder."
    ),
    ("email", "failed"): _l(
        "We could not deliver the link to %(value)s. Check the address, or send the link again."
    ),
    ("phone", "sending"): _l("We are sending the code to %(value)s."),
    ("phone", "delayed"): _l("The code to %(value)s has not been delivered yet; we keep trying."),
    ("phone", "sent"): _l("The code has been sent to %(value)s."),
    ("phone", "failed"): _l(
        "We could not deliver the code to %(value)s. Check the number, or send the code again."
    ),
}


def delivery_sentence(pending: login_change.PendingChange) -> str:
    return DELIVERY_SENTENCES[(pending.kind, pending.delivery)] % {"value": pending.target}


def phone_logins_only(view):
    """The phone pages exist only where phone numbers are logins (PHONE_LOGINS)."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not phone_logins():
            abort(404)
        return view(*args, **kwargs)

    return guarded


def _account_key() -> str:
    return f"account:{current_user.account_id}" if current_user.is_authenticated else "anonymous"


def _keep_signed_in(replacement) -> None:
    """A credential change re-issues this browser's session; sign it in with the new one."""
    if replacement is not None:
        login_user(replacement)


def _request_change(kind: str, form) -> bool:
    """Send the confirmation of a new e-mail or phone; False (with a message) on a refusal."""
    at_field = at_fields(
        form,
        {
            WrongPassword: "password",
            (InvalidIdentifier, IdentifierTaken, SameIdentifier): kind,
            (CodeInvalid, SecondFactorRequired): "code",
        },
    )
    with shown_on_page(at_field) as refused:
        login_change.request_login_change(
            current_user.account,
            kind,
            getattr(form, kind).data,
            form.password.data,
            propagate=form.propagate.data,
            login_session=current_user,
            link=confirmation_link,
            code=form.code.data,
            context=request_context(),
        )
    return not refused


def confirmation_link(token: str) -> str:
    """The link that confirms a new e-mail, as the mail shows it."""
    return current_app.config["ISSUER"] + url_for("account.confirm_email", token=token)


@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_CHANGE_RATE_LIMIT"], key_func=_account_key, methods=["POST"]
)
def change_email():
    form = EmailChangeForm()
    account = current_user.account
    if form.validate_on_submit() and _request_change("email", form):
        flash(
            _(
                "We are sending a confirmation link to %(email)s. Until you follow it, your current e-mail keeps working.",
                email=form.email.data.strip(),
            ),
            "success",
        )
        return redirect(url_for("account.change_email"))
    pending = login_change.pending_change(account, "email")
    return render_template(
        "account/email.html", form=form, account=account, pending=pending
    ), *form_status()


def confirm_email(token):
    """The link from the message; a button confirms, so that link scanners change nothing."""
    form = ConfirmForm()
    with shown_on_page():
        if not form.validate_on_submit():
            login_change.check_email_link(token)
            return render_template("account/confirm_email.html", form=form)
        login_session = current_user if current_user.is_authenticated else None
        _account, replacement = login_change.confirm_email_change(
            token, login_session=login_session, context=request_context()
        )
        _keep_signed_in(replacement)
        flash(_("Login confirmed"), "success")
        return redirect(url_for("account.index") if replacement else url_for("auth.login"))
    return render_template("account/confirm_email.html", form=None), *form_status()


@phone_logins_only
@login_required
@limiter.limit(lambda: current_app.config["SMS_RATE_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_CHANGE_RATE_LIMIT"], key_func=_account_key, methods=["POST"]
)
def change_phone():
    form = PhoneChangeForm()
    if form.validate_on_submit() and _request_change("phone", form):
        flash(
            _(
                "We are sending a code by SMS. Until you enter it, your current login keeps working."
            ),
            "success",
        )
        return redirect(url_for("account.confirm_phone"))
    return render_template(
        "account/phone.html", form=form, account=current_user.account
    ), *form_status()


@phone_logins_only
@login_required
def confirm_phone():
    account = current_user.account
    pending = login_change.pending_change(account, "phone")
    if pending is None:
        return redirect(url_for("account.change_phone"))
    form = CodeForm(verification=pending.id)
    if form.validate_on_submit():
        with shown_on_page():
            _account, replacement = login_change.confirm_phone_change(
                account,
                form.verification.data,
                form.code.data,
                login_session=current_user,
                context=request_context(),
            )
            _keep_signed_in(replacement)
            flash(_("Login confirmed"), "success")
            return redirect(url_for("account.index"))
    return render_template("account/confirm_phone.html", form=form, pending=pending), *form_status()


@login_required
@limiter.limit(lambda: current_app.config["SMS_RATE_LIMIT_PER_IP"], methods=["POST"])
def resend_login_change():
    """Send the link or code again (after the wait the service enforces), then back to the
    page of that change, which shows how the new one is getting there."""
    form = ResendForm()
    kind = form.kind.data
    if form.validate_on_submit():
        with shown_on_page():
            kind = login_change.resend_login_change(
                current_user.account, form.verification.data, link=confirmation_link
            ).kind
            flash(_("We are sending it again."), "success")
    return redirect(url_for("account.confirm_phone" if kind == "phone" else "account.change_email"))


@login_required
def change_password():
    form = PasswordChangeForm()
    account = current_user.account
    if form.validate_on_submit():
        at_field = at_fields(
            form,
            {
                WrongPassword: "current",
                WeakPassword: "new",
                PasswordMismatch: "repeat",
                (CodeInvalid, SecondFactorRequired): "code",
            },
        )
        with shown_on_page(at_field):
            replacement = password_change.change_password(
                account,
                form.current.data,
                form.new.data,
                form.repeat.data,
                login_session=current_user,
                code=form.code.data,
                context=request_context(),
            )
            _keep_signed_in(replacement)
            return render_template("account/password_changed.html")
    return render_template("account/password.html", form=form, account=account), *form_status()


def add_routes(bp: Blueprint) -> None:
    """Attach the login (e-mail, phone) and password pages to the account blueprint."""
    bp.add_url_rule("/email", view_func=change_email, methods=["GET", "POST"])
    bp.add_url_rule("/email/confirm/<token>", view_func=confirm_email, methods=["GET", "POST"])
    bp.add_url_rule("/phone", view_func=change_phone, methods=["GET", "POST"])
    bp.add_url_rule("/phone/confirm", view_func=confirm_phone, methods=["GET", "POST"])
    bp.add_url_rule("/login-change/resend", view_func=resend_login_change, methods=["POST"])
    bp.add_url_rule("/password", view_func=change_password, methods=["GET", "POST"])
    bp.add_app_template_global(delivery_sentence)
