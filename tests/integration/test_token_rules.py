"""Rules of the token side that a broken condition would let slip unnoticed: each test here
fails if its rule is dropped or inverted (a credential change reaching other people, a
client_credentials token outliving its client, PKCE other than S256, lifetimes)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from server import clock
from server.extensions import db
from server.models import Client

from ..support.browser import Browser
from ..support.relying_party import RelyingParty


@pytest.fixture
def portal(live_server, factories):
    return RelyingParty(live_server.url, factories.client(first_party=True))


@pytest.fixture(autouse=True)
def real_time():
    yield
    clock.reset()


def test_a_credential_change_leaves_other_people_alone(live_server, factories, portal):
    """One person's new password kills that person's tokens and other sessions, and no one
    else's: a bystander's tokens and browser stay as they were."""
    changer, bystander = factories.account(), factories.account()
    with Browser(live_server.url) as theirs, Browser(live_server.url) as mine:
        kept = portal.sign_in(theirs, bystander.email, bystander.password)
        lost = portal.sign_in(mine, changer.email, changer.password)
        new = "another long passphrase 2026"
        page = mine.submit(
            mine.get("/account/password"), "new", current=changer.password, new=new, repeat=new
        )
        assert 'id="password-changed"' in page.html
        assert theirs.get("/account").url.endswith("/account")
    assert portal.refresh(lost["refresh_token"]).json()["error"] == "invalid_grant"
    assert portal.introspect(kept["access_token"])["active"] is True
    assert portal.userinfo(kept["access_token"]).status_code == 200
    assert portal.refresh(kept["refresh_token"]).status_code == 200


def set_disabled(live_server, client_id: str, disabled: bool) -> None:
    with live_server.app_context():
        client = db.session.scalars(select(Client).where(Client.client_id == client_id)).one()
        client.disabled_at = clock.now() if disabled else None
        db.session.commit()


def test_client_credentials_tokens_work_until_their_client_is_disabled(live_server, factories):
    service = RelyingParty(live_server.url, factories.client(grant_types=["client_credentials"]))
    issued = service.post("token_endpoint", {"grant_type": "client_credentials"}).json()
    seen = service.introspect(issued["access_token"])
    assert seen["active"] is True and seen["client_id"] == service.client.client_id
    # A token of no person: userinfo has nobody to describe.
    assert service.userinfo(issued["access_token"]).status_code in (401, 403)

    set_disabled(live_server, service.client.client_id, True)
    refused = service.post("token_endpoint", {"grant_type": "client_credentials"})
    assert refused.status_code in (400, 401) and refused.json()["error"] == "invalid_client"
    with live_server.app_context():
        from server.oauth.tokens import decode_access_token

        assert decode_access_token(issued["access_token"]) is None  # refused wherever it goes
    set_disabled(live_server, service.client.client_id, False)
    assert service.introspect(issued["access_token"])["active"] is True


def authorize(browser: Browser, portal: RelyingParty, person, **overrides) -> dict:
    """Signed in, walk /authorize with the given PKCE parameters; the redirect's query."""
    url = portal.authorization_url()
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    query.update(overrides)
    page = browser.open(urlsplit(url)._replace(query="").geturl() + "?" + _encode(query))
    page = portal.walk(browser, page, login=person.email, password=person.password)
    return {k: v[0] for k, v in parse_qs(urlsplit(page.response.headers["Location"]).query).items()}


def _encode(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in query.items() if v is not None})


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge_method": "plain"},  # RFC 9700 §2.1.1: S256 only
        {"code_challenge": "short"},  # RFC 7636 §4.2: 43 to 128 characters
        {"code_challenge": "é" * 43},
    ],
)
def test_authorization_refuses_pkce_other_than_s256(live_server, factories, portal, pkce):
    person = factories.account()
    with Browser(live_server.url) as browser:
        back = authorize(browser, portal, person, **pkce)
    assert back.get("error") == "invalid_request" and "code" not in back


