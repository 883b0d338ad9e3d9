"""Sessions on devices: the sessions page, ending one session, "log out of all devices"."""

from __future__ import annotations

from datetime import datetime

import pytest

from server import clock
from server.domain.login_sessions import active_sessions
from server.extensions import db
from server.models import Account, LoginSession

from ..support.delivery import for_client, logout_tokens_for, run_worker, unverified_claims
from ..support.devices import (
    CHROME_WINDOWS,
    FIREFOX_UBUNTU,
    SAFARI_IPHONE,
    device,
    log_out_of_all_devices,
    session_rows,
    sign_in_to_portal,
    signed_in,
)
from ..support.relying_party import RelyingParty


@pytest.fixture
def devices(live_server):
    opened = []

    def open_device(user_agent=CHROME_WINDOWS):
        browser = device(live_server.url, user_agent)
        opened.append(browser)
        return browser

    yield open_device
    for browser in opened:
        browser.session.close()


def stored_session(live_server, session_id: str) -> LoginSession:
    with live_server.app_context():
        row = db.session.get(LoginSession, session_id)
        db.session.expunge(row)
        return row


def minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") + " UTC"


def delivered_sids(live_server, receiver, portal, count: int) -> list[str]:
    """Run the worker until `count` logout tokens reached the portal; their sids."""
    client_id = portal.client.client_id
    run_worker(
        live_server,
        lambda: len(receiver.wait_for(count, 0, for_client(client_id))) >= count,
        passes=5,
    )
    tokens = logout_tokens_for(receiver.snapshot(), client_id)
    return [unverified_claims(t)["sid"] for t in tokens]


def test_sessions_page_lists_each_device(live_server, person, portal, devices, factories):
    windows, ubuntu, iphone = devices(CHROME_WINDOWS), devices(FIREFOX_UBUNTU), devices()
    iphone.session.headers["User-Agent"] = SAFARI_IPHONE
    sids = {}
    for name, browser in (("windows", windows), ("ubuntu", ubuntu), ("iphone", iphone)):
        sids[name] = sign_in_to_portal(browser, portal, person).sid
        clock.travel(120)  # distinct sign-in minutes
    # Someone else's session never shows, nor does an ended one.
    stranger = factories.account()
    devices().sign_in(stranger.email, stranger.password)
    ended = devices(CHROME_WINDOWS)
    ended_sid = sign_in_to_portal(ended, portal, person).sid
    ended.submit(ended.get("/logout"), "csrf_token")
    assert not signed_in(ended)

    # Later the Ubuntu browser is used again: its last activity moves, its sign-in does not.
    clock.travel(600)
    assert signed_in(ubuntu)

    page = windows.get("/account/sessions")
    assert page.status == 200
    rows = {row.session_id: row for row in session_rows(page)}
    assert set(rows) == set(sids.values()), (rows.keys(), sids)
    assert ended_sid not in rows

    expected = {
        "windows": "Chrome 120, Windows 10",
        "ubuntu": "Firefox 121, Ubuntu",
        "iphone": "Mobile Safari 17, iOS 17",
    }
    for name, sid in sids.items():
        row, stored = rows[sid], stored_session(live_server, sid)
        assert row.text.startswith(expected[name]), row.text
        assert "IP address: 127.0.0.1" in row.text
        assert f"Signed in: {minute(stored.created_at)}" in row.text
        assert f"Last activity: {minute(stored.last_seen_at)}" in row.text
        assert "Method: Password" in row.text
        assert row.current == (name == "windows")
        assert ("This device" in row.text) == (name == "windows")

    ubuntu_session = stored_session(live_server, sids["ubuntu"])
    assert ubuntu_session.last_seen_at > ubuntu_session.created_at
    assert minute(ubuntu_session.last_seen_at) != minute(ubuntu_session.created_at)
    # Most recently active first: the page viewer and the Ubuntu browser, then the rest.
    order = [row.session_id for row in session_rows(page)]
    assert order.index(sids["ubuntu"]) < order.index(sids["iphone"])

    # The same list, seen from the iPhone, marks the iPhone as this device.
    rows = session_rows(iphone.get("/account/sessions"))
    assert [r.session_id for r in rows if r.current] == [sids["iphone"]]


