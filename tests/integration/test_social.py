"""Signing in with social networks, linking and unlinking them, over real HTTP.

The upstream OpenID Connect provider is a second Passport (its own database), with a
client whose redirect URI is the callback of the Passport under test; GitHub is a local
server imitating its OAuth 2.0 endpoints. The Passport under test runs on SQLite and on
PostgreSQL, configured with both, plus a provider that does not answer at all.
"""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import func, select

from server import clock
from server.extensions import db
from server.models import Account, LoginSession, UpstreamIdentity

from ..support.browser import Browser, Page
from ..support.github import FakeGitHub, GitHubPerson
from ..support.mail import text_of
from ..support.passkeys import add_passkey, authenticator_for, passkey_sign_in
from ..support.relying_party import RelyingParty
from ..support.signup import sign_up_confirmed
from ..support.social import (
    Social,
    go,
    handoff_url,
    link_github,
    post_form,
    running_social,
    social_form,
    through_upstream,
    travel,
)


@pytest.fixture(scope="module")
def social(server_settings, backend, tmp_path_factory):
    with running_social(server_settings, backend, tmp_path_factory) as servers:
        yield servers


def upstream_person(social: Social, email: str | None = None, name: str = "Ivan Petrov"):
    email = email or f"upstream-{secrets.token_hex(4)}@example.org"
    return social.upstream_factories.account(email=email, name=name)


def sign_in_upstream(social: Social, browser: Browser, person, **kwargs) -> Page:
    page = go(browser, "/login/upstream")
    return through_upstream(browser, page, login=person.email, password=person.password, **kwargs)


def sign_in_github(browser: Browser, github: FakeGitHub, person: GitHubPerson) -> Page:
    github.person = person
    return go(browser, "/login/github")


def href_of(page: Page, element_id: str) -> str:
    return page.html.split(f'id="{element_id}" href="')[1].split('"')[0].replace("&amp;", "&")


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
        assert "Method: Social network Upstream ID" in sessions.text

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


def test_an_unverified_email_does_not_take_the_address_from_its_owner(social, mailbox):
    """A network that does not vouch for an address must not give it to a new Passport:
    whoever owns the address would find it taken, and on recovering that Passport would
    share it with the stranger's network still linked (invariants 3 and 4)."""
    email = f"owner-{secrets.token_hex(4)}@example.org"
    stranger = GitHubPerson.make(None)
    stranger.emails = [{"email": email, "primary": True, "verified": False}]
    with social.browser() as browser:
        page = sign_in_github(browser, social.github, stranger)
        assert page.url == social.passport.url + "/account", page.text[:300]
    identity = identity_of(social, "github", str(stranger.id))
    assert identity.email == email and not identity.email_verified
    with social.passport.app_context():
        assert db.session.get(Account, identity.account_id).email is None
    with social.browser() as owner:
        phrase = "the owner's long phrase 5"
        page = sign_up_confirmed(owner, social.passport, mailbox, email, phrase)
        assert page.url == social.passport.url + "/account", page.text[:300]
    assert social.account(email).id != identity.account_id


def test_email_collision_does_not_sign_in_and_links_after_password(social, mailbox):
    owner = social.factories.account(name="Owner")
    person = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        page = sign_in_upstream(social, browser, person)
        assert page.url.endswith("/login/social/existing"), page.url
        assert "A Passport with this e-mail exists" in page.text and owner.email in page.text
        assert signed_in_as(browser) is None
        assert social.identities(owner.id) == {}

        page = go(browser, href_of(page, "sign-in-to-link"))
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


def test_a_waiting_network_needs_a_fresh_sign_in_and_is_forgotten_in_time(social):
    owner = social.factories.account()
    person = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        sign_in_upstream(social, browser, person)
        page = browser.sign_in(owner.email, owner.password)
        clock.travel(social.passport.app.config["RECENT_AUTH_WINDOW"] + 1)
        page = browser.get("/login/social/link")
        assert page.url.endswith("/login/social/existing")  # sign in again to link
        clock.travel(600)
        # Signed in, the way back from the forgotten page leads to the Passport.
        assert browser.get("/login/social/existing").url.endswith("/account")
        assert browser.get("/login/social/link").url.endswith("/account/social")
    assert social.identities(owner.id) == {}


