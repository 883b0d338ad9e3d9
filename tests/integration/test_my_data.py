"""Download my data: the owner takes one JSON file of everything the Passport holds of them,
with nothing in it that would open the account."""

from __future__ import annotations

from ..support import two_factor
from ..support.browser import Browser
from ..support.console import register, shown, shown_secret
from ..support.relying_party import RelyingParty


def download(browser: Browser, **values):
    return browser.submit(browser.get("/account/data"), to="/account/data", **values)


def test_the_owner_downloads_everything_and_nothing_that_opens_the_account(live_server, factories):
    person = factories.account(name="Анна Соколова")
    portal = RelyingParty(live_server.url, factories.client(client_name="Книжный магазин"))
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        tokens = portal.exchange(portal.authorize(browser, scope="openid profile offline_access"))
        sub = portal.verify_id_token(tokens["id_token"])["sub"]

        refused = download(browser, password="not the password")
        assert refused.status == 400 and "Content-Disposition" not in refused.response.headers
        assert "The current password is wrong." in refused.text

        answer = download(browser, password=person.password)
        assert answer.status == 200
        headers = answer.response.headers
        assert headers["Content-Type"] == "application/json"
        assert headers["Content-Disposition"].startswith('attachment; filename="passport-')
        assert headers["Cache-Control"] == "no-store"
        data = answer.response.json()
        activity = browser.get("/account/activity?ui_locales=en")

    assert data["format"] == "passport-data/1" and data["issuer"] == live_server.url
    account = data["account"]
    assert (account["sub"], account["email"], account["name"]) == (
        sub,
        person.email,
        "Анна Соколова",
    )
    assert account["has_password"] is True and account["two_factor"] is False
    [session] = data["sessions"]
    assert session["ip_address"] == "127.0.0.1" and "Chrome/120.0" in session["user_agent"]
    assert session["methods"] == ["pwd"] and session["ended_at"] is None
    [linked] = data["portals"]
    assert linked["client_id"] == portal.client.client_id and linked["name"] == "Книжный магазин"
    assert linked["scopes"] == ["openid", "profile"]  # offline access is asked every time
    assert linked["offline_access"] is True
    kinds = [event["kind"] for event in data["activity"]]
    assert kinds.index("account_created") < kinds.index("login") < kinds.index("consent_granted")
    assert data["social_networks"] == [] and data["developer_clients"] == []

    # Nothing that opens the account, or a portal's access to it.
    text = answer.html
    for secret in (person.password, tokens["refresh_token"], tokens["access_token"]):
        assert secret not in text
    assert "hash" not in text, [line for line in text.splitlines() if "hash" in line]
    assert browser.session.cookies[live_server.app.config["SESSION_COOKIE_NAME"]] not in text

    # The download is in the activity; the refused try is not.
    assert "Your data downloaded" in activity.text


def test_with_two_factor_on_the_code_is_asked_too(live_server, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = two_factor.turn_on(browser, person.password)
        page = browser.get("/account/data")
        assert "code" in page.form(to="/account/data").fields

        without = download(browser, password=person.password)
        assert without.status == 400 and "Content-Disposition" not in without.response.headers
        wrong = download(browser, password=person.password, code=two_factor.wrong_code(totp))
        assert wrong.status == 400 and "Content-Disposition" not in wrong.response.headers

        right = download(browser, password=person.password, code=two_factor.next_step_code(totp))
        assert right.status == 200 and right.response.json()["account"]["two_factor"] is True
        assert totp.secret not in right.html


def test_a_developer_finds_the_portals_they_registered(console, developer):
    page = register(console, client_name="Самовар")
    client_id, secret = shown(page, "client-id"), shown_secret(page)
    data = download(console, password=developer.password).response.json()
    [registered] = data["developer_clients"]
    assert registered["client_id"] == client_id and registered["name"] == "Самовар"
    assert secret not in str(data)


def test_downloads_are_limited_per_account(live_server, factories):
    person = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/data")
        for _ in range(10):
            assert download(browser, password="wrong").status == 400
        assert download(browser, password=person.password).status == 429
        assert page.status == 200 and browser.get("/account/data").status == 200  # only POSTs


def test_signed_out_the_page_asks_to_sign_in(live_server):
    with Browser(live_server.url) as browser:
        page = browser.get("/account/data")
    assert "/login" in page.url


def test_the_page_speaks_russian(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="ru") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/data")
        refused = download(browser, password="не тот")
    assert "Ваши данные" in page.text and "Скачать мои данные" in page.text
    assert "Текущий пароль" in refused.text and refused.status == 400
