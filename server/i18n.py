"""Choosing the language: ui_locales, then the account's setting, then Accept-Language."""

from __future__ import annotations

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
