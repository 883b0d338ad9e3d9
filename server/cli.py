"""The `passport` command."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .config import ConfigError, load_config, version
from .logs import wants_json

# The signing keys' algorithms (server/oauth/keys.py ALGORITHMS, which the keys tests hold
# to this), named here without importing the key machinery into every command.
KEY_ALGORITHMS = ("RS256", "ES256", "PS256")


def _create_app():
    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Configuration error: {error}", err=True)
        sys.exit(2)


@click.group(
    cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
@click.version_option(version(), "--version", prog_name="Passport", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx):
    """Passport, an OpenID Connect identity provider."""
    if ctx.invoked_subcommand in ("serve", "worker"):
        _share_metrics(clear=ctx.invoked_subcommand == "serve")


def _share_metrics(*, clear: bool) -> None:
    """The server's workers and the delivery worker keep their metrics in one folder, which
    /metrics of any worker reads whole (server/metrics.py). Set before the metrics library
    is first imported; emptied when the server starts, so no dead process is counted."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    else:
        try:
            folder = Path(load_config()["INSTANCE_DIR"]) / "metrics"
        except ConfigError:
            return  # the command itself says what is wrong with the configuration
    folder.mkdir(parents=True, exist_ok=True)
    if clear:
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--quiet", is_flag=True, help="No banner and no request log (make run prints its own lines)."
)
@with_appcontext
def run_command(host: str, port: int, quiet: bool):
    """Serve for development, the delivery worker beside it.

    Werkzeug, threaded. SIGTERM stops it as Ctrl+C does: the server stops taking requests,
    the worker finishes the delivery under way and gives back what it had claimed.

    \b
    Example: passport run --port 5050"""
    import logging
    import signal

    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    # In JSON mode every line is a JSON object, these two as well.
    say = logging.getLogger("passport").info if wants_json(app.config) else click.echo
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    else:
        say(f"Passport is serving {app.config['ISSUER']} (listening on http://{host}:{port})")
    worker = None
    if app.config["RUN_WORKER_IN_PROCESS"]:
        from .delivery.worker import start_in_thread

        worker = start_in_thread(app)

    def interrupt(*_):
        raise KeyboardInterrupt  # run_simple's own way out

    signal.signal(signal.SIGTERM, interrupt)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            stop, thread = worker
            stop.set()
            thread.join(timeout=app.config["DELIVERY_TIMEOUT"] + 5)
    say("Passport stopped.")


def _default_workers() -> int:
    # The cores this process may run on: fewer than the machine's under taskset or a
    # container's CPU set, and a worker per core is what keeps each core busy.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@main.command("serve")
@click.option("--bind", default="127.0.0.1:5000", show_default=True, help="HOST:PORT")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Worker processes  [default: one per core]",
)
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--server",
    "server_name",
    type=click.Choice(["granian", "gunicorn"]),
    # Measured (bench/README.md): granian spends about half of gunicorn's worker CPU on a
    # request's HTTP handling, and halves p99 at 8 and 32 connections.
    default="granian",
    show_default=True,
    help="The WSGI server underneath.",
)
def serve_command(bind: str, workers: int | None, threads: int, server_name: str):
    """Serve for production (granian or gunicorn underneath).

    \b
    Example: passport serve --bind 0.0.0.0:8000 --workers 4"""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter("expected HOST:PORT", param_hint="--bind")
    try:
        # Checked here, before the server forks workers that would each fail the same way.
        config = load_config()
        # In JSON mode Passport writes each request's line itself, without the path.
        access_log = config["ACCESS_LOG"] and not wants_json(config)
    except ConfigError as error:
        click.echo(f"Configuration error: {error}", err=True)
        sys.exit(2)
    workers = workers or _default_workers()
    if server_name == "granian":
        argv = _granian_argv(host, port, workers, threads, access_log)
    else:
        argv = _gunicorn_argv(bind, workers, threads, access_log)
    os.execvp(sys.executable, [sys.executable, "-m", *argv])


def _gunicorn_argv(bind: str, workers: int, threads: int, access_log: bool) -> list[str]:
    argv = ["gunicorn", "--bind", bind, "--workers", str(workers), "--threads", str(threads)]
    if access_log:
        argv += ["--access-logfile", "-"]
    return [*argv, "server.wsgi:app"]


