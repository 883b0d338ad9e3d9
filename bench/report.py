"""What `make bench` prints: plain-text tables that paste into bench/README.md as Markdown."""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import dataclass, field

from .cells import Cell
from .nodeside import target
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
        f"server: {served}, 1 worker x {bench.args.threads} threads on core {bench.server_core}; "
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


def paced(measured: list[Cell], share: float) -> None:
    """The paced cells: latency at a steady rate under the server's capacity."""
    if not measured:
        return
    print()
    print(f"Paced at {share:.0%} of each endpoint's rate at 32 connections (an open loop):")
    print()
    print("| endpoint | conns | offered req/s | req/s | errors | p50 ms | p99 ms | app µs/req |")
    print("|---|---|---|---|---|---|---|---|")
    for cell in measured:
        result = cell.result
        print(
            f"| {cell.endpoint} | {cell.connections} | {cell.offered:.0f} | {result.rate:.0f} "
            f"| {result.errors} | {result.percentile(0.5):.2f} | {result.percentile(0.99):.2f} "
            f"| {number(cell.per_request(cell.app_cpu))} |"
        )


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


def node(bench, measured: list[Cell], rivals: list[Cell]) -> None:
    """node's own cells, then each cell's Passport-to-node ratios and the targets.

    "× node" is Passport's figure as a share of node's: requests per second, Passport's ÷
    node's; CPU, node's µs per request ÷ Passport's app + db µs per request (requests per
    CPU-second, Passport's ÷ node's). Above 1, Passport does better.
    """
    print()
    print(f"node side by side: {bench.node.version}, one process on core {bench.server_core}")
    print()
    print("| endpoint | conns | requests | errors | req/s | p50 ms | p99 ms | app µs/req |")
    print("|" + "---|" * 8)
    for cell in rivals:
        result = cell.result
        print(
            f"| {cell.endpoint} | {cell.connections} | {result.requests} | {result.errors} "
            f"| {result.rate:.0f} | {result.percentile(0.5):.2f} | {result.percentile(0.99):.2f} "
            f"| {number(cell.per_request(cell.app_cpu))} |"
        )
    pairs = [
        (ours, theirs, _cpu_ratio(ours, theirs), _ratio(ours.result.rate, theirs.result.rate))
        for ours in measured
        for theirs in rivals
        if (ours.endpoint, ours.connections) == (theirs.endpoint, theirs.connections)
    ]
    print()
    print(
        "| endpoint | conns | Passport req/s | node req/s | req/s × node "
        "| Passport app+db µs/req | node µs/req | CPU × node |"
    )
    print("|" + "---|" * 8)
    for ours, theirs, cpu, rate in pairs:
        print(
            f"| {ours.endpoint} | {ours.connections} | {ours.result.rate:.0f} "
            f"| {theirs.result.rate:.0f} | {number(rate, 2)} | {number(_passport_cpu(ours))} "
            f"| {number(theirs.per_request(theirs.app_cpu))} | {number(cpu, 2)} |"
        )
    print()
    print("| endpoint | CPU × node, median | req/s × node, median | target (CPU) | met |")
    print("|" + "---|" * 5)
    for name in dict.fromkeys(ours.endpoint for ours, *_ in pairs):
        cpu = _median([c for o, _, c, _ in pairs if o.endpoint == name and c is not None])
        rate = _median([r for o, _, _, r in pairs if o.endpoint == name and r is not None])
        goal = target(name)
        met = "n/a" if cpu is None else ("yes" if cpu >= goal else "no")
        # Three digits: "met" is decided on the exact figure, and 0.495 is not 0.50.
        print(f"| {name} | {number(cpu, 3)} | {number(rate, 3)} | ≥ {goal} | {met} |")


def _passport_cpu(cell: Cell) -> float | None:
    """Passport's app + database µs per request (SQLite runs have no database figure)."""
    app = cell.per_request(cell.app_cpu)
    if app is None:
        return None
    return app + (cell.per_request(cell.db_cpu) or 0.0)


def _cpu_ratio(ours: Cell, theirs: Cell) -> float | None:
    return _ratio(theirs.per_request(theirs.app_cpu), _passport_cpu(ours))


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
