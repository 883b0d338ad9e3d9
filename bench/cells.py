"""The measured endpoints, and one measured cell: an endpoint at a number of connections."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import load
from .flows import Client
from .probes import CpuMeter


def basic(client: Client) -> dict[str, str]:
    pair = f"{client.client_id}:{client.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


@dataclass
class Endpoint:
    name: str
    # Builds the requests from what the run has prepared (tokens, clients).
    requests: Callable[[], Iterator[bytes]]
    check: load.Check


def repeat(payload: bytes) -> Iterator[bytes]:
    while True:
        yield payload


def refresh(portal: Client, tokens: Iterator[str]) -> Endpoint:
    """Each request spends one never-used refresh token: rotation, RS256 access and ID token."""

    def requests() -> Iterator[bytes]:
        for token in tokens:
            form = {"grant_type": "refresh_token", "refresh_token": token}
            yield load.post_form("/token", form, basic(portal))

    return Endpoint(
        "refresh", requests, lambda s, b: s == 200 and b'"id_token"' in b and b'"refresh_' in b
    )


def client_credentials(service: Client) -> Endpoint:
    payload = load.post_form("/token", {"grant_type": "client_credentials"}, basic(service))
    return Endpoint(
        "client_credentials", lambda: repeat(payload), lambda s, b: s == 200 and b"access_" in b
    )


def userinfo(access_token: Callable[[], str]) -> Endpoint:
    def requests() -> Iterator[bytes]:
        return repeat(load.get("/userinfo", {"Authorization": f"Bearer {access_token()}"}))

    return Endpoint("userinfo", requests, lambda s, b: s == 200 and b'"sub"' in b)


def introspection(portal: Client, access_token: Callable[[], str]) -> Endpoint:
    # No token_type_hint, as the simplest resource server sends it.
    def requests() -> Iterator[bytes]:
        form = {"token": access_token()}
        return repeat(load.post_form("/introspect", form, basic(portal)))

    def active(status: int, body: bytes) -> bool:
        return status == 200 and b'"active":true' in body.replace(b" ", b"")

    return Endpoint("introspection", requests, active)


def discovery() -> Endpoint:
    payload = load.get("/.well-known/openid-configuration")
    return Endpoint("discovery", lambda: repeat(payload), lambda s, b: s == 200)


def jwks() -> Endpoint:
    payload = load.get("/jwks.json")
    return Endpoint("jwks", lambda: repeat(payload), lambda s, b: s == 200 and b'"keys"' in b)


@dataclass
class Cell:
    endpoint: str
    connections: int
    result: load.Result
    app_cpu: float  # seconds, the server's worker processes
    db_cpu: float | None  # seconds, the PostgreSQL backends of the bench database
    generator_cpu: float  # seconds, this process
    offered: float | None = None  # requests per second, when paced

    def per_request(self, seconds: float | None) -> float | None:
        if seconds is None or not self.result.requests:
            return None
        return seconds / self.result.requests * 1e6


def measure(
    port: int,
    endpoint: Endpoint,
    connections: int,
    total: int,
    warmup: int,
    app: CpuMeter,
    db: CpuMeter | None,
    requests: Iterator[bytes] | None = None,
    rate: float | None = None,
) -> Cell:
    """Warm up on the same connections, then measure `total` requests and the CPU they cost.

    `requests` defaults to a new source from the endpoint; the statement pass passes one it
    built beforehand, so that making it (a code flow for an access token) is not counted.
    `rate` (requests per second) paces the measured requests instead of sending each as soon
    as a connection is free (load.Connections.run).
    """
    if requests is None:
        # Built before the connections open: building may itself call the server, and
        # gunicorn's threads wait on a new connection for its first request.
        requests = endpoint.requests()

    async def run() -> tuple[load.Result, float, float | None, float]:
        pool = load.Connections("127.0.0.1", port, connections)
        await pool.open()
        try:
            await pool.run(requests, warmup, endpoint.check)
            app.start()
            if db:
                db.start()
            own = _own_cpu()
            result = await pool.run(requests, total, endpoint.check, rate)
            own = _own_cpu() - own
            app_cpu = app.stop()
            db_cpu = db.stop() if db else None
        finally:
            await pool.close()
        return result, app_cpu, db_cpu, own

    result, app_cpu, db_cpu, own = asyncio.run(run())
    return Cell(endpoint.name, connections, result, app_cpu, db_cpu, own, rate)


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system
