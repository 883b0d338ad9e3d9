"""Personal info in Chromium: a photo chosen with the file picker shows on the page, and
the time zone is offered from the device, in both languages."""

from __future__ import annotations

import io

import pytest
from PIL import Image

WORDS = {
    "en": {"saved": "The photo has been saved.", "zone_saved": "The time zone has been saved."},
    "ru": {"saved": "Фото сохранено.", "zone_saved": "Часовой пояс сохранён."},
}


def sign_in(page, live_server, person, language: str) -> None:
    page.goto(f"{live_server.url}/login?ui_locales={language}")
    page.fill("#login", person.email)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/account")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_photo_chosen_in_the_file_picker_shows_as_a_square(
    live_server, factories, chromium, language
):
    person = factories.account()
    picture = io.BytesIO()
    Image.new("RGB", (900, 500), (20, 120, 220)).save(picture, "PNG")
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, person, language)
        page.click("#block-photo a.button")
        page.set_input_files(
            "#photo",
            files=[{"name": "me.png", "mimeType": "image/png", "buffer": picture.getvalue()}],
        )
        page.click("form[enctype] button[type=submit]")
        page.wait_for_url(live_server.url + "/account#personal")
        assert WORDS[language]["saved"] in page.inner_text("body")
        photo = page.locator("#block-photo img.photo")
        photo.wait_for()
        loaded = photo.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
        assert loaded == [True, 256, 256]
        assert page.locator(".person img.photo").count() == 1  # beside the name, too
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_devices_time_zone_is_offered_and_saved_with_one_click(
    live_server, factories, chromium, language
):
    person = factories.account()
    context = chromium.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, person, language)
        offer = page.locator("#use-device-zone")
        offer.wait_for(state="visible")
        assert "Asia/Tokyo" in offer.inner_text() and "UTC+09:00" in offer.inner_text()
        offer.click()
        page.wait_for_url(live_server.url + "/account#personal")
        assert WORDS[language]["zone_saved"] in page.inner_text("body")
        assert page.locator("#zoneinfo").input_value() == "Asia/Tokyo"
        assert page.locator("#use-device-zone").is_hidden()  # chosen: nothing more to offer
    finally:
        context.close()