def test_a_session_older_than_the_waiting_network_does_not_link_it(social):
    """Someone at a browser where the owner is signed in (a few minutes ago) signs in with
    their own network account carrying the owner's e-mail: it must not link to the owner's
    Passport without the owner signing in again after it."""
    owner = social.factories.account()
    stranger = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        browser.sign_in(owner.email, owner.password)
        clock.travel(2)
        page = sign_in_upstream(social, browser, stranger)
        assert page.url.endswith("/login/social/existing"), page.url
        page = browser.get("/login/social/link")
        assert page.url.endswith("/login/social/existing"), page.url
        assert "sign-in-to-link" in page.html
        response = browser.session.post(
            browser.url("/login/social/link"),
            data={"csrf_token": page.form("back").fields["csrf_token"], "link": "1"},
            allow_redirects=False,
            timeout=15,
        )
        assert response.status_code == 302
    assert social.identities(owner.id) == {}


def test_a_waiting_network_is_linked_to_a_passport_with_a_password_after_the_password(social):
    """Invariant 1: linking a network to a Passport that has a password takes the password
    (and the second factor when on), not a sign-in through another network."""
    owner = social.factories.account()
    octo = GitHubPerson.make(None)
    stranger = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        browser.sign_in(owner.email, owner.password)
        link_github(browser, social.github, octo, owner.password)
    with social.browser() as browser:
        page = sign_in_upstream(social, browser, stranger)
        assert page.url.endswith("/login/social/existing"), page.url
        clock.travel(2)
        assert sign_in_github(browser, social.github, octo).url.endswith("/account")
        page = browser.get("/login/social/link")
        assert page.url.endswith("/login/social/existing"), page.url
        page = go(browser, href_of(page, "sign-in-to-link"))
        page = browser.submit(page, "password", login=owner.email, password=owner.password)
        assert "Link Upstream ID to your Passport?" in page.text
    assert set(social.identities(owner.id)) == {"github"}


def test_a_waiting_network_needs_the_second_factor_when_it_is_on(social):
    from .test_two_factor import next_step_code, turn_on

    owner = social.factories.account()
    stranger = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        browser.sign_in(owner.email, owner.password)
        totp, _codes = turn_on(browser, owner.password)
        browser.submit(browser.get("/logout"), "csrf_token")
        page = browser.sign_in(owner.email, owner.password)
        page = browser.submit(page, "code", code=next_step_code(totp), trust="y")
        browser.submit(browser.get("/logout"), "csrf_token")

        sign_in_upstream(social, browser, stranger)
        clock.travel(2)
        # This device is trusted: the password alone signs in, and links nothing.
        assert browser.sign_in(owner.email, owner.password).url.endswith("/account")
        page = browser.get("/login/social/link")
        assert page.url.endswith("/login/social/existing"), page.url
        # The way the page offers asks for the code, then links.
        page = go(browser, href_of(page, "sign-in-to-link"))
        page = browser.submit(page, "password", login=owner.email, password=owner.password)
        page = browser.submit(page, "code", code=next_step_code(totp))
        assert "Link Upstream ID to your Passport?" in page.text
        page = browser.submit(page, "link")
        assert "Upstream ID is linked to your Passport." in page.text


def test_going_back_from_the_collision_page_forgets_the_network(social):
    owner = social.factories.account()
    person = upstream_person(social, email=owner.email)
    with social.browser() as browser:
        page = sign_in_upstream(social, browser, person)
        page = browser.submit(page, "back")
        assert page.url.endswith("/login")
        assert browser.get("/login/social/existing", allow_redirects=False).status == 302


# --- the Passport page -----------------------------------------------------------------


def test_linking_from_the_passport_page_and_refusing_one_linked_elsewhere(social, mailbox):
    first, second = social.factories.account(), social.factories.account()
    octo = GitHubPerson.make(None, name="Shared Octo")
    with social.browser() as browser:
        browser.sign_in(first.email, first.password)
        page = browser.get("/account/social")
        assert "GitHub" in page.text and "Not linked" in page.text

        # The owner check comes first: a wrong password sends nobody anywhere.
        social.github.person = octo
        page = post_form(browser, social_form(page, "github", "link"), password="wrong")
        assert "The current password is wrong." in page.text
        assert social.identities(first.id) == {}

        page = post_form(browser, social_form(page, "github", "link"), password=first.password)
        assert "GitHub is linked to your Passport." in page.text
        assert "Shared Octo" in page.text and social_form(page, "github", "unlink")
        assert social.identities(first.id)["github"].subject == str(octo.id)
    social.deliver()
    assert (
        mailbox.wait_for(first.email)[0]["Subject"]
        == "A social network was linked to your Passport"
    )

    with social.browser() as browser:
        browser.sign_in(second.email, second.password)
        page = post_form(
            browser,
            social_form(browser.get("/account/social"), "github", "link"),
            password=second.password,
        )
        assert "already linked to another Passport" in page.text
        assert social.identities(second.id) == {}

    # The linked GitHub account now opens the first Passport.
    with social.browser() as browser:
        page = sign_in_github(browser, social.github, octo)
        assert page.url == social.passport.url + "/account" and first.email in page.text


