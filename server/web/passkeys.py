"""Passkeys on the Passport page (/account/passkeys: add, rename, remove) and at sign-in
(/login/passkey). The WebAuthn ceremonies run in the browser (static/passkeys.js); these
views hand out their options and take their answers, as JSON."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from ..context import request_context
from ..domain.errors import AccountLocked, PasskeyRefused, PassportError
from ..extensions import limiter
from ..services import passkeys
from .account_forms import second_factor_field
from .auth import safe_next, sign_in
from .errors import shown_on_page
from .second_step import pending_account

# The browser's own key for sign-in challenges: a challenge is answered from the browser it
# was given to (domain/passkeys.py).
BROWSER_KEY = "passkey_browser"
MAX_BODY = 32768


class AddPasskeyForm(FlaskForm):
    name = StringField(_l("Name of the passkey"), validators=[Length(max=100)])
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()


class RenamePasskeyForm(FlaskForm):
    name = StringField(_l("New name"), validators=[Length(max=100)])


class RemovePasskeyForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()


def _refused(error: PassportError, status: int = 400):
    return jsonify(error=error.message()), status


def _json_body() -> dict | None:
    if request.content_length and request.content_length > MAX_BODY:
        return None
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


@login_required
def passkeys_page():
    account = current_user.account
    return render_template(
        "account/passkeys.html",
        account=account,
        passkeys=passkeys.list_passkeys(account),
        add_form=AddPasskeyForm(),
        rename_form=RenamePasskeyForm(),
        remove_form=RemovePasskeyForm(),
    )


@login_required
def adding_options():
    """The owner check, then the options of navigator.credentials.create()."""
    form = AddPasskeyForm()
    if not form.validate_on_submit():
        return jsonify(error=_("The form has expired. Reload the page.")), 400
    try:
        options = passkeys.options_for_adding(
            current_user.account,
            form.password.data,
            login_session=current_user,
            code=form.code.data,
        )
    except PassportError as error:
        return _refused(error)
    return current_app.response_class(options, mimetype="application/json")


@login_required
def add_passkey():
    body = _json_body()
    if body is None or not isinstance(body.get("credential"), dict):
        return _refused(PasskeyRefused("malformed"))
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    try:
        _passkey, replacement = passkeys.add(
            current_user.account,
            body["credential"],
            name,
            login_session=current_user,
            context=request_context(),
        )
    except PassportError as error:
        return _refused(error)
    if replacement is not None:
        login_user(replacement)
    flash(_("The passkey was added."), "success")
    return jsonify(redirect=url_for("account.passkeys_page"))


@login_required
def rename_passkey(passkey_id: int):
    form = RenamePasskeyForm()
    if form.validate_on_submit():
        with shown_on_page():
            passkeys.rename(current_user.account, passkey_id, form.name.data)
            flash(_("The passkey was renamed."), "success")
    return redirect(url_for("account.passkeys_page"))


@login_required
def remove_passkey(passkey_id: int):
    form = RemovePasskeyForm()
    if form.validate_on_submit():
        with shown_on_page():
            replacement = passkeys.remove(
                current_user.account,
                passkey_id,
                form.password.data,
                login_session=current_user,
                code=form.code.data,
                context=request_context(),
            )
            if replacement is not None:
                login_user(replacement)
            flash(_("The passkey was removed."), "success")
    return redirect(url_for("account.passkeys_page"))


def _browser() -> str:
    if BROWSER_KEY not in session:
        session[BROWSER_KEY] = secrets.token_urlsafe(24)
    return session[BROWSER_KEY]


def signing_in_options():
    """The options of navigator.credentials.get() for this browser (any passkey of the site)."""
    options = passkeys.options_for_signing_in(_browser())
    return current_app.response_class(options, mimetype="application/json")


def _attempt_limit() -> str:
    return current_app.config["PASSKEY_RATE_LIMIT"]


@limiter.limit(_attempt_limit)
def sign_in_with_passkey():
    body = _json_body()
    if body is None or not isinstance(body.get("credential"), dict):
        return _refused(PasskeyRefused("malformed"))
    context = request_context()
    try:
        account, amr = passkeys.authenticate(body["credential"], _browser(), context=context)
    except AccountLocked as error:
        return _refused(error, 403)
    except PasskeyRefused as error:
        passkeys.note_refusal(context, error.reason)
        return _refused(error)
    next_url = body.get("next") if isinstance(body.get("next"), str) else None
    sign_in(account, amr=amr)
    return jsonify(redirect=safe_next(next_url))


def second_step_options():
    """The second step of a sign-in by a passkey of the account that passed the first."""
    account = pending_account()
    if account is None:
        return _refused(PasskeyRefused("challenge"))
    options = passkeys.options_for_signing_in(_browser(), account)
    return current_app.response_class(options, mimetype="application/json")


@limiter.limit(_attempt_limit)
def second_step_with_passkey():
    account = pending_account()
    body = _json_body()
    if account is None or body is None or not isinstance(body.get("credential"), dict):
        return _refused(PasskeyRefused("malformed"))
    context = request_context()
    try:
        account, amr = passkeys.authenticate(
            body["credential"], _browser(), account=account, context=context
        )
    except PasskeyRefused as error:
        passkeys.note_refusal(context, error.reason)
        return _refused(error)
    except AccountLocked as error:
        return _refused(error, 403)
    pending = session["second_step"]
    first = [m for m in pending["amr"] if m not in amr]
    sign_in(
        account, amr=[*first, *amr], remember=pending["remember"], upstream=pending.get("upstream")
    )
    return jsonify(redirect=safe_next(pending["next"]))


def add_account_routes(bp: Blueprint) -> None:
    """Attach /account/passkeys to the account blueprint."""
    bp.add_url_rule("/passkeys", view_func=passkeys_page)
    bp.add_url_rule("/passkeys/options", view_func=adding_options, methods=["POST"])
    bp.add_url_rule("/passkeys/add", view_func=add_passkey, methods=["POST"])
    bp.add_url_rule("/passkeys/<int:passkey_id>/rename", view_func=rename_passkey, methods=["POST"])
    bp.add_url_rule("/passkeys/<int:passkey_id>/remove", view_func=remove_passkey, methods=["POST"])


def add_login_routes(bp: Blueprint) -> None:
    """Attach /login/passkey to the sign-in blueprint."""
    bp.add_url_rule("/login/passkey/options", view_func=signing_in_options, methods=["POST"])
    bp.add_url_rule("/login/passkey", view_func=sign_in_with_passkey, methods=["POST"])
    bp.add_url_rule(
        "/login/second-step/passkey/options", view_func=second_step_options, methods=["POST"]
    )
    bp.add_url_rule(
        "/login/second-step/passkey", view_func=second_step_with_passkey, methods=["POST"]
    )