def test_a_public_client_must_use_pkce(live_server, factories):
    public = RelyingParty(live_server.url, factories.client(public=True))
    person = factories.account()
    with Browser(live_server.url) as browser:
        back = authorize(browser, public, person, code_challenge=None, code_challenge_method=None)
    assert back.get("error") == "invalid_request" and "code" not in back


def test_a_code_is_refused_with_the_wrong_verifier_or_after_its_lifetime(
    live_server, factories, portal
):
    person = factories.account()
    with Browser(live_server.url) as browser:
        back = portal.authorize(browser, login=person.email, password=person.password)
        form = {
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": portal.client.redirect_uri,
            "code_verifier": "x" * 43,
        }
        assert portal.post("token_endpoint", form).json()["error"] == "invalid_grant"

        later = portal.authorize(browser)
        clock.travel(live_server.app.config["AUTHORIZATION_CODE_LIFETIME"] + 1)
        form.update(code=later["code"], code_verifier=portal.code_verifier)
        assert portal.post("token_endpoint", form).json()["error"] == "invalid_grant"


def test_a_refresh_token_dies_with_its_idle_session_unless_offline(live_server, factories, portal):
    """A grant without offline_access lives as long as the sign-in it rests on: once the
    session is idle past SESSION_IDLE_TIMEOUT its refresh token is refused."""
    person = factories.account()
    with Browser(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password)
    clock.travel(live_server.app.config["SESSION_IDLE_TIMEOUT"] - 60)
    refreshed = portal.refresh(tokens["refresh_token"])  # a refresh is no sign of the person
    assert refreshed.status_code == 200
    clock.travel(120)
    assert portal.refresh(refreshed.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_userinfo_takes_the_access_token_in_a_form_body_but_one_way_only(
    live_server, factories, portal
):
    """RFC 6750 §2.2: a POST may carry the token as its form-encoded access_token; §2: a
    request that sends it two ways is refused."""
    person = factories.account()
    with Browser(live_server.url) as browser:
        token = portal.sign_in(browser, person.email, person.password)["access_token"]
    endpoint = portal.metadata["userinfo_endpoint"]
    answer = requests.post(endpoint, data={"access_token": token}, timeout=10)
    assert answer.status_code == 200 and answer.json()["sub"] == person.sub
    both = requests.post(
        endpoint,
        data={"access_token": token},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    # Not in a query, nor in a body that is not a form (RFC 6750 §2.2, §2.3 is not offered).
    assert requests.get(endpoint, params={"access_token": token}, timeout=10).status_code == 401
    answer = requests.post(endpoint, json={"access_token": token}, timeout=10)
    assert answer.status_code == 401


@pytest.mark.parametrize(
    "sent", ["https://other.example/callback", None], ids=["another-registered", "left-out"]
)
def test_a_code_is_redeemed_only_with_the_redirect_uri_it_was_sent_to(live_server, factories, sent):
    """RFC 6749 §4.1.3: the token request repeats the authorization request's redirect_uri,
    identical — not another URI the client registered, and not left out."""
    first = "http://127.0.0.1:9/callback"
    client = factories.client(
        first_party=True,
        redirect_uri=first,
        redirect_uris=[first, "https://other.example/callback"],
    )
    portal = RelyingParty(live_server.url, client)
    person = factories.account()
    with Browser(live_server.url) as browser:
        back = portal.authorize(browser, login=person.email, password=person.password)
    form = {**portal.code_form(back), "redirect_uri": sent}
    refused = portal.post("token_endpoint", {k: v for k, v in form.items() if v is not None})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # The code is spent by the refusal or not, the right request shows the rule is the URI.
    with Browser(live_server.url) as browser:
        again = portal.authorize(browser, login=person.email, password=person.password)
    assert portal.post("token_endpoint", portal.code_form(again)).status_code == 200
