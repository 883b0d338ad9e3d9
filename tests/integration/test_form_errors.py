"""A refused form says why at the field at fault, for eyes and screen readers alike
(aria-invalid, aria-describedby), and keeps what was typed in the other fields."""

from __future__ import annotations

import re

import pytest

from ..support.browser import Browser, Page


def invalid_fields(page: Page) -> dict[str, str]:
    """name -> the error the field is described by, for every field marked invalid."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", page.html):
        if 'aria-invalid="true"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag).group(1)
        error_id = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
        found[name] = re.search(rf'id="{error_id}"[^>]*>([^<]+)<', page.html).group(1)
    return found


def value_of(page: Page, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page.html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else None


@pytest.mark.parametrize(
    ("language", "wrong"),
    [("en", "The current password is wrong."), ("ru", "Текущий пароль указан неверно.")],
)
def test_a_wrong_current_password_is_told_at_its_field(live_server, factories, language, wrong):
    person = factories.account()
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/password")
        new = "a new long passphrase"
        page = browser.submit(page, "new", current="not the password", new=new, repeat=new)
        assert page.status in (400, 403)
        assert invalid_fields(page) == {"current": wrong}
        assert 'class="flash error"' not in page.html


def test_a_wrong_password_keeps_the_new_e_mail_typed(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/email")
        page = browser.submit(page, "email", email="moved@example.org", password="not it")
        assert list(invalid_fields(page)) == ["password"]
        assert value_of(page, "email") == "moved@example.org"
        assert value_of(page, "password") in (None, "")  # a password is never sent back


def test_a_taken_e_mail_is_told_at_the_e_mail(live_server, factories):
    person, other = factories.account(), factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/email")
        page = browser.submit(page, "email", email=other.email, password=person.password)
        assert list(invalid_fields(page)) == ["email"]


def test_a_field_has_only_the_attributes_it_was_given(live_server, factories):
    """Neither `accept="None"` on every field nor the typed login as the value of the
    password's autofocus: an attribute not given is left out, a boolean one has no value."""
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        page = browser.submit(browser.get("/login"), "login", login=person.email, password="no")
        tags = re.findall(r"<input[^>]*>", page.html)
        assert not [tag for tag in tags if '"None"' in tag]
        [password] = [tag for tag in tags if 'name="password"' in tag]
        assert re.search(r"\bautofocus(\s|>|/)", password) and "autofocus=" not in password
        browser.sign_in(person.email, person.password)
        photo = browser.get("/account/photo")
        [picker] = re.findall(r'<input[^>]*type="file"[^>]*>', photo.html)
        assert 'accept="image/' in picker
