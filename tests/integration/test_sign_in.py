"""Sign-up, sign-in and sign-out over real HTTP: identifiers, sessions, CSRF and rate limits."""

from __future__ import annotations

import html
import re
import secrets
import statistics
import time
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from server.extensions import db
from server.models import Account, LoginSession

from ..conftest import LiveServer, build_app
from ..support.browser import Browser, Page
from ..support.devices import signed_in
from ..support.signup import PASSWORD, enter_code, sign_up, sign_up_confirmed


def session_cookie(live_server) -> str:
    """The session cookie's name, which the issuer gives (server/config.py cookie_prefix)."""
    return live_server.app.config["SESSION_COOKIE_NAME"]


def unique_email() -> str:
    return f"person-{secrets.token_hex(4)}@example.org"


def notations(phone: str) -> list[str]:
    """+79123456789 as people write it."""
    d = phone[2:]
    return [
        phone,
        f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}",
        "8" + d,
        f"8 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}",
        f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}",
    ]


def stored_account(server, **where) -> Account | None:
    with server.app_context():
        query = select(Account)
        for name, value in where.items():
            query = query.where(getattr(Account, name) == value)
        account = db.session.execute(query).scalar_one_or_none()
        db.session.expunge_all()
        return account


def count_accounts(server, **where) -> int:
    with server.app_context():
        query = select(func.count()).select_from(Account)
        for name, value in where.items():
            query = query.where(getattr(Account, name) == value)
        return db.session.execute(query).scalar_one()


def session_rows(server, account_id: int) -> list[LoginSession]:
    with server.app_context():
        rows = db.session.execute(
            select(LoginSession)
            .where(LoginSession.account_id == account_id)
            .order_by(LoginSession.created_at)
        ).scalars()
        rows = list(rows)
        db.session.expunge_all()
        return rows


def cookie_contents(server, value: str) -> dict:
    """The signed Flask session cookie, read as the server reads it."""
    serializer = server.app.session_interface.get_signing_serializer(server.app)
    return serializer.loads(value)


def post_form(browser: Browser, path: str, data: dict) -> requests.Response:
    return browser.session.post(browser.url(path), data=data, timeout=15, allow_redirects=False)


def flashes(page: Page) -> list[str]:
    return [
        html.unescape(m) for m in re.findall(r'<p class="flash error"[^>]*>(.*?)</p>', page.html)
    ]


def csrf_token(page: Page) -> str:
    return page.form("csrf_token").fields["csrf_token"]


# --- Sign-up -------------------------------------------------------------------------------


def test_sign_up_with_email(live_server, browser, mailbox):
    """The e-mail is normalised; the account exists once the link is followed (the details
    of the confirmation are in test_signup.py)."""
    email = unique_email()
    page = sign_up_confirmed(browser, live_server, mailbox, email.upper())
    assert page.status == 200 and page.url.endswith("/account"), page.text[:300]
    assert "Your Passport is ready" in page.text
    assert signed_in(browser)
    account = stored_account(live_server, email=email)
    assert account is not None and account.phone is None and account.email_verified
    assert account.password_hash.startswith("$argon2id$")


def test_sign_up_with_phone_then_sign_in_in_another_notation(
    live_server, browser, factories, sms_gateway
):
    phone = factories.phone_number()
    page = sign_up(browser, notations(phone)[4])
    assert page.url.endswith("/signup/confirm"), page.text[:300]
    page = enter_code(browser, live_server, sms_gateway, phone)
    assert page.status == 200 and page.url.endswith("/account"), page.text[:300]
    account = stored_account(live_server, phone=phone)
    assert account is not None and account.email is None and account.phone_verified
    with Browser(live_server.url) as other:
        assert other.sign_in(notations(phone)[1], PASSWORD).url.endswith("/account")


