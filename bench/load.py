"""A small HTTP/1.1 load generator on asyncio streams.

One event loop on one core drives every connection: each connection is a keep-alive socket
that sends a request, reads the whole response (Content-Length or chunked) and takes the
next request from a shared source. Threads of `requests` would spend the load generator's
core on the GIL and urllib3 long before 32 connections keep one server core busy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode


def get(path: str, headers: dict[str, str] | None = None) -> bytes:
    return _request("GET", path, headers or {}, b"")


def post_form(path: str, form: dict[str, str], headers: dict[str, str] | None = None) -> bytes:
    body = urlencode(form).encode()
    extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    return _request("POST", path, extra, body)


def _request(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    # Authlib refuses plain http unless the host is a loopback one.
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ResponseError(Exception):
    """The server closed the connection or answered with something that is not HTTP/1.1."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body, and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ResponseError(status_line[:80])
    status = int(parts[1])
    headers = {}
    for line in header_block.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    keep_alive = headers.get(b"connection", b"").lower() != b"close"
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent to us
                return status, b"".join(chunks), keep_alive
            chunks.append(await reader.readexactly(size + 2))
            chunks[-1] = chunks[-1][:-2]
    length = int(headers.get(b"content-length", b"0"))
    return status, await reader.readexactly(length), keep_alive


Check = Callable[[int, bytes], bool]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.wall if self.wall else 0.0

    def percentile(self, fraction: float) -> float:
        """Milliseconds; nearest rank, so p99 of 1000 requests is the 990th slowest."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


class Connections:
    """`count` keep-alive connections to one server, reused from the warm-up to the run."""

    def __init__(self, host: str, port: int, count: int, timeout: float = 30.0):
        self.host, self.port, self.count, self.timeout = host, port, count, timeout
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = []

    async def open(self) -> None:
        self._streams = [await self._connect() for _ in range(self.count)]

    async def _connect(self):
        return await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), timeout=self.timeout
        )

    async def close(self) -> None:
        for stream in self._streams:
            if stream is not None:
                stream[1].close()
        self._streams = []

    async def run(
        self, requests: Iterator[bytes], total: int, check: Check, rate: float | None = None
    ) -> Result:
        """Send `total` requests taken from `requests`, spread over the connections.

        Without `rate`, each connection sends its next request as soon as the last one is
        answered (a closed loop: the server is kept saturated, and a request's latency is
        mostly its wait behind the others, connections / throughput). With `rate`, request i
        is due at i / rate seconds from the start, whatever the server does (an open loop,
        as traffic from many independent clients arrives); a free connection waits for the
        next due request, and its latency counts from when it was due, so a server that
        falls behind is charged for the wait (no coordinated omission)."""
        result = Result()
        remaining = [total]
        sent = [0]
        begun = time.perf_counter()

        async def drive(slot: int) -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                payload = next(requests)
                if rate is None:
                    started = time.perf_counter()
                else:
                    started = begun + sent[0] / rate
                    sent[0] += 1
                    delay = started - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                try:
                    status, body = await self._exchange(slot, payload)
                    ok = check(status, body)
                except (
                    OSError,
                    ValueError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    ResponseError,
                ):
                    ok = False
                    self._drop(slot)
                result.latencies.append(time.perf_counter() - started)
                result.errors += 0 if ok else 1

        await asyncio.gather(*(drive(slot) for slot in range(self.count)))
        result.wall = time.perf_counter() - begun
        return result

    async def _exchange(self, slot: int, payload: bytes) -> tuple[int, bytes]:
        if self._streams[slot] is None:
            self._streams[slot] = await self._connect()
        reader, writer = self._streams[slot]
        writer.write(payload)
        status, body, keep_alive = await asyncio.wait_for(
            _read_response(reader), timeout=self.timeout
        )
        if not keep_alive:
            self._drop(slot)
        return status, body

    def _drop(self, slot: int) -> None:
        stream = self._streams[slot]
        if stream is not None:
            stream[1].close()
        self._streams[slot] = None
