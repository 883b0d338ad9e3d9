"""The operators' console (/admin): find an account and act on it, every client, the audit
log of the whole server, the outbox. Each action is a service function of
services/operators.py, which `passport users …` calls too."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ..context import request_context
from ..domain.audit import KINDS
from ..domain.errors import OperatorsOnlyConsole
from ..services import developers, operators
from .account_credentials import confirmation_link
from .errors import shown_on_page
from .recovery import recovery_link
from .words import event_words

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ActionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=operators.REASON_MAX)])
    # For a change of the login, and for roles.
    kind = SelectField(
        _l("New login"),
        choices=[SelectChoice("email", _l("E-mail")), SelectChoice("phone", _l("Phone number"))],
        validate_choice=False,  # the service refuses another kind, on this form only
    )
    value = StringField(_l("New e-mail or phone number"), validators=[Length(max=320)])
    role = HiddenField()
    granted = HiddenField()


class RetryForm(FlaskForm):
    pass


@bp.before_request
@login_required
def _operators_only():
    try:
        operators.require_operator(current_user.account)
    except OperatorsOnlyConsole as error:
        return render_template(
            "errors/forbidden.html", title=_("Operators’ console"), message=error.message()
        ), 403
    return None


def _actor() -> operators.Actor:
    return operators.Actor(current_user.account, request_context())


def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1


@bp.route("")
def index():
    return redirect(url_for("admin.accounts"))


@bp.route("/accounts")
def accounts():
    text = request.args.get("q", "")[:320]
    found = operators.find_accounts(text) if text.strip() else []
    return render_template("admin/accounts.html", q=text, found=found)


def _account_or_404(sub: str):
    account = operators.account_by_sub(sub)
    if account is None:
        abort(404)
    return account


@bp.route("/accounts/<sub>")
def account(sub: str):
    found = operators.account_file(_account_or_404(sub))
    rows = [{"event": e, "what": event_words(e)} for e in found.events]
    return render_template("admin/account.html", file=found, rows=rows, form=ActionForm())


def _lock(account, form, actor) -> str:
    if operators.lock(account, form.reason.data, actor):
        return _("The Passport has been locked: its sessions ended and its tokens died.")
    return _("The Passport was locked already.")


def _unlock(account, form, actor) -> str:
    if operators.unlock(account, form.reason.data, actor):
        return _("The Passport has been unlocked.")
    return _("The Passport was not locked.")


def _end_sessions(account, form, actor) -> str:
    return _(
        "Sessions ended: %(count)s.", count=operators.end_sessions(account, form.reason.data, actor)
    )


def _reset_two_factor(account, form, actor) -> str:
    if operators.reset_two_factor(account, form.reason.data, actor):
        return _("Two-factor authentication has been turned off.")
    return _("Two-factor authentication was off.")


def _send_recovery(account, form, actor) -> str:
    login = operators.send_recovery(account, form.reason.data, actor, link=recovery_link)
    return _("A recovery link or code has been sent to %(login)s.", login=login)


def _change_login(account, form, actor) -> str:
    operators.change_login(
        account,
        form.kind.data,
        form.value.data or "",
        form.reason.data,
        actor,
        link=confirmation_link,
    )
    return _(
        "A confirmation has been sent to %(value)s: the login changes once the person confirms it.",
        value=form.value.data.strip(),
    )


def _role(account, form, actor) -> str:
    role, granted = form.role.data, form.granted.data == "yes"
    if role not in operators.ROLES:
        abort(400)
    if operators.set_role(account, role, granted, form.reason.data, actor):
        return _("The role has been granted.") if granted else _("The role has been taken away.")
    return _("Nothing changed.")


ACTIONS: dict[str, Callable] = {
    "lock": _lock,
    "unlock": _unlock,
    "end-sessions": _end_sessions,
    "reset-2fa": _reset_two_factor,
    "send-recovery": _send_recovery,
    "change-login": _change_login,
    "role": _role,
}


@bp.route("/accounts/<sub>/<action>", methods=["POST"])
def act(sub: str, action: str):
    """One action on the account; its outcome, or why it was refused, above the file."""
    account = _account_or_404(sub)
    form = ActionForm()
    if action != "delete" and action not in ACTIONS:
        abort(404)
    if not form.validate_on_submit():
        flash(_("The form has expired or is incomplete; please try again."), "error")
        return redirect(url_for("admin.account", sub=sub))
    with shown_on_page():
        if action == "delete":
            login = account.login
            operators.delete(account, form.reason.data, _actor())
            flash(_("The Passport of %(login)s has been deleted.", login=login), "success")
            return redirect(url_for("admin.accounts"))
        flash(ACTIONS[action](account, form, _actor()), "success")
    return redirect(url_for("admin.account", sub=sub))


@bp.route("/clients")
def clients():
    return render_template(
        "admin/clients.html", clients=developers.clients_of(current_user.account)
    )


@bp.route("/audit")
def audit_log():
    kind = request.args.get("kind") or None
    who = (request.args.get("who") or "").strip()[:320] or None
    page = operators.audit_log(kind=kind, who=who, page=_page_number())
    rows = [{"event": e, "what": event_words(e)} for e in page.rows]
    return render_template(
        "admin/audit.html", page=page, rows=rows, kind=kind, who=who or "", kinds=sorted(KINDS)
    )


@bp.route("/outbox")
def outbox():
    status = request.args.get("status", "failed")
    if status not in operators.OUTBOX_STATES:
        status = "failed"
    page = operators.deliveries(status, page=_page_number())
    return render_template(
        "admin/outbox.html",
        page=page,
        status=status,
        states=operators.OUTBOX_STATES,
        form=RetryForm(),
    )


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def retry(message_id: int):
    if RetryForm().validate_on_submit():
        if operators.retry_delivery(message_id, _actor()):
            flash(_("The delivery will be tried again now."), "success")
        else:
            flash(_("Only a failed delivery can be tried again."), "error")
    return redirect(url_for("admin.outbox", status="pending"))