def test_unlinking_the_last_way_to_sign_in_is_refused(social):
    octo = GitHubPerson.make(f"solo-{secrets.token_hex(4)}@example.org")
    with social.browser() as browser:
        sign_in_github(browser, social.github, octo)
        page = browser.get("/account/social")
        assert "Your Passport has no password yet." in page.text
        page = post_form(browser, social_form(page, "github", "unlink"))
        assert "This is your only way to sign in. Create a password first." in page.text
        assert 'id="create-password"' in page.html
        account = social.account(octo.emails[0]["email"])
        assert "github" in social.identities(account.id)

        # With a password created (a recent sign-in stands in for the old one), unlinking works.
        page = browser.get("/account/password")
        page = browser.submit(
            page, "new", new="a new long phrase 42", repeat="a new long phrase 42"
        )
        assert page.status == 200
        page = post_form(
            browser,
            social_form(browser.get("/account/social"), "github", "unlink"),
            password="a new long phrase 42",
        )
        assert "GitHub is unlinked from your Passport." in page.text
        assert social.identities(account.id) == {}
        assert signed_in_as(browser) is not None


def test_a_passport_of_passkeys_alone_may_unlink_its_last_network(social):
    """A passkey is a way in: an account made through a network adds one (its recent sign-in
    stands in for a password), unlinks the network, and signs in with the passkey."""
    octo = GitHubPerson.make(f"keys-{secrets.token_hex(4)}@example.org")
    authenticator = authenticator_for(social.passport)
    with social.browser() as browser:
        sign_in_github(browser, social.github, octo)
        account = social.account(octo.emails[0]["email"])
        assert add_passkey(browser, account, authenticator).status_code == 200
        page = post_form(browser, social_form(browser.get("/account/social"), "github", "unlink"))
        assert "GitHub is unlinked from your Passport." in page.text
        assert social.identities(account.id) == {}
    with social.browser() as browser:
        assert passkey_sign_in(browser, authenticator).status_code == 200
        assert signed_in_as(browser) is not None
        # Now the passkey is the only way in: it is not removed.
        page = browser.get("/account/passkeys")
        remove = next(urlsplit(f.action).path for f in page.forms if f.action.endswith("/remove"))
        page = browser.submit(page, to=remove)
        assert "This is your only way to sign in." in page.text
        assert 'id="no-passkeys"' not in page.html


def test_a_network_no_longer_offered_is_no_way_to_sign_in(social):
    """An account without a password, linked to GitHub and to a network the operator no
    longer offers, signs in with GitHub alone: GitHub is its last way to sign in."""
    octo = GitHubPerson.make(None)
    with social.browser() as browser:
        sign_in_github(browser, social.github, octo)
        account_id = identity_of(social, "github", str(octo.id)).account_id
        with social.passport.app_context():
            db.session.add(UpstreamIdentity(account_id=account_id, provider="retired", subject="9"))
            db.session.commit()
        page = post_form(browser, social_form(browser.get("/account/social"), "github", "unlink"))
        assert "This is your only way to sign in. Create a password first." in page.text
        assert set(social.identities(account_id)) == {"github", "retired"}


