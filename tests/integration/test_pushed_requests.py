"""Pushed authorization requests (RFC 9126) over HTTP: a portal pushes its request to /par,
the browser brings only client_id and the request_uri to /authorize; the request_uri is
answered once, opened within 60 s, by one browser, for the client that pushed it."""

from __future__ import annotations

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from server import clock
from server.domain.pushed_requests import PREFIX

from ..support.browser import Browser
from ..support.relying_party import RelyingParty
from ..support.request_objects import key_set, new_key, unsigned


def portal_of(live_server, factories, **metadata) -> RelyingParty:
    return RelyingParty(live_server.url, factories.client(first_party=True, **metadata))


def pushed(portal: RelyingParty, **params) -> str:
    answer = portal.push(**params)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert body["expires_in"] == 60 and body["request_uri"].startswith(PREFIX)
    return body["request_uri"]


def refused_page(page, error: str = "invalid_request_uri") -> None:
    assert page.status == 400 and error in page.text, (page.status, page.text[:300])


def test_discovery_names_the_endpoint(live_server):
    document = requests.get(
        live_server.url + "/.well-known/openid-configuration", timeout=10
    ).json()
    assert document["pushed_authorization_request_endpoint"] == live_server.url + "/par"
    assert document["require_pushed_authorization_requests"] is False


def test_a_pushed_request_signs_in_and_its_code_is_redeemed(live_server, factories, person):
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal, scope="openid email")
    with Browser(live_server.url) as browser:
        page = browser.open(portal.pushed_url(request_uri))
        assert any("password" in f.fields for f in page.forms), page.response.headers.get(
            "Location"
        )
        page = portal.walk(browser, page, login=person.email, password=person.password)
        params = portal.callback_params(page)
    assert params["state"] == portal.state and params["iss"] == live_server.url
    tokens = portal.exchange(params)
    assert set(tokens["scope"].split()) == {"openid", "email"}
    assert portal.verify_id_token(tokens["id_token"])["nonce"] == portal.nonce


def test_only_the_pushed_parameters_are_read(live_server, factories, person):
    """RFC 9101 §5: besides client_id, what the query says next to the request_uri is not
    read — not a wider scope, not another state, not another redirect URI."""
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal, scope="openid")
    url = portal.pushed_url(
        request_uri,
        scope="openid email phone",
        state="forged",
        redirect_uri="https://evil.example/",
    )
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(browser.open(url))
    assert params["state"] == portal.state
    assert portal.exchange(params)["scope"] == "openid"


def test_a_request_uri_is_answered_once(live_server, factories, person):
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert "code" in portal.callback_params(browser.open(portal.pushed_url(request_uri)))
        refused_page(browser.open(portal.pushed_url(request_uri)))


def test_a_request_uri_opened_after_60_seconds_is_refused(live_server, factories, person):
    portal = portal_of(live_server, factories)
    on_time, late = pushed(portal), pushed(portal)
    clock.travel(59)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        assert "code" in portal.callback_params(browser.open(portal.pushed_url(on_time)))
        clock.travel(2)
        refused_page(browser.open(portal.pushed_url(late)))


def test_a_request_uri_opened_in_time_waits_for_the_sign_in(live_server, factories, person):
    """Opened within its 60 s, the request waits while the person signs in, however long."""
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal)
    with Browser(live_server.url) as browser:
        page = browser.open(portal.pushed_url(request_uri))
        clock.travel(600)
        page = portal.walk(browser, page, login=person.email, password=person.password)
        assert "code" in portal.callback_params(page)


def test_another_browser_cannot_use_a_request_uri_already_opened(live_server, factories, person):
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal)
    with Browser(live_server.url) as first, Browser(live_server.url) as second:
        first.open(portal.pushed_url(request_uri))  # the sign-in page, in the first browser
        second.sign_in(person.email, person.password)
        refused_page(second.open(portal.pushed_url(request_uri)))
        first.sign_in(person.email, person.password)
        assert "code" in portal.callback_params(first.open(portal.pushed_url(request_uri)))


def test_a_request_uri_is_the_pushing_clients_only(live_server, factories, person):
    portal, other = portal_of(live_server, factories), portal_of(live_server, factories)
    request_uri = pushed(portal)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        refused_page(browser.open(other.pushed_url(request_uri)))
        for made_up in (PREFIX + "x" * 43, PREFIX + "short", "urn:ietf:params:oauth:request_uri:"):
            refused_page(browser.open(portal.pushed_url(made_up)))
        # Not spent by those: its own client still uses it.
        assert "code" in portal.callback_params(browser.open(portal.pushed_url(request_uri)))


