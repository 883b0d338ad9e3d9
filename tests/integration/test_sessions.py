"""Sessions on devices: the sessions page, ending one session, "log out of all devices"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from babel.dates import format_date

from server import clock
from server.domain.login_sessions import active_sessions
from server.extensions import db
from server.models import Account, LoginSession

from ..support.delivery import for_client, logout_tokens_for, run_worker, unverified_claims
from ..support.devices import (
    CHROME_ANDROID_TABLET,
    CHROME_WINDOWS,
    FIREFOX_UBUNTU,
    SAFARI_IPAD,
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

    def open_device(user_agent=CHROME_WINDOWS, language="en"):
        browser = device(live_server.url, user_agent, language=language)
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

    # Each device by its kind (drawn, and written), browser and system; the times as people
    # say them: the sign-ins 16, 14 and 12 minutes before the page is opened.
    expected = {
        "windows": ("computer", "Chrome 120, Windows 10", "Computer", "16 minutes ago"),
        "ubuntu": ("computer", "Firefox 121, Ubuntu", "Computer", "14 minutes ago"),
        "iphone": ("phone", "Mobile Safari 17, iOS 17", "Phone", "12 minutes ago"),
    }
    for name, sid in sids.items():
        row = rows[sid]
        kind, device_words, kind_words, signed_in_when = expected[name]
        assert row.device == kind and row.icons == 1, row
        assert row.text.startswith(device_words), row.text
        assert f"{kind_words} · IP address: 127.0.0.1" in row.text
        assert f"Signed in: {signed_in_when}" in row.text
        assert "Method: Password" in row.text
        assert row.current == (name == "windows")
        assert ("This device" in row.text) == (name == "windows")
    # The page viewer and the Ubuntu browser were active just now, the iPhone not since it
    # signed in.
    assert "Last activity: just now" in rows[sids["windows"]].text
    assert "Last activity: just now" in rows[sids["ubuntu"]].text
    assert "Last activity: 12 minutes ago" in rows[sids["iphone"]].text

    # This device first, then the most recently active: the Ubuntu browser before the iPhone.
    order = [row.session_id for row in session_rows(page)]
    assert order == [sids["windows"], sids["ubuntu"], sids["iphone"]]

    # The same list, seen from the iPhone, puts the iPhone first and marks it as this device.
    rows = session_rows(iphone.get("/account/sessions"))
    assert [r.session_id for r in rows if r.current] == [sids["iphone"]]
    assert rows[0].session_id == sids["iphone"]


WORDS = {
    "en": {
        "signed in": "Signed in",
        "last activity": "Last activity",
        "today": "today at {} UTC",
        "yesterday": "yesterday at {} UTC",
        "days": "{} days ago",
        "this device": "This device",
        "tablet": "Tablet",
    },
    "ru": {
        "signed in": "Вход",
        "last activity": "Последняя активность",
        "today": "сегодня в {} UTC",
        "yesterday": "вчера в {} UTC",
        "days": "{} дня назад",
        "this device": "Это устройство",
        "tablet": "Планшет",
    },
}


def travel_keeping(seconds: float, *browsers) -> None:
    """Move the clock in steps under the idle timeout, each browser used after each step."""
    left = seconds
    while left > 0:
        step = min(left, 6 * 3600)
        clock.travel(step)
        left -= step
        for browser in browsers:
            assert signed_in(browser)


def next_midnight(moment: datetime) -> datetime:
    return (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_times_are_said_as_people_say_them(live_server, person, devices, language):
    words = WORDS[language]
    tablet = devices(SAFARI_IPAD, language)
    tablet.sign_in(person.email, person.password)
    [tablet_sid] = [r.session_id for r in session_rows(tablet.get("/account/sessions"))]
    # To three in the morning of the next day (in UTC, the page's time zone).
    travel_keeping((next_midnight(clock.now()) - clock.now()).total_seconds() + 3 * 3600, tablet)
    android = devices(CHROME_ANDROID_TABLET, language)
    android.sign_in(person.email, person.password)
    travel_keeping(2 * 3600, tablet)

    def row_texts(browser):
        rows = session_rows(browser.get("/account/sessions"))
        return {row.session_id: row for row in rows}

    rows = row_texts(tablet)
    [android_sid] = [sid for sid in rows if sid != tablet_sid]
    signed_in_at = {
        sid: stored_session(live_server, sid).created_at for sid in (tablet_sid, android_sid)
    }
    at = {sid: moment.strftime("%H:%M") for sid, moment in signed_in_at.items()}
    tablet_row, android_row = rows[tablet_sid], rows[android_sid]
    assert f"{words['signed in']}: {words['yesterday'].format(at[tablet_sid])}" in tablet_row.text
    assert f"{words['signed in']}: {words['today'].format(at[android_sid])}" in android_row.text
    assert android_row.text.startswith("Chrome 120, Android 13"), android_row.text
    assert tablet_row.text.startswith(f"Mobile Safari 17, iOS 17 {words['this device']}")
    for row in (tablet_row, android_row):
        assert row.device == "tablet" and f"{words['tablet']} ·" in row.text

    # Two days later: counted in days, by the calendar.
    travel_keeping(2 * 86400, tablet)
    rows = row_texts(tablet)
    assert f"{words['signed in']}: {words['days'].format(3)}" in rows[tablet_sid].text
    assert f"{words['last activity']}: " in rows[tablet_sid].text

    # After a week: the date, as the language writes it.
    travel_keeping(5 * 86400, tablet)
    rows = row_texts(tablet)
    dated = " ".join(format_date(signed_in_at[tablet_sid], "long", locale=language).split())
    assert f"{words['signed in']}: {dated}" in rows[tablet_sid].text
    assert android_sid not in rows  # idle past the timeout: gone from the list


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
