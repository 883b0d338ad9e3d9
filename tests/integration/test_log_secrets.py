"""The logs of a whole journey hold none of its secrets.

A Passport process of its own, in JSON log mode, serves a journey through every kind of
secret it handles: a password, a dynamic registration's client secret and registration
token, a code, access, refresh and ID tokens, a TOTP secret and codes, recovery codes,
a recovery link, a new e-mail's confirmation link. Then every line it wrote is read:
each is a JSON object, each request has its line, and no secret appears anywhere.
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from ..support.browser import Browser
from ..support.delivery import deliver
from ..support.mail import link_in, text_of
from ..support.processes import passport_process
from ..support.registration import portal_of, registered
from ..support.two_factor import recovery_codes, start_setup


@pytest.fixture
def json_logging_passport(server_settings, tmp_path):
    """The suite's Passport (database, keys) as a process writing JSON lines to a file."""
    log_path = tmp_path / "passport.log"
    with (
        open(log_path, "w") as output,
        passport_process(server_settings, output=output, LOG_FORMAT="json") as url,
    ):
        yield url, log_path


def test_no_secret_reaches_the_logs(json_logging_passport, live_server, factories, mailbox):
    url, log_path = json_logging_passport
    person = factories.account()
    secrets_used = {"password": person.password}

    info = registered(url, grant_types=["authorization_code", "refresh_token"])
    secrets_used["client_secret"] = info["client_secret"]
    secrets_used["registration_access_token"] = info["registration_access_token"]
    portal = portal_of(url, info, scope="openid email offline_access")

    with Browser(url) as browser:
        browser.sign_in(person.email, person.password)
        params = portal.authorize(browser, prompt="consent")
        secrets_used["code"] = params["code"]
        tokens = portal.exchange(params)
        for name in ("access_token", "refresh_token", "id_token"):
            secrets_used[name] = tokens[name]
        refreshed = portal.refresh(tokens["refresh_token"]).json()
        secrets_used["rotated_refresh_token"] = refreshed["refresh_token"]
        assert portal.userinfo(refreshed["access_token"]).status_code == 200
        assert portal.introspect(refreshed["access_token"])["active"] is True

        page, totp = start_setup(browser, person.password)
        secrets_used["totp_secret"] = totp.secret
        code = totp.now()  # this process's clock may have travelled; the server's has not
        secrets_used["totp_code"] = code
        page = browser.submit(page, "code", code=code)
        for index, recovery_code in enumerate(recovery_codes(page)):
            secrets_used[f"recovery_code_{index}"] = recovery_code

        new_email = "renamed-" + person.email
        page = browser.get("/account/email")
        second = secrets_used["recovery_code_0"]
        browser.submit(
            page, to="/account/email", email=new_email, password=person.password, code=second
        )
        deliver(live_server)
        [confirmation] = mailbox.wait_for(new_email)
        link = link_in(confirmation)
        secrets_used["email_link_token"] = link.rsplit("/", 1)[-1]
        confirmed = browser.submit(browser.open(link), "csrf_token")
        assert "Login confirmed" in confirmed.text

    with Browser(url) as stranger:
        stranger.submit(stranger.get("/recover"), "login", login=new_email)
        deliver(live_server)
        [recovery] = [m for m in mailbox.messages_to(new_email) if "/recover/reset/" in text_of(m)]
        link = link_in(recovery)
        secrets_used["recovery_token"] = link.rsplit("/", 1)[-1]
        new = "a recovered passphrase 7"
        secrets_used["new_password"] = new
        stranger.submit(stranger.open(link), "new", new=new, repeat=new)

    # An error page, a 404 with a secret-looking path, and a query string too.
    requests.get(url + "/recover/reset/" + secrets_used["recovery_token"], timeout=10)
    requests.get(url + "/authorize?login_hint=" + person.email, timeout=10)

    time.sleep(0.5)  # the last lines flushed
    text = log_path.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    requests_logged = []
    for line in lines:
        try:
            record = json.loads(line)  # every line is one JSON object
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        if record["message"] == "request":
            requests_logged.append(record)
            assert re.fullmatch(r"[A-Za-z0-9_-]{16}", record["request_id"])
    routes = {r["route"] for r in requests_logged}
    assert {"/token", "/authorize", "/recover/reset/<token>", "/login"} <= routes
    assert any(r.get("client_id") == info["client_id"] for r in requests_logged)
    assert any("account_id" in r for r in requests_logged)

    found = {name for name, value in secrets_used.items() if value and value in text}
    assert not found, f"in the logs: {sorted(found)}"
    assert person.email not in text and new_email not in text
    assert "login_hint" not in text and "?" not in "".join(
        r["route"] or "" for r in requests_logged
    )