def test_pushing_authenticates_the_client_as_the_token_endpoint(live_server, factories):
    portal = portal_of(live_server, factories)
    portal.client.client_secret = "not the secret"
    answer = portal.push()
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    public = portal_of(live_server, factories, public=True)
    assert public.push().status_code == 201  # a public client names itself (RFC 9126 §2)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"request_uri": PREFIX + "x" * 43}, "invalid_request"),
        ({"max_age": "soon"}, "invalid_request"),
        ({"state": "x" * 2049}, "invalid_request"),
        ({"scope": "openid", "prompt": "none login"}, "invalid_request"),
    ],
)
def test_a_pushed_request_is_checked_as_an_authorization_request(
    live_server, factories, changes, error
):
    """§2.1: checked as /authorize would, the error in JSON (§2.3) — nothing to redirect."""
    portal = portal_of(live_server, factories)
    answer = portal.push(**changes)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == error and "Location" not in answer.headers


def test_a_pushed_request_needs_pkce_s256_as_at_authorize(live_server, factories):
    """S256 only; a public client must use it (RFC 9700 §2.1.1)."""
    form = {
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": "http://127.0.0.1:9/callback",
    }
    plain = {"code_challenge": "x" * 43, "code_challenge_method": "plain"}
    confidential = portal_of(live_server, factories)
    public = portal_of(live_server, factories, public=True)
    for portal, pkce in ((confidential, plain), (public, plain), (public, {})):
        answer = portal.post("pushed_authorization_request_endpoint", {**form, **pkce})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert confidential.post("pushed_authorization_request_endpoint", form).status_code == 201


def test_a_client_that_must_push_is_refused_a_plain_request(live_server, factories, person):
    portal = portal_of(live_server, factories, require_pushed_authorization_requests=True)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(browser.open(portal.authorization_url()))
        assert params["error"] == "invalid_request" and params["state"] == portal.state
        request_uri = pushed(portal)
        assert "code" in portal.callback_params(browser.open(portal.pushed_url(request_uri)))


def test_registration_takes_require_pushed_authorization_requests_as_true_or_false(live_server):
    body = {
        "redirect_uris": ["https://portal.example/callback"],
        "require_pushed_authorization_requests": "yes",
    }
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    if answer.status_code == 401:
        pytest.skip("this server's registration needs a token")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client_metadata"


def test_prompt_login_in_a_pushed_request_asks_for_one_sign_in(live_server, factories, person):
    """The way back from the sign-in page carries only the request_uri, whose parameters
    still say prompt=login and max_age=0: the sign-in made for it answers both."""
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal, prompt="login", max_age="0")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        clock.travel(1)
        page = browser.open(portal.pushed_url(request_uri))
        assert any("password" in f.fields for f in page.forms), page.text[:200]
        page = portal.walk(browser, page, login=person.email, password=person.password)
        params = portal.callback_params(page)
    assert params["state"] == portal.state and "code" in params


def test_prompt_none_without_a_sign_in_answers_login_required_once(live_server, factories):
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal, prompt="none")
    with Browser(live_server.url) as browser:
        params = portal.callback_params(browser.open(portal.pushed_url(request_uri)))
        assert params["error"] == "login_required" and params["state"] == portal.state
        refused_page(browser.open(portal.pushed_url(request_uri)))


def test_the_consent_page_carries_only_the_request_uri(live_server, factories, person):
    portal = RelyingParty(live_server.url, factories.client())  # not first-party: asks
    request_uri = pushed(portal, scope="openid email")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        page = browser.open(portal.pushed_url(request_uri))
        [form] = [f for f in page.forms if any(n == "decision" for n, _ in f.buttons)]
        assert set(form.fields) - {"csrf_token"} == {"client_id", "request_uri"}
        assert "fresh=1" in page.html  # "Not you?" signs in afresh, back to the request_uri
        denied = portal.callback_params(
            browser.submit(page, "decision", button="decision", decision="deny")
        )
        assert denied["error"] == "access_denied" and denied["state"] == portal.state
        refused_page(browser.open(portal.pushed_url(request_uri)))


def test_a_request_object_can_be_pushed(live_server, factories, person):
    """RFC 9126 §3: the request pushed as a request object by value."""
    portal = portal_of(live_server, factories, request_object_signing_alg="none")
    portal.authorization_url()  # this portal's state, nonce and code verifier
    claims = {
        "iss": portal.client.client_id,
        "aud": live_server.url,
        "client_id": portal.client.client_id,
        "response_type": "code",
        "redirect_uri": portal.client.redirect_uri,
        "scope": "openid email",
        "state": portal.state,
        "nonce": portal.nonce,
        "code_challenge": create_s256_code_challenge(portal.code_verifier),
        "code_challenge_method": "S256",
    }
    answer = portal.post(
        "pushed_authorization_request_endpoint",
        {"client_id": portal.client.client_id, "request": unsigned(claims)},
    )
    assert answer.status_code == 201, answer.text
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(
            browser.open(portal.pushed_url(answer.json()["request_uri"]))
        )
    assert params["state"] == portal.state
    assert "email" in portal.exchange(params)["scope"].split()


