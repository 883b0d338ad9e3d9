"""Every credential change, seen from every side (invariant 2 in the design).

One person in two browsers: "here" makes the change, "there" is another device. Each is
signed in to two portals (one first-party, one asking for consent; the second holds
offline tokens from "there"), and both portals listen for back-channel logouts and security
events. After the change:

- every refresh token the portals hold is refused with invalid_grant, and every access
  token is inactive at introspection and refused at userinfo;
- "there" is signed out (its /account redirects to /login) and "here" stays signed in;
- each portal is sent a back-channel logout for every session in which its tokens died;
- each portal is sent the CAEP credential-change event (and, for a new login with "update
  for all linked portals" ticked, the RISC identifier-changed event).

Two cases differ, by design, and say how:
- password recovery is made from a third browser that is signed out: it ends both
  sessions ("here" is signed out too), and the recovering browser is signed in afresh;
- "log out of all devices" is no credential change: the current session and the tokens
  issued in it go on, the other browser's end; no security event is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import pyotp
import pytest

from server.domain.security_events import CREDENTIAL_CHANGE, IDENTIFIER_CHANGED

from ..conftest import LiveServer
from ..support.browser import Browser
from ..support.delivery import deliver, events_received, logouts_received, run_worker
from ..support.devices import (
    CHROME_WINDOWS,
    FIREFOX_UBUNTU,
    Tokens,
    device,
    log_out_of_all_devices,
    sign_in_to_portal,
    signed_in,
)
from ..support.factories import AccountInfo, Factories
from ..support.github import GitHubPerson
from ..support.mail import link_in, text_of
from ..support.receiver import Receiver, sms_code
from ..support.relying_party import RelyingParty
from ..support.social import link_github, post_form, running_social, social_form
from ..support.two_factor import next_step_code, turn_on


@dataclass
class Scene:
    """What a change is made in, and what it must reach."""

    server: LiveServer
    factories: Factories
    person: AccountInfo
    here: Browser
    there: Browser
    mailbox: object
    sms_gateway: Receiver
    receiver: Receiver  # both portals' endpoints
    totp: pyotp.TOTP | None = None
    portals: list[RelyingParty] = field(default_factory=list)
    tokens: dict[str, list[Tokens]] = field(default_factory=dict)  # browser name -> tokens
    new_value: str | None = None  # the new login, for a login change


# --- the changes ----------------------------------------------------------------------


def change_password(scene: Scene) -> None:
    new = "a much better passphrase " + secrets.token_hex(3)
    page = scene.here.submit(
        scene.here.get("/account/password"),
        "new",
        current=scene.person.password,
        new=new,
        repeat=new,
    )
    assert 'id="password-changed"' in page.html, page.text[:300]


def change_email(scene: Scene) -> None:
    scene.new_value = f"changed-{secrets.token_hex(4)}@example.org"
    here = scene.here
    page = here.get("/account/email")
    here.submit(page, "email", email=scene.new_value, password=scene.person.password, propagate="y")
    deliver(scene.server)
    [message] = scene.mailbox.wait_for(scene.new_value)
    page = here.submit(here.open(link_in(message)), "csrf_token")
    assert "Login confirmed" in page.text, page.text[:300]


def change_phone(scene: Scene) -> None:
    scene.new_value = scene.factories.phone_number()
    here = scene.here
    page = here.get("/account/phone")
    here.submit(page, "phone", phone=scene.new_value, password=scene.person.password, propagate="y")
    deliver(scene.server)
    code = sms_code(scene.sms_gateway, scene.new_value)
    page = here.submit(here.get("/account/phone/confirm"), "code", code=code)
    assert "Login confirmed" in page.text, page.text[:300]


def turn_two_factor_on(scene: Scene) -> None:
    turn_on(scene.here, scene.person.password)


def two_factor_form(action: str, message: str) -> Callable[[Scene], None]:
    """Turning 2FA off, or resetting it: the password and a code of the app."""

    def change(scene: Scene) -> None:
        page = scene.here.get("/account/2fa")
        [form] = [f for f in page.forms if f.action.endswith("/account/2fa/" + action)]
        code = next_step_code(scene.totp)
        page = post_form(scene.here, form, password=scene.person.password, code=code)
        assert message in page.text, page.text[:300]

    return change


def recover_by_email(scene: Scene) -> None:
    """From a third browser, signed out: the person forgot the password."""
    with Browser(scene.server.url) as stranger:
        stranger.submit(stranger.get("/recover"), "login", login=scene.person.email)
        deliver(scene.server)
        [link] = [
            link_in(m)
            for m in scene.mailbox.messages_to(scene.person.email)
            if "/recover/reset/" in text_of(m)
        ]
        new = "recovered and fresh " + secrets.token_hex(3)
        page = stranger.submit(stranger.open(link), "new", new=new, repeat=new)
        assert page.url.endswith("/account"), page.text[:300]
        assert signed_in(stranger)  # the recovering browser is signed in afresh


def unlink_github(scene: Scene) -> None:
    page = scene.here.get("/account/social")
    page = post_form(
        scene.here, social_form(page, "github", "unlink"), password=scene.person.password
    )
    assert "GitHub is unlinked from your Passport." in page.text, page.text[:300]


def log_out_everywhere(scene: Scene) -> None:
    page = log_out_of_all_devices(scene.here)
    assert "Other sessions ended: 1." in page.text, page.text[:300]


@dataclass(frozen=True)
class Change:
    name: str
    make: Callable[[Scene], None]
    event: tuple[str, str] | None  # the CAEP credential_type and change_type; None: no event
    identifier: str | None = None  # "email"/"phone": RISC identifier-changed with the new value
    two_factor: bool = False  # 2FA is on before the browsers sign in
    social: bool = False  # on a Passport with upstream networks; GitHub linked beforehand
    ends_here: bool = False  # the change ends the session of "here" as well
    keeps_here: bool = False  # the tokens issued in "here" go on


CHANGES = [
    Change("password", change_password, ("password", "update")),
    Change("login-email", change_email, ("login", "update"), identifier="email"),
    Change("login-phone", change_phone, ("login", "update"), identifier="phone"),
    Change("2fa-on", turn_two_factor_on, ("app", "create")),
    Change(
        "2fa-off",
        two_factor_form("disable", "Two-factor authentication is off."),
        ("app", "delete"),
        two_factor=True,
    ),
    Change(
        "2fa-reset",
        two_factor_form("reset", "Two-factor authentication was reset."),
        ("app", "delete"),
        two_factor=True,
    ),
    Change("recovery", recover_by_email, ("password", "update"), ends_here=True),
    Change("social-unlink", unlink_github, ("federated", "delete"), social=True),
    Change("log-out-everywhere", log_out_everywhere, None, keeps_here=True),
]


# --- the scene ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def social(server_settings, backend, tmp_path_factory):
    """A Passport with upstream networks, started only for the change that needs one."""
    with running_social(server_settings, backend, tmp_path_factory) as servers:
        yield servers


@pytest.fixture
def receiver():
    """Both portals' endpoints: what arrives is told apart by its audience."""
    with Receiver() as receiver:
        yield receiver


