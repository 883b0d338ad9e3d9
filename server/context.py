"""The request context that services take: where a request came from, for audit rows and
session records. Built from the request by web and oauth; the CLI and the worker pass none."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request


@dataclass(frozen=True)
class RequestContext:
    """Where a request came from, for audit rows and session records."""

    ip_address: str | None = None
    user_agent: str | None = None


def request_context() -> RequestContext:
    """The context of the request being served."""
    return RequestContext(
        ip_address=request.remote_addr, user_agent=request.headers.get("User-Agent")
    )