def test_two_unlinks_at_once_leave_a_way_to_sign_in(social):
    """Two browsers unlink the two networks of an account without a password at the same
    moment: one of them is refused, whichever comes second — or, when the first unlink (a
    credential change) ended the second browser's session before it was served, that one is
    signed out instead. Either way one network stays."""
    for _ in range(3):
        octo = GitHubPerson.make(None)
        with social.browser() as first, social.browser() as second:
            for browser in (first, second):
                assert sign_in_github(browser, social.github, octo).status == 200
            account_id = identity_of(social, "github", str(octo.id)).account_id
            with social.passport.app_context():
                db.session.add(
                    UpstreamIdentity(
                        account_id=account_id, provider="upstream", subject=secrets.token_hex(4)
                    )
                )
                db.session.commit()
            forms = [
                social_form(first.get("/account/social"), "github", "unlink"),
                social_form(second.get("/account/social"), "upstream", "unlink"),
            ]
            start = threading.Barrier(2)
            pages = {}

            def unlink(browser, form, start=start, pages=pages):
                start.wait()
                pages[form.action] = post_form(browser, form)

            threads = [
                threading.Thread(target=unlink, args=pair)
                for pair in zip((first, second), forms, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert all(page.status == 200 for page in pages.values()), pages
        assert len(social.identities(account_id)) == 1
        second = [
            p
            for p in pages.values()
            if "This is your only way to sign in." in p.text or urlsplit(p.url).path == "/login"
        ]
        assert len(second) == 1, [p.url for p in pages.values()]


def test_unlinking_revokes_refresh_tokens_and_ends_other_sessions(social, mailbox):
    person = social.factories.account()
    octo = GitHubPerson.make(None)
    portal = RelyingParty(social.passport.url, social.factories.client(first_party=True))
    with social.browser() as here, social.browser() as there:
        here.sign_in(person.email, person.password)
        link_github(here, social.github, octo, person.password)
        tokens = portal.sign_in(there, person.email, person.password)

        page = post_form(
            here,
            social_form(here.get("/account/social"), "github", "unlink"),
            password=person.password,
        )
        assert "GitHub is unlinked from your Passport." in page.text

        refused = portal.refresh(tokens["refresh_token"])
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
        assert portal.userinfo(tokens["access_token"]).status_code == 401
        assert signed_in_as(there) is None
        assert signed_in_as(here) is not None
        activity = here.get("/account/activity").text
        assert "Social network linked: GitHub" in activity
        assert "Social network unlinked: GitHub" in activity
    social.deliver()
    subjects = [m["Subject"] for m in mailbox.wait_for(person.email, count=2)]
    assert "A social network was unlinked from your Passport" in subjects

    # The unlinked GitHub account no longer opens this Passport: it makes a new one.
    with social.browser() as browser:
        sign_in_github(browser, social.github, octo)
        assert person.email not in browser.get("/account").text


def test_social_only_account_confirms_changes_by_signing_in_again(social):
    octo = GitHubPerson.make(f"confirm-{secrets.token_hex(4)}@example.org")
    phrase = "another long phrase 7"
    with social.browser() as browser:
        sign_in_github(browser, social.github, octo)
        clock.travel(social.passport.app.config["RECENT_AUTH_WINDOW"] + 60)
        page = browser.submit(browser.get("/account/password"), "new", new=phrase, repeat=phrase)
        assert page.status == 400 and "sign in again" in page.text
        assert "Confirm with GitHub" in page.text
        for other in ("/account/email", "/account/phone", "/account/2fa", "/account/social"):
            assert "Confirm with GitHub" in browser.get(other).text, other

        # Another GitHub account cannot stand in for the linked one.
        social.github.person = GitHubPerson.make(None)
        page = post_form(browser, social_form(page, "github", "confirm"))
        assert "not linked to your Passport" in page.text
        page = browser.submit(browser.get("/account/password"), "new", new=phrase, repeat=phrase)
        assert page.status == 400

        social.github.person = octo
        page = post_form(browser, social_form(page, "github", "confirm"))
        assert page.url == social.passport.url + "/account/password", page.url
        page = browser.submit(page, "new", new=phrase, repeat=phrase)
        assert page.status == 200 and social.account(octo.emails[0]["email"]).password_hash


def signed_in_long_ago(server, account_id: int) -> None:
    """Move the sign-in of the account's sessions on `server` an hour back."""
    with server.app_context():
        for row in db.session.execute(
            select(LoginSession).where(LoginSession.account_id == account_id)
        ).scalars():
            row.auth_time -= timedelta(hours=1)
        db.session.commit()


def test_confirming_with_a_network_needs_a_fresh_sign_in_there(social):
    """max_age=0 asks the network for a fresh sign-in; an ID token whose auth_time is older
    than the request (a network that signed the person in silently) confirms nothing."""
    person = upstream_person(social)
    with social.browser() as browser:
        sign_in_upstream(social, browser, person)  # signed in at the network too
        signed_in_long_ago(social.upstream, person.id)
        signed_in_long_ago(social.passport, identity_of(social, "upstream", person.sub).account_id)
        page = browser.get("/account/social")
        response = browser.session.post(
            browser.url("/account/social/upstream/confirm"),
            data=dict(social_form(page, "upstream", "confirm").fields),
            allow_redirects=False,
            timeout=15,
        )
        # The form's answer moves on by itself (a redirect chain would meet form-action).
        assert response.status_code == 200 and "Location" not in response.headers
        authorize = handoff_url(response)
        assert "max_age=0" in authorize and "prompt=login" in authorize
        # A network that does not honour them answers at once.
        parts = urlsplit(authorize)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("prompt", "max_age")]
        page = go(browser, urlunsplit(parts._replace(query=urlencode(query))))
        assert_clear_failure(page, 400, "did not pass our checks")
        page = browser.get("/account/password")
        page = browser.submit(page, "new", new="a long phrase 77", repeat="a long phrase 77")
        assert page.status == 400 and "sign in again" in page.text


# --- what goes wrong upstream ----------------------------------------------------------


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def callback_url_of(social: Social, browser: Browser, start_url: str, person) -> str:
    """Walk the upstream sign-in from `start_url`, stopping before the way back here."""
    page = travel(
        browser, browser.get(start_url, allow_redirects=False), stop_at=social.passport.url
    )
    page = through_upstream(
        browser, page, login=person.email, password=person.password, stop_at=social.passport.url
    )
    location = page.response.headers["Location"]
    assert location.startswith(social.passport.url + "/login/upstream/callback"), location
    return location


def assert_clear_failure(page: Page, status: int, message: str) -> None:
    assert page.status == status, (page.status, page.text[:300])
    assert "did not work" in page.text and message in page.text


def test_a_tampered_state_is_refused(social):
    person = upstream_person(social)
    with social.browser() as browser:
        callback = callback_url_of(social, browser, social.passport.url + "/login/upstream", person)
        page = go(browser, with_query(callback, state="forged-" + secrets.token_hex(8)))
        assert_clear_failure(page, 400, "not started in this browser")
        # The real answer, replayed in another browser, is refused too.
        with social.browser() as elsewhere:
            assert_clear_failure(go(elsewhere, callback), 400, "not started in this browser")
        assert signed_in_as(browser) is None


def test_an_answer_naming_another_issuer_is_refused(social):
    """RFC 9207: a mix-up, the answer of another provider sent to this one's callback."""
    person = upstream_person(social)
    with social.browser() as browser:
        callback = callback_url_of(social, browser, social.passport.url + "/login/upstream", person)
        page = go(browser, with_query(callback, iss="https://elsewhere.example"))
        assert_clear_failure(page, 400, "did not pass our checks")
        assert signed_in_as(browser) is None


def test_an_answer_without_the_issuer_it_promises_is_refused(social):
    """RFC 9207 §2.4: the upstream's metadata says it names itself in every answer, so an
    answer without `iss` is refused."""
    person = upstream_person(social)
    with social.browser() as browser:
        callback = callback_url_of(social, browser, social.passport.url + "/login/upstream", person)
        parts = urlsplit(callback)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "iss"]
        page = go(browser, urlunsplit(parts._replace(query=urlencode(query))))
        assert_clear_failure(page, 400, "did not pass our checks")
        assert signed_in_as(browser) is None