def test_duplicate_email_is_refused_with_a_clear_message(live_server, browser, factories):
    person = factories.account()
    page = sign_up(browser, "  " + person.email.upper())
    assert page.status == 400
    assert "A user with this e-mail already exists" in page.text
    assert not signed_in(browser)
    assert count_accounts(live_server, email=person.email) == 1


def test_duplicate_phone_is_refused_with_a_clear_message(live_server, browser, factories):
    phone = factories.phone_number()
    factories.account(email=None, phone=phone)
    page = sign_up(browser, notations(phone)[2])
    assert page.status == 400
    assert "A user with this phone number already exists" in page.text
    assert count_accounts(live_server, phone=phone) == 1


def test_mismatched_repeat_creates_nothing(live_server, browser):
    email = unique_email()
    page = sign_up(browser, email, PASSWORD, PASSWORD + "!")
    assert page.status == 400
    assert "The passwords do not match." in page.text
    assert count_accounts(live_server, email=email) == 0
    assert not signed_in(browser)


@pytest.mark.parametrize(
    ("login", "password", "message"),
    [
        ("not-an-address@", PASSWORD, "This is not a valid e-mail address."),
        ("garbage", PASSWORD, "This is not a valid phone number."),
        ("{email}", "short", "at least 8 characters"),
        ("{email}", "{email}", "must not be the same as the login"),
    ],
)
def test_sign_up_refusals_are_explained(live_server, browser, login, password, message):
    email = unique_email()
    page = sign_up(browser, login.format(email=email), password.format(email=email))
    assert page.status == 400 and message in page.text, page.text[:300]
    assert count_accounts(live_server, email=email) == 0


# --- Sign-in -------------------------------------------------------------------------------


def test_sign_in_by_email_in_another_case(live_server, factories):
    person = factories.account()
    for typed in (person.email.upper(), person.email.title(), f" {person.email} "):
        with Browser(live_server.url) as browser:
            page = browser.sign_in(typed, person.password)
            assert page.url.endswith("/account"), (typed, page.text[:300])
            assert signed_in(browser)


def test_sign_in_by_phone_in_any_notation(live_server, factories):
    phone = factories.phone_number()
    person = factories.account(email=None, phone=phone)
    for typed in notations(phone):
        with Browser(live_server.url) as browser:
            page = browser.sign_in(typed, person.password)
            assert page.url.endswith("/account"), (typed, page.text[:300])


def sign_in_attempt(browser: Browser, login: str, password: str) -> tuple[Page, float]:
    page = browser.get("/login")
    data = dict(page.form("login").fields, login=login, password=password)
    started = time.perf_counter()
    response = post_form(browser, "/login", data)
    return Page(response), time.perf_counter() - started


