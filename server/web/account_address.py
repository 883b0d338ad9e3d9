"""Personal info on the Passport page: the name, the postal address, the language, the time
zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location
from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import force_locale, get_locale
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


class TimeZoneForm(FlaskForm):
    zoneinfo = SelectField(_l("Time zone"))


def time_zone_form(current: str | None) -> TimeZoneForm:
    form = TimeZoneForm(zoneinfo=current or "")
    form.zoneinfo.choices = [
        ("", _("UTC (not chosen)")),
        *_zone_choices(str(get_locale()), date.today()),
    ]
    return form


@lru_cache(maxsize=8)
def _zone_choices(language: str, day: date) -> list[tuple[str, str]]:
    """Every zone a person may choose, as "UTC+03:00 · Москва (Europe/Moscow)", by offset
    today, then by place: a person looks for their city or for their hour."""
    moment = datetime.combine(day, datetime.min.time(), UTC)
    rows = []
    for name in profile.time_zones():
        offset = moment.astimezone(ZoneInfo(name)).utcoffset()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        try:
            place = get_timezone_location(name, locale=language, return_city=True)
        except LookupError:
            place = name.rsplit("/", 1)[-1].replace("_", " ")
        label = f"UTC{sign}{hours:02d}:{rest:02d} · {place} ({name})"
        rows.append((minutes, place, name, label))
    return [(name, label) for _minutes, _place, name, label in sorted(rows)]


@login_required
def time_zone():
    """The person's time zone: the pages' times, and the zoneinfo claim."""
    form = time_zone_form(current_user.account.zoneinfo)
    if not form.validate_on_submit():
        for error in [*form.errors.get("zoneinfo", []), *form.errors.get("csrf_token", [])]:
            flash(error, "error")
        return redirect(url_for("account.index") + "#personal")
    with shown_on_page():
        profile.set_time_zone(current_user.account, form.zoneinfo.data)
        flash(_("The time zone has been saved."), "success")
    return redirect(url_for("account.index") + "#personal")


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
    """Attach /account/name, /account/address, /account/language and /account/time-zone to the
    account blueprint."""
    bp.add_url_rule("/address", view_func=address, methods=["GET", "POST"])
    bp.add_url_rule("/language", view_func=language, methods=["POST"])
    bp.add_url_rule("/name", view_func=name, methods=["GET", "POST"])
    bp.add_url_rule("/time-zone", view_func=time_zone, methods=["POST"])
