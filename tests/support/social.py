"""Signing in through upstream providers: the servers (a Passport configured with an upstream
Passport and a GitHub imitation) and a browser that crosses between them."""

from __future__ import annotations

import html
import re
import socket
from contextlib import contextmanager
from urllib.parse import urljoin

from sqlalchemy import select

from server.delivery import worker
from server.extensions import db
from server.models import Account, UpstreamIdentity

from ..conftest import LiveServer, build_app, create_postgres_database, drop_postgres_database
from .browser import Browser, Page
from .factories import Factories
from .github import FakeGitHub, GitHubPerson

REDIRECTS = (301, 302, 303, 307, 308)
HANDOFF = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)">')


def handoff_url(response) -> str | None:
    """Where a page that moves on by itself (a meta refresh, server/web/social.py
    `handed_off`) leads; None for any other answer."""
    if response.status_code != 200 or "text/html" not in response.headers.get("Content-Type", ""):
        return None
    found = HANDOFF.search(response.text)
    return html.unescape(found.group(1)) if found else None


def travel(browser: Browser, page: Page, *, limit: int = 15, stop_at: str | None = None) -> Page:
    """Follow redirects, and pages that move on by themselves, wherever they lead (the
    upstream provider and back); with `stop_at`, stop at a redirect to that server, to
    look at (or change) what it would receive."""
    response = page.response
    for _ in range(limit):
        location = response.headers.get("Location") or handoff_url(response)
        if (response.status_code not in REDIRECTS and response.status_code != 200) or not location:
            break
        target = urljoin(response.url, location)
        if stop_at and target.startswith(stop_at) and not response.url.startswith(stop_at):
            break
        response = browser.session.get(target, timeout=15, allow_redirects=False)
    return Page(response)


def go(browser: Browser, url: str) -> Page:
    return travel(browser, browser.get(url, allow_redirects=False))


def through_upstream(
    browser: Browser,
    page: Page,
    *,
    login=None,
    password=None,
    consent: bool = True,
    stop_at: str | None = None,
) -> Page:
    """Walk the upstream Passport's pages (sign-in, consent) until a page that needs nothing."""
    for _ in range(6):
        page = travel(browser, page, stop_at=stop_at)
        if page.status in REDIRECTS:
            return page
        if login is not None and any(
            "password" in f.fields and "login" in f.fields for f in page.forms
        ):
            page = post(browser, page, "password", login=login, password=password)
        elif any(n == "decision" for f in page.forms for n, _ in f.buttons):
            page = post(browser, page, "decision", decision="allow" if consent else "deny")
        else:
            return page
    return page


def post(browser: Browser, page: Page, having: str, **values) -> Page:
    """Submit a form of `page` and return the answer itself, redirect or not."""
    form = page.form(having)
    response = browser.session.post(
        urljoin(page.url, form.action or page.url),
        data=dict(form.fields, **values),
        timeout=15,
        allow_redirects=False,
    )
    return Page(response)


def signed_in_by_a_network(server: LiveServer, email: str) -> Browser:
    """A browser signed in to a new account that has no password, as a social sign-in
    leaves it: the session row, and the cookie Flask-Login would set for it."""
    from flask.sessions import SecureCookieSessionInterface

    from server.services.accounts import create_account
    from server.services.sessions import start_session

    with server.app_context():
        account = create_account(email=email, password=None, email_verified=True)
        session_id = start_session(
            account, amr=["fed"], acr="urn:passport:acr:pwd", remember=False
        ).id
    browser = Browser(server.url)
    serializer = SecureCookieSessionInterface().get_signing_serializer(server.app)
    browser.session.cookies.set(
        server.app.config["SESSION_COOKIE_NAME"],
        serializer.dumps({"_user_id": session_id, "_fresh": True}),
        domain="127.0.0.1",
    )
    return browser


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def link_github(browser: Browser, github: FakeGitHub, person: GitHubPerson, password: str) -> Page:
    github.person = person
    page = browser.get("/account/social")
    form = page.forms[[f.action for f in page.forms].index("/account/social/github/link")]
    response = browser.session.post(
        browser.url(form.action),
        data=dict(form.fields, password=password),
        allow_redirects=False,
        timeout=15,
    )
    return travel(browser, Page(response))


