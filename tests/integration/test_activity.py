"""The activity page: fifty events a page, newest first, filtered by kind."""

from __future__ import annotations

import re

from server.domain import audit
from server.extensions import db

from ..support.browser import Browser, Page


def kinds(page: Page) -> list[str]:
    return re.findall(r'<tr data-kind="([^"]+)"', page.html)


def record(live_server, account_id: int, kind: str, count: int) -> None:
    with live_server.app_context():
        for _ in range(count):
            audit.record(kind, account_id=account_id, ip_address="203.0.113.9")
        db.session.commit()


def test_the_activity_is_paged_and_filtered(live_server, factories):
    person = factories.account()
    record(live_server, person.id, "login_failed", 55)
    record(live_server, person.id, "address_changed", 3)
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        first = browser.get("/account/activity")
        assert len(kinds(first)) == 50 and kinds(first)[0] == "login"  # the newest first
        assert 'rel="next" href="/account/activity?page=2"' in first.html
        assert 'rel="prev"' not in first.html
        second = browser.get("/account/activity?page=2")
        total = 1 + 55 + 3 + 1  # the sign-in, the failures, the address, the account's start
        assert (
            len(kinds(second)) == total - 50
            and 'rel="prev" href="/account/activity"' in second.html
        )
        assert not set(kinds(first)) & {"account_created"} and "account_created" in kinds(second)

        security = browser.get("/account/activity?kind=security")
        assert kinds(security) == ["address_changed"] * 3 and 'rel="next"' not in security.html
        assert 'aria-current="page">Security changes<' in security.html
        sign_ins = browser.get("/account/activity?kind=sign-ins&page=2")
        assert set(kinds(sign_ins)) <= {"login_failed", "account_created", "login"}


def test_odd_page_and_kind_values_are_read_as_the_first_page_of_all(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        for query in ("?page=abc", "?page=-1", "?page=99999999999", "?kind=%00&page=0"):
            page = browser.get("/account/activity" + query)
            assert page.status == 200 and "login" in kinds(page)
        beyond = browser.get("/account/activity?page=40")
        assert kinds(beyond) == [] and "Здесь пока ничего нет." in beyond.text
        assert 'rel="prev"' in beyond.html
