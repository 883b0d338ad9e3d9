"""What `make bench` prints: plain-text tables that paste into bench/README.md as Markdown."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field

from .cells import Cell
from .probes import StatementLog


@dataclass
class StatementCounts:
    """Statements per request (endpoints) and per flow, or the reason they are unknown."""

    problem: str | None
    endpoints: dict[str, float | None] = field(default_factory=dict)
    flows: list[tuple[str, float | None]] = field(default_factory=list)
    # The statements of one request or flow, to show what runs.
    samples: dict[str, list[str]] = field(default_factory=dict)

    def add_endpoint(
        self, name: str, log: StatementLog | None, start, middle, end, requests: int
    ) -> None:
        counted = log.count(start, middle) if log else None
        self.endpoints[name] = None if counted is None else counted / requests
        if log:
            self.samples[name] = log.statements(middle, end)

    def add_flow(self, name: str, log: StatementLog | None, start, end, flows: int) -> None:
        counted = log.count(start, end) if log else None
        self.flows.append((name, None if counted is None else counted / flows))
        if log and flows == 1:
            self.samples[name] = log.statements(start, end)


def number(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def header(bench, args) -> None:
    served = args.server
    if not bench.project.serve_chooses_server:
        served += " (started directly: this tree's `passport serve` has no --server)"
    print()
    print(f"Passport bench, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}")
    print(
        f"server: {served}, 1 worker x 4 threads on core {bench.server_core}; "
        f"load generator on core {bench.generator_core}"
    )
    database = "SQLite" if bench.database is None else "PostgreSQL (fresh database)"
    print(f"database: {database}; production mode, access log off")


COLUMNS = (
    "| endpoint | conns | requests | errors | req/s | p50 ms | p99 ms "
    "| app µs/req | db µs/req | SQL/req | gen µs/req |"
)


def grid(measured: list[Cell], counts: StatementCounts) -> None:
    print()
    print(COLUMNS)
    print("|" + "---|" * (COLUMNS.count("|") - 1))
    for cell in measured:
        result = cell.result
        print(
            f"| {cell.endpoint} | {cell.connections} | {result.requests} | {result.errors} "
            f"| {result.rate:.0f} | {result.percentile(0.5):.2f} | {result.percentile(0.99):.2f} "
            f"| {number(cell.per_request(cell.app_cpu))} | {number(cell.per_request(cell.db_cpu))} "
            f"| {number(counts.endpoints.get(cell.endpoint), 1)} "
            f"| {number(cell.per_request(cell.generator_cpu))} |"
        )
    if counts.problem:
        print(f"\nSQL statements: n/a ({counts.problem})")


def flows(counts: StatementCounts) -> None:
    print()
    for name, per_flow in counts.flows:
        print(f"SQL statements per {name}: {number(per_flow, 1)}")


def with_data(measured: list[tuple[int, Cell]]) -> None:
    if not measured:
        return
    print()
    print(
        "| endpoint | stored refresh tokens | conns | req/s | p50 ms | p99 ms | app µs/req "
        "| db µs/req | errors |"
    )
    print("|" + "---|" * 9)
    for stored, cell in measured:
        result = cell.result
        print(
            f"| {cell.endpoint} | {stored} | {cell.connections} | {result.rate:.0f} "
            f"| {result.percentile(0.5):.2f} | {result.percentile(0.99):.2f} "
            f"| {number(cell.per_request(cell.app_cpu))} "
            f"| {number(cell.per_request(cell.db_cpu))} | {result.errors} |"
        )


def statements(counts: StatementCounts) -> None:
    for name, sample in counts.samples.items():
        print(f"\n{name}: {len(sample)} statements")
        for statement in sample:
            print(f"  {statement[:160]}")
