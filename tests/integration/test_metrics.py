"""/metrics: a monitoring system reads the counters move — requests, sign-ins, tokens, rate
limits, deliveries, credential changes — and the outbox depth; nobody else reads them."""

from __future__ import annotations

import re

import requests

from ..support.browser import Browser
from ..support.delivery import deliver
from ..support.relying_party import RelyingParty

TOKEN = {"Authorization": "Bearer test-metrics-token"}


def scrape(live_server) -> dict[str, float]:
    answer = requests.get(live_server.url + "/metrics", headers=TOKEN, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    values = {}
    for line in answer.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def moved(before: dict, after: dict, name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


def test_only_a_scraper_with_the_token_reads_them(live_server):
    assert requests.get(live_server.url + "/metrics", timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    refused = requests.get(live_server.url + "/metrics", headers=wrong, timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_counters_move(live_server, factories, mailbox):
    person = factories.account()
    portal = RelyingParty(live_server.url, factories.client(first_party=True))
    before = scrape(live_server)
    with Browser(live_server.url) as browser:
        assert "Wrong login" in browser.sign_in(person.email, "not the password").text
        tokens = portal.sign_in(browser, person.email, person.password)
        assert portal.refresh(tokens["refresh_token"]).status_code == 200
        page = browser.get("/account/password")
        browser.submit(
            page,
            to="/account/password",
            current=person.password,
            new="a brand new passphrase",
            repeat="a brand new passphrase",
        )
    deliver(live_server)  # the password-changed mail
    after = scrape(live_server)

    assert moved(before, after, 'passport_sign_ins_total{method="pwd",result="success"}') >= 1
    assert moved(before, after, 'passport_sign_ins_total{method="pwd",result="failure"}') >= 1
    assert (
        moved(before, after, 'passport_tokens_issued_total{grant_type="authorization_code"}') >= 1
    )
    assert moved(before, after, 'passport_tokens_issued_total{grant_type="refresh_token"}') >= 1
    changed = 'passport_credential_changes_total{kind="password_changed"}'
    assert moved(before, after, changed) >= 1
    assert (
        moved(before, after, 'passport_outbox_deliveries_total{kind="mail",result="delivered"}')
        >= 1
    )
    token_requests = (
        'passport_http_requests_total{endpoint="oauth.token",method="POST",status="200"}'
    )
    assert moved(before, after, token_requests) >= 2
    timed = 'passport_http_request_duration_seconds_count{endpoint="oauth.token"}'
    assert moved(before, after, timed) >= 2
    assert 'passport_outbox_depth{status="pending"}' in after
    assert 'passport_outbox_depth{status="failed"}' in after


def test_a_rate_limit_refusal_is_counted(live_server, factories):
    person = factories.account()
    before = scrape(live_server)
    with Browser(live_server.url) as browser:
        browser.sign_in(person.email, person.password)
        refusals = 0
        for _ in range(12):  # DATA_RATE_LIMIT: 10 per hour
            page = browser.submit(browser.get("/account/data"), to="/account/data", password="x")
            refusals += page.status == 429
    assert refusals >= 1
    after = scrape(live_server)
    assert (
        moved(before, after, 'passport_rate_limited_total{endpoint="account.data_page"}')
        == refusals
    )


def test_no_label_carries_what_a_person_typed(live_server, factories):
    with Browser(live_server.url) as browser:
        browser.get("/no-such-page-" + "x" * 20)
        browser.sign_in("someone-typed-this@example.org", "and this password")
    text = requests.get(live_server.url + "/metrics", headers=TOKEN, timeout=10).text
    assert "no-such-page" not in text and "someone-typed-this" not in text
    assert re.search(r'endpoint="unknown",method="GET",status="404"', text)