def test_a_wrong_nonce_is_refused(social):
    person = upstream_person(social)
    with social.browser() as browser:
        authorize = browser.get("/login/upstream", allow_redirects=False).response.headers[
            "Location"
        ]
        # The upstream signs an ID token for another nonce than the one this sign-in sent.
        callback = callback_url_of(
            social, browser, with_query(authorize, nonce="other-nonce"), person
        )
        page = go(browser, callback)
        assert_clear_failure(page, 400, "did not pass our checks")
        assert signed_in_as(browser) is None
    with social.passport.app_context():
        assert (
            db.session.execute(select(Account.id).where(Account.email == person.email)).first()
            is None
        )


def test_cancelling_at_the_provider_ends_on_a_clear_page(social):
    person = upstream_person(social)
    with social.browser() as browser:
        page = sign_in_upstream(social, browser, person, consent=False)
        assert_clear_failure(page, 400, "You cancelled signing in")
        assert signed_in_as(browser) is None


def test_an_upstream_error_ends_on_a_clear_page(social):
    person = upstream_person(social)
    with social.browser() as browser:
        callback = callback_url_of(social, browser, social.passport.url + "/login/upstream", person)
        state = dict(parse_qsl(urlsplit(callback).query))["state"]
        page = go(
            browser,
            callback.split("?")[0]
            + "?"
            + urlencode({"error": "temporarily_unavailable", "state": state}),
        )
        assert_clear_failure(page, 502, "refused to sign you in")