def test_ending_one_session_revokes_exactly_its_tokens(
    live_server, person, portal, devices, receiver, factories
):
    other_portal = RelyingParty(live_server.url, factories.client())
    laptop, phone = devices(CHROME_WINDOWS), devices(SAFARI_IPHONE)
    laptop_tokens = sign_in_to_portal(laptop, portal, person)
    laptop_other = sign_in_to_portal(laptop, other_portal, person)
    phone_tokens = sign_in_to_portal(phone, portal, person)
    phone_other = sign_in_to_portal(phone, other_portal, person)
    laptop_sid, phone_sid = laptop_tokens.sid, phone_tokens.sid
    assert laptop_sid != phone_sid

    page = phone.get("/account/sessions")
    page = phone.submit(page, "session_id", session_id=laptop_sid)
    assert "The session has been ended." in page.text
    assert [row.session_id for row in session_rows(page)] == [phone_sid]

    # The laptop is signed out, and every token issued in its session is dead…
    assert not signed_in(laptop)
    assert laptop_tokens.refresh_refused()
    assert laptop_other.refresh_refused()
    assert portal.userinfo(laptop_tokens.values["access_token"]).status_code == 401
    # …while the phone, its session and its tokens with both portals go on.
    assert signed_in(phone)
    assert phone_tokens.refresh_works() and phone_other.refresh_works()
    assert portal.userinfo(phone_tokens.values["access_token"]).status_code == 200

    # The portal hears of the laptop's session only.
    assert delivered_sids(live_server, receiver, portal, 1) == [laptop_sid]


def test_cannot_end_someone_elses_session(live_server, person, devices, factories):
    mine, theirs = devices(), devices()
    mine.sign_in(person.email, person.password)
    stranger = factories.account()
    theirs.sign_in(stranger.email, stranger.password)
    with live_server.app_context():
        [their_session] = active_sessions(db.session.get(Account, stranger.id))
        their_sid = their_session.id
    page = mine.get("/account/sessions")
    mine.submit(page, "session_id", session_id=their_sid)
    assert signed_in(theirs) and signed_in(mine)


def test_offline_tokens_survive_one_logout_but_not_logout_everywhere(
    live_server, person, portal, devices
):
    tablet, laptop = devices(SAFARI_IPHONE), devices(CHROME_WINDOWS)
    offline = sign_in_to_portal(tablet, portal, person, offline=True)
    online = sign_in_to_portal(tablet, portal, person)
    laptop_tokens = sign_in_to_portal(laptop, portal, person)

    # Ending the tablet's session: its offline tokens stay, its ordinary ones go.
    laptop.submit(laptop.get("/account/sessions"), "session_id", session_id=offline.sid)
    assert not signed_in(tablet)
    assert online.refresh_refused()
    assert offline.refresh_works()
    assert portal.userinfo(offline.values["access_token"]).status_code == 200

    # "Log out of all devices" (this one kept) takes the offline tokens as well.
    page = log_out_of_all_devices(laptop)
    assert "Other sessions ended: 0." in page.text
    assert offline.refresh_refused()
    assert portal.userinfo(offline.values["access_token"]).status_code == 401
    assert signed_in(laptop) and laptop_tokens.refresh_works()


def test_log_out_of_all_devices(live_server, person, portal, devices, receiver):
    here = devices(CHROME_WINDOWS)
    others = [devices(FIREFOX_UBUNTU), devices(SAFARI_IPHONE)]
    here_tokens = sign_in_to_portal(here, portal, person, offline=True)
    other_tokens = [sign_in_to_portal(browser, portal, person) for browser in others]

    page = log_out_of_all_devices(here)
    assert "Other sessions ended: 2." in page.text
    assert [row.session_id for row in session_rows(page)] == [here_tokens.sid]
    for browser, tokens in zip(others, other_tokens, strict=True):
        assert not signed_in(browser)
        assert tokens.refresh_refused()
    assert signed_in(here) and here_tokens.refresh_works()
    assert sorted(delivered_sids(live_server, receiver, portal, 2)) == sorted(
        t.sid for t in other_tokens
    )

    # With the box ticked this device goes too, and its offline tokens with it.
    page = log_out_of_all_devices(here, include_current=True)
    assert page.url.startswith(live_server.url + "/login")
    assert not signed_in(here)
    assert here_tokens.refresh_refused()
    assert delivered_sids(live_server, receiver, portal, 3)[-1] == here_tokens.sid


def test_session_forms_need_csrf(live_server, person, devices):
    laptop, phone = devices(), devices()
    laptop.sign_in(person.email, person.password)
    phone.sign_in(person.email, person.password)
    rows = session_rows(phone.get("/account/sessions"))
    laptop_sid = next(row.session_id for row in rows if not row.current)
    # A cross-site form post carries the cookie but not the token.
    for path, data in (
        ("/account/sessions/end", {"session_id": laptop_sid}),
        ("/account/sessions/end-all", {"include_current": "y"}),
    ):
        response = phone.session.post(phone.url(path), data=data, timeout=15, allow_redirects=False)
        assert response.status_code in (400, 302)
    assert signed_in(laptop) and signed_in(phone)


def test_ending_this_devices_session_from_the_list_signs_out(live_server, person, devices):
    browser = devices()
    browser.sign_in(person.email, person.password)
    [row] = session_rows(browser.get("/account/sessions"))
    assert row.current
    page = browser.submit(browser.get("/account/sessions"), "session_id", session_id=row.session_id)
    assert page.url.startswith(live_server.url + "/login")
    assert not signed_in(browser)
