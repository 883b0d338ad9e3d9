"""Device sign-in (RFC 8628) over HTTP: a TV or a command-line tool asks, the person types
its code at /device and decides, the device polls for its tokens — and every refusal on
the way (a device polling too fast, an expired or spent device code, a guessed user code)."""

from __future__ import annotations

import re

import pytest
import requests

from server import clock
from server.domain.device_authorizations import USER_CODE_ALPHABET

from ..support.browser import Browser
from ..support.delivery import unverified_claims

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Device:
    """A device: a public client that asks, shows the user code and polls."""

    def __init__(self, live_server, client):
        self.server = live_server
        self.client = client
        self.codes: dict = {}

    def ask(self, scope: str = "openid profile offline_access") -> dict:
        answer = requests.post(
            self.server.url + "/device_authorization",
            data={"client_id": self.client.client_id, "scope": scope},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        self.codes = answer.json()
        return self.codes

    def poll(self, device_code: str | None = None) -> requests.Response:
        return requests.post(
            self.server.url + "/token",
            data={
                "grant_type": DEVICE_GRANT,
                "device_code": device_code or self.codes["device_code"],
                "client_id": self.client.client_id,
            },
            timeout=10,
        )


def device_of(live_server, factories, *, first_party=True, **metadata) -> Device:
    metadata.setdefault("grant_types", [DEVICE_GRANT, "refresh_token"])
    return Device(live_server, factories.client(public=True, first_party=first_party, **metadata))


def error_of(answer: requests.Response) -> str:
    assert answer.status_code in (400, 401), (answer.status_code, answer.text)
    return answer.json()["error"]


def enter(browser: Browser, user_code: str):
    """The person types the code at /device; the page that answers."""
    return browser.submit(browser.get("/device"), "user_code", user_code=user_code)


def decide(browser: Browser, user_code: str, decision: str = "allow"):
    page = enter(browser, user_code)
    assert page.status == 200 and 'name="decision"' in page.html, page.text[:500]
    return browser.submit(page, "decision", button="decision", decision=decision)


@pytest.fixture
def browser(live_server, person):
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        yield browser


def test_discovery_names_the_endpoint_and_the_grant(live_server):
    document = requests.get(live_server.url + "/.well-known/openid-configuration", timeout=10)
    document = document.json()
    assert document["device_authorization_endpoint"] == live_server.url + "/device_authorization"
    assert DEVICE_GRANT in document["grant_types_supported"]


def test_the_codes_are_short_for_people_and_long_for_devices(live_server, factories):
    codes = device_of(live_server, factories).ask()
    assert re.fullmatch(
        f"[{USER_CODE_ALPHABET}]{{4}}-[{USER_CODE_ALPHABET}]{{4}}", codes["user_code"]
    )
    assert not set("AEIOU01") & set(codes["user_code"])  # nothing to misread, no words
    assert len(codes["device_code"]) >= 43
    assert codes["verification_uri"] == live_server.url + "/device"
    assert codes["verification_uri_complete"].endswith("?user_code=" + codes["user_code"])
    assert codes["expires_in"] == 600 and codes["interval"] == 5


def test_a_device_signs_in_once_the_person_allows_it(live_server, factories, browser, person):
    device = device_of(live_server, factories)
    codes = device.ask()
    assert error_of(device.poll()) == "authorization_pending"
    page = decide(browser, codes["user_code"].lower().replace("-", " "))
    assert page.status == 200 and 'id="device-allowed"' in page.html
    clock.travel(5)
    answer = device.poll()
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    id_token = unverified_claims(tokens["id_token"])
    assert id_token["aud"] == [device.client.client_id] and id_token["amr"] == ["pwd"]
    assert "auth_time" in id_token and "sid" not in id_token  # no browser session of its own
    userinfo = requests.get(
        live_server.url + "/userinfo",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    )
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == person.sub
    clock.travel(5)
    assert error_of(device.poll()) == "invalid_grant"  # the tokens are issued once


def test_the_page_names_the_portal_and_what_it_gets(live_server, factories, browser):
    device = device_of(live_server, factories, client_name="Living-room TV")
    codes = device.ask(scope="openid email")
    page = enter(browser, codes["user_code"])
    assert "Living-room TV" in page.text and codes["user_code"] in page.text


def test_a_person_who_denies_sends_the_device_away(live_server, factories, browser):
    device = device_of(live_server, factories)
    codes = device.ask()
    page = decide(browser, codes["user_code"], "deny")
    assert 'id="device-denied"' in page.html
    assert error_of(device.poll()) == "access_denied"


def test_a_device_polling_too_fast_is_slowed_down(live_server, factories):
    device = device_of(live_server, factories)
    device.ask()
    assert error_of(device.poll()) == "authorization_pending"
    assert error_of(device.poll()) == "slow_down"  # at once: 5 s had not passed
    clock.travel(10)  # the interval is 10 s now (§3.5: 5 s more after slow_down)
    assert error_of(device.poll()) == "authorization_pending"
    clock.travel(6)
    assert error_of(device.poll()) == "slow_down"
    clock.travel(15)
    assert error_of(device.poll()) == "authorization_pending"


def test_an_expired_request_can_neither_be_allowed_nor_polled(live_server, factories, browser):
    device = device_of(live_server, factories)
    codes = device.ask()
    clock.travel(601)
    page = enter(browser, codes["user_code"])
    assert page.status == 400 and "not valid, or it has expired" in page.text
    assert error_of(device.poll()) == "expired_token"


def test_an_answer_given_twice_counts_once(live_server, factories, browser):
    device = device_of(live_server, factories)
    codes = device.ask()
    page = enter(browser, codes["user_code"])
    assert browser.submit(page, "decision", button="decision", decision="allow").status == 200
    late = browser.submit(page, "decision", button="decision", decision="deny")
    assert late.status == 409 and 'id="device-late"' in late.html
    clock.travel(5)
    assert device.poll().status_code == 200


def test_an_unknown_or_foreign_device_code_is_invalid_grant(live_server, factories):
    device, other = device_of(live_server, factories), device_of(live_server, factories)
    device.ask()
    assert error_of(device.poll("x" * 43)) == "invalid_grant"
    assert error_of(other.poll(device.codes["device_code"])) == "invalid_grant"


def test_a_client_not_registered_for_devices_is_refused(live_server, factories):
    device = Device(live_server, factories.client(public=True))
    answer = requests.post(
        live_server.url + "/device_authorization",
        data={"client_id": device.client.client_id},
        timeout=10,
    )
    assert error_of(answer) == "unauthorized_client"


def test_a_scope_the_client_may_not_have_is_refused(live_server, factories):
    device = device_of(live_server, factories, scope="openid")
    answer = requests.post(
        live_server.url + "/device_authorization",
        data={"client_id": device.client.client_id, "scope": "openid email"},
        timeout=10,
    )
    assert error_of(answer) == "invalid_scope"


def test_guessing_user_codes_is_limited(live_server, browser, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "DEVICE_CODE_RATE_LIMIT", "3 per minute")
    statuses = [enter(browser, "BCDF-GHJK").status for _ in range(4)]
    assert statuses == [400, 400, 400, 429], statuses


def test_signing_in_comes_back_to_the_code(live_server, factories, person):
    device = device_of(live_server, factories)
    codes = device.ask()
    with Browser(live_server.url) as browser:
        page = browser.open(codes["verification_uri_complete"])
        page = browser.submit(page, "login", login=person.email, password=person.password)
        assert page.form("user_code").fields["user_code"] == codes["user_code"]


def test_a_third_party_device_becomes_a_linked_portal(live_server, factories, browser):
    device = device_of(live_server, factories, first_party=False, client_name="Kitchen radio")
    decide(browser, device.ask(scope="openid profile")["user_code"])
    assert "Kitchen radio" in browser.get("/account/portals").text


def test_logging_out_of_all_devices_signs_the_device_out(live_server, factories, browser):
    device = device_of(live_server, factories)
    decide(browser, device.ask()["user_code"])
    tokens = device.poll().json()
    page = browser.get("/account/sessions")
    browser.submit(page, to="/account/sessions/end-all")
    refresh = requests.post(
        live_server.url + "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": device.client.client_id,
        },
        timeout=10,
    )
    assert error_of(refresh) == "invalid_grant"
