"""/device: the person signs in a TV or a command-line tool (RFC 8628 §3.3). They type the
code the device shows (or follow its verification_uri_complete), see which portal asks for
what, and allow or deny."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from ..context import request_context
from ..domain.client_metadata import shown_pages
from ..domain.device_authorizations import normal_user_code, shown_user_code
from ..extensions import limiter
from ..services import device as device_service
from .errors import form_status

bp = Blueprint("device", __name__)


class CodeForm(FlaskForm):
    user_code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])


class DecisionForm(FlaskForm):
    user_code = HiddenField(validators=[DataRequired(), Length(max=32)])


def _account_key() -> str:
    """Guesses are counted per person as well as per address (RFC 8628 §5.1)."""
    return f"device:{current_user.account_id}" if current_user.is_authenticated else "device:-"


def _guess_limit() -> str:
    return current_app.config["DEVICE_CODE_RATE_LIMIT"]


@bp.route("/device", methods=["GET", "POST"])
@login_required
@limiter.limit(_guess_limit, methods=["POST"])
@limiter.limit(_guess_limit, key_func=_account_key, methods=["POST"])
def enter_code():
    form = CodeForm()
    if request.method == "GET":
        form.user_code.data = request.args.get("user_code", "")[:32]
        return render_template("device/enter_code.html", form=form)
    if not form.validate_on_submit():
        return render_template("device/enter_code.html", form=form), *form_status()
    asking = device_service.pending(form.user_code.data)
    if asking is None:
        form.user_code.errors = [
            _("This code is not valid, or it has expired. Check it on the device.")
        ]
        return render_template("device/enter_code.html", form=form), 400
    code = normal_user_code(form.user_code.data)
    return render_template(
        "device/decide.html",
        form=DecisionForm(user_code=code),
        client=asking.client,
        pages=shown_pages(asking.client.client_metadata or {}),
        scopes=(asking.scope or "").split(),
        user_code=shown_user_code(code),
        account=current_user.account,
    )


@bp.route("/device/decision", methods=["POST"])
@login_required
def decide():
    form = DecisionForm()
    asking = device_service.pending(form.user_code.data) if form.validate_on_submit() else None
    approved = request.form.get("decision") == "allow"
    decided = asking is not None and device_service.decide(
        current_user.account,
        current_user._get_current_object(),
        asking,
        approved=approved,
        context=request_context(),
    )
    if not decided:
        return render_template("device/done.html", outcome="late"), 409
    return render_template("device/done.html", outcome="allowed" if approved else "denied")
