"""What the bench reads besides response times: CPU of processes, and PostgreSQL's statement log.

CPU comes from /proc/<pid>/stat (utime + stime, every thread of the process, in clock
ticks), read before and after a run. It is the stable figure on a shared machine: requests
per second move with whatever else runs, CPU per request barely does.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process and all its threads, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    """Every descendant of a process, found through the parent field of /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


class CpuMeter:
    """Summed CPU of a changing set of processes between `start()` and `stop()`.

    A process that appears during the run (a new database connection) counts from zero; one
    that ends during the run is lost, which the pools of a running server make rare.
    """

    def __init__(self, find_pids):
        self.find_pids = find_pids
        self._before: dict[int, float] = {}

    def start(self) -> None:
        self._before = {pid: cpu_seconds(pid) or 0.0 for pid in self.find_pids()}

    def stop(self) -> float:
        total = 0.0
        for pid in self.find_pids():
            now = cpu_seconds(pid)
            if now is not None:
                total += now - self._before.get(pid, 0.0)
        return total


def backend_pids(admin_url: str, database: str) -> list[int]:
    """The PostgreSQL backends serving `database` (client connections, not autovacuum)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            (database,),
        ).fetchall()
    return [row[0] for row in rows]


class StatementLog:
    """Counts the statements PostgreSQL logs for one database, between two offsets of its log.

    Needs log_statement = 'all' on the database (set by the caller), a log the bench can
    read on this machine, and a log_line_prefix with %d so a line names its database (the
    bench's database has a random name, so finding it in a line's prefix is enough).
    `problem` says why counting is impossible; then every count is None.
    """

    # One line per statement run: simple protocol ("statement:") or extended ("execute <name>:").
    STATEMENT = re.compile(r"LOG:\s+(statement|execute [^:]*):")

    def __init__(self, admin_url: str, database: str):
        self.database = database
        self.path: Path | None = None
        self.problem: str | None = None
        try:
            self.path = self._find(admin_url)
        except (OSError, psycopg.Error) as error:
            self.problem = f"cannot find the PostgreSQL log: {error}"
        if self.path is not None and self.problem is None:
            try:
                with self.path.open("rb"):
                    pass
            except OSError as error:
                self.problem = f"cannot read the PostgreSQL log {self.path}: {error.strerror}"

    def _find(self, admin_url: str) -> Path | None:
        with psycopg.connect(admin_url, autocommit=True) as conn:

            def setting(name: str) -> str:
                return conn.execute(f"SHOW {name}").fetchone()[0]

            if "%d" not in setting("log_line_prefix"):
                self.problem = "log_line_prefix has no %d, so a log line does not name its database"
                return None
            if "stderr" not in setting("log_destination").split(","):
                self.problem = "PostgreSQL does not log to stderr (log_destination)"
                return None
            current = conn.execute("SELECT pg_current_logfile('stderr')").fetchone()[0]
            if current:  # the logging collector writes the file
                return Path(setting("data_directory")) / current
            # No collector: the server's stderr is the log. A backend inherits it as fd 2.
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            try:
                return Path(os.readlink(f"/proc/{backend}/fd/2"))
            except OSError:
                pass
            major = int(setting("server_version_num")) // 10000
            debian = Path(f"/var/log/postgresql/postgresql-{major}-main.log")
            if debian.exists():
                return debian
            self.problem = "PostgreSQL logs to stderr and the bench cannot see where it goes"
            return None

    def offset(self) -> int | None:
        if self.problem:
            return None
        try:
            return self.path.stat().st_size
        except OSError as error:  # rotated away mid-run, say
            self.problem = f"the PostgreSQL log {self.path} went away: {error.strerror}"
            return None

    def count(self, start: int | None, end: int | None) -> int | None:
        """Statements logged for the database between two offsets."""
        if self.problem or start is None or end is None:
            return None
        found = self.statements(start, end)
        return None if self.problem else len(found)

    def statements(self, start: int | None, end: int | None) -> list[str]:
        """The statements themselves, parameters left out, for the report of what runs."""
        if self.problem or start is None or end is None:
            return []
        try:
            with self.path.open("rb") as log:
                log.seek(start)
                chunk = log.read(max(0, end - start))
        except OSError as error:
            self.problem = f"cannot read the PostgreSQL log {self.path}: {error.strerror}"
            return []
        found = []
        for raw in chunk.splitlines():
            line = raw.decode("utf-8", "replace")
            match = self.STATEMENT.search(line)
            if match and self.database in line[: match.start()]:
                found.append(line[match.end() :].strip())
        return found