def test_a_code_the_provider_refuses_ends_on_a_clear_page(social):
    social.github.person = GitHubPerson.make(None)
    with social.browser() as browser:
        page = travel(
            browser,
            browser.get("/login/github", allow_redirects=False),
            stop_at=social.passport.url,
        )
        callback = page.response.headers["Location"]
        page = go(browser, with_query(callback, code="not-a-code"))
        assert_clear_failure(page, 502, "refused to sign you in")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_unreachable_provider_ends_on_a_clear_page(social, language):
    with social.browser(language) as browser:
        page = go(browser, "/login/down")
        assert page.status == 502
        if language == "ru":
            assert "Социальная сеть сейчас не отвечает" in page.text
        else:
            assert_clear_failure(page, 502, "is not answering right now")


def test_a_discovery_document_of_another_issuer_is_refused(social):
    with social.browser() as browser:
        assert_clear_failure(go(browser, "/login/impostor"), 400, "did not pass our checks")


def test_a_provider_too_slow_to_answer_ends_on_a_clear_page(social):
    social.github.person = GitHubPerson.make(None)
    social.github.slow = 3  # longer than UPSTREAM_TIMEOUT
    try:
        with social.browser() as browser:
            page = go(browser, "/login/github")
            assert_clear_failure(page, 502, "is not answering right now")
    finally:
        social.github.slow = 0


def identity_of(social: Social, provider: str, subject: str) -> UpstreamIdentity | None:
    with social.passport.app_context():
        return db.session.execute(
            select(UpstreamIdentity).where(
                UpstreamIdentity.provider == provider, UpstreamIdentity.subject == subject
            )
        ).scalar_one_or_none()


@pytest.mark.parametrize(
    "user, emails",
    [
        ([1, 2], []),  # /user as a list
        ("octocat", "octocat"),  # plain strings
        ({"login": "octo"}, []),  # no id
        ({"id": {"n": 1}, "login": "octo"}, []),  # an id that is no identifier
    ],
)
def test_an_answer_of_the_wrong_shape_ends_on_a_clear_page(social, user, emails):
    person = GitHubPerson.make(None)
    person.user, person.emails = user, emails
    with social.browser() as browser:
        assert_clear_failure(
            sign_in_github(browser, social.github, person), 400, "did not pass our checks"
        )
        assert signed_in_as(browser) is None


def test_a_subject_longer_than_openid_allows_is_refused_not_cut(social):
    """Cut to the column's width, two upstream accounts would open one Passport."""
    person = GitHubPerson.make(None)
    person.user = {"id": "7" * 256, "login": "octo", "name": "Long"}
    with social.browser() as browser:
        page = sign_in_github(browser, social.github, person)
        assert_clear_failure(page, 400, "did not pass our checks")
    assert identity_of(social, "github", "7" * 255) is None


def test_fields_of_an_odd_type_or_size_are_left_out(social):
    person = GitHubPerson.make(None)
    person.user = {"id": person.id, "login": ["octo"], "name": {"first": "Octo"}}
    person.emails = [
        {"email": 5, "primary": True, "verified": True},
        {"email": "x" * 5000 + "@example.org", "primary": False, "verified": True},
    ]
    with social.browser() as browser:
        page = sign_in_github(browser, social.github, person)
        assert page.status == 200 and page.url == social.passport.url + "/account", page.text[:300]
    identity = identity_of(social, "github", str(person.id))
    assert (identity.name, identity.email, identity.email_verified) == (None, None, False)

    person.user = {"id": person.id, "login": "octo", "name": "Я" * 100_000}
    with social.browser() as browser:
        page = sign_in_github(browser, social.github, person)
        assert page.url == social.passport.url + "/account", page.text[:300]
    with social.passport.app_context():
        account = db.session.get(Account, identity.account_id)
        assert account.email is None and identity_of(social, "github", str(person.id)).name == (
            "Я" * 200
        )


# --- with portals, a second factor, and answers posted back ------------------------------


