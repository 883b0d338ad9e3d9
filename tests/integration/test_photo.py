"""The profile photo: uploaded on the Passport page, made a square JPEG with nothing of the
upload left but its pixels, served at an unguessable address that portals get as the
picture claim, and gone when replaced or removed."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


def image(size=(600, 400), kind="PNG", colour=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if len(colour) == 4 else "RGB"
    Image.new(mode, size, colour).save(out, kind, **save)
    return out.getvalue()


def upload(browser: Browser, content: bytes, name: str = "me.png", kind: str = "image/png"):
    return browser.submit(browser.get("/account/photo"), files={"photo": (name, content, kind)})


def test_a_photo_becomes_a_square_jpeg_that_portals_get_as_the_picture(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        assert "picture" not in portal.profile_of(browser)
        page = upload(browser, image((600, 400)))
        assert page.url.endswith("/account#personal") and "The photo has been saved." in page.text
        picture = portal.profile_of(browser)["picture"]
        assert picture.startswith(live_server.url + "/photos/") and picture.endswith(".jpg")
        assert picture.removeprefix(live_server.url) in page.html

        served = requests.get(picture, timeout=10)  # no cookie: portals fetch it as anyone
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
        assert "immutable" in served.headers["Cache-Control"]
        assert "public" in served.headers["Cache-Control"]
        assert served.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        kept = Image.open(io.BytesIO(served.content))
        assert kept.format == "JPEG" and kept.size == (256, 256)
        again = requests.get(picture, headers={"If-None-Match": served.headers["ETag"]}, timeout=10)
        assert again.status_code == 304
        assert "Profile photo changed" in browser.get("/account/activity").text


def test_a_new_photo_gets_a_new_address_and_the_old_one_is_gone(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        upload(browser, image(colour=(10, 200, 10)))
        first = portal.profile_of(browser)["picture"]
        upload(browser, image(kind="WEBP", colour=(10, 10, 200)), "me.webp", "image/webp")
        second = portal.profile_of(browser)["picture"]
        assert second != first
        assert requests.get(first, timeout=10).status_code == 404
        blue = Image.open(io.BytesIO(requests.get(second, timeout=10).content)).getpixel((128, 128))
        assert blue[2] > 150 and blue[0] < 60


def test_removing_the_photo_removes_the_claim_and_the_address(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        upload(browser, image())
        picture = portal.profile_of(browser)["picture"]
        page = browser.submit(browser.get("/account/photo"), to="/account/photo/remove")
        assert "The photo has been removed." in page.text
        assert "picture" not in portal.profile_of(browser)
        assert requests.get(picture, timeout=10).status_code == 404
        assert "Profile photo removed" in browser.get("/account/activity").text


def test_where_and_how_a_photo_was_taken_is_not_kept(live_server, factories):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; the pixels stand on their side
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[2] = (55.0, 45.0, 21.0)  # latitude
    out = io.BytesIO()
    tall = Image.new("RGB", (400, 200), (250, 250, 250))
    tall.paste((0, 0, 0), (0, 0, 200, 200))  # the left half black: after turning, the top
    tall.save(out, "JPEG", exif=exif)
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        upload(browser, out.getvalue(), "me.jpg", "image/jpeg")
        content = requests.get(portal.profile_of(browser)["picture"], timeout=10).content
    kept = Image.open(io.BytesIO(content))
    assert not kept.getexif() and b"PhoneMaker" not in content and "icc_profile" not in kept.info
    assert sum(kept.getpixel((128, 10))) < 100 and sum(kept.getpixel((128, 245))) > 600


def test_what_was_transparent_is_white(live_server, factories):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client())
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        upload(browser, image((300, 300), colour=(0, 0, 0, 0)))
        content = requests.get(portal.profile_of(browser)["picture"], timeout=10).content
    assert Image.open(io.BytesIO(content)).getpixel((5, 5)) >= (245, 245, 245)


@pytest.mark.parametrize(
    ("language", "content", "refused"),
    [
        (
            "en",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "This is not a photo Passport can read",
        ),
        ("ru", b"GIF89a broken", "Этот файл не удаётся прочитать как фото"),
        ("en", image((9000, 5000), "PNG", (0, 0, 0)), "The photo has too many pixels"),
        ("ru", image((9000, 5000), "PNG", (0, 0, 0)), "В фото слишком много пикселей"),
    ],
)
def test_what_is_no_photo_is_refused_at_its_field_and_nothing_changes(
    live_server, factories, language, content, refused
):
    person = factories.account()
    with Browser(live_server.url, accept_language=language) as browser:
        browser.sign_in(person.email, person.password)
        page = upload(browser, content)
        assert page.status == 400 and refused in page.text
        assert 'aria-invalid="true"' in page.html
        assert "/photos/" not in browser.get("/account").html


def test_no_file_chosen_is_said_at_the_field(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = browser.submit(browser.get("/account/photo"), to="/account/photo")
        assert page.status == 400 and "Choose a photo." in page.text


def test_a_file_over_the_limit_is_refused_before_it_is_read(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        page = upload(browser, b"\xff\xd8" + b"0" * (12 * 1024 * 1024))
        assert page.status == 413 and "The photo is too large: choose one under 10 MB." in page.text


def test_an_unknown_photo_address_answers_404(live_server):
    for name in ("nothing-here", "x" * 200):
        assert requests.get(f"{live_server.url}/photos/{name}.jpg", timeout=10).status_code == 404


def test_an_upload_without_the_forms_token_is_refused_as_an_expired_form(live_server, factories):
    person = factories.account()
    with Browser(live_server.url, accept_language="en") as browser:
        browser.sign_in(person.email, person.password)
        response = browser.session.post(
            browser.url("/account/photo"),
            files={"photo": ("me.png", image(), "image/png")},
            timeout=15,
        )
        assert response.status_code == 400 and "The form has expired" in response.text
        assert "/photos/" not in browser.get("/account").html