def sign_in(browser: Browser, scene: Scene) -> None:
    page = browser.sign_in(scene.person.email, scene.person.password)
    if scene.totp is not None:
        page = browser.submit(page, "code", code=next_step_code(scene.totp))
    assert signed_in(browser), page.text[:300]


@pytest.fixture
def scene(request, change: Change, live_server, factories, receiver, mailbox, sms_gateway) -> Scene:
    """The person signed in here and there, each browser at both portals; the change's
    preconditions (2FA on, GitHub linked) met first."""
    server = live_server
    if change.social:
        social = request.getfixturevalue("social")
        server, factories = social.passport, social.factories
    person = factories.account(phone=factories.phone_number())
    here, there = device(server.url, CHROME_WINDOWS), device(server.url, FIREFOX_UBUNTU)
    request.addfinalizer(here.session.close)
    request.addfinalizer(there.session.close)
    scene = Scene(server, factories, person, here, there, mailbox, sms_gateway, receiver)

    sign_in(here, scene)
    if change.social:
        octo = GitHubPerson.make(None)
        page = link_github(here, social.github, octo, person.password)
        assert "GitHub is linked to your Passport." in page.text, page.text[:300]
    if change.two_factor:
        scene.totp, _ = turn_on(here, person.password)
    sign_in(there, scene)

    for first_party in (True, False):
        client = factories.client(
            first_party=first_party,
            backchannel_logout_uri=receiver.url + "/logout",
            security_events_endpoint=receiver.url + "/events",
        )
        scene.portals.append(RelyingParty(server.url, client))
    # The second portal holds offline tokens from "there": they outlive a logout, not this.
    for name, browser in (("here", here), ("there", there)):
        scene.tokens[name] = [
            sign_in_to_portal(browser, portal, person, offline=(name, index) == ("there", 1))
            for index, portal in enumerate(scene.portals)
        ]
    assert len({t.sid for t in scene.tokens["here"]}) == 1
    assert len({t.sid for t in scene.tokens["there"]}) == 1
    assert scene.tokens["here"][0].sid != scene.tokens["there"][0].sid
    return scene


