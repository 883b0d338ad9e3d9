"""/account/2fa: turning two-factor authentication on and off, recovery codes."""

from __future__ import annotations

import segno
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from markupsafe import Markup

from ..context import request_context
from ..domain import factors
from ..services import two_factor
from .account_forms import TwoFactorConfirmForm, TwoFactorManageForm, TwoFactorSetupForm
from .errors import form_status, shown_on_page


@login_required
def two_factor_page():
    account = current_user.account
    return render_template(
        "account/two_factor.html",
        enabled=factors.is_enabled(account),
        remaining=factors.remaining_recovery_codes(account),
        setup_form=TwoFactorSetupForm(),
        manage_form=TwoFactorManageForm(),
        account=account,
    )


@login_required
def two_factor_setup():
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        with shown_on_page():
            two_factor.begin_setup(
                current_user.account, form.password.data, login_session=current_user
            )
            return redirect(url_for("account.two_factor_confirm"))
    return redirect(url_for("account.two_factor_page"))


@login_required
def two_factor_confirm():
    account = current_user.account
    secret = factors.pending_secret(account)
    if secret is None:
        return redirect(url_for("account.two_factor_page"))
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        with shown_on_page():
            codes, replacement = two_factor.confirm_setup(
                account, form.code.data, login_session=current_user, context=request_context()
            )
            if replacement is not None:
                login_user(replacement)  # this browser stays signed in, on a new session id
            return render_template("account/recovery_codes.html", codes=codes)
    uri = factors.provisioning_uri(account, secret)
    qr = Markup(
        segno.make(uri, error="m").svg_inline(
            scale=5, title=_("QR code for your authenticator app")
        )
    )
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "account/two_factor_confirm.html", form=form, qr=qr, secret=grouped
    ), *form_status()


@login_required
def two_factor_recovery_codes():
    form = TwoFactorManageForm()
    if form.validate_on_submit():
        with shown_on_page():
            codes = two_factor.regenerate_recovery_codes(
                current_user.account, form.password.data, form.code.data, login_session=current_user
            )
            return render_template("account/recovery_codes.html", codes=codes)
    return redirect(url_for("account.two_factor_page"))


@login_required
def two_factor_disable():
    return _turn_off(
        then=url_for("account.two_factor_page"), message=_("Two-factor authentication is off.")
    )


@login_required
def two_factor_reset():
    """Reset: off (a credential change), then straight into setting up a new app."""
    return _turn_off(
        then=url_for("account.two_factor_page"),
        message=_("Two-factor authentication was reset. Set up your app again."),
        reason="2fa_reset",
    )


def _turn_off(*, then: str, message: str, reason: str = "2fa_disabled"):
    form = TwoFactorManageForm()
    if form.validate_on_submit():
        with shown_on_page():
            replacement = two_factor.disable(
                current_user.account,
                form.password.data,
                form.code.data,
                login_session=current_user,
                context=request_context(),
                reason=reason,
            )
            if replacement is not None:
                login_user(replacement)
            flash(message, "success")
    return redirect(then)


def add_routes(bp: Blueprint) -> None:
    """Attach /account/2fa and its actions to the account blueprint."""
    bp.add_url_rule("/2fa", view_func=two_factor_page)
    bp.add_url_rule("/2fa/setup", view_func=two_factor_setup, methods=["POST"])
    bp.add_url_rule("/2fa/confirm", view_func=two_factor_confirm, methods=["GET", "POST"])
    bp.add_url_rule("/2fa/recovery-codes", view_func=two_factor_recovery_codes, methods=["POST"])
    bp.add_url_rule("/2fa/disable", view_func=two_factor_disable, methods=["POST"])
    bp.add_url_rule("/2fa/reset", view_func=two_factor_reset, methods=["POST"])
