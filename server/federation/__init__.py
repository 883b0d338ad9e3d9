"""Upstream social providers: Passport as a relying party of each (Authlib's Flask client)."""

from __future__ import annotations

from flask import Flask, current_app

from .registry import EXTENSION, Provider, Registry
from .registry import init_federation as _build_registry

__all__ = ["Provider", "init_federation", "provider", "providers", "title_of"]


def init_federation(app: Flask) -> None:
    _build_registry(app)
    app.jinja_env.globals.update(upstream_providers=providers, network_title=title_of)


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
