"""Passport as an operator installs it: the wheel, in a fresh virtual environment outside
the checkout, run from an empty folder.

One test builds the sdist and the wheel from it (`python -m build`, as a release would),
installs the wheel alone — no extras — into a new venv, and drives the installed
`passport` command: the version, the migrations, an account, `serve` and `worker`. The
pages, a sign-up mail and a sign-up SMS come out in Russian and English from the catalogs
compiled into the wheel. Nothing of the checkout is on the path of what runs.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
import requests
from alembic.script import ScriptDirectory
from babel.support import Translations

from ..support.browser import Browser
from ..support.delivery import wait_until
from ..support.mail import text_of
from ..support.ports import free_port
from ..support.receiver import sms_code, sms_texts
from ..support.signup import sign_up

CHECKOUT = Path(__file__).resolve().parents[2]
PASSWORD = "wheel and a long password"


class Installed:
    """A venv holding the wheel, and a working folder of its own."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "venv" / "bin"
        self.work = root / "work"
        self.work.mkdir()
        self.instance = root / "instance"

    def environment(self, **settings) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PASSPORT_", "PYTHON", "VIRTUAL_ENV"))
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PASSPORT_INSTANCE_DIR"] = str(self.instance)
        env.update({f"PASSPORT_{name}": str(value) for name, value in settings.items()})
        return env

    def run(self, *args: str, stdin: str | None = None, **settings) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.work,
            env=self.environment(**settings),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, *args: str, **settings) -> subprocess.Popen:
        return subprocess.Popen(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.work,
            env=self.environment(**settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(CHECKOUT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = dist.glob("passport-*.whl")
    venv.create(root / "venv", with_pip=True)
    # --no-compile: the byte code is made at the first import instead (half the install time).
    pip = subprocess.run(
        [str(root / "venv" / "bin" / "pip"), "install", "--no-compile"]
        + ["--disable-pip-version-check", str(wheel)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    return Installed(root)


def test_the_version_is_the_package_metadata(installed):
    declared = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]["version"]
    metadata = installed.run(
        "python", "-c", "import importlib.metadata as m; print(m.version('passport'))"
    )
    assert metadata.stdout.strip() == declared
    shown = installed.run("passport", "--version")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"Passport {declared}"


def test_the_code_and_its_files_come_from_the_installed_package(installed):
    where = installed.run(
        "python", "-c", "import server.config as c; print(c.PACKAGE_DIR); print(c.RESOURCES)"
    )
    package, resources = where.stdout.split()
    site = installed.root / "venv" / "lib"
    assert Path(package).is_relative_to(site)
    assert Path(resources) == Path(package) / "files"
    for part in ("templates/base.html", "static", "migrations/env.py", "config/defaults.toml"):
        assert (Path(resources) / part).exists(), part
    assert (Path(resources) / "translations/ru/LC_MESSAGES/messages.mo").is_file()


def test_the_drivers_are_extras(installed):
    """The runtime install carries neither driver; asking for one says what to install."""
    postgres = installed.run(
        "passport", "db", "upgrade", DATABASE_URL="postgresql://passport@127.0.0.1/passport"
    )
    assert postgres.returncode == 2
    assert "pip install 'passport[postgres]'" in postgres.stderr
    redis = installed.run("passport", "db", "upgrade", REDIS_URL="redis://127.0.0.1:6379/0")
    assert redis.returncode == 2
    assert "pip install 'passport[redis]'" in redis.stderr


def test_an_instance_folder_it_cannot_write_is_refused_at_start(installed):
    blocker = installed.root / "a-file"
    blocker.write_text("not a folder")
    answer = installed.run("passport", "db", "upgrade", INSTANCE_DIR=blocker / "instance")
    assert answer.returncode == 2
    assert f"INSTANCE_DIR {blocker / 'instance'} is not a folder Passport can write" in (
        answer.stderr
    )


def test_serves_in_russian_and_english(installed, mailbox, sms_gateway):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = dict(
        ISSUER=url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_SECURITY="none",
        SMS_GATEWAY_URL=sms_gateway.url + "/sms",
        DELIVERY_POLL_INTERVAL="0.2",
        VERSION_HEADER="X-Passport-Version",
    )
    migrated = installed.run("passport", "db", "upgrade", **settings)
    assert migrated.returncode == 0, migrated.stderr
    head = ScriptDirectory(str(CHECKOUT / "migrations")).get_current_head()
    with sqlite3.connect(installed.instance / "passport.db") as database:
        assert database.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    created = installed.run(
        "passport", "users", "create", "--email", "operator@example.org", "--password-stdin",
        stdin=PASSWORD, **settings,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr

    server = installed.start("passport", "serve", "--bind", f"127.0.0.1:{port}", **settings)
    worker = installed.start("passport", "worker", **settings)
    try:
        assert wait_until(lambda: _answers(url + "/healthz"), timeout=60), "serve did not start"
        version = installed.run("passport", "--version").stdout.split()[-1]
        discovery = requests.get(url + "/.well-known/openid-configuration", timeout=10)
        assert discovery.json()["issuer"] == url
        assert discovery.headers["X-Passport-Version"] == version

        ru = Translations.load(str(CHECKOUT / "translations"), ["ru"])
        for language, gettext in (("ru", ru.gettext), ("en", str)):
            with Browser(url, accept_language=language) as browser:
                page = browser.get("/login")
                title = gettext("Sign in") + " · " + gettext("Passport")
                assert f"<title>{title}</title>" in page.html, page.text[:300]
                assert browser.sign_in("operator@example.org", PASSWORD).url.endswith("/account")
        assert ru.gettext("Sign in") != "Sign in"

        with Browser(url, accept_language="ru") as browser:
            waiting = sign_up(browser, "reader@example.org", PASSWORD)
            assert waiting.url.endswith("/signup/confirm"), waiting.text[:300]
        [mail] = mailbox.wait_for("reader@example.org", timeout=30)
        subject = ru.gettext("Confirm your e-mail to finish creating your Passport")
        assert mail["Subject"] == subject != "Confirm your e-mail to finish creating your Passport"
        assert ru.gettext(
            "To finish creating your Passport with this address, follow the link:"
        ) in (text_of(mail))

        phone = "+79161234599"
        with Browser(url, accept_language="ru") as browser:
            waiting = sign_up(browser, phone, PASSWORD)
            assert waiting.url.endswith("/signup/confirm"), waiting.text[:300]
        assert wait_until(lambda: sms_texts(sms_gateway, phone), timeout=30), "no SMS sent"
        code = sms_code(sms_gateway, phone)
        text = "Passport sign-up code: %(code)s. Do not tell it to anyone."
        assert sms_texts(sms_gateway, phone)[-1] == ru.gettext(text) % {"code": code}
    finally:
        for process in (worker, server):
            process.terminate()
            process.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
