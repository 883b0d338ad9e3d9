"""Your data (/account/data): download everything the Passport holds of you, or delete the
Passport (/account/delete)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from ..context import request_context
from ..domain.errors import CodeInvalid, OwnsPortals, SecondFactorRequired, WrongPassword
from ..extensions import limiter
from ..services import my_data
from .account_forms import second_factor_field
from .errors import at_fields, form_status, shown_on_page


class DownloadForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()


class DeleteForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[Length(max=1024)])
    code = second_factor_field()
    understood = BooleanField(
        _l("I understand that the Passport cannot be restored"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )

    def __init__(self, *args, **kwargs):
        # On the page beside the download's form: its fields have names and ids of their own.
        super().__init__(*args, prefix="delete", **kwargs)


# Where the owner check's refusals are said.
OWNER_FIELDS = {WrongPassword: "password", (CodeInvalid, SecondFactorRequired): "code"}


def _account_key() -> str:
    return f"data:{current_user.account_id}"


# Each asks for the password: guesses are limited per account (and a download reads the
# whole record).
per_account = limiter.limit(
    lambda: current_app.config["DATA_RATE_LIMIT"], key_func=_account_key, methods=["POST"]
)


@login_required
@per_account
def data_page():
    form = DownloadForm()
    if form.validate_on_submit():
        with shown_on_page(at_fields(form, OWNER_FIELDS)):
            name, body = my_data.download(
                current_user.account,
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
    return _page(form, DeleteForm(formdata=None)), *form_status()


@login_required
@per_account
def delete_passport():
    form = DeleteForm()
    if form.validate_on_submit():
        with shown_on_page(at_fields(form, {**OWNER_FIELDS, OwnsPortals: "understood"})):
            my_data.delete_passport(
                current_user.account,
                form.password.data,
                login_session=current_user,
                code=form.code.data,
                context=request_context(),
            )
            language = str(get_locale())  # the person's, before the session forgets them
            logout_user()
            session.clear()
            session["ui_locales"] = language
            return render_template("account/deleted.html")
    return _page(DownloadForm(formdata=None), form), *form_status()


def _page(download_form: DownloadForm, delete_form: DeleteForm) -> str:
    return render_template(
        "account/data.html",
        form=download_form,
        delete_form=delete_form,
        account=current_user.account,
    )


def add_routes(bp: Blueprint) -> None:
    """Attach the Your data page to the account blueprint."""
    bp.add_url_rule("/data", view_func=data_page, methods=["GET", "POST"])
    bp.add_url_rule("/delete", view_func=delete_passport, methods=["POST"])
