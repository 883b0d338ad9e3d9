"""Upstream social providers: Passport as a relying party of each (Authlib's Flask client)."""

from __future__ import annotations

from flask import Flask, current_app

from .registry import EXTENSION, Provider, Registry
from .registry import init_federation as _build_registry

__all__ = ["Provider", "init_federation", "mark_of", "provider", "providers", "title_of"]


def init_federation(app: Flask) -> None:
    _build_registry(app)
    app.jinja_env.globals.update(
        upstream_providers=providers, network_title=title_of, network_mark=mark_of
    )


def registry() -> Registry:
    return current_app.extensions[EXTENSION]


def providers() -> list[Provider]:
    return registry().all()


def provider(name: str) -> Provider | None:
    return registry().get(name)


def title_of(name: str | None) -> str:
    """The network's name as people know it; a provider no longer configured keeps its key."""
    found = provider(name or "")
    return found.title if found else (name or "")


# The mark each known network is drawn with on the pages (in its colour, passport.css):
# letters, not the networks' own logos, which are theirs to license.
MARKS = {"google": "G", "apple": "A", "yandex": "Я", "vk": "VK", "mailru": "@", "github": "GH"}


def mark_of(name: str | None) -> tuple[str, str]:
    """The network's mark: (its preset, for the colour; the letters)."""
    found = provider(name or "")
    if found is None:
        return "other", (name or "?")[:1].upper()
    return found.preset_name, MARKS.get(found.preset_name, found.title[:1].upper())