def test_private_key_jwt_may_name_the_pushed_request_endpoint(live_server, factories):
    """RFC 9126 §2: the endpoint's own URL is an audience of the client's assertion there."""
    key = new_key("ES256")
    client = factories.client(
        first_party=True, token_endpoint_auth_method="private_key_jwt", jwks=key_set(key)
    )
    portal = RelyingParty(live_server.url, client, key=key)
    form = {"response_type": "code", "scope": "openid", "redirect_uri": client.redirect_uri}
    form["code_challenge"] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    form["code_challenge_method"] = "S256"
    for audience in (live_server.url + "/par", live_server.url):
        answer = portal.post("pushed_authorization_request_endpoint", form, audience=audience)
        assert answer.status_code == 201, answer.text


def test_of_two_answers_at_once_one_is_given(live_server, factories, person):
    """The race RFC 9126 §4's one-time use needs decided: spending is a conditional UPDATE,
    and the loser is told so (the browser then gets invalid_request_uri)."""
    from server.domain import pushed_requests
    from server.extensions import db

    portal = portal_of(live_server, factories)
    request_uri = pushed(portal)
    key = pushed_requests.handle_hash(request_uri)
    with live_server.app_context():
        assert pushed_requests.spend(key) is True
        assert pushed_requests.spend(key) is False
        db.session.commit()
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        refused_page(browser.open(portal.pushed_url(request_uri)))


def test_the_worker_forgets_pushed_requests_after_their_lifetime(live_server, factories):
    from server.extensions import db
    from server.models import Client, PushedRequest
    from server.services import retention

    portal = portal_of(live_server, factories)
    pushed(portal)
    with live_server.app_context():
        client = db.session.query(Client).filter_by(client_id=portal.client.client_id).one()

        def kept() -> int:
            return db.session.query(PushedRequest).filter_by(client_id=client.id).count()

        retention.prune()
        assert kept() == 1
        clock.travel(60 + live_server.app.config["RETENTION_GRACE"] + 1)
        assert retention.prune()["pushed_requests"] >= 1
        assert kept() == 0


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The link from the portal has expired or has already been used."),
        ("ru", "Ссылка от портала устарела или уже была использована."),
    ],
)
def test_a_late_person_reads_what_happened_in_their_language(
    live_server, factories, person, language, words
):
    """The error page says in words what went wrong and what to do; the code and the
    developers' description stay beneath, for the portal's owners."""
    portal = portal_of(live_server, factories)
    request_uri = pushed(portal)
    clock.travel(61)
    with Browser(live_server.url, accept_language=language) as browser:
        page = browser.open(portal.pushed_url(request_uri))
    refused_page(page)
    assert words in page.text
    assert '<p class="error-code">invalid_request_uri</p>' in page.html


def test_a_client_registered_to_push_must_push(live_server, person):
    """RFC 9126 §6 through dynamic registration (RFC 7591): the metadata is kept and read
    back, and then holds at /authorize."""
    body = {
        "redirect_uris": ["http://127.0.0.1:9/callback"],
        "require_pushed_authorization_requests": True,
        "token_endpoint_auth_method": "client_secret_basic",
    }
    answer = requests.post(live_server.url + "/register", json=body, timeout=10)
    if answer.status_code == 401:
        pytest.skip("this server's registration needs a token")
    registered = answer.json()
    assert answer.status_code == 201 and registered["require_pushed_authorization_requests"] is True
    from ..support.factories import ClientInfo

    client = ClientInfo(
        registered["client_id"], registered["client_secret"], body["redirect_uris"][0], registered
    )
    portal = RelyingParty(live_server.url, client, scope="openid")
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.callback_params(browser.open(portal.authorization_url()))
        assert params["error"] == "invalid_request"


def test_a_client_pushes_only_for_itself(live_server, factories):
    portal, other = portal_of(live_server, factories), portal_of(live_server, factories)
    form = {"response_type": "code", "scope": "openid", "client_id": other.client.client_id}
    answer = portal.post("pushed_authorization_request_endpoint", form)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_a_parameter_pushed_twice_is_refused(live_server, factories):
    """RFC 6749 §3.1: each parameter once; the second scope is not quietly dropped."""
    portal = portal_of(live_server, factories)
    form = [
        ("response_type", "code"),
        ("scope", "openid"),
        ("scope", "openid email"),
        ("redirect_uri", portal.client.redirect_uri),
    ]
    answer = requests.post(
        portal.metadata["pushed_authorization_request_endpoint"],
        data=form,
        auth=(portal.client.client_id, portal.client.client_secret),
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert "scope" in answer.json()["error_description"]
