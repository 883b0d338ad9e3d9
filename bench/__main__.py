"""`make bench`: Passport's hot endpoints measured as operators run them.

Production mode on a fresh PostgreSQL database, one server worker with 4 threads pinned to
one core, the load generator pinned to the other. Three passes:

1. statements: with log_statement = 'all' on the bench database, a few dozen sequential
   requests per endpoint and whole code flows, counted in PostgreSQL's log;
2. the grid: every endpoint at 1, 8 and 32 keep-alive connections, with requests per
   second, latency, and CPU per request of the server worker and of PostgreSQL; then each
   endpoint at 32 connections paced at a share (--paced, 0.7) of the rate it reached there,
   for the latency people see when the server is busy but not overrun;
3. flat with data: refresh and userinfo with 10k stored refresh tokens, and with 1M (--big).

With --node, node's oidc-provider runs pinned to the same core, and every cell of the grid
is measured on it right after Passport's, for the Passport-to-node ratios of the targets.

Everything runs on 127.0.0.1, is bounded in requests, and is removed at the end.

    python -m bench [--server gunicorn|granian] [--big] [--node] [--requests N]
                    [--refresh-requests N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import cells, data, flows, nodeside, report
from .probes import CpuMeter, StatementLog, backend_pids
from .stack import BenchError, Database, Project, Server, cores, free_port, production_env

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = (1, 8, 32)
DATA_CONNECTIONS = 8
DATA_ENDPOINTS = ("refresh", "userinfo")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument("--threads", type=int, default=4, help="of the one server worker")
    parser.add_argument(
        "--requests", type=int, default=1500, help="per cell, endpoints other than refresh"
    )
    parser.add_argument(
        "--refresh-requests", type=int, default=400, help="per refresh cell (one code flow each)"
    )
    parser.add_argument(
        "--count-requests", type=int, default=30, help="per endpoint in the statement pass"
    )
    parser.add_argument(
        "--paced",
        type=float,
        default=0.7,
        help="the paced cells' rate, as a share of the 32-connection rate (0: none)",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="stored refresh tokens, small")
    parser.add_argument("--big", action="store_true", help="also measure with --big-rows stored")
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--no-data", action="store_true", help="skip the flat-with-data pass")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL with the right to create databases",
    )
    parser.add_argument(
        "--database-url", default="", help="'sqlite' to run on SQLite (no database figures)"
    )
    parser.add_argument(
        "--project", type=Path, default=ROOT, help="the Passport tree to measure (its .venv)"
    )
    parser.add_argument(
        "--show-statements", action="store_true", help="print the statements of one request"
    )
    parser.add_argument(
        "--node",
        action="store_true",
        help="measure node oidc-provider (bench/node) too, cell by cell, on the same core",
    )
    return parser.parse_args(argv)


def warmup_for(total: int) -> int:
    return max(20, total // 10)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path):
        self.args = args
        self.folder = folder
        self.project = Project(args.project.resolve())
        self.server_core, self.generator_core = cores()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Before the database: a missing node stops the run with nothing left to drop.
        self.node = nodeside.Node(folder, self.server_core) if args.node else None
        self.database: Database | None = None
        if args.database_url == "sqlite":
            url = f"sqlite:///{folder / 'passport.db'}"
        else:
            self.database = Database(args.postgres)
            url = self.database.sqlalchemy_url()
        self.env = production_env(folder, self.base, url)
        self.server: Server | None = None

    # --- the server ---
    def start_server(self) -> None:
        self.server = Server(
            self.project,
            self.env,
            self.port,
            self.args.server,
            self.server_core,
            self.folder / "server.log",
            self.args.threads,
        )
        self.server.start()

    def stop_server(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None

    def meters(self) -> tuple[CpuMeter, CpuMeter | None]:
        server = self.server
        app = CpuMeter(server.worker_pids)
        if self.database is None:
            return app, None
        name, admin = self.database.name, self.args.postgres
        return app, CpuMeter(lambda: backend_pids(admin, name))

    # --- the passes ---
    def set_up(self) -> None:
        progress(f"migrating and creating the account and clients ({self.project.root.name})")
        self.project.run(self.env, "db", "upgrade")
        self.portal, self.service = flows.create_account_and_clients(self.project, self.env)

    def count_statements(self) -> dict:
        """Pass 1: statements per request, from PostgreSQL's log. Signs the person in."""
        log = None
        if self.database is not None:
            refused = self.database.set_statement_logging(True)
            log = StatementLog(self.args.postgres, self.database.name)
            if refused:
                log.problem = f"cannot set log_statement on the bench database: {refused}"
        self.start_server()
        if self.service is None:
            self.service = flows.register_service(self.project, self.env, self.base)
        counts = report.StatementCounts(log.problem if log else "SQLite has no server log")
        progress("statement pass: the sign-in flow, code flows, then each endpoint")

        def window(action, repeat: int = 1) -> tuple[int | None, int | None]:
            start = log.offset() if log else None
            for _ in range(repeat):
                action()
            time.sleep(0.3)  # a logging collector writes a moment after the statement runs
            return start, (log.offset() if log else None)

        # A first visit that is not counted: what a fresh process does once (fill the client
        # cache, start its LISTEN, make each pool's first connection) is not a flow's cost.
        flows.sign_in(self.base, self.portal)
        holder = {}
        start, end = window(lambda: holder.update(flow=flows.sign_in(self.base, self.portal)))
        self.browser = holder["flow"][0]
        counts.add_flow("code flow with sign-in", log, start, end, 1)
        start, end = window(lambda: flows.code_flow(self.base, self.browser, self.portal), 5)
        counts.add_flow("code flow, signed in", log, start, end, 5)

        n = self.args.count_requests
        prepared = flows.prepare_tokens(self.base, self.browser, self.portal, n + 11)
        for endpoint in self.endpoints(iter(t["refresh_token"] for t in prepared)):
            app, _ = self.meters()
            requests = endpoint.requests()
            # Warm first: the pool's connections are made and Authlib's caches filled.
            cells.measure(self.port, endpoint, 1, 5, 5, app, None, requests)
            start = log.offset() if log else None
            cells.measure(self.port, endpoint, 1, n, 0, app, None, requests)
            time.sleep(0.3)
            middle = log.offset() if log else None
            cells.measure(self.port, endpoint, 1, 1, 0, app, None, requests)
            time.sleep(0.3)
            end = log.offset() if log else None
            counts.add_endpoint(endpoint.name, log, start, middle, end, n)
        if log and log.problem:  # the log may have become unreadable on the way
            counts.problem = log.problem
        self.stop_server()
        if self.database is not None:
            self.database.set_statement_logging(False)
        return counts

    def endpoints(self, refresh_tokens) -> list[cells.Endpoint]:
        def access_token() -> str:
            # A fresh one per cell: the bench outlasts an access token's lifetime.
            return flows.code_flow(self.base, self.browser, self.portal)["access_token"]

        return [
            cells.refresh(self.portal, refresh_tokens),
            cells.client_credentials(self.service),
            cells.userinfo(access_token),
            cells.introspection(self.portal, access_token),
            cells.discovery(),
            cells.jwks(),
        ]

    def grid(self) -> list[cells.Cell]:
        """Pass 2: every endpoint at every connection count."""
        self.start_server()
        args = self.args
        data_runs = 0 if args.no_data or self.database is None else (2 if args.big else 1)
        per_refresh_cell = args.refresh_requests + warmup_for(args.refresh_requests)
        paced_runs = 1 if args.paced > 0 else 0
        needed = per_refresh_cell * (len(CONNECTIONS) + data_runs + paced_runs)
        progress(f"preparing {needed} unused refresh tokens through code flows")
        started = time.perf_counter()
        prepared = flows.prepare_tokens(self.base, self.browser, self.portal, needed)
        progress(f"  {needed / (time.perf_counter() - started):.0f} code flows per second")
        self.refresh_tokens = iter([t["refresh_token"] for t in prepared])
        rivals = self.start_node(per_refresh_cell * len(CONNECTIONS))
        measured = []
        self.paced: list[cells.Cell] = []
        for endpoint in self.endpoints(self.refresh_tokens):
            total = args.refresh_requests if endpoint.name == "refresh" else args.requests
            for connections in CONNECTIONS:
                progress(f"{endpoint.name} at {connections} connections: {total} requests")
                app, db = self.meters()
                measured.append(
                    cells.measure(
                        self.port, endpoint, connections, total, warmup_for(total), app, db
                    )
                )
                if self.node:
                    progress(f"  node: {endpoint.name} at {connections} connections")
                    rival = rivals[endpoint.name]
                    self.node.measure(rival, connections, total, warmup_for(total))
            if paced_runs:
                rate = measured[-1].result.rate * args.paced
                progress(f"{endpoint.name} at 32 connections, paced at {rate:.0f} requests/s")
                app, db = self.meters()
                self.paced.append(
                    cells.measure(
                        self.port, endpoint, 32, total, warmup_for(total), app, db, rate=rate
                    )
                )
        if self.node:
            self.node.stop()
        return measured

    def start_node(self, needed: int) -> dict[str, cells.Endpoint]:
        """node's server beside Passport's (idle while Passport is measured), tokens ready."""
        if self.node is None:
            return {}
        progress(f"starting {self.node.version} on core {self.server_core}")
        self.node.start()
        progress(f"node: preparing {needed} unused refresh tokens through code flows")
        started = time.perf_counter()
        prepared = self.node.prepare_tokens(needed)
        progress(f"  {needed / (time.perf_counter() - started):.0f} code flows per second")
        return self.node.endpoints(iter(prepared))

    def flat_with_data(self) -> list[tuple[int, cells.Cell]]:
        """Pass 3: refresh and userinfo, the same requests, with more rows stored."""
        if self.args.no_data or self.database is None:
            return []
        sizes = [self.args.rows] + ([self.args.big_rows] if self.args.big else [])
        measured = []
        for rows in sizes:
            progress(f"storing {rows} refresh tokens (with grants and codes)")
            took = data.grow(self.database.url, flows.LOGIN, self.portal.client_id, rows)
            stored = data.stored_refresh_tokens(self.database.url)
            progress(f"  {stored} stored, {took:.0f} s")
            chosen = [e for e in self.endpoints(self.refresh_tokens) if e.name in DATA_ENDPOINTS]
            for endpoint in chosen:
                total = (
                    self.args.refresh_requests if endpoint.name == "refresh" else self.args.requests
                )
                app, db = self.meters()
                cell = cells.measure(
                    self.port, endpoint, DATA_CONNECTIONS, total, warmup_for(total), app, db
                )
                measured.append((stored, cell))
        return measured

    def close(self) -> None:
        self.stop_server()
        if self.node is not None:
            self.node.stop()
        if self.database is not None:
            self.database.drop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="passport-bench-"))
    bench = None
    try:
        bench = Bench(args, folder)
        # The generator keeps to its own core, away from the server's.
        os.sched_setaffinity(0, {bench.generator_core})
        started = time.perf_counter()
        bench.set_up()
        counts = bench.count_statements()
        measured = bench.grid()
        with_data = bench.flat_with_data()
        report.header(bench, args)
        report.grid(measured, counts)
        report.paced(bench.paced, args.paced)
        report.flows(counts)
        report.with_data(with_data)
        if bench.node is not None:
            report.node(bench, measured, bench.node.cells)
        if args.show_statements:
            report.statements(counts)
        progress(f"done in {time.perf_counter() - started:.0f} s")
        return 0
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    finally:
        if bench is not None:
            bench.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
