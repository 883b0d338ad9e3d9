"""Personal info on the Passport page: the name, the postal address, the language."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ..context import request_context
from ..domain.addresses import PARTS
from ..domain.errors import InvalidAddress, InvalidName
from ..domain.identifiers import phone_logins
from ..services import profile
from .errors import at_fields, form_status, shown_on_page


class AddressForm(FlaskForm):
    street_address = TextAreaField(
        _l("Street, house, apartment"), validators=[Length(max=PARTS["street_address"])]
    )
    locality = StringField(_l("City or town"), validators=[Length(max=PARTS["locality"])])
    region = StringField(_l("Region or state"), validators=[Length(max=PARTS["region"])])
    postal_code = StringField(_l("Postal code"), validators=[Length(max=PARTS["postal_code"])])
    country = StringField(_l("Country"), validators=[Length(max=PARTS["country"])])

    def parts(self) -> dict:
        return {name: getattr(self, name).data for name in PARTS}


class NameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=profile.NAME_MAX)])


@login_required
def name():
    """The name portals get with the profile scope."""
    account = current_user.account
    form = NameForm(data={"name": account.name or ""})
    if form.validate_on_submit():
        with shown_on_page(at_fields(form, {InvalidName: "name"})):
            profile.set_name(account, form.name.data, context=request_context())
            flash(_("The name has been saved."), "success")
            return redirect(url_for("account.index") + "#personal")
    return render_template("account/name.html", form=form), *form_status()


# Each language by its own name, as a person looking for theirs reads it.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


class LanguageForm(FlaskForm):
    language = SelectField()


def language_form(current: str) -> LanguageForm:
    form = LanguageForm(language=current)
    # A Passport of e-mail logins sends no SMS, and says nothing of them.
    if phone_logins():
        form.language.label.text = _("Language of the pages, mail and SMS")
    else:
        form.language.label.text = _("Language of the pages and mail")
    form.language.choices = [
        (code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]
    ]
    return form


@login_required
def language():
    """The person's language, for the pages and for every message Passport sends them."""
    form = language_form(current_user.account.locale)
    if not form.validate_on_submit():
        for error in [*form.errors.get("language", []), *form.errors.get("csrf_token", [])]:
            flash(error, "error")
        return redirect(url_for("account.index"))
    chosen = form.language.data
    profile.set_language(current_user.account, chosen)
    session["ui_locales"] = chosen  # this browser follows at once, whatever it chose before
    with force_locale(chosen):
        flash(_("The language has been saved."), "success")
    return redirect(url_for("account.index"))


@login_required
def address():
    account = current_user.account
    form = AddressForm(data=account.address or {})
    if form.validate_on_submit():
        with shown_on_page(lambda error: _show_error(form, error)):
            profile.set_address(account, form.parts(), context=request_context())
            flash(_("The address has been saved."), "success")
            return redirect(url_for("account.index"))
    return render_template("account/address.html", form=form)


def _show_error(form: AddressForm, error) -> None:
    if isinstance(error, InvalidAddress):
        field = getattr(form, error.field)
        field.errors = [*field.errors, error.message()]
    else:
        flash(error.message(), "error")


def add_routes(bp: Blueprint) -> None:
    """Attach /account/name, /account/address and /account/language to the account blueprint."""
    bp.add_url_rule("/address", view_func=address, methods=["GET", "POST"])
    bp.add_url_rule("/language", view_func=language, methods=["POST"])
    bp.add_url_rule("/name", view_func=name, methods=["GET", "POST"])