def test_a_portal_signs_in_through_a_social_network(social):
    octo = GitHubPerson.make(f"portal-{secrets.token_hex(4)}@example.org")
    social.github.person = octo
    client = social.factories.client(first_party=True)
    portal = RelyingParty(social.passport.url, client)
    with social.browser() as browser:
        page = browser.open(portal.authorization_url())
        assert "/login?" in page.url and 'data-network="github"' in page.html
        button = page.html.split('data-network="github" href="')[1].split('"')[0]
        page = travel(
            browser,
            browser.get(button.replace("&amp;", "&"), allow_redirects=False),
            stop_at=client.redirect_uri,
        )
        tokens = portal.exchange(portal.callback_params(page))
        claims = portal.verify_id_token(tokens["id_token"])
        info = portal.userinfo(tokens["access_token"]).json()
        assert info["email"] == octo.emails[0]["email"] and info["email_verified"] is True
        assert claims["amr"] == ["fed"]


def test_a_portal_asking_for_a_fresh_sign_in_gets_one_from_the_network(social):
    """prompt=login from a portal: signing in through a network asks the network for a
    fresh sign-in too, instead of taking the session the person has there."""
    person = upstream_person(social)
    client = social.factories.client(first_party=True)
    portal = RelyingParty(social.passport.url, client)
    with social.browser() as browser:
        sign_in_upstream(social, browser, person)  # signed in here and at the network
        page = browser.open(portal.authorization_url(prompt="login"))
        assert "/login?" in page.url
        button = page.html.split('data-network="upstream" href="')[1].split('"')[0]
        page = browser.get(button.replace("&amp;", "&"), allow_redirects=False)
        authorize = page.response.headers["Location"]
        assert "prompt=login" in authorize and "max_age=0" in authorize, authorize
        page = travel(browser, page)
        assert page.url.startswith(social.upstream.url + "/login"), page.url
        page = through_upstream(
            browser, page, login=person.email, password=person.password, stop_at=client.redirect_uri
        )
        claims = portal.verify_id_token(portal.exchange(portal.callback_params(page))["id_token"])
        assert claims["amr"] == ["fed"] and claims["auth_time"] >= clock.timestamp() - 60


def test_with_two_factor_on_a_network_is_the_first_step_only(social):
    from .test_two_factor import next_step_code, turn_on

    person = social.factories.account()
    octo = GitHubPerson.make(None)
    with social.browser() as browser:
        browser.sign_in(person.email, person.password)
        totp, _codes = turn_on(browser, person.password)
        social.github.person = octo
        page = post_form(
            browser,
            social_form(browser.get("/account/social"), "github", "link"),
            password=person.password,
            code=next_step_code(totp),
        )
        assert "GitHub is linked to your Passport." in page.text

    with social.browser() as browser:
        page = sign_in_github(browser, social.github, octo)
        assert page.url.endswith("/login/second-step")
        assert signed_in_as(browser) is None
        page = browser.submit(page, "code", code=next_step_code(totp))
        assert page.url == social.passport.url + "/account"
        sessions = browser.get("/account/sessions").text
        assert "Method: Social network GitHub and one-time code" in sessions


def test_an_answer_posted_back_is_taken_once_relayed_from_this_site(social):
    """Apple answers with a cross-site POST (form_post), which carries no SameSite=Lax cookie."""
    social.github.person = GitHubPerson.make(None)
    with social.browser() as browser:
        start = browser.get("/login/github", allow_redirects=False)
        page = travel(browser, start, stop_at=social.passport.url)
        callback = page.response.headers["Location"]
        answer = dict(parse_qsl(urlsplit(callback).query))
        # The provider's POST, as the browser sends it cross-site: without the cookie.
        bare = Page(
            requests.post(callback.split("?")[0], data=answer, allow_redirects=False, timeout=15)
        )
        assert bare.status == 200 and "One more step" in bare.text
        page = post_form(browser, bare.forms[0])
        assert page.url == social.passport.url + "/account"
        # Relayed again, the used state is refused.
        page = post_form(browser, bare.forms[0])
        assert_clear_failure(page, 400, "not started in this browser")


