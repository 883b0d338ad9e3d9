"""Configuration: defaults, the PASSPORT_CONFIG file, PASSPORT_* variables, production checks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ConfigError, load_config

SECRET = {"SECRET_KEY": "s" * 48}


def test_defaults_then_file_then_environment(tmp_path):
    file = tmp_path / "passport.toml"
    file.write_text('ISSUER = "https://id.example.com/"\nACCESS_TOKEN_LIFETIME = 300\n')
    environ = {
        "PASSPORT_CONFIG": str(file),
        "PASSPORT_ACCESS_TOKEN_LIFETIME": "120",
        "PASSPORT_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    config = load_config(SECRET, environ=environ)
    assert config["ISSUER"] == "https://id.example.com"  # trailing slash dropped
    assert config["ACCESS_TOKEN_LIFETIME"] == 120  # the variable wins, as a number
    assert config["ID_TOKEN_LIFETIME"] == 3600  # from the defaults


def test_bad_values_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="whole number"):
        load_config(SECRET, environ={"PASSPORT_ACCESS_TOKEN_LIFETIME": "soon"})
    with pytest.raises(ConfigError, match="not found"):
        load_config(SECRET, environ={"PASSPORT_CONFIG": str(tmp_path / "missing.toml")})
    with pytest.raises(ConfigError, match="DELIVERY_LEASE"):
        load_config({**SECRET, "DELIVERY_LEASE": 5, "DELIVERY_TIMEOUT": 10}, environ={})


def test_production_refuses_missing_secrets_and_plain_http(tmp_path):
    production = {
        "ENV": "production",
        "ISSUER": "https://id.example.com",
        "TOTP_ENCRYPTION_KEY": "k",
        "KEY_ENCRYPTION_KEY": "k",
        "PAIRWISE_SALT": "salt",
    }
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(production, environ={})
    with pytest.raises(ConfigError, match="TOTP_ENCRYPTION_KEY"):
        load_config({**production, **SECRET, "TOTP_ENCRYPTION_KEY": ""}, environ={})
    # It seals the signing keys every node reads from the database.
    with pytest.raises(ConfigError, match="KEY_ENCRYPTION_KEY"):
        load_config({**production, **SECRET, "KEY_ENCRYPTION_KEY": ""}, environ={})
    # Pairwise subject identifiers are made with it, and must never change.
    with pytest.raises(ConfigError, match="PAIRWISE_SALT"):
        load_config({**production, **SECRET, "PAIRWISE_SALT": ""}, environ={})
    with pytest.raises(ConfigError, match="https"):
        load_config({**production, **SECRET, "ISSUER": "http://id.example.com"}, environ={})
    # Phone logins need an SMS gateway: without one the codes would only go to files.
    with pytest.raises(ConfigError, match="SMS_GATEWAY_URL.*PHONE_LOGINS=false"):
        load_config({**production, **SECRET}, environ={})
    gateway = {"SMS_GATEWAY_URL": "https://sms.example.com/send"}
    assert load_config({**production, **SECRET, **gateway}, environ={})["PHONE_LOGINS"] is True
    production["PHONE_LOGINS"] = False
    config = load_config({**production, **SECRET, "ISSUER": "http://127.0.0.1:8000"}, environ={})
    assert config["REGISTRATION"] == "token" and config["TRUSTED_DEVICE_DAYS"] == 0
    # Portals' endpoints must be public addresses in production, unless the operator says so.
    assert config["DELIVERY_PRIVATE_TARGETS"] is False
    allowed = load_config(
        {**production, **SECRET},
        environ={"PASSPORT_DELIVERY_PRIVATE_TARGETS": "true"},
    )
    assert allowed["DELIVERY_PRIVATE_TARGETS"] is True
    assert load_config(SECRET, environ={})["DELIVERY_PRIVATE_TARGETS"] is True


def test_development_generates_the_secret_key_once(tmp_path):
    environ = {"PASSPORT_INSTANCE_DIR": str(tmp_path / "instance")}
    first = load_config(environ=environ)["SECRET_KEY"]
    assert load_config(environ=environ)["SECRET_KEY"] == first
    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_postgresql_urls_use_psycopg(tmp_path):
    config = load_config({**SECRET, "DATABASE_URL": "postgresql://u@h/db"}, environ={})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_postgresql_pools_are_bounded(tmp_path):
    environ = {"PASSPORT_DATABASE_POOL_SIZE": "3", "PASSPORT_DATABASE_MAX_OVERFLOW": "0"}
    config = load_config({**SECRET, "DATABASE_URL": "postgresql://u@h/db"}, environ=environ)
    options = config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert (options["pool_size"], options["max_overflow"]) == (3, 0)
    assert "pool_size" not in load_config(SECRET, environ={})["SQLALCHEMY_ENGINE_OPTIONS"]
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
        load_config({**SECRET, "DATABASE_POOL_SIZE": 0}, environ={})


def test_log_format_is_json_or_text():
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config(SECRET, environ={"PASSPORT_LOG_FORMAT": "xml"})
    assert load_config(SECRET, environ={"PASSPORT_LOG_FORMAT": "json"})["LOG_FORMAT"] == "json"


def test_the_command_refuses_to_start_in_production_without_a_secret(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PASSPORT_")}
    environ.update(
        PASSPORT_ENV="production",
        PASSPORT_ISSUER="https://id.example.com",
        PASSPORT_INSTANCE_DIR=str(tmp_path),
    )
    passport = Path(sys.executable).with_name("passport")
    result = subprocess.run(
        [str(passport), "keys", "list"], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_retention_settings_are_checked(tmp_path):
    environ = {"PASSPORT_INSTANCE_DIR": str(tmp_path / "instance")}
    config = load_config(SECRET, environ=environ)
    assert config["RETENTION_INTERVAL"] == 60 and config["AUDIT_RETENTION_DAYS"] == 365
    with pytest.raises(ConfigError, match="RETENTION_BATCH must be at least 1"):
        load_config({**SECRET, "RETENTION_BATCH": 0}, environ=environ)
    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS cannot be negative"):
        load_config(SECRET, environ={**environ, "PASSPORT_AUDIT_RETENTION_DAYS": "-1"})


def test_a_setting_that_matches_none_is_reported(tmp_path):
    """A typo must not silently do nothing: the name, where it came from, and the setting
    it looks like. Flask's own settings and the test suite's variables are not typos."""
    extra = tmp_path / "passport.toml"
    extra.write_text('ISSUER = "http://127.0.0.1:5000"\nSMTP_HOTS = "mail"\n')
    environ = {
        "PASSPORT_CONFIG": str(extra),
        "PASSPORT_ISSEUR": "http://127.0.0.1:5001",
        "PASSPORT_SESSION_COOKIE_SECURE": "true",
        "PASSPORT_TEST_DATABASE_URL": "postgresql://elsewhere",
        "PASSPORT_WIDGETS": "3",
    }
    config = load_config(SECRET, environ=environ)
    assert config["UNKNOWN_SETTINGS"] == [
        f"SMTP_HOTS (SMTP_HOST?) in {extra}",
        "PASSPORT_ISSEUR (ISSUER?)",
        "PASSPORT_WIDGETS",
    ]
    assert load_config(SECRET, environ={})["UNKNOWN_SETTINGS"] == []


def test_the_server_says_so_at_start_up(tmp_path, caplog):
    from server import create_app

    environ = {"PASSPORT_SMTP_PROT": "2525", "PASSPORT_INSTANCE_DIR": str(tmp_path)}
    old = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    try:
        with caplog.at_level("WARNING", logger="passport"):
            create_app({**SECRET, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    assert "unknown setting PASSPORT_SMTP_PROT (SMTP_PORT?): it has no effect" in caplog.text


@pytest.mark.parametrize(
    "issuer, session",
    [
        ("https://id.example.org", "passport_session"),
        ("http://127.0.0.1:5000", "passport_5000_session"),
        ("https://example.org/id/eu", "passport_id_eu_session"),
    ],
)
def test_the_cookies_are_named_after_the_issuer(tmp_path, issuer, session):
    """Browsers keep cookies per host, whatever the port: two Passports on one host must
    not share a session cookie. COOKIE_PREFIX names them otherwise."""
    config = load_config({**SECRET, "ISSUER": issuer, "INSTANCE_DIR": str(tmp_path)}, environ={})
    assert config["SESSION_COOKIE_NAME"] == session
    assert config["TRUSTED_DEVICE_COOKIE_NAME"] == session.replace("_session", "_trusted_device")
    named = load_config({**SECRET, "ISSUER": issuer, "COOKIE_PREFIX": "id"}, environ={})
    assert named["SESSION_COOKIE_NAME"] == "id_session"


def test_the_version_header_is_off_unless_named(tmp_path):
    config = load_config({"INSTANCE_DIR": str(tmp_path)})
    assert config["VERSION_HEADER"] == ""
    named = load_config({"INSTANCE_DIR": str(tmp_path), "VERSION_HEADER": "X-Passport-Version"})
    assert named["VERSION_HEADER"] == "X-Passport-Version"
    for bad in ("X Passport", "X-Version:", "Версия"):
        with pytest.raises(ConfigError, match="VERSION_HEADER must be an HTTP header name"):
            load_config({"INSTANCE_DIR": str(tmp_path), "VERSION_HEADER": bad})


def test_an_instance_folder_that_cannot_be_written_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ConfigError, match="is not a folder Passport can write"):
        load_config({"INSTANCE_DIR": str(tmp_path / "a-file" / "instance")})
    made = tmp_path / "new" / "instance"
    load_config({"INSTANCE_DIR": str(made)})
    assert made.is_dir()
