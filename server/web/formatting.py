"""How the pages write what they show: phone numbers as people write them, moments as
"3 days ago", in the page's language."""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from flask import Blueprint
from flask_babel import format_timedelta
from flask_babel import gettext as _

from ..clock import now


def phone_for_people(number: str | None) -> str:
    """+79165554433 -> "+7 916 555-44-33" (the country's own grouping); what is no number
    is shown as it is."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def ago(moment: datetime | None) -> str:
    """ "2 months ago" / "2 месяца назад" for a past moment; "just now" under a minute."""
    if moment is None:
        return ""
    past = now() - moment
    if past < timedelta(minutes=1):
        return _("just now")
    return format_timedelta(-past, granularity="minute", add_direction=True)


def add_filters(bp: Blueprint) -> None:
    bp.add_app_template_filter(phone_for_people, "phone")
    bp.add_app_template_filter(ago, "ago")
