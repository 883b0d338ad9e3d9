"""The operators' console in a real browser, in both languages: find a person, lock the
Passport (the dialog asks first), see it in the audit log, unlock it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..support.console import grant_role

WORDS = {
    "en": {
        "find": "Find",
        "question": "Lock this Passport?",
        "locked": "The Passport has been locked",
        "unlocked": "The Passport has been unlocked.",
    },
    "ru": {
        "find": "Найти",
        "question": "Заблокировать этот Паспорт?",
        "locked": "Паспорт заблокирован",
        "unlocked": "Паспорт разблокирован.",
    },
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_operator_locks_and_unlocks_a_passport(live_server, factories, chromium, language):
    words = WORDS[language]
    operator = factories.account(name="Ольга Операторова")
    grant_role(live_server, operator.email, "operator")
    person = factories.account(name="Пётр Заблокированный")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login?ui_locales={language}")
        page.fill("#login", operator.email)
        page.fill("#password", operator.password)
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/account")
        page.goto(live_server.url + "/admin")
        page.fill("#q", "заблокированный")
        page.get_by_role("button", name=words["find"]).click()
        page.locator("#accounts a", has_text=person.email).click()
        expect(page.locator("#account-file h1")).to_have_text("Пётр Заблокированный")

        lock = page.locator("#action-lock")
        lock.locator("textarea[name=reason]").fill("ticket 12")
        lock.locator("button[type=submit]").click()
        dialog = page.locator("#confirm-dialog")
        expect(dialog).to_be_visible()
        assert dialog.inner_text().startswith(words["question"])
        dialog.locator("[data-confirm-yes]").click()
        expect(page.locator("main")).to_contain_text(words["locked"])
        expect(page.locator("#locked")).to_be_visible()
        expect(page.locator("#activity tr[data-kind=account_locked]")).to_contain_text("ticket 12")

        unlock = page.locator("#action-unlock")
        unlock.locator("textarea[name=reason]").fill("ticket 12 closed")
        unlock.locator("button[type=submit]").click()  # asks nothing: it harms nobody
        expect(page.locator("main")).to_contain_text(words["unlocked"])
        expect(page.locator("#locked")).to_have_count(0)

        page.goto(f"{live_server.url}/admin/audit?who={person.email}")
        expect(page.locator("#audit tr[data-kind=account_locked]")).to_contain_text("ticket 12")
    finally:
        context.close()
