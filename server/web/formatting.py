"""How the pages write what they show: phone numbers as people write them, moments as
"3 days ago" or "yesterday at 09:12", in the page's language and time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from flask import Blueprint
from flask_babel import (
    format_date,
    format_datetime,
    format_time,
    format_timedelta,
    get_locale,
    to_user_timezone,
)
from flask_babel import gettext as _

from ..clock import now
from ..places import place_of
from .words import access_words, device_words, oauth_error_words

# Up to this many days back a moment is counted in days ("3 days ago"); before, it is dated.
DAYS_COUNTED = 6


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


def when(moment: datetime | None) -> str:
    """A past moment as people say it: "just now", "5 minutes ago", "today at 14:05 UTC",
    "yesterday at 09:12 UTC", "3 days ago", then the date ("12 March 2024"). Days are
    counted in the page's time zone, which the time names."""
    if moment is None:
        return ""
    if now() - moment < timedelta(hours=1):
        return ago(moment)
    days = (to_user_timezone(now()).date() - to_user_timezone(moment).date()).days
    time = format_time(moment, "HH:mm z")
    if days <= 0:
        return _("today at %(time)s", time=time)
    if days == 1:
        return _("yesterday at %(time)s", time=time)
    if days <= DAYS_COUNTED:
        return format_timedelta(
            -timedelta(days=days), granularity="day", threshold=1, add_direction=True
        )
    return format_date(moment, "long")


def exactly(moment: datetime | None) -> str:
    """The full date and time, with its time zone: what `when` rounds off."""
    if moment is None:
        return ""
    return format_datetime(moment, "long")


def place(ip_address: str | None) -> str:
    """Roughly where an address is ("Moscow, Russia"), in the page's language; "" when
    no GeoIP database is configured or it does not know the address."""
    return place_of(ip_address, str(get_locale() or "en")) or ""


def add_filters(bp: Blueprint) -> None:
    bp.add_app_template_filter(phone_for_people, "phone")
    bp.add_app_template_filter(ago, "ago")
    bp.add_app_template_filter(when, "when")
    bp.add_app_template_filter(exactly, "exactly")
    bp.add_app_template_filter(place, "place")
    bp.add_app_template_filter(access_words, "access")
    bp.add_app_template_filter(device_words, "device_kind")
    bp.add_app_template_filter(oauth_error_words, "oauth_error_words")