def social_form(page: Page, provider: str, action: str):
    for form in page.forms:
        if form.action == f"/account/social/{provider}/{action}":
            return form
    raise AssertionError(f"no {action} form for {provider}: {page.text[:300]}")


def post_form(browser: Browser, form, **values) -> Page:
    response = browser.session.post(
        browser.url(form.action),
        data=dict(form.fields, **values),
        allow_redirects=False,
        timeout=15,
    )
    return travel(browser, Page(response))


GITHUB_ID, GITHUB_SECRET = "Iv1.passport-test", "github-secret-" + "s" * 20


class Social:
    """The Passport under test and its upstream providers."""

    def __init__(self, passport: LiveServer, upstream: LiveServer, github: FakeGitHub):
        self.passport = passport
        self.upstream = upstream
        self.github = github
        self.factories = Factories(passport)
        self.upstream_factories = Factories(upstream)

    def browser(self, language: str = "en") -> Browser:
        return Browser(self.passport.url, accept_language=language)

    def account(self, email: str):
        with self.passport.app_context():
            return db.session.execute(select(Account).where(Account.email == email)).scalar_one()

    def identities(self, account_id: int) -> dict[str, UpstreamIdentity]:
        with self.passport.app_context():
            rows = db.session.execute(
                select(UpstreamIdentity).where(UpstreamIdentity.account_id == account_id)
            ).scalars()
            return {row.provider: row for row in rows}

    def deliver(self) -> None:
        with self.passport.app_context():
            while worker.run_once():
                pass


@contextmanager
def running_social(server_settings: dict, backend: str, tmp_path_factory):
    """A Passport configured with an upstream Passport, a GitHub imitation and a provider
    that is down; on PostgreSQL its database is created and dropped here."""
    root = tmp_path_factory.mktemp(f"social-{backend}")
    shared = {
        k: v
        for k, v in server_settings.items()
        if k not in ("DATABASE_URL", "INSTANCE_DIR", "KEYS_DIR")
    }
    upstream_settings = dict(
        shared,
        INSTANCE_DIR=str(root / "upstream"),
        KEYS_DIR=str(root / "upstream-keys"),
        DATABASE_URL=f"sqlite:///{root / 'upstream.db'}",
    )
    upstream = LiveServer(build_app, upstream_settings)
    upstream.start()
    database = f"sqlite:///{root / 'passport.db'}"
    if backend == "postgresql":
        database = create_postgres_database()

    def passport_app(settings):
        client = Factories(upstream).client(
            redirect_uri=settings["ISSUER"] + "/login/upstream/callback",
            client_name="Passport under test",
            scope="openid email profile",
        )
        providers = {
            "upstream": {
                "title": "Upstream ID",
                "issuer": upstream.url,
                "client_id": client.client_id,
                "client_secret": client.client_secret,
            },
            "github": {
                "client_id": GITHUB_ID,
                "client_secret": GITHUB_SECRET,
                "base_url": github.url,
                "api_base_url": github.url,
            },
            # The upstream under another name: its discovery document names another issuer.
            "impostor": {
                "issuer": upstream.url.replace("127.0.0.1", "localhost"),
                "client_id": client.client_id,
            },
            "down": {
                "title": "Down",
                "issuer": f"http://127.0.0.1:{closed_port()}",
                "client_id": "x",
            },
        }
        return build_app(dict(settings, UPSTREAM_PROVIDERS=providers, UPSTREAM_TIMEOUT=2))

    with FakeGitHub(GITHUB_ID, GITHUB_SECRET) as github:
        passport = LiveServer(
            passport_app,
            dict(
                shared,
                INSTANCE_DIR=str(root / "passport"),
                KEYS_DIR=str(root / "passport-keys"),
                DATABASE_URL=database,
            ),
        ).start()
        yield Social(passport, upstream, github)
        passport.stop()
        upstream.stop()
    for server in (passport, upstream):
        with server.app_context():
            db.engine.dispose()
    if backend == "postgresql":
        drop_postgres_database(database)
