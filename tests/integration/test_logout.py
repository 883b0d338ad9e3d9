"""Logout as portals see it: logout tokens, RP-Initiated Logout, and revoking a portal."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from babel.support import Translations
from joserfc import jwt

from server.config import RESOURCES

from ..support.delivery import for_client, logout_tokens_for, run_worker, verify_logout_token
from ..support.devices import device, sign_in_to_portal, signed_in
from ..support.receiver import Receiver
from ..support.relying_party import RelyingParty

BACKCHANNEL_LOGOUT = "http://schemas.openid.net/event/backchannel-logout"
LOGGED_OUT = "http://127.0.0.1:9/logged-out"


@pytest.fixture
def portal(live_server, factories, receiver):
    client = factories.client(
        post_logout_redirect_uris=[LOGGED_OUT],
        backchannel_logout_uri=receiver.url + "/backchannel-logout",
        backchannel_logout_session_required=True,
    )
    return RelyingParty(live_server.url, client)


@pytest.fixture
def browser(live_server):
    with device(live_server.url) as browser:
        yield browser


def end_session_url(portal: RelyingParty, **params) -> str:
    return portal.metadata["end_session_endpoint"] + "?" + urlencode(params)


def deliver_to(live_server, receiver, portal, count: int = 1) -> list[str]:
    client_id = portal.client.client_id
    run_worker(
        live_server,
        lambda: len(receiver.wait_for(count, 0, for_client(client_id))) >= count,
        passes=5,
    )
    return logout_tokens_for(receiver.snapshot(), client_id)


def prompt_none_error(browser, portal) -> str | None:
    return portal.callback_params(browser.open(portal.authorization_url(prompt="none"))).get(
        "error"
    )


def test_logout_token(live_server, person, portal, receiver, browser):
    tokens = sign_in_to_portal(browser, portal, person)
    id_token = portal.verify_id_token(tokens.values["id_token"])
    browser.submit(browser.get("/logout"), "csrf_token")
    [token] = deliver_to(live_server, receiver, portal)

    # Back-Channel Logout 1.0 §2.6, checked as a portal does: signature from the JWKS…
    header, claims = verify_logout_token(live_server.url, token)
    assert header["typ"] == "logout+jwt" and header["kid"]
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": live_server.url},
        aud={"essential": True, "value": portal.client.client_id},
        iat={"essential": True},
        exp={"essential": True},
        jti={"essential": True},
    ).validate(claims)
    # …and the logout-specific claims: the event, the session and the person, never a nonce.
    assert claims["events"] == {BACKCHANNEL_LOGOUT: {}}
    assert claims["sid"] == id_token["sid"]
    assert claims["sub"] == id_token["sub"] == person.sub
    assert "nonce" not in claims
    assert claims["iat"] < claims["exp"] <= claims["iat"] + 600
    # A signed ID token is not a logout token: the typ tells them apart.
    assert verify_logout_token(live_server.url, tokens.values["id_token"])[0]["typ"] == "JWT"


def test_rp_logout_with_hint_redirects_with_state(live_server, person, portal, receiver, browser):
    tokens = sign_in_to_portal(browser, portal, person)
    page = browser.open(
        end_session_url(
            portal,
            id_token_hint=tokens.values["id_token"],
            post_logout_redirect_uri=LOGGED_OUT,
            state="after-logout-42",
        )
    )
    assert page.status == 302
    assert page.response.headers["Location"] == LOGGED_OUT + "?state=after-logout-42"
    # The session is over: no page, no silent sign-in, no refresh.
    assert not signed_in(browser)
    assert prompt_none_error(browser, portal) == "login_required"
    assert tokens.refresh_refused()
    [token] = deliver_to(live_server, receiver, portal)
    assert verify_logout_token(live_server.url, token)[1]["sid"] == tokens.sid


def test_unregistered_post_logout_redirect_uri_is_never_followed(
    live_server, person, portal, factories, browser
):
    elsewhere = "http://127.0.0.1:9/other-portal/logged-out"
    factories.client(post_logout_redirect_uris=[elsewhere])
    tokens = sign_in_to_portal(browser, portal, person)
    for bad in (
        LOGGED_OUT + "/x",
        LOGGED_OUT + "?x=1",
        LOGGED_OUT.replace("http:", "https:"),
        "https://evil.example/logged-out",
        elsewhere,  # registered, but by another portal
    ):
        page = browser.open(
            end_session_url(
                portal, id_token_hint=tokens.values["id_token"], post_logout_redirect_uri=bad
            )
        )
        assert "Location" not in page.response.headers, bad
        # The hint is good, but the request is not what the portal registered: ask first.
        assert page.status == 200 and page.form("confirm"), bad
        assert "could not be confirmed" in page.text
        assert signed_in(browser)
    # Confirmed, the person is signed out, and stays on Passport.
    done = browser.submit(page, "confirm", button="confirm")
    assert done.status == 200 and "Location" not in done.response.headers
    assert "You have signed out." in done.text
    assert not signed_in(browser)

    # A hint that is not ours is an error, and is not redirected either.
    browser.sign_in(person.email, person.password)
    header, payload, _ = tokens.values["id_token"].split(".")
    forged = f"{header}.{payload}.{'A' * 43}"
    page = browser.open(
        end_session_url(portal, id_token_hint=forged, post_logout_redirect_uri=LOGGED_OUT)
    )
    assert page.status == 400 and "Location" not in page.response.headers
    assert "'id_token_hint' is not valid." in page.text  # not how the check failed
    assert signed_in(browser)


def test_without_hint_a_confirmation_page_asks_first(live_server, person, portal, browser):
    tokens = sign_in_to_portal(browser, portal, person)
    url = end_session_url(
        portal,
        client_id=portal.client.client_id,
        post_logout_redirect_uri=LOGGED_OUT,
        state="s1",
    )
    page = browser.open(url)
    assert page.status == 200
    assert portal.client.metadata["client_name"] in page.text
    assert signed_in(browser)

    # A forged cross-site POST (no CSRF token) only gets the question again.
    forged = browser.session.post(
        portal.metadata["end_session_endpoint"],
        data={"confirm": "yes", "client_id": portal.client.client_id},
        timeout=15,
        allow_redirects=False,
    )
    assert forged.status_code == 200 and "Location" not in forged.headers
    assert signed_in(browser)
    assert tokens.refresh_works()

    # Pressing "Sign out" signs out; without a hint the RP's URI is not trusted to redirect to.
    done = browser.submit(page, "confirm", button="confirm")
    assert done.status == 200 and "Location" not in done.response.headers
    assert "You have signed out." in done.text
    assert not signed_in(browser)
    assert prompt_none_error(browser, portal) == "login_required"
    assert tokens.refresh_refused()


def test_hint_for_an_older_session_asks_first(live_server, person, portal, browser):
    old = sign_in_to_portal(browser, portal, person)
    browser.submit(browser.get("/logout"), "csrf_token")
    sign_in_to_portal(browser, portal, person)
    page = browser.open(end_session_url(portal, id_token_hint=old.values["id_token"]))
    assert page.status == 200 and page.form("confirm")
    assert signed_in(browser)


def test_confirmation_page_in_russian(live_server, person, portal, browser):
    browser.sign_in(person.email, person.password)
    page = browser.open(end_session_url(portal, ui_locales="ru"))
    assert page.status == 200 and page.form("confirm")
    assert '<html lang="ru"' in page.html
    catalog = Translations.load(str(Path(RESOURCES) / "translations"), ["ru"])
    for english in ("Sign out of Passport?", "Sign out"):
        russian = catalog.gettext(english)
        if russian != english:  # translated already
            assert russian in page.text
    # The language is remembered for the pages that follow.
    assert '<html lang="ru"' in browser.get("/account").html
    assert signed_in(browser)


def test_revoking_a_portal_touches_only_that_portal(live_server, person, factories, browser):
    with Receiver() as receiver_a, Receiver() as receiver_b:
        portal_a, portal_b = (
            RelyingParty(
                live_server.url,
                factories.client(backchannel_logout_uri=receiver.url + "/backchannel-logout"),
            )
            for receiver in (receiver_a, receiver_b)
        )
        tokens_a = sign_in_to_portal(browser, portal_a, person)
        tokens_b = sign_in_to_portal(browser, portal_b, person)
        page = browser.get("/account/portals")
        listed = {f.fields.get("client_id") for f in page.forms}
        assert {portal_a.client.client_id, portal_b.client.client_id} <= listed

        page = browser.submit(page, "client_id", client_id=portal_a.client.client_id)
        assert "Access has been revoked." in page.text
        assert portal_a.client.client_id not in {f.fields.get("client_id") for f in page.forms}

        assert tokens_a.refresh_refused()
        assert portal_a.userinfo(tokens_a.values["access_token"]).status_code == 401
        assert tokens_b.refresh_works()
        assert portal_b.userinfo(tokens_b.values["access_token"]).status_code == 200
        assert signed_in(browser)

        [token] = deliver_to(live_server, receiver_a, portal_a)
        claims = verify_logout_token(live_server.url, token)[1]
        assert claims["sub"] == person.sub and claims["sid"] == tokens_a.sid
        assert deliver_to(live_server, receiver_b, portal_b, 0) == []
        # Consent is gone: the portal has to ask again.
        again = browser.open(portal_a.authorization_url())
        assert again.status == 200 and again.form("decision")


@pytest.mark.parametrize("client_id", ["portal\x00", "x" * 500, ""])
def test_revoking_a_portal_that_cannot_exist_changes_nothing(
    live_server, person, portal, browser, client_id
):
    """A NUL in the form's client_id used to reach the database driver: a 500."""
    tokens = sign_in_to_portal(browser, portal, person)
    page = browser.get("/account/portals")
    page = browser.submit(page, "client_id", client_id=client_id)
    assert page.status == 200 and "Access has been revoked." not in page.text
    assert portal.client.client_id in {f.fields.get("client_id") for f in page.forms}
    assert tokens.refresh_works()


def test_revoking_a_portal_logs_out_only_sessions_still_open(
    live_server, person, portal, receiver, browser
):
    # An earlier session with the portal ended, and the portal heard of it then.
    with device(live_server.url) as earlier:
        ended = sign_in_to_portal(earlier, portal, person)
        earlier.submit(earlier.get("/logout"), "csrf_token")
    [first] = deliver_to(live_server, receiver, portal)
    assert verify_logout_token(live_server.url, first)[1]["sid"] == ended.sid

    current = sign_in_to_portal(browser, portal, person)
    page = browser.get("/account/portals")
    page = browser.submit(page, "client_id", client_id=portal.client.client_id)
    assert "Access has been revoked." in page.text

    # One more logout token, for the session still open; none again for the ended one.
    tokens = deliver_to(live_server, receiver, portal, 2)
    sids = [verify_logout_token(live_server.url, token)[1]["sid"] for token in tokens]
    assert sids == [ended.sid, current.sid]
