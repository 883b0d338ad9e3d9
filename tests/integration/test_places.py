"""Where sign-ins came from, when the operator configures a GeoIP database (MMDB): the
sessions and activity pages name the city and country in the page's language; without a
database, for an address it does not know, or when the file cannot be read, they name
none and nothing fails."""

from __future__ import annotations

import logging

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from ..conftest import LiveServer, build_app
from ..support.browser import Browser
from ..support.factories import Factories

MOSCOW = "203.0.113.9"  # TEST-NET-3, as the database below has it
HELSINKI_ONLY_COUNTRY = "198.51.100.20"  # TEST-NET-2: a country without a city
NOWHERE = "192.0.2.1"  # TEST-NET-1: not in the database


def geoip_database(path) -> str:
    writer = MMDBWriter(
        ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en", "ru"]
    )
    writer.insert_network(
        IPSet(["203.0.113.0/24"]),
        {
            "city": {"names": {"en": "Moscow", "ru": "Москва"}},
            "country": {"iso_code": "RU", "names": {"en": "Russia", "ru": "Россия"}},
        },
    )
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"country": {"names": {"en": "Finland"}}})
    writer.to_db_file(str(path))
    return str(path)


@pytest.fixture(scope="module")
def located(server_settings, tmp_path_factory):
    """A Passport behind one proxy (whose X-Forwarded-For it trusts) with a GeoIP database."""
    database = geoip_database(tmp_path_factory.mktemp("geoip") / "city.mmdb")
    settings = dict(server_settings, GEOIP_DATABASE=database, PROXY_COUNT=1)
    server = LiveServer(build_app, settings).start()
    yield server
    server.stop()


def signed_in_from(server, address: str, language: str) -> Browser:
    person = Factories(server).account()
    browser = Browser(server.url, accept_language=language)
    browser.session.headers["X-Forwarded-For"] = address
    browser.sign_in(person.email, person.password)
    return browser


@pytest.mark.parametrize(
    ("language", "place"), [("en", "Moscow, Russia"), ("ru", "Москва, Россия")]
)
def test_the_sessions_and_activity_name_the_place_in_the_pages_language(located, language, place):
    with signed_in_from(located, MOSCOW, language) as browser:
        sessions = browser.get("/account/sessions")
        assert f'<span class="place">{place}</span>' in sessions.html
        activity = browser.get("/account/activity")
        assert f'<span class="place">{place}</span>' in activity.html


def test_a_country_without_a_city_is_named_in_english_when_the_database_has_no_other(located):
    with signed_in_from(located, HELSINKI_ONLY_COUNTRY, "ru") as browser:
        assert '<span class="place">Finland</span>' in browser.get("/account/sessions").html


def test_an_address_the_database_does_not_know_has_no_place(located):
    with signed_in_from(located, NOWHERE, "en") as browser:
        page = browser.get("/account/sessions")
        assert page.status == 200 and NOWHERE in page.text and 'class="place"' not in page.html


class Kept(logging.Handler):
    """The records of one logger, whatever the migrations did to the root logger's."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_database_that_cannot_be_read_shows_no_places_and_no_error(server_settings, tmp_path):
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a database at all")
    settings = dict(server_settings, GEOIP_DATABASE=str(broken), PROXY_COUNT=1)
    server = LiveServer(build_app, settings).start()
    kept = Kept()
    logging.getLogger("server.places").addHandler(kept)
    try:
        with signed_in_from(server, MOSCOW, "en") as browser:
            for path in ("/account/sessions", "/account/activity"):
                page = browser.get(path)
                assert page.status == 200 and 'class="place"' not in page.html
        assert sum("cannot be read" in message for message in kept.messages) == 1  # once
    finally:
        logging.getLogger("server.places").removeHandler(kept)
        server.stop()


def test_without_a_database_there_are_no_places(live_server, factories):
    with Browser(live_server.url) as browser:
        person = factories.account()
        browser.sign_in(person.email, person.password)
        assert 'class="place"' not in browser.get("/account/sessions").html