HOSTILE_NEXT = ["/\t/evil.example", "/\\evil.example", "/\r\n/evil.example", " //evil.example"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_never_leads_off_this_server(live_server, factories, target):
    """An attack run found `/login?next=/%09/evil.example` answered `Location: //evil.example`
    (the browser drops the tab), and CR/LF a 500 after the sign-in had happened."""
    person = factories.account()
    with Browser(live_server.url) as browser:
        page = browser.get("/login", params={"next": target})
        form = page.form("login")
        data = dict(form.fields, login=person.email, password=person.password)
        signed = browser.session.post(
            live_server.url + "/login", data=data, timeout=15, allow_redirects=False
        )
        again = browser.session.get(
            live_server.url + "/login", params={"next": target}, timeout=15, allow_redirects=False
        )
    for answer in (signed, again):  # after the form, and when already signed in
        assert answer.status_code == 302, answer.text[:300]
        location = answer.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil.example" not in urlsplit(location).netloc


def test_unknown_login_and_wrong_password_look_the_same(live_server, browser, factories):
    person = factories.account()
    wrong, _ = sign_in_attempt(browser, person.email, person.password + "!")
    unknown, _ = sign_in_attempt(browser, unique_email(), person.password)
    unknown_phone, _ = sign_in_attempt(browser, factories.phone_number(), person.password)
    for page in (wrong, unknown, unknown_phone):
        assert page.status == 400
        assert flashes(page) == ["Wrong login or password."]
    assert not signed_in(browser)


@pytest.fixture
def owasp_server(server_settings):
    """A second Passport on the same database hashing with the default (OWASP) parameters,
    so that argon2 and not the HTTP round trip dominates the time of a sign-in."""
    from server.config import load_config

    defaults = load_config(environ={})
    settings = dict(
        server_settings,
        **{name: defaults[name] for name in ("ARGON2_MEMORY_COST", "ARGON2_TIME_COST")},
    )
    server = LiveServer(build_app, settings).start()
    yield server
    server.stop()


def test_unknown_login_takes_about_as_long_as_a_wrong_password(owasp_server, mailbox):
    """And as long as a login someone signed up with and has not confirmed: exactly one
    argon2 hash is checked whatever the login, so the time tells none of them apart."""
    email, waiting = unique_email(), unique_email()
    with Browser(owasp_server.url) as browser:
        page = sign_up_confirmed(browser, owasp_server, mailbox, email)
        assert page.url.endswith("/account")
    with Browser(owasp_server.url) as browser:
        assert sign_up(browser, waiting).url.endswith("/signup/confirm")
    with Browser(owasp_server.url) as browser:
        sign_in_attempt(browser, email, "warm up")
        sign_in_attempt(browser, unique_email(), "warm up the dummy hash")
        wrong, unknown, unconfirmed = [], [], []
        for _ in range(7):
            wrong.append(sign_in_attempt(browser, email, "not the password")[1])
            unknown.append(sign_in_attempt(browser, unique_email(), "not the password")[1])
            page, elapsed = sign_in_attempt(browser, waiting, "not the password")
            assert flashes(page) == ["Wrong login or password."]
            unconfirmed.append(elapsed)
    medians = [statistics.median(times) for times in (wrong, unknown, unconfirmed)]
    assert min(medians) >= 0.5 * max(medians), (wrong, unknown, unconfirmed)


# --- The session -----------------------------------------------------------------------------


def test_session_cookie_is_http_only_lax_and_renewed_at_sign_in(live_server, browser, factories):
    person = factories.account()
    login_page = browser.get("/login")
    before = browser.session.cookies.get(session_cookie(live_server))
    assert before, "the sign-in form sets a session cookie for its CSRF token"

    data = dict(login_page.form("login").fields, login=person.email, password=person.password)
    response = post_form(browser, "/login", data)
    assert response.status_code == 302
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith(session_cookie(live_server) + "=")
    attributes = [part.strip().lower() for part in set_cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    after = browser.session.cookies.get(session_cookie(live_server))
    assert after and after != before

    # The new cookie names a server-side session row of this person; its id is the sid.
    [row] = session_rows(live_server, person.id)
    assert cookie_contents(live_server, after)["_user_id"] == row.id
    assert row.ended_at is None and row.amr == ["pwd"]
    # The cookie from before the sign-in carries no session: it is not signed in.
    assert "_user_id" not in cookie_contents(live_server, before)
    with Browser(live_server.url) as replay:
        replay.session.cookies.set(session_cookie(live_server), before)
        assert not signed_in(replay)
    assert signed_in(browser)


def test_signing_in_again_renews_the_same_session(live_server, browser, factories):
    """A re-authentication (prompt=login, max_age) keeps the sid, so the portals of the
    session stay signed in; only the sign-in time moves."""
    from server import clock

    person = factories.account()
    browser.sign_in(person.email, person.password)
    first_id = cookie_contents(
        live_server, browser.session.cookies.get(session_cookie(live_server))
    )["_user_id"]
    [before] = session_rows(live_server, person.id)
    clock.travel(60)
    page = browser.get("/login?fresh=1")
    browser.submit(page, "login", login=person.email, password=person.password)
    second_id = cookie_contents(
        live_server, browser.session.cookies.get(session_cookie(live_server))
    )["_user_id"]
    assert first_id == second_id
    [after] = session_rows(live_server, person.id)
    assert after.auth_time > before.auth_time and after.ended_at is None


def test_max_age_zero_signs_in_once_and_goes_back_to_the_portal(live_server, browser, factories):
    """OIDC Core §3.1.2.1: max_age=0 asks for a sign-in now; once made, it is not asked again
    (the sign-in is some milliseconds old by the time the browser is back)."""
    from server import clock

    from ..support.relying_party import RelyingParty

    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    browser.sign_in(person.email, person.password)
    clock.travel(60)
    params = portal.authorize(browser, login=person.email, password=person.password, max_age="0")
    claims = portal.verify_id_token(portal.exchange(params)["id_token"])
    assert claims["auth_time"] >= clock.timestamp() - 5


def test_signing_in_as_another_person_ends_the_previous_session(live_server, browser, factories):
    first, second = factories.account(), factories.account()
    browser.sign_in(first.email, first.password)
    page = browser.get("/login?fresh=1")
    browser.submit(page, "login", login=second.email, password=second.password)
    [old] = session_rows(live_server, first.id)
    assert old.ended_at is not None
    assert (
        cookie_contents(live_server, browser.session.cookies.get(session_cookie(live_server)))[
            "_user_id"
        ]
        != old.id
    )


def test_logout_ends_the_server_side_session(live_server, browser, factories):
    person = factories.account()
    browser.sign_in(person.email, person.password)
    cookie = browser.session.cookies.get(session_cookie(live_server))
    session_id = cookie_contents(live_server, cookie)["_user_id"]

    page = browser.get("/logout")
    page = browser.submit(page, "csrf_token")
    assert page.url.endswith("/login") and "You have signed out." in page.text
    assert not signed_in(browser)
    [row] = session_rows(live_server, person.id)
    assert row.id == session_id and row.ended_at is not None

    # Whoever kept a copy of the cookie is not signed in either: the row decides.
    with Browser(live_server.url) as replay:
        replay.session.cookies.set(session_cookie(live_server), cookie)
        assert not signed_in(replay)
        assert replay.get("/account").url.endswith("/login?next=%2Faccount")


# --- CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong", "another browser's"])
def test_login_without_a_valid_csrf_token_is_refused(live_server, browser, factories, token):
    person = factories.account()
    page = browser.get("/login")
    data = dict(page.form("login").fields, login=person.email, password=person.password)
    data = _with_token(live_server, data, token)
    response = post_form(browser, "/login", data)
    assert 400 <= response.status_code < 500
    assert not signed_in(browser)
    assert session_rows(live_server, person.id) == []


@pytest.mark.parametrize("token", [None, "wrong", "another browser's"])
def test_signup_without_a_valid_csrf_token_is_refused(live_server, browser, token):
    email = unique_email()
    page = browser.get("/signup")
    data = dict(
        page.form("password_repeat").fields,
        login=email,
        password=PASSWORD,
        password_repeat=PASSWORD,
    )
    response = post_form(browser, "/signup", _with_token(live_server, data, token))
    assert 400 <= response.status_code < 500
    assert count_accounts(live_server, email=email) == 0
    assert not signed_in(browser)


@pytest.mark.parametrize("token", [None, "wrong", "another browser's"])
def test_logout_without_a_valid_csrf_token_is_refused(live_server, browser, factories, token):
    person = factories.account()
    browser.sign_in(person.email, person.password)
    page = browser.get("/logout")
    data = _with_token(live_server, dict(page.form("csrf_token").fields), token)
    response = post_form(browser, "/logout", data)
    assert 400 <= response.status_code < 500
    assert signed_in(browser)
    [row] = session_rows(live_server, person.id)
    assert row.ended_at is None


def _with_token(live_server, data: dict, token: str | None) -> dict:
    data = dict(data)
    if token is None:
        data.pop("csrf_token")
    elif token == "another browser's":
        with Browser(live_server.url) as other:
            data["csrf_token"] = csrf_token(other.get("/login"))
    else:
        data["csrf_token"] = token
    return data


# --- Rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited_server(server_settings):
    """A second Passport on the same database with low sign-in limits.

    Its clients come from an address of their own (through a trusted proxy header) and
    sign in with fresh logins, so no other test or run shares its counters. The key prefix
    helps too, though Flask-Limiter keeps the first prefix it was given in a process.
    """
    prefix = "passport-test-" + secrets.token_hex(6)
    settings = dict(
        server_settings,
        LOGIN_RATE_LIMIT_PER_LOGIN="3 per minute",
        LOGIN_RATE_LIMIT_PER_IP="5 per minute",
        RATELIMIT_KEY_PREFIX=prefix,
        PROXY_COUNT=1,
    )
    server = LiveServer(build_app, settings).start()
    server.client_ip = "198.51.100." + str(secrets.randbelow(250) + 1)
    yield server
    server.stop()
    if server.app.config.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(server.app.config["REDIS_URL"])
        for pattern in (f"*{server.client_ip}*", f"*/{prefix}/*"):
            for key in client.scan_iter(pattern):
                client.delete(key)


def limited_browser(server) -> Browser:
    browser = Browser(server.url)
    browser.session.headers["X-Forwarded-For"] = server.client_ip
    return browser


def test_attempts_are_limited_per_login_then_per_ip(limited_server, factories):
    person = factories.account()
    other = factories.account()
    with limited_browser(limited_server) as browser:
        for _ in range(3):
            assert browser.sign_in(person.email, "not the password").status == 400
        # The fourth attempt on this login is refused, even with the right password and
        # the login written in another case.
        page = browser.sign_in(person.email.upper(), person.password)
        assert page.status == 429
        assert 0 < int(page.response.headers["Retry-After"]) <= 60
        assert "Too many attempts. Please wait a little and try again." in page.text
        assert not signed_in(browser)
    # Other logins from the same address are still answered, until the IP limit (5 a
    # minute, 3 or 4 of them spent above) is reached.
    statuses = []
    for _ in range(3):
        with limited_browser(limited_server) as browser:
            page = browser.sign_in(other.email, other.password)
            statuses.append(page.status)
            if page.status == 429:
                assert "Too many attempts. Please wait a little and try again." in page.text
                assert not signed_in(browser)
                break
            assert page.url.endswith("/account")
    assert statuses in ([200, 429], [200, 200, 429]), statuses
    # Another address is not affected by either limit... except the login's own.
    with limited_browser(limited_server) as browser:
        browser.session.headers["X-Forwarded-For"] = "203.0.113." + str(secrets.randbelow(250) + 1)
        assert browser.sign_in(person.email, person.password).status == 429
        fresh = factories.account()
        assert browser.sign_in(fresh.email, fresh.password).url.endswith("/account")


def test_phone_notations_share_one_counter(limited_server, factories):
    phone = factories.phone_number()
    person = factories.account(email=None, phone=phone)
    with limited_browser(limited_server) as browser:
        for typed in notations(phone)[1:4]:
            assert browser.sign_in(typed, "not the password").status == 400
        assert browser.sign_in(notations(phone)[4], person.password).status == 429


def test_counters_are_kept_in_redis_when_configured(limited_server, backend, factories):
    if backend != "postgresql":
        pytest.skip("without REDIS_URL the counters are kept in memory")
    import redis

    person = factories.account()
    with limited_browser(limited_server) as browser:
        browser.sign_in(person.email, "not the password")
        browser.sign_in(person.email.upper(), "not the password")
    client = redis.Redis.from_url(limited_server.app.config["REDIS_URL"])
    [login_key] = list(client.scan_iter(f"*login:{person.email}*"))
    assert int(client.get(login_key)) == 2
    assert list(client.scan_iter(f"*{limited_server.client_ip}*")), "no per-IP counter in Redis"