def _granian_argv(host: str, port: str, workers: int, threads: int, access_log: bool) -> list[str]:
    # WSGI runs on granian's blocking threads; its own Rust runtime does the HTTP.
    argv = ["granian", "--interface", "wsgi", "--host", host.strip("[]"), "--port", port]
    argv += ["--workers", str(workers), "--blocking-threads", str(threads)]
    argv += ["--access-log" if access_log else "--no-access-log"]
    return [*argv, "server.wsgi:app"]


@main.group("users")
def users_group():
    """Manage accounts."""


@users_group.command("create")
@click.option("--email")
@click.option("--phone")
@click.option("--name")
@click.option("--password", help="The password (prefer --password-stdin: arguments show in ps).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(email, phone, name, password, password_stdin):
    """Create an account with an e-mail and/or a phone number.

    \b
    Example: echo 'a long passphrase' | passport users create --email ann@example.org --password-stdin"""
    from .domain.errors import PassportError
    from .services.accounts import create_account

    if not email and not phone:
        raise click.UsageError("give --email or --phone (or both)")
    if password_stdin == bool(password):
        raise click.UsageError("give exactly one of --password and --password-stdin")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    try:
        account = create_account(
            email=email,
            phone=phone,
            password=password,
            name=name,
            email_verified=bool(email),
            phone_verified=bool(phone),
        )
    except PassportError as error:
        raise click.ClickException(error.message()) from error
    click.echo(json.dumps({"sub": account.sub, "email": account.email, "phone": account.phone}))


ROLE_COMMANDS = {
    ("developer", True): "Open the developer console to the account.",
    ("developer", False): "Close the developer console (its clients keep working).",
    ("operator", True): "Let the account manage every client.",
    ("operator", False): "Take the operator role away.",
}


def _role_command(role: str, granted: bool, help_text: str) -> None:
    name = f"{'grant' if granted else 'revoke'}-{role}"
    example = f"\n\n\b\nExample: passport users {name} ann@example.org"

    @users_group.command(name, help=help_text + example)
    @click.argument("login")
    @with_appcontext
    def command(login):
        from .services.developers import set_role

        account = set_role(login, role, granted)
        if account is None:
            raise click.ClickException(f"no account with the login {login!r}")
        click.echo(f"{account.login}: {role} role {'granted' if granted else 'revoked'}")


for (_role, _granted), _help in ROLE_COMMANDS.items():
    _role_command(_role, _granted, _help)


def _account(login_or_sub: str):
    """The account with this e-mail, phone or subject; a clear error when there is none."""
    from .services.accounts import find_by_login
    from .services.operators import account_by_sub

    account = account_by_sub(login_or_sub) or find_by_login(login_or_sub)
    if account is None or account.deleted_at is not None:
        raise click.ClickException(f"no account with the login or subject {login_or_sub!r}")
    return account


def _operator_action(name: str, help_text: str, run) -> None:
    """`passport users NAME LOGIN --reason WHY`: an operator's action, as the console has it."""

    example = f'\n\n\b\nExample: passport users {name} ann@example.org --reason "ticket 1234"'

    @users_group.command(name, help=help_text + example)
    @click.argument("login")
    @click.option("--reason", required=True, help="Why: it goes into the audit log.")
    @with_appcontext
    def command(login, reason):
        from .domain.errors import PassportError
        from .services.operators import Actor

        account = _account(login)
        try:
            # A request context for the links a message carries (ISSUER is their base).
            with current_app.test_request_context(base_url=current_app.config["ISSUER"]):
                click.echo(run(account, reason, Actor()))
        except PassportError as error:
            raise click.ClickException(error.message()) from error


def _recovery_link(token: str) -> str:
    from flask import url_for

    return current_app.config["ISSUER"] + url_for("auth.recover_reset", token=token)


def _lock(account, reason, actor):
    from .services import operators

    done = operators.lock(account, reason, actor)
    return f"{account.login}: {'locked' if done else 'was locked already'}"


def _unlock(account, reason, actor):
    from .services import operators

    done = operators.unlock(account, reason, actor)
    return f"{account.login}: {'unlocked' if done else 'was not locked'}"


def _reset_2fa(account, reason, actor):
    from .services import operators

    done = operators.reset_two_factor(account, reason, actor)
    return f"{account.login}: {'two-factor authentication reset' if done else 'had no two-factor authentication'}"


def _end_sessions(account, reason, actor):
    from .services import operators

    return f"{account.login}: sessions ended: {operators.end_sessions(account, reason, actor)}"


def _send_recovery(account, reason, actor):
    from .services import operators

    return (
        f"recovery sent to {operators.send_recovery(account, reason, actor, link=_recovery_link)}"
    )


def _delete(account, reason, actor):
    from .services import operators

    login = account.login
    operators.delete(account, reason, actor)
    return f"{login}: deleted"


for _name, _help, _run in (
    ("lock", "Lock the account: no sign-in, sessions end, tokens die.", _lock),
    ("unlock", "Let a locked account sign in again.", _unlock),
    ("reset-2fa", "Turn two-factor authentication off.", _reset_2fa),
    ("end-sessions", "End every session of the account, revoke its tokens.", _end_sessions),
    ("send-recovery", "Send the person a password recovery link or code.", _send_recovery),
    ("delete", "Delete the Passport for good, as the person could.", _delete),
):
    _operator_action(_name, _help, _run)


@users_group.command("find")
@click.argument("text")
@with_appcontext
def users_find(text):
    """Find accounts by e-mail, phone, name or subject.

    One JSON object a line.

    \b
    Example: passport users find ann@example"""
    from .services.operators import find_accounts

    for account in find_accounts(text):
        click.echo(json.dumps(_summary(account), ensure_ascii=False))


@users_group.command("show")
@click.argument("login")
@with_appcontext
def users_show(login):
    """An account as the help desk sees it, as JSON.

    \b
    Example: passport users show ann@example.org"""
    from .services.operators import account_file

    found = account_file(_account(login))
    body = _summary(found.account) | {
        "two_factor": found.two_factor,
        "social_networks": [n.provider for n in found.networks],
        "sessions": len(found.sessions),
        "portals": [p.client.client_id for p in found.portals],
        "clients": [c.client_id for c in found.clients],
        "activity": [
            {"kind": e.kind, "at": e.created_at.isoformat(), **(e.details or {})}
            for e in found.events
        ],
    }
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


def _summary(account) -> dict:
    return {
        "sub": account.sub,
        "email": account.email,
        "email_verified": account.email_verified,
        "phone": account.phone,
        "phone_verified": account.phone_verified,
        "name": account.name,
        "locked": account.locked_at is not None,
        "roles": [
            r
            for r, a in (("developer", "is_developer"), ("operator", "is_operator"))
            if getattr(account, a)
        ],
        "created_at": account.created_at.isoformat(),
    }


@main.group("clients")
def clients_group():
    """Manage OAuth clients (portals)."""


@clients_group.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--public", is_flag=True, help="A public client (SPA, native): PKCE, no secret.")
@click.option("--first-party", is_flag=True, help="Skip the consent screen.")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri")
@click.option("--scope", default="openid email phone profile offline_access", show_default=True)
@with_appcontext
def clients_create(
    name,
    redirect_uris,
    public,
    first_party,
    post_logout_redirect_uris,
    backchannel_logout_uri,
    scope,
):
    """Register a client (portal); prints it as JSON.

    Its secret is in the output, this once.

    \b
    Example: passport clients create --name Shop --redirect-uri https://shop.example/cb"""
    from .domain.errors import InvalidClientMetadata
    from .services.clients import client_registration_info, create_client

    metadata = {
        "client_name": name,
        "redirect_uris": list(redirect_uris),
        "post_logout_redirect_uris": list(post_logout_redirect_uris),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none" if public else "client_secret_basic",
        "scope": scope,
    }
    if backchannel_logout_uri:
        metadata["backchannel_logout_uri"] = backchannel_logout_uri
        metadata["backchannel_logout_session_required"] = True
    try:
        client, secret = create_client(metadata, first_party=first_party)
    except InvalidClientMetadata as error:
        raise click.ClickException(str(error)) from error
    info = client_registration_info(client)
    if secret:
        info["client_secret"] = secret
    info["first_party"] = client.first_party
    click.echo(json.dumps(info, indent=2))


@main.group("registration-token")
def registration_token_group():
    """Tokens for dynamic client registration."""


@registration_token_group.command("create")
@click.option("--expires-in", type=click.IntRange(60, None), help="Lifetime in seconds.")
@click.option(
    "--owner", help="E-mail of the developer who will own (and see) the clients it registers."
)
@with_appcontext
def registration_token_create(expires_in, owner):
    """Print a new initial access token (RFC 7591 §3).

    \b
    Example: passport registration-token create --expires-in 86400"""
    from .services.accounts import find_by_login
    from .services.clients import create_initial_access_token
    from .services.developers import is_developer

    owner_id = None
    if owner:
        account = find_by_login(owner)
        if account is None:
            raise click.ClickException(f"no account with the login {owner!r}")
        if not is_developer(account):
            raise click.ClickException(
                f"{owner!r} is not a developer: `passport users grant-developer` first"
            )
        owner_id = account.id
    click.echo(create_initial_access_token(owner_id=owner_id, lifetime_seconds=expires_in))


@main.group("keys")
def keys_group():
    """Signing keys."""


@keys_group.command("list")
@with_appcontext
def keys_list():
    """Show each key with its algorithm and state.

    \b
    Example: passport keys list"""
    store = current_app.extensions["passport.keys"]
    for key, state in store.states():
        click.echo(f"{key.kid}  {key.alg}  {state:8}  activates {key.activate_at.isoformat()}")


@keys_group.command("rotate")
@click.option(
    "--alg", type=click.Choice([*KEY_ALGORITHMS, "all"]), default="all", show_default=True
)
@click.option("--delay", type=click.IntRange(0, None), help="Seconds before the new key signs.")
@with_appcontext
def keys_rotate(alg, delay):
    """Publish a new key now; it signs after a delay.

    The delay is KEY_ACTIVATION_DELAY, or --delay.

    \b
    Example: passport keys rotate --alg ES256"""
    store = current_app.extensions["passport.keys"]
    delay = current_app.config["KEY_ACTIVATION_DELAY"] if delay is None else delay
    for name in KEY_ALGORITHMS if alg == "all" else [alg]:
        key = store.rotate(name, delay_seconds=delay)
        click.echo(f"{key.kid}  {key.alg}  published; signs from {key.activate_at.isoformat()}")


@main.command("demo")
@click.option("--portal-url", default="http://127.0.0.1:5001", show_default=True)
@click.option("--spa-url", help="Also the single-page example (clients/spa) served there.")
@with_appcontext
def demo_command(portal_url, spa_url):
    """Seed the demo account and the demo portal.

    Only what is missing; the portal's redirect URIs follow --portal-url, and those of the
    single-page example (the public client demo-spa) --spa-url.

    \b
    Example: passport demo --portal-url http://127.0.0.1:5001 --spa-url http://127.0.0.1:5002"""
    from .domain.errors import PassportError
    from .services.demo import seed_demo

    try:
        result = seed_demo(
            portal_url=portal_url.rstrip("/"), spa_url=spa_url.rstrip("/") if spa_url else None
        )
    except PassportError as error:
        raise click.ClickException(error.message()) from error
    click.echo(json.dumps(result, indent=2))


@main.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now and exit.")
@with_appcontext
def worker_command(once: bool):
    """Deliver the outbox: logouts, events, mail, SMS.

    Back-channel logouts, security events, mail and SMS, retried until delivered.

    \b
    Example: passport worker --once"""
    import signal
    import threading

    from .delivery import worker

    if once:
        click.echo(f"delivered {worker.run_once()} message(s)")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo("Passport delivery worker running (Ctrl+C to stop)")
    worker.run_forever(current_app._get_current_object(), stop)


@main.command("prune")
@click.option("--batch", type=click.IntRange(1, 100000), help="Rows per DELETE (RETENTION_BATCH).")
@with_appcontext
def prune_command(batch):
    """Delete what retention allows now.

    To the end; prints how many rows of each kind.

    \b
    Example: passport prune --batch 1000"""
    from .services.retention import prune

    counts = prune(batch=batch)
    for name, count in counts.items():
        click.echo(f"{name}: {count}")
    click.echo(f"total: {sum(counts.values())}")