# --- what each side sees --------------------------------------------------------------


def assert_dead(tokens: Tokens) -> None:
    portal, access = tokens.portal, tokens.values["access_token"]
    assert tokens.refresh_refused()
    assert portal.introspect(access) == {"active": False}
    assert portal.userinfo(access).status_code == 401


def assert_alive(tokens: Tokens) -> None:
    portal, access = tokens.portal, tokens.values["access_token"]
    assert portal.introspect(access)["active"] is True
    assert portal.userinfo(access).status_code == 200
    assert tokens.refresh_works()


def assert_signed_out(browser: Browser) -> None:
    page = browser.get("/account", allow_redirects=False)
    assert page.status == 302 and "/login" in page.response.headers["Location"]


FORMATS = {"email": "email", "phone": "phone_number"}  # RISC subject formats


def expected_events(change: Change) -> set[str]:
    kinds = {CREDENTIAL_CHANGE} if change.event else set()
    return kinds | ({IDENTIFIER_CHANGED} if change.identifier else set())


def delivered(scene: Scene, change: Change, ended: set[str]) -> None:
    """Run the outbox worker until each portal has what it is owed, then check it got exactly
    that: a logout for each ended session and the security events of the change."""
    wanted = expected_events(change)

    def owed(portal: RelyingParty) -> bool:
        client_id = portal.client.client_id
        logouts = logouts_received(scene.server, scene.receiver, client_id)
        events = events_received(scene.server, scene.receiver, client_id)
        return {c["sid"] for c in logouts} >= ended and len(events) >= len(wanted)

    run_worker(scene.server, lambda: all(owed(p) for p in scene.portals), passes=10)
    deliver(scene.server)  # and whatever else is due, so that nothing more is on its way
    for portal in scene.portals:
        client_id = portal.client.client_id
        logouts = logouts_received(scene.server, scene.receiver, client_id)
        assert sorted(c["sid"] for c in logouts) == sorted(ended), client_id
        assert {c["sub"] for c in logouts} == {scene.person.sub}
        events = events_received(scene.server, scene.receiver, client_id)
        assert sorted(next(iter(e["events"])) for e in events) == sorted(wanted), events
        for event in events:
            [(kind, body)] = event["events"].items()
            if kind == CREDENTIAL_CHANGE:
                assert (body["credential_type"], body["change_type"]) == change.event
                assert body["subject"] == {
                    "format": "iss_sub",
                    "iss": scene.server.url,
                    "sub": scene.person.sub,
                }
            else:  # identifier-changed: about the old login, naming the new one
                form = FORMATS[change.identifier]
                old = getattr(scene.person, change.identifier)
                assert body["subject"] == {"format": form, form: old}
                assert body["new-value"] == scene.new_value


@pytest.mark.parametrize("change", CHANGES, ids=[c.name for c in CHANGES])
def test_credential_change(change: Change, scene: Scene):
    here_sid, there_sid = scene.tokens["here"][0].sid, scene.tokens["there"][0].sid

    change.make(scene)

    for tokens in scene.tokens["there"]:
        assert_dead(tokens)
    for tokens in scene.tokens["here"]:
        (assert_alive if change.keeps_here else assert_dead)(tokens)
    assert_signed_out(scene.there)
    if change.ends_here:
        assert_signed_out(scene.here)
    else:
        assert signed_in(scene.here)
    # A session whose tokens died is logged out at the portals: "here" too, when the change
    # ends it (re-issued under a new sid, it stays signed in at Passport).
    delivered(scene, change, {there_sid} if change.keeps_here else {here_sid, there_sid})
