"""Choosing the language (ui_locales, then the account's setting, then Accept-Language) and
the time zone (the account's setting, else the default, UTC)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, has_request_context, request, session
from flask_login import current_user
from werkzeug.exceptions import HTTPException


def _supported(candidates: str | None) -> str | None:
    languages = current_app.config["LANGUAGES"]
    for tag in (candidates or "").split():
        base = tag.split("-")[0].lower()
        if base in languages:
            return base
    return None


def _requested() -> str | None:
    try:
        return request.values.get("ui_locales")
    except HTTPException:
        # The body itself was refused (too large): the page saying so asks the query only.
        return request.args.get("ui_locales")


def select_locale() -> str | None:
    if not has_request_context():
        return None  # the `passport` command and the worker: the default language
    requested = _supported(_requested())
    if requested:
        session["ui_locales"] = requested
        return requested
    remembered = _supported(session.get("ui_locales"))
    if remembered:
        return remembered
    if current_user and current_user.is_authenticated:
        own = _supported(current_user.account.locale)
        if own:
            return own
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str | None:
    """The person's own time zone for the pages' times; None: Babel's default (UTC)."""
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.account.zoneinfo
    return None


def _form_readable() -> bool:
    """Whether the request's form can be read: the page saying a body was refused (too
    large) must not ask for it again."""
    try:
        request.form  # noqa: B018 - parsed once, kept by the request
    except HTTPException:
        return False
    return True


def url_in_language(language: str) -> str:
    """The page being shown, asked for again in `language`: its path and its parameters with
    ui_locales replaced, so a consent page keeps its authorization request and a sign-in page
    its way back to the portal. A page that answered a POST keeps what it needs to be shown
    again: the authorization request an authorization POST carried, another form's `next`."""
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "ui_locales"]
    if request.method == "POST" and _form_readable():
        if request.endpoint == "oauth.authorize":
            kept = [
                (k, v)
                for k, v in request.form.items(multi=True)
                if k not in ("csrf_token", "decision", "confirm")  # the request, not an answer
            ]
        else:
            kept = [
                ("next", v) for v in request.form.getlist("next")[:1] if "next" not in request.args
            ]
        params += [(k, v) for k, v in kept if k != "ui_locales"]
    params.append(("ui_locales", language))
    return f"{request.script_root}{request.path}?{urlencode(params)}"
