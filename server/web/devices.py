"""Reading a device from a User-Agent header, for the sessions and activity pages."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ua_parser import parse

# What a User-Agent says of the device's form, where its family does not: "Mobi" is how
# browsers mark a phone (MDN, "Browser detection using the user agent"); an Android
# browser without it, an iPad, or anything naming itself a tablet is a tablet.
_TABLET = re.compile(r"iPad|Tablet|Kindle|Silk/|PlayBook|Android(?!.*Mobi)", re.IGNORECASE)
_PHONE = re.compile(r"Mobi|iPhone|iPod|Windows Phone|BlackBerry|Opera Mini", re.IGNORECASE)


class Device(NamedTuple):
    browser: str  # "Chrome 120"; empty if unknown
    os: str  # "Windows 10"; empty if unknown
    kind: str  # "phone", "tablet" or "computer"; empty if the header says nothing


@lru_cache(maxsize=512)
def describe(user_agent: str | None) -> Device:
    """The browser, operating system and kind of device a User-Agent names, e.g.
    ("Chrome 120", "Windows 10", "computer")."""
    if not user_agent:
        return Device("", "", "")
    result = parse(user_agent)
    browser = os_name = ""
    if result.user_agent and result.user_agent.family != "Other":
        browser = " ".join(p for p in (result.user_agent.family, result.user_agent.major) if p)
    if result.os and result.os.family != "Other":
        os_name = " ".join(p for p in (result.os.family, result.os.major) if p)
    brand = (result.device.brand or "") if result.device else ""
    if _TABLET.search(user_agent) or "Tablet" in brand:
        kind = "tablet"
    elif _PHONE.search(user_agent):
        kind = "phone"
    elif browser or os_name:
        kind = "computer"
    else:
        kind = ""
    return Device(browser, os_name, kind)
