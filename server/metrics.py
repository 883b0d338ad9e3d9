"""Prometheus metrics: what a monitoring system reads at /metrics.

The counters live in this process, or, when PROMETHEUS_MULTIPROC_DIR is set (`passport
serve` sets it for its workers and the delivery worker beside them), in that folder, where
a scrape of any worker sums every process. Counting is a few microseconds per request and
never touches the database; the outbox depth is counted at scrape time, one query.

No label carries anything a person typed: endpoints are Flask's endpoint names, grant
types and methods come from fixed lists, statuses are numbers.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "passport_http_requests",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "passport_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
TOKENS = Counter(
    "passport_tokens_issued", "Token responses of the token endpoint, by grant.", ["grant_type"]
)
SIGN_INS = Counter(
    "passport_sign_ins", "Sign-ins, by method (RFC 8176 amr) and result.", ["method", "result"]
)
RATE_LIMITED = Counter(
    "passport_rate_limited", "Requests refused by a rate limit (429), by endpoint.", ["endpoint"]
)
DELIVERIES = Counter(
    "passport_outbox_deliveries",
    "Delivery attempts of the outbox, by kind and outcome.",
    ["kind", "result"],
)
CREDENTIAL_CHANGES = Counter(
    "passport_credential_changes", "Credential changes (invariant 2), by kind.", ["kind"]
)

GRANT_TYPES = frozenset(
    {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    }
)
# The audit events that are credential changes (domain/credentials.py reasons and the rest
# of invariant 2), counted as such.
CREDENTIAL_KINDS = frozenset(
    {
        "password_changed",
        "password_created",
        "password_recovered",
        "login_changed",
        "2fa_enabled",
        "2fa_disabled",
        "2fa_reset",
        "social_linked",
        "social_unlinked",
        "account_locked",
        "account_deleted",
    }
)
METHODS = frozenset({"pwd", "otp", "mfa", "fed", "hwk", "swk", "user"})
_per_request: dict[tuple, tuple] = {}
METHODS_HTTP = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(endpoint: str | None, method: str, status: int, seconds: float | None) -> None:
    name = endpoint or "unknown"
    key = (name, method if method in METHODS_HTTP else "other", status)
    children = _per_request.get(key)
    if children is None:
        # Looked up once per endpoint, method and status (a bounded set): labels() takes a
        # lock and builds its key on every call, a cost the hot paths need not pay.
        children = _per_request[key] = (
            REQUESTS.labels(key[0], key[1], str(status)),
            LATENCY.labels(name),
        )
    children[0].inc()
    if seconds is not None:
        children[1].observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(name).inc()


def token_issued(grant_type: str | None) -> None:
    TOKENS.labels(grant_type if grant_type in GRANT_TYPES else "other").inc()


def audited(kind: str, details: dict) -> None:
    """An audit event, read for what monitoring counts: sign-ins and credential changes."""
    if kind == "login":
        amr = details.get("amr") or []
        method = "mfa" if "mfa" in amr else next((m for m in amr if m in METHODS), "other")
        SIGN_INS.labels(method, "success").inc()
    elif kind == "login_failed":
        SIGN_INS.labels("pwd", "failure").inc()
    elif kind == "second_factor_failed":
        SIGN_INS.labels("otp", "failure").inc()
    elif kind in CREDENTIAL_KINDS:
        CREDENTIAL_CHANGES.labels(kind).inc()


def delivered(kind: str, status: str | None) -> None:
    """One delivery attempt: delivered, pending (to be retried) or failed (given up)."""
    DELIVERIES.labels(kind, status or "taken").inc()


def exposition(outbox_depth: dict[str, int]) -> tuple[bytes, str]:
    """The text a scrape gets: every process's counters, and the outbox depth now."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
    else:
        registry = REGISTRY
    depth = GaugeMetricFamily(
        "passport_outbox_depth", "Outbox messages now, by status.", labels=["status"]
    )
    for status, count in sorted(outbox_depth.items()):
        depth.add_metric([status], count)
    gauges = CollectorRegistry()
    gauges.register(_Fixed([depth]))
    return generate_latest(registry) + generate_latest(gauges), CONTENT_TYPE_LATEST


class _Fixed:
    """A collector of metric families made already."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return iter(self.families)


def clock() -> float:
    return time.perf_counter()