def test_linking_asks_the_provider_to_choose_the_account_again(social):
    """Signed in at the upstream already, the person still picks (signs in to) the account
    to link: prompt=select_account, or prompt=login where the provider lists only that."""
    person = social.factories.account()
    upstream = upstream_person(social, name="Linked Upstream")
    with social.browser() as browser:
        direct = Browser(social.upstream.url)
        direct.session = browser.session  # the same cookie jar: one real browser
        assert direct.sign_in(upstream.email, upstream.password).url.endswith("/account")
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/social")
        response = browser.session.post(
            browser.url("/account/social/upstream/link"),
            data=dict(social_form(page, "upstream", "link").fields, password=person.password),
            allow_redirects=False,
            timeout=15,
        )
        assert "prompt=login" in handoff_url(response)
        page = travel(browser, Page(response))
        assert page.url.startswith(social.upstream.url + "/login"), page.url
        page = through_upstream(browser, page, login=upstream.email, password=upstream.password)
        assert (
            "Upstream ID is linked to your Passport." in page.text
            and "Linked Upstream" in page.text
        )
        assert social.identities(person.id)["upstream"].subject == upstream.sub


def test_a_network_no_longer_offered_can_still_be_unlinked(social):
    person = social.factories.account()
    with social.passport.app_context():
        db.session.add(UpstreamIdentity(account_id=person.id, provider="retired", subject="7"))
        db.session.commit()
    with social.browser() as browser:
        browser.sign_in(person.email, person.password)
        page = browser.get("/account/social")
        assert 'id="network-retired"' in page.html
        page = post_form(browser, social_form(page, "retired", "unlink"), password=person.password)
        assert "retired is unlinked from your Passport." in page.text
        assert social.identities(person.id) == {}


def test_the_pages_speak_russian(social):
    owner = social.factories.account()
    person = upstream_person(social, email=owner.email)
    with social.browser("ru") as browser:
        assert "Войти через GitHub" in browser.get("/login").text
        page = sign_in_upstream(social, browser, person)
        assert "Паспорт с таким e-mail уже есть" in page.text
        assert "Войти и привязать Upstream ID" in page.text
        page = go(browser, href_of(page, "sign-in-to-link"))
        page = browser.submit(page, "password", login=owner.email, password=owner.password)
        assert "Привязать Upstream ID к вашему Паспорту?" in page.text
        page = browser.submit(page, "link")
        assert "Upstream ID привязан к вашему Паспорту." in page.text
        assert "<h1>Социальные сети</h1>" in page.html


def test_each_network_is_a_switch_whose_question_fits_linking_or_unlinking(social):
    """The settings page draws every network as a switch (on: linked) that opens a dialog
    with the owner check; without script the switch leads to a page that asks the same,
    titled for what the person is about to do."""
    owner = social.factories.account()
    octo = GitHubPerson.make(None)
    with social.browser() as browser:
        browser.sign_in(owner.email, owner.password)
        page = browser.get("/account/social")
        assert 'id="switch-github" aria-checked="false"' in " ".join(page.html.split())
        assert 'data-dialog="dialog-github"' in page.html and "Link GitHub" in page.html
        page = browser.get("/account/social/github/link")
        assert page.status == 200 and "Link GitHub · Passport" in page.text
        assert social_form(page, "github", "link").fields["csrf_token"]

        link_github(browser, social.github, octo, owner.password)
        page = browser.get("/account/social")
        assert 'id="switch-github" aria-checked="true"' in " ".join(page.html.split())
        assert "Unlink GitHub" in page.html
        assert browser.get("/account/social/github/link").url.endswith("/account/social")
        page = browser.get("/account/social/github/unlink")
        assert "Unlink GitHub · Passport" in page.text
        assert browser.get("/account/social/upstream/unlink").url.endswith("/account/social")


@pytest.mark.parametrize("action", ["link", "unlink"])
def test_a_wrong_password_at_a_switch_is_said_at_its_field_and_nothing_changes(social, action):
    owner = social.factories.account()
    octo = GitHubPerson.make(None)
    with social.browser() as browser:
        browser.sign_in(owner.email, owner.password)
        if action == "unlink":
            link_github(browser, social.github, octo, owner.password)
        before = set(social.identities(social.account(owner.email).id))
        page = post_form(
            browser, social_form(browser.get("/account/social"), "github", action), password="no"
        )
        assert page.status in (400, 403)
        assert ("Unlink GitHub" if action == "unlink" else "Link GitHub") in page.text
        assert 'aria-invalid="true"' in page.html and "-password-error" in page.html
        assert set(social.identities(social.account(owner.email).id)) == before
