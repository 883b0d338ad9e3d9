"""Passport: an OAuth 2.0 / OpenID Connect identity provider."""

from __future__ import annotations

import contextlib
import functools
import logging

from flask import Flask, redirect, render_template, url_for
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import RESOURCES, load_config


class Passport(Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions: dict = {}

    def ensure_sync(self, func):
        # Flask asks inspect whether each hook and view is a coroutine on every request; the
        # answer never changes, so it is asked once per function.
        sync = self._sync_functions.get(func)
        if sync is None:
            sync = self._sync_functions[func] = super().ensure_sync(func)
        return sync

    def log_exception(self, exc_info) -> None:
        # Flask's own line names request.path, which may carry a recovery or confirmation
        # token: the route's pattern says where without it.
        from flask import request

        rule = request.url_rule.rule if request.url_rule is not None else "?"
        self.logger.error("Exception on %s [%s]", rule, request.method, exc_info=exc_info)

    def dispatch_request(self):
        try:
            return super().dispatch_request()
        except Exception as error:
            from .extensions import may_retry_after

            # No pre-ping round trip on every checkout: a dead pooled connection shows up
            # here instead, and the request runs once more on a fresh one.
            if not may_retry_after(error):
                raise
        return super().dispatch_request()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, which builds its signer only for a request that
    brought a session cookie: the protocol endpoints' callers never do."""

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified and not session.accessed:
            return  # nothing to write, delete or vary on
        super().save_session(app, session, response)


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides every other source (tests use it)."""
    settings = load_config(config)
    app = Passport(
        __name__,
        template_folder=str(RESOURCES / "templates"),
        static_folder=str(RESOURCES / "static"),
        instance_path=settings["INSTANCE_DIR"],
    )
    app.config.update(settings)
    app.session_interface = CookieSessions()
    if app.config.get("PROXY_COUNT"):
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    _init_extensions(app)
    _init_keys(app)
    from .domain import client_cache

    client_cache.init_app(app)

    from .oauth.server import init_oauth

    init_oauth(app)
    from .federation import init_federation

    init_federation(app)
    _register_blueprints(app)
    _init_observability(app)
    if app.config["VERSION_HEADER"]:
        _announce_version(app, app.config["VERSION_HEADER"])
    for name in app.config["UNKNOWN_SETTINGS"]:
        # A typo in a setting's name must not silently do nothing.
        logging.getLogger("passport").warning("unknown setting %s: it has no effect", name)

    from .web.errors import register_error_handlers
    from .web.security import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)

    from flask_babel import get_locale

    from .domain.identifiers import phone_logins
    from .i18n import url_in_language

    app.add_template_global(url_in_language)

    @app.context_processor
    def template_globals():
        return {"current_locale": str(get_locale() or "en"), "phone_logins": phone_logins()}

    return app


def _announce_version(app: Flask, header: str) -> None:
    from .config import version

    running = version()

    @app.after_request
    def with_version(response):
        response.headers[header] = running
        return response


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the models must be known before migrations run)
    from .extensions import babel, csrf, db, init_database, limiter, login_manager, migrate
    from .i18n import select_locale, select_timezone
    from .services.sessions import load_active_session

    init_database(app)
    migrate.init_app(app, db, directory=str(RESOURCES / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(RESOURCES / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # the server-side session row is the protection
    login_manager.user_loader(load_active_session)
    _hooks_stand_aside_on_protocol_endpoints(app, limiter, login_manager)


def _hooks_stand_aside_on_protocol_endpoints(app: Flask, limiter, login_manager) -> None:
    """Two extensions hook every request. Flask-Limiter checks it against its limits: the
    protocol endpoints have none (their limit is the cost of their work). Flask-Login may
    refresh the remember-me cookie after it: the endpoints that programs call carry no
    browser session. So these hooks stand aside there, and save their cost on the hot paths."""
    from flask import request

    from .oauth.views import PROGRAM_ENDPOINTS

    def belongs_to(extension, function) -> bool:
        if isinstance(function, functools.partial):
            return bool(function.args) and function.args[0] is extension
        return getattr(function, "__self__", None) is extension

    def on_protocol() -> bool:
        return request.blueprint == "oauth"

    def on_program() -> bool:
        return request.endpoint in PROGRAM_ENDPOINTS

    def before(hook, aside):
        return lambda: None if aside() else hook()

    def after(hook, aside):
        return lambda response: response if aside() else hook(response)

    def teardown(hook, aside):
        return lambda error=None: None if aside() else hook(error)

    for registry, wrap in (
        (app.before_request_funcs, before),
        (app.after_request_funcs, after),
        (app.teardown_request_funcs, teardown),
    ):
        hooks = []
        for hook in registry.get(None, []):
            if belongs_to(limiter, hook):
                hook = wrap(hook, on_protocol)
            elif belongs_to(login_manager, hook):
                hook = wrap(hook, on_program)
            hooks.append(hook)
        registry[None] = hooks


def _init_observability(app: Flask) -> None:
    """Count every request and the token endpoint's tokens by grant (server/metrics.py)
    when metrics are read (METRICS_TOKEN); in JSON mode, write a line per request
    (server/logs.py). Neither, and no hook is added: a request pays for neither."""
    from flask import g, request

    from . import logs, metrics

    logs.init_app(app)
    # A line per request costs every request some CPU: ACCESS_LOG=false leaves it to the
    # proxy in front, as it does the server's own access log.
    json_lines = logs.wants_json(app.config) and app.config["ACCESS_LOG"]
    counting = bool(app.config["METRICS_TOKEN"])
    if not (json_lines or counting):
        return

    def started() -> None:
        g._metrics_started = metrics.clock()
        if json_lines:
            logs.request_started()

    def count(response):
        began = g.get("_metrics_started")
        seconds = metrics.clock() - began if began is not None else None
        if counting:
            endpoint = request.endpoint
            metrics.observe_request(endpoint, request.method, response.status_code, seconds)
            if endpoint == "oauth.token" and response.status_code == 200:
                metrics.token_issued(request.form.get("grant_type"))
        if json_lines:
            logs.request_line(response, seconds)
        return response

    # First of all, so that a request another hook refuses (a rate limit's 429) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, started)
    app.after_request(count)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, enforced foreign keys and a Unicode lower() on SQLite; other databases are left
    alone."""
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        # lower() of every script, as PostgreSQL's: SQLite's own knows ASCII only, and the
        # operators' console finds "Зинаида" when asked for "зинаида".
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _init_keys(app: Flask) -> None:
    """The signing keys, in the database and shared by every node; read (and on a first
    start imported from KEYS_DIR, or generated) at the first request that needs them,
    when the schema is there."""
    from sqlalchemy.exc import SQLAlchemyError

    from .oauth.keys import DatabaseKeys, FolderKeys, KeyStore

    retention = max(app.config["ID_TOKEN_LIFETIME"], app.config["ACCESS_TOKEN_LIFETIME"])
    store = app.extensions["passport.keys"] = KeyStore(
        DatabaseKeys(import_from=FolderKeys(app.config["KEYS_DIR"])),
        retention_seconds=retention,
        recheck_seconds=app.config["KEYS_RECHECK_SECONDS"],
        generate_missing=True,
    )
    # Read (or made) now when the schema is there, not in the first request that signs:
    # that request may hold SQLite's write lock, which storing a new key would wait for.
    # Not migrated yet (`passport db upgrade` is about to run): the first use reads them.
    with app.app_context(), contextlib.suppress(SQLAlchemyError):
        store.keys()


def _register_blueprints(app: Flask) -> None:
    from flask import Blueprint

    from .oauth.views import bp as oauth_bp
    from .web import (
        account,
        account_address,
        account_credentials,
        account_data,
        account_photo,
        auth,
        passkeys,
        recovery,
        second_step,
        signup,
        two_factor,
    )
    from .web.admin import bp as admin_bp
    from .web.developers import bp as developers_bp
    from .web.device import bp as device_bp
    from .web.health import bp as health_bp
    from .web.social import bp as social_bp

    # The sign-in pages ("auth.*") and the Passport pages ("account.*") are each one
    # blueprint written in several modules; each module adds its routes to the blueprint it
    # is given, here. Built per app, so that every app of a process gets all of them.
    auth_bp = Blueprint("auth", auth.__name__)
    for module in (auth, signup, recovery, second_step):
        module.add_routes(auth_bp)
    passkeys.add_login_routes(auth_bp)
    account_bp = Blueprint("account", account.__name__, url_prefix="/account")
    for module in (
        account,
        account_credentials,
        account_address,
        account_photo,
        account_data,
        two_factor,
    ):
        module.add_routes(account_bp)
    passkeys.add_account_routes(account_bp)

    app.register_blueprint(oauth_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(developers_bp)
    app.register_blueprint(device_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(social_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(account_photo.photos_bp)

    @app.route("/")
    def home():
        return redirect(url_for("account.index"))

    @app.route("/help")
    def help_page():
        return render_template("help.html")
