"""Configuration: config/defaults.toml, then the file in PASSPORT_CONFIG, then PASSPORT_* variables."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import secrets
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

# What Passport reads at run time besides its code: templates/, static/, migrations/,
# translations/ (compiled catalogs) and config/defaults.toml. In a checkout they lie beside
# server/; an installed wheel carries them inside the package, in server/files/ (setup.py
# puts them there). Found from the package's own place, never from the current folder.
PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = PACKAGE_DIR / "files"
INSTALLED = (_BUNDLED / "templates").is_dir()
RESOURCES = _BUNDLED if INSTALLED else PACKAGE_DIR.parent
DEFAULTS_FILE = RESOURCES / "config" / "defaults.toml"
ENV_PREFIX = "PASSPORT_"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.1: a token


class ConfigError(Exception):
    """The configuration cannot serve; the message says what to fix."""


# Settings an operator may give that config/defaults.toml does not list: Passport's own
# that have no default (their absence means something), and those of Flask and its
# extensions, which the application hands on as they are.
NO_DEFAULT = frozenset({"SECRET_KEY", "INSTANCE_DIR", "PROXY_COUNT", "OUTBOX_KEY"})
HANDED_ON = ("SESSION_", "PERMANENT_SESSION_", "SQLALCHEMY_", "RATELIMIT_", "WTF_", "BABEL_")
HANDED_ON_NAMES = frozenset({"MAX_CONTENT_LENGTH", "PREFERRED_URL_SCHEME", "TESTING", "DEBUG"})
# What _finish sets from the settings, for Flask, its extensions and Passport's own code;
# not settings an operator gives.
DERIVED = frozenset(
    {
        "SQLALCHEMY_DATABASE_URI",
        "SQLALCHEMY_ENGINE_OPTIONS",
        "RATELIMIT_STORAGE_URI",
        "RATELIMIT_STORAGE_OPTIONS",
        "RATELIMIT_HEADERS_ENABLED",
        "BABEL_DEFAULT_LOCALE",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_SECURE",
        "PERMANENT_SESSION_LIFETIME",
        "WTF_CSRF_TIME_LIMIT",
        "MAX_CONTENT_LENGTH",
        "TRUSTED_DEVICE_COOKIE_NAME",
        "UNKNOWN_SETTINGS",
    }
)
# Variables of the PASSPORT_ prefix that are not settings: the file to read, and the
# test suite's own.
NOT_SETTINGS = ("CONFIG", "TEST_")


def unknown_settings(names, known) -> list[str]:
    """The names among `names` that match no setting, each with the setting it looks like
    a typo of, if any: "ISSEUR (ISSUER?)". A name that matches nothing does nothing, so
    the operator is told (create_app logs them at start-up)."""
    import difflib

    found = []
    for name in sorted(names):
        if name in known or name in NO_DEFAULT or name in HANDED_ON_NAMES:
            continue
        if name.startswith(HANDED_ON) or name.startswith(NOT_SETTINGS):
            continue
        close = difflib.get_close_matches(name, known, n=1)
        found.append(f"{name} ({close[0]}?)" if close else name)
    return found


def load_config(overrides: dict | None = None, environ: dict | None = None) -> dict:
    environ = os.environ if environ is None else environ
    config = _read_toml(DEFAULTS_FILE)
    known = frozenset(config)
    explicit: set[str] = set()  # settings given by the operator, not defaults
    unknown = []
    extra_file = environ.get(ENV_PREFIX + "CONFIG")
    if extra_file:
        from_file = _read_toml(Path(extra_file))
        config.update(from_file)
        explicit.update(from_file)
        unknown += [f"{name} in {extra_file}" for name in unknown_settings(from_file, known)]
    given = {name[len(ENV_PREFIX) :] for name in environ if name.startswith(ENV_PREFIX)}
    unknown += [ENV_PREFIX + name for name in unknown_settings(given, known)]
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and name != ENV_PREFIX + "CONFIG":
            key = name[len(ENV_PREFIX) :]
            if key.startswith("TEST_"):
                continue  # the test suite's, not a setting
            config[key] = _parse_env_value(raw, config.get(key))
            explicit.add(key)
    config["UNKNOWN_SETTINGS"] = unknown
    config.update(overrides or {})
    explicit.update(overrides or {})
    _finish(config, explicit)
    return config


def version() -> str:
    """Passport's version: the installed package's metadata (pyproject.toml's `version`)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("passport")
    except PackageNotFoundError:  # the code run from a folder that was never installed
        return "0+unknown"


def _installed(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def default_instance_dir() -> Path:
    """Where Passport keeps its files when INSTANCE_DIR is not set: instance/ of the
    checkout, or for an installed package Flask's place, <prefix>/var/passport-instance."""
    if INSTALLED:
        return Path(sys.prefix) / "var" / "passport-instance"
    return RESOURCES / "instance"


def _check_writable(folder: Path) -> None:
    """The instance folder holds the SQLite database, development secrets, mail and SMS
    written to files, and metrics: a place Passport cannot write is refused at start-up,
    not at the first request that writes there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ConfigError(
            f"INSTANCE_DIR {folder} is not a folder Passport can write ({error.strerror}): "
            "set PASSPORT_INSTANCE_DIR to one it can."
        ) from error


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"configuration file not found: {path}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"configuration file {path} is not valid TOML: {error}") from error


def _parse_env_value(raw: str, default):
    """Environment values take the type of the default they replace."""
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}… expects a number, got {raw!r}") from error
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}… expects a whole number, got {raw!r}") from error
    if isinstance(default, dict):
        try:
            value = json.loads(raw)
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}… expects a JSON object, got {raw!r}") from error
        if not isinstance(value, dict):
            raise ConfigError(f"{ENV_PREFIX}… expects a JSON object, got {raw!r}")
        return value
    if isinstance(default, list):
        raw = raw.strip()
        if raw.startswith("["):
            return json.loads(raw)
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def _finish(config: dict, explicit: set[str]) -> None:
    env = config.get("ENV", "development")
    if env not in ("development", "production"):
        raise ConfigError(f"ENV must be 'development' or 'production', not {env!r}")
    production = env == "production"
    config["ISSUER"] = config["ISSUER"].rstrip("/")
    issuer = urlsplit(config["ISSUER"])
    if issuer.scheme not in ("http", "https") or not issuer.netloc:
        raise ConfigError(f"ISSUER must be an http(s) URL, got {config['ISSUER']!r}")
    if production and issuer.scheme == "http" and not is_loopback_host(issuer.hostname or ""):
        raise ConfigError(
            "In production the ISSUER must be https (plain http is allowed only on a "
            f"loopback address): {config['ISSUER']!r}"
        )
    instance = Path(config.get("INSTANCE_DIR") or default_instance_dir())
    config["INSTANCE_DIR"] = str(instance)
    _check_writable(instance)
    if not config.get("SECRET_KEY"):
        if production:
            raise ConfigError(
                "SECRET_KEY is not set: production needs PASSPORT_SECRET_KEY "
                "(or SECRET_KEY in the PASSPORT_CONFIG file)."
            )
        config["SECRET_KEY"] = _development_secret_key(instance)
    if config["ACCESS_TOKEN_SIGNING_ALG"] not in ("RS256", "ES256"):
        raise ConfigError("ACCESS_TOKEN_SIGNING_ALG must be 'RS256' or 'ES256'")
    if config["DELIVERY_LEASE"] <= config["DELIVERY_TIMEOUT"]:
        raise ConfigError(
            "DELIVERY_LEASE must be longer than DELIVERY_TIMEOUT, or a slow delivery could be "
            "taken over by another worker and sent twice."
        )
    for name in (
        "RETENTION_INTERVAL",
        "RETENTION_GRACE",
        "SESSION_RETENTION_DAYS",
        "OUTBOX_RETENTION_DAYS",
        "AUDIT_RETENTION_DAYS",
    ):
        if config[name] < 0:
            raise ConfigError(f"{name} cannot be negative")
    if config["VERSION_HEADER"] and not _HEADER_NAME.fullmatch(config["VERSION_HEADER"]):
        raise ConfigError(
            f"VERSION_HEADER must be an HTTP header name, not {config['VERSION_HEADER']!r}"
        )
    if config["LOG_FORMAT"] not in ("", "json", "text"):
        raise ConfigError("LOG_FORMAT must be 'json' or 'text' (or empty: json in production)")
    if config["DATABASE_POOL_SIZE"] < 1 or config["DATABASE_MAX_OVERFLOW"] < 0:
        raise ConfigError("DATABASE_POOL_SIZE must be 1 or more, DATABASE_MAX_OVERFLOW 0 or more")
    for name in ("RETENTION_BATCH", "RETENTION_MAX_BATCHES"):
        if config[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    # Secrets production must be given; development makes each once, in instance/.
    for name, why, generate in (
        ("TOTP_ENCRYPTION_KEY", "a Fernet key, separate from SECRET_KEY", _fernet_key),
        (
            "KEY_ENCRYPTION_KEY",
            "a Fernet key, the same on every node; it seals the signing keys",
            _fernet_key,
        ),
        (
            "PAIRWISE_SALT",
            "a long random value kept forever: pairwise subject identifiers are made with it",
            lambda: secrets.token_urlsafe(32),
        ),
    ):
        if config.get(name):
            continue
        if production:
            raise ConfigError(f"{name} is not set: production needs PASSPORT_{name} ({why}).")
        config[name] = _development_secret(instance, _SECRET_FILES[name], generate)
    if production and config["PHONE_LOGINS"] and not config.get("SMS_GATEWAY_URL"):
        raise ConfigError(
            "Phone logins are on but SMS_GATEWAY_URL is not set: in production the codes would "
            "only be written to files. Set PASSPORT_SMS_GATEWAY_URL, or PASSPORT_PHONE_LOGINS=false "
            "for e-mail logins only."
        )
    if production and "TRUSTED_DEVICE_DAYS" not in explicit:
        config["TRUSTED_DEVICE_DAYS"] = 0
    if production and "DELIVERY_PRIVATE_TARGETS" not in explicit:
        config["DELIVERY_PRIVATE_TARGETS"] = False
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'passport.db'}"
    config["DATABASE_URL"] = normalise_database_url(config["DATABASE_URL"])
    # The drivers are extras of the package: `pip install 'passport[postgres,redis]'`.
    if config["DATABASE_URL"].startswith("postgresql") and not _installed("psycopg"):
        raise ConfigError(
            "DATABASE_URL names PostgreSQL, but its driver is not installed: "
            "pip install 'passport[postgres]'"
        )
    if config.get("REDIS_URL") and not _installed("redis"):
        raise ConfigError(
            "REDIS_URL is set, but the Redis client is not installed: pip install 'passport[redis]'"
        )
    if not config.get("REGISTRATION"):
        config["REGISTRATION"] = "token" if production else "open"
    if config["REGISTRATION"] not in ("open", "token", "off"):
        raise ConfigError("REGISTRATION must be 'open', 'token' or 'off'")
    providers = config.get("UPSTREAM_PROVIDERS") or {}
    if isinstance(providers, str):  # PASSPORT_UPSTREAM_PROVIDERS holds JSON
        try:
            providers = json.loads(providers)
        except ValueError as error:
            raise ConfigError(f"UPSTREAM_PROVIDERS is not valid JSON: {error}") from error
    if not isinstance(providers, dict):
        raise ConfigError("UPSTREAM_PROVIDERS must be a table of providers")
    config["UPSTREAM_PROVIDERS"] = providers
    keys_dir = Path(config["KEYS_DIR"])
    # Relative: to the checkout (its keys/ folder), or when installed to the instance folder.
    keys_base = instance if INSTALLED else RESOURCES
    config["KEYS_DIR"] = str(keys_dir if keys_dir.is_absolute() else keys_base / keys_dir)

    # Settings of the Flask extensions, derived from ours.
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    # No pre-ping (a round trip on every checkout): connections are recycled before a
    # server or proxy would close them idle, and a request that meets a dead one anyway is
    # run once more (Passport.dispatch_request).
    engine_options = {"pool_recycle": config["DATABASE_POOL_RECYCLE"]}
    if config["DATABASE_URL"].startswith("postgresql"):
        # Per pool; a process has two (transactions, and autocommit reads) and one LISTEN
        # connection, so at most 2 × (size + overflow) + 1 connections.
        engine_options["pool_size"] = config["DATABASE_POOL_SIZE"]
        engine_options["max_overflow"] = config["DATABASE_MAX_OVERFLOW"]
        if config.get("DATABASE_LISTEN_URL"):
            # A pooler in transaction mode (PgBouncer) is in front: the next transaction
            # may run on another server connection, which knows no statement psycopg
            # prepared on this one. So none is prepared.
            engine_options["connect_args"] = {"prepare_threshold": None}
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    if config.get("REDIS_URL"):
        # An unreachable Redis answers within two seconds (a 503 page), not a hung request.
        config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2}
        )
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    config["BABEL_DEFAULT_LOCALE"] = config["LANGUAGES"][0]
    prefix = config["COOKIE_PREFIX"] or cookie_prefix(config["ISSUER"])
    config["SESSION_COOKIE_NAME"] = prefix + "_session"
    config["TRUSTED_DEVICE_COOKIE_NAME"] = prefix + "_trusted_device"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = issuer.scheme == "https"
    config["PERMANENT_SESSION_LIFETIME"] = config["SESSION_LIFETIME"]
    config["WTF_CSRF_TIME_LIMIT"] = None
    config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def cookie_prefix(issuer: str) -> str:
    """The start of the cookies' names, from the issuer: "passport", and the port and path
    when the issuer has them. Browsers keep cookies per host, whatever the port, so two
    Passports on one host (http://127.0.0.1:5000 and :5050) would otherwise share — and
    overwrite — one session cookie."""
    parts = urlsplit(issuer)
    prefix = "passport"
    if parts.port:
        prefix += f"_{parts.port}"
    path = "".join(c if c.isascii() and c.isalnum() else "_" for c in parts.path.strip("/"))
    return prefix + (f"_{path}" if path else "")


def normalise_database_url(url: str) -> str:
    """psycopg 3 is the PostgreSQL driver: accept plain postgresql:// URLs too."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# Where development keeps each generated secret, under instance/.
_SECRET_FILES = {
    "TOTP_ENCRYPTION_KEY": "totp_key",
    "KEY_ENCRYPTION_KEY": "key_encryption_key",
    "PAIRWISE_SALT": "pairwise_salt",
}


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _development_secret_key(instance: Path) -> str:
    return _development_secret(instance, "secret_key", lambda: secrets.token_urlsafe(48))


def _development_secret(instance: Path, name: str, generate) -> str:
    """A secret generated on first start and kept in instance/ (development only)."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
