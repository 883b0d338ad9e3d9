"""Reading a device from a User-Agent header, for the sessions page."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse


@lru_cache(maxsize=512)
def describe(user_agent: str | None) -> tuple[str, str]:
    """(browser, operating system), e.g. ("Chrome 120", "Windows 10"); empty strings if unknown."""
    if not user_agent:
        return "", ""
    result = parse(user_agent)
    browser = os_name = ""
    if result.user_agent and result.user_agent.family != "Other":
        browser = " ".join(p for p in (result.user_agent.family, result.user_agent.major) if p)
    if result.os and result.os.family != "Other":
        os_name = " ".join(p for p in (result.os.family, result.os.major) if p)
    return browser, os_name
