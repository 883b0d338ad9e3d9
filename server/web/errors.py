"""Every error is a clear 4xx page or JSON body, never a bare 500; a domain error becomes
HTTP here, and nowhere else decides its status."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, flash, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..domain.errors import PassportError
from ..extensions import db

JSON_PATHS = ("/token", "/revoke", "/introspect", "/userinfo", "/register", "/jwks", "/.well-known")


def _wants_json() -> bool:
    return request.path.startswith(JSON_PATHS)


def refusal(error: PassportError) -> tuple[int, dict[str, str]]:
    """The status and headers of a refused request: 429 with Retry-After for too many
    attempts (RFC 6585 §4), 400 otherwise. A view that shows the message on its form uses
    them too."""
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return error.status, headers


def form_status() -> tuple[int, dict[str, str]]:
    """The status of a form page drawn again, and its headers: the refusal's when a use case
    refused what the form asked (429 with Retry-After for too many attempts), 400 for a form
    sent with mistakes, 200 for a form shown for the first time."""
    error = g.get("_refused_on_page")
    if error is not None:
        return refusal(error)
    return (400 if request.method == "POST" else 200), {}


def flash_message(error: PassportError) -> None:
    flash(error.message(), "error")


def at_fields(form, fields: dict[type[PassportError], str]) -> Callable[[PassportError], None]:
    """A `show` for shown_on_page that puts an error of a kind `fields` names under that
    field of `form`, where the page marks the field invalid (templates/_form.html) and the
    other fields keep what was typed; any other error is flashed."""

    def show(error: PassportError) -> None:
        for kind, name in fields.items():
            field = getattr(form, name, None)
            if isinstance(error, kind) and field is not None:
                field.errors = [*field.errors, error.message()]
                return
        flash_message(error)

    return show


class shown_on_page:  # lower case, like contextlib.suppress: read as a phrase
    """`with shown_on_page() as refused:` around a use case a form asked for.

    A domain error raised in the block does not leave the view: `show` puts its message where
    the person reads it (by default flashed, so the page the view draws next shows it above
    the form with what they typed), the block is left, and `refused.error` holds the error
    (`refused` is true). Any other exception goes on to the handlers below. A page drawn
    after a refusal answers with `form_status()`, which gives the error's status.

    `shown_as` stands in for whatever the block raised, message and status alike, where the
    page must not tell one refusal from another (a spent code and an unknown login).
    """

    def __init__(
        self,
        show: Callable[[PassportError], None] = flash_message,
        *,
        shown_as: PassportError | None = None,
    ):
        self.show = show
        self.shown_as = shown_as
        self.error: PassportError | None = None

    def __enter__(self) -> shown_on_page:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if not isinstance(error, PassportError):
            return False
        self.error = error
        shown = self.shown_as or error
        g._refused_on_page = shown
        self.show(shown)
        return True

    def __bool__(self) -> bool:
        return self.error is not None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PassportError)
    def refused(error: PassportError):
        db.session.rollback()
        status, headers = refusal(error)
        if _wants_json():
            body = {"error": "invalid_request", "error_description": error.message()}
            return jsonify(body), status, headers
        page = render_template("errors/http.html", code=status, message=error.message())
        return page, status, headers

    @app.errorhandler(CSRFError)
    def expired_form(error: CSRFError):
        # The form's token belongs to the browser's Passport cookie: the page was open while
        # the person signed in or out in another tab, or the cookie was cleared. Nothing was
        # done; the page is offered again, as it is drawn now.
        if _wants_json():
            body = {"error": "invalid_request", "error_description": "The form has expired."}
            return jsonify(body), 400
        again = None
        if app.create_url_adapter(request).test(request.path, method="GET"):
            again = request.full_path.rstrip("?")
        page = render_template("errors/expired_form.html", again=again)
        return page, 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            code = "invalid_request" if error.code < 500 else "server_error"
            body = {"error": code, "error_description": error.description or error.name}
            return jsonify(body), error.code
        messages = {
            400: _("The request could not be understood."),
            404: _("There is no such page."),
            405: _("This page does not accept that kind of request."),
            413: _("The request is too large."),
            429: _("Too many attempts. Please wait a little and try again."),
        }
        message = messages.get(error.code, error.description)
        return render_template("errors/http.html", code=error.code, message=message), error.code

    if app.config.get("REDIS_URL"):
        _answer_redis_errors(app)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify({"error": "server_error"}), 500
        return render_template(
            "errors/http.html", code=500, message=_("Something went wrong.")
        ), 500


def _answer_redis_errors(app: Flask) -> None:
    from redis.exceptions import RedisError  # the `redis` extra, there when REDIS_URL is set

    @app.errorhandler(RedisError)
    def rate_limits_unreachable(error: RedisError):
        # Sign-in, sign-up and recovery are counted in Redis; without the count they are not
        # answered (no guessing without a limit), and the person is told it will pass.
        app.logger.error("the rate-limit store is unreachable on %s: %s", request.path, error)
        message = _("Passport is temporarily unavailable. Please try again in a minute.")
        retry = {"Retry-After": "30"}
        if _wants_json():
            body = {"error": "temporarily_unavailable", "error_description": "Try again later."}
            return jsonify(body), 503, retry
        return render_template("errors/http.html", code=503, message=message), 503, retry
