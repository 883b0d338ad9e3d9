"""Signing in with social networks, linking and unlinking them, over real HTTP.

The upstream OpenID Connect provider is a second Passport (its own database), with a
client whose redirect URI is the callback of the Passport under test; GitHub is a local
server imitating its OAuth 2.0 endpoints. The Passport under test runs on SQLite and on
PostgreSQL, configured with both, plus a provider that does not answer at all.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from server.delivery import worker
from server.extensions import db
from server.models import Account, UpstreamIdentity

from ..conftest import (
    LiveServer,
    build_app,
    create_postgres_database,
    drop_postgres_database,
)
from ..support.browser import Browser, Page
from ..support.factories import Factories
from ..support.github import FakeGitHub, GitHubPerson
from ..support.mail import text_of
from ..support.relying_party import RelyingParty
from ..support.social import closed_port, go, through_upstream

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


@pytest.fixture(scope="module")
def social(server_settings, backend, tmp_path_factory):
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
    # Both servers are on 127.0.0.1, where cookies do not tell ports apart.
    upstream.app.config["SESSION_COOKIE_NAME"] = "upstream_session"
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


def upstream_person(social: Social, email: str | None = None, name: str = "Ivan Petrov"):
    email = email or f"upstream-{secrets.token_hex(4)}@example.org"
    return social.upstream_factories.account(email=email, name=name)


def sign_in_upstream(social: Social, browser: Browser, person, **kwargs) -> Page:
    page = go(browser, "/login/upstream")
    return through_upstream(browser, page, login=person.email, password=person.password, **kwargs)


def sign_in_github(browser: Browser, github: FakeGitHub, person: GitHubPerson) -> Page:
    github.person = person
    return go(browser, "/login/github")


def signed_in_as(browser: Browser) -> str | None:
    page = browser.get("/account", allow_redirects=False)
    if page.status != 200:
        return None
    return page.text


# --- signing in ------------------------------------------------------------------------


def test_first_sign_in_creates_a_passport_and_the_second_lands_in_it(social):
    person = upstream_person(social)
    with social.browser() as browser:
        login_page = browser.get("/login")
        assert (
            "Sign in with Upstream ID" in login_page.text
            and "Sign in with GitHub" in login_page.text
        )
        page = sign_in_upstream(social, browser, person)
        assert page.status == 200 and page.url == social.passport.url + "/account", page.text[:300]
        assert "Welcome! Your Passport is ready." in page.text
        account = social.account(person.email)
        assert (
            account.password_hash is None
            and account.email_verified
            and account.name == "Ivan Petrov"
        )
        [identity] = social.identities(account.id).values()
        assert identity.provider == "upstream" and identity.subject == person.sub

        sessions = browser.get("/account/sessions")
        assert "social network Upstream ID" in sessions.text

        # A portal of this Passport learns that the person signed in through a network.
        client = social.factories.client(first_party=True)
        portal = RelyingParty(social.passport.url, client)
        params = portal.authorize(browser)
        claims = portal.verify_id_token(portal.exchange(params)["id_token"])
        assert "fed" in claims["amr"] and claims["acr"] == "urn:passport:acr:fed"

    with social.browser() as again:
        page = sign_in_upstream(social, again, person)
        assert page.url == social.passport.url + "/account" and "Welcome!" not in page.text
    with social.passport.app_context():
        count = db.session.execute(
            select(func.count()).select_from(Account).where(Account.email == person.email)
        )
        assert count.scalar_one() == 1


@pytest.mark.parametrize("verified", [True, False])
def test_github_sign_in_takes_the_verified_primary_email(social, verified):
    email = f"octo-{secrets.token_hex(4)}@example.org"
    person = GitHubPerson.make(email, verified=verified)
    with social.browser() as browser:
        page = sign_in_github(browser, social.github, person)
        assert page.url == social.passport.url + "/account", page.text[:300]
    if verified:
        account = social.account(email)
        assert account.email_verified and account.name == "Octo Cat"
    else:
        # An unverified primary address is passed over for a verified one.
        account = social.account(person.emails[1]["email"])
        assert account.email_verified
    assert social.identities(account.id)["github"].subject == str(person.id)


def test_email_collision_does_not_sign_in_and_links_after_password(social, mailbox):
    owner = social.factories.account(name="Owner")
    person = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        page = sign_in_upstream(social, browser, person)
        assert page.url.endswith("/login/social/existing"), page.url
        assert "A Passport with this e-mail exists" in page.text and owner.email in page.text
        assert signed_in_as(browser) is None
        assert social.identities(owner.id) == {}

        page = go(
            browser,
            page.html.split('id="sign-in-to-link" href="')[1].split('"')[0].replace("&amp;", "&"),
        )
        assert page.form("password").fields["login"] == owner.email
        page = browser.submit(page, "password", login=owner.email, password=owner.password)
        assert "Link Upstream ID to your Passport?" in page.text
        page = browser.submit(page, "link")
        assert "Upstream ID is linked to your Passport." in page.text
        assert social.identities(owner.id)["upstream"].subject == person.sub
    social.deliver()
    [message] = mailbox.wait_for(owner.email)
    assert message["Subject"] == "A social network was linked to your Passport"
    assert "Upstream ID was linked to your Passport" in text_of(message)

    with social.browser() as later:
        page = sign_in_upstream(social, later, person)
        assert page.url == social.passport.url + "/account" and owner.email in page.text


def test_going_back_from_the_collision_page_forgets_the_network(social):
    owner = social.factories.account()
    person = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        page = sign_in_upstream(social, browser, person)
        page = browser.submit(page, "back")
        assert page.url.endswith("/login")
        assert browser.get("/login/social/existing", allow_redirects=False).status == 302
