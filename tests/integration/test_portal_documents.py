"""Who asks a person to sign in: the portal's name and logo, and links to its privacy policy
and terms of service (OpenID Connect Registration §2), on the sign-in and consent pages."""

from __future__ import annotations

from urllib.parse import quote

from ..support.browser import Browser
from ..support.relying_party import RelyingParty
from .test_consent_page import RUSSIAN, consent_page, tag

DOCUMENTS = {
    "logo_uri": "https://cdn.tea-shop.example/logo.png",
    "policy_uri": "https://tea-shop.example/privacy",
    "tos_uri": "https://tea-shop.example/terms",
}


def test_the_sign_in_page_shows_who_asks(live_server, factories):
    portal = RelyingParty(live_server.url, factories.client(client_name="Tea shop", **DOCUMENTS))
    with Browser(live_server.url) as browser:
        page = browser.open(portal.authorization_url())
    assert page.url.startswith(live_server.url + "/login") and page.status == 200
    assert "Sign in to Passport to continue to Tea shop" in page.text
    assert tag(page, "img", "portal-logo")["src"] == DOCUMENTS["logo_uri"]
    for element, uri in (("portal-policy", "policy_uri"), ("portal-tos", "tos_uri")):
        link = tag(page, "a", element)
        assert link["href"] == DOCUMENTS[uri] and link["rel"] == "noopener noreferrer"
    assert "read what Tea shop says: privacy policy · terms of service" in page.text


def test_in_russian_and_with_only_some_documents(live_server, factories):
    client = factories.client(client_name="Чайная", tos_uri=DOCUMENTS["tos_uri"])
    portal = RelyingParty(live_server.url, client)
    with Browser(live_server.url, accept_language=RUSSIAN) as browser:
        page = browser.open(portal.authorization_url())
    assert "чтобы продолжить на портале Чайная" in page.text
    assert tag(page, "a", "portal-tos")["href"] == DOCUMENTS["tos_uri"]
    assert tag(page, "a", "portal-policy") is None and "<img" not in page.html


def test_no_portal_is_shown_for_another_next_or_a_disabled_client(live_server, factories):
    from server.services.clients import find_client

    client = factories.client(client_name="Tea shop", **DOCUMENTS)
    with Browser(live_server.url) as browser:
        elsewhere = browser.get("/login?next=" + quote(f"/account?client_id={client.client_id}"))
        assert "Tea shop" not in elsewhere.text and tag(elsewhere, "img", "portal-logo") is None
        with live_server.app_context():
            from server.clock import now
            from server.extensions import db

            find_client(client.client_id).disabled_at = now()
            db.session.commit()
        portal = RelyingParty(live_server.url, client)
        page = browser.get(
            "/login?next=" + quote(portal.authorization_url()[len(live_server.url) :])
        )
        assert page.status == 200 and "Tea shop" not in page.text


def test_the_consent_page_links_them_too(live_server, person, factories):
    client = factories.client(client_name="Tea shop", **DOCUMENTS)
    browser, _, page = consent_page(live_server, person, client)
    with browser:
        assert tag(page, "a", "portal-policy")["href"] == DOCUMENTS["policy_uri"]
        assert tag(page, "a", "portal-tos")["href"] == DOCUMENTS["tos_uri"]
        assert (
            "политику конфиденциальности" in page.text or "политика конфиденциальности" in page.text
        )
