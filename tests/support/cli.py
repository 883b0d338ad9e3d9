"""`passport …` run in the test's own process, where the process boundary is not what a
test is about: the same command line, environment and exit status, without the 1.8 s a new
interpreter spends importing Passport. Tests of serving, signals and workers start real
processes instead."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Ran:
    """What subprocess.run would have given."""

    returncode: int
    stdout: str
    stderr: str


def run_in_process(environ: dict[str, str], *args: str, stdin: str | None = None) -> Ran:
    """The command with exactly the PASSPORT_* variables of `environ`; the app it made is
    closed after it (its client cache's listener, its database pool)."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from server import create_app
    from server.cli import main
    from server.domain import client_cache
    from server.extensions import db

    made = []

    def app():
        made.append(create_app())
        return made[-1]

    settings = {k: v for k, v in environ.items() if k.startswith("PASSPORT_")}
    unset = {k: None for k in os.environ if k.startswith("PASSPORT_") and k not in settings}
    result = CliRunner().invoke(
        main,
        list(args),
        input=stdin,
        env={**unset, **settings},
        obj=ScriptInfo(create_app=app),
    )
    for application in made:
        client_cache.stop(application)
        with application.app_context():
            db.engine.dispose()
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
