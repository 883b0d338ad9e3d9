"""Device sign-in (RFC 8628) in Chromium, in Russian and in English: the person opens the
address a TV shows, signs in, types its code, reads who asks, allows; the TV's next poll
gets the tokens."""

from __future__ import annotations

import pytest
import requests

from server import clock

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

WORDS = {
    "ru": {
        "enter": "Вход на устройстве",
        "asks": "Телевизор в гостиной хочет использовать ваш Паспорт на устройстве",
        "allow": "Разрешить",
        "done": "Готово: устройство входит",
    },
    "en": {
        "enter": "Sign in on a device",
        "asks": "Телевизор в гостиной wants to use your Passport on a device",
        "allow": "Allow",
        "done": "Done: the device is signing in",
    },
}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_tv_signs_in_with_the_code_typed_on_a_phone(live_server, factories, chromium, language):
    person = factories.account()
    client = factories.client(
        public=True,
        first_party=True,
        client_name="Телевизор в гостиной",
        grant_types=[DEVICE_GRANT, "refresh_token"],
    )
    codes = requests.post(
        live_server.url + "/device_authorization",
        data={"client_id": client.client_id, "scope": "openid profile"},
        timeout=10,
    ).json()
    words = WORDS[language]
    context = chromium.new_context(
        locale="ru-RU" if language == "ru" else "en-US", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        page.goto(codes["verification_uri"])
        page.wait_for_url(live_server.url + "/login**")
        page.fill("#login", person.email)
        page.fill("#password", person.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(live_server.url + "/device**")
        assert page.inner_text("h1") == words["enter"]
        page.fill("#user_code", codes["user_code"].lower())
        page.click("main form button[type=submit]")
        page.wait_for_selector("button[value=allow]")
        assert page.inner_text("h1") == words["asks"]
        assert codes["user_code"] in page.inner_text("#device-code")
        page.click(f"button[value=allow]:text-is('{words['allow']}')")
        page.wait_for_selector("#device-allowed")
        assert page.inner_text("h1") == words["done"]
    finally:
        context.close()
    clock.travel(5)
    answer = requests.post(
        live_server.url + "/token",
        data={
            "grant_type": DEVICE_GRANT,
            "device_code": codes["device_code"],
            "client_id": client.client_id,
        },
        timeout=10,
    )
    assert answer.status_code == 200 and "id_token" in answer.json(), answer.text
