"""Who may use the developer console: developers see only their own clients, operators
see every client and may mark one first-party, and the roles are given from the command line."""

from __future__ import annotations

from ..support.browser import Browser
from ..support.console import (
    asking,
    client_page,
    grant_role,
    introspection_status,
    passport_cli,
    portal_for,
    press,
    register,
    shown_secret,
)


def test_operator_may_mark_first_party(live_server, factories, person, person_browser):
    operator = factories.account()
    grant_role(live_server, operator.email, "operator")
    with Browser(live_server.url) as console:
        console.sign_in(operator.email, operator.password)
        page = register(console, first_party="y")
        assert "first-party" in page.text
        portal = portal_for(live_server, page, secret=shown_secret(page))
    # A first-party portal signs the person in without a consent screen.
    params = portal.authorize(
        person_browser, login=person.email, password=person.password, consent=False
    )
    assert "code" in params


def test_another_developer_gets_404_everywhere(live_server, console, factories):
    page = register(console)
    secret = shown_secret(page)
    portal = portal_for(live_server, page, secret=secret)
    client_id = portal.client.client_id
    stranger = factories.account()
    grant_role(live_server, stranger.email)
    with Browser(live_server.url) as other:
        other.sign_in(stranger.email, stranger.password)
        assert client_id not in other.get("/developers/clients").html
        base = f"/developers/clients/{client_id}"
        for path in (base, base + "/edit", base + "/delete"):
            assert other.get(path).status == 404, path
        # Forged posts, with a valid CSRF token of the stranger's own session.
        token = other.get("/developers/clients/new").form("csrf_token").fields["csrf_token"]
        for action in ("/rotate", "/disable", "/enable", "/delete", "/edit"):
            response = other.session.post(
                other.url(base + action),
                data={"csrf_token": token, "grace_hours": "0", "client_name": "Mine"},
                timeout=15,
                allow_redirects=False,
            )
            assert response.status_code == 404, action
    # Nothing changed: the client is enabled, named as before, and its secret still works.
    assert introspection_status(portal, "anything") == 200
    assert "Mine" not in client_page(console, client_id).text


def test_non_developers_are_told_and_strangers_sign_in_first(live_server, person):
    with Browser(live_server.url) as browser:
        anonymous = browser.session.get(
            browser.url("/developers/clients"), timeout=15, allow_redirects=False
        )
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        browser.sign_in(person.email, person.password)
        page = browser.get("/developers/clients")
        assert page.status == 403
        assert "The developer console is for developers." in page.text
        assert browser.get("/developers/clients/new").status == 403
        assert 'href="/developers/clients"' not in browser.get("/account").html


def test_grant_developer_from_the_command_line(live_server, factories):
    someone = factories.account()
    with Browser(live_server.url) as browser:
        browser.sign_in(someone.email, someone.password)
        assert browser.get("/developers/clients").status == 403
        granted = passport_cli(live_server, "users", "grant-developer", someone.email.upper())
        assert granted.returncode == 0, granted.stderr
        page = browser.get("/developers/clients")
        assert page.status == 200 and "New client" in page.text
        assert 'href="/developers/clients"' in page.html  # the "Developers" link
        revoked = passport_cli(live_server, "users", "revoke-developer", someone.email)
        assert revoked.returncode == 0
        assert browser.get("/developers/clients").status == 403
    unknown = passport_cli(live_server, "users", "grant-developer", "nobody@example.org")
    assert unknown.returncode != 0 and "no account" in unknown.stderr
    # Clients registered with a token belong to its owner: only a developer may own them.
    refused = passport_cli(live_server, "registration-token", "create", "--owner", someone.email)
    assert refused.returncode != 0 and "is not a developer" in refused.stderr


def test_an_operator_manages_every_developers_client(live_server, console, factories):
    page = register(console, client_name="Owned by a developer")
    portal = portal_for(live_server, page, secret=shown_secret(page))
    client_id = portal.client.client_id
    operator = factories.account()
    grant_role(live_server, operator.email, "operator")
    with Browser(live_server.url) as other:
        other.sign_in(operator.email, operator.password)
        assert client_id in other.get("/developers/clients").html
        disabled = press(other, asking(other, client_id, "disable"), "disable")
        assert "The client is disabled" in disabled.text
    assert introspection_status(portal, "anything") == 401
    # The owner sees what the operator did, in the client's page and the activity.
    assert 'class="badge off"' in client_page(console, client_id).html
    assert "Client disabled" in console.get("/account/activity").text
    # It is the operator's hold: the owner cannot lift it…
    refused = press(console, client_page(console, client_id), "enable")
    assert "only an operator can enable it again" in refused.text
    assert 'class="badge off"' in client_page(console, client_id).html
    assert introspection_status(portal, "anything") == 401
    # …an operator can.
    with Browser(live_server.url) as other:
        other.sign_in(operator.email, operator.password)
        enabled = press(other, client_page(other, client_id), "enable")
        assert "The client is enabled again." in enabled.text
    assert introspection_status(portal, "anything") == 200
    assert 'class="badge off"' not in client_page(console, client_id).html
