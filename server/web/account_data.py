"""Your data (/account/data): download everything the Passport holds of you."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length

from ..context import request_context
from ..domain.errors import CodeInvalid, SecondFactorRequired, WrongPassword
from ..extensions import limiter
from ..services import my_data
from .account_forms import second_factor_field
from .errors import at_fields, form_status, shown_on_page


class DownloadForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()


def _account_key() -> str:
    return f"data:{current_user.account_id}"


@login_required
@limiter.limit(
    lambda: current_app.config["DATA_DOWNLOAD_RATE_LIMIT"], key_func=_account_key, methods=["POST"]
)
def data_page():
    form = DownloadForm()
    account = current_user.account
    if form.validate_on_submit():
        at_field = at_fields(
            form, {WrongPassword: "password", (CodeInvalid, SecondFactorRequired): "code"}
        )
        with shown_on_page(at_field):
            name, body = my_data.download(
                account,
                form.password.data,
                login_session=current_user,
                code=form.code.data,
                context=request_context(),
            )
            return Response(
                body,
                mimetype="application/json",
                headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    "Cache-Control": "no-store",
                },
            )
    return render_template("account/data.html", form=form, account=account), *form_status()


def add_routes(bp: Blueprint) -> None:
    """Attach the Your data page to the account blueprint."""
    bp.add_url_rule("/data", view_func=data_page, methods=["GET", "POST"])
