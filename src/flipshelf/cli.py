"""The command line: serve, migrate, accounts and collections. Every command is scriptable
(`--json`).

Only typer, rich and the pure domain constants load at import: each command imports what it
uses when it runs, so `flipshelf --help` (and a mistyped command) answers at once instead of
loading the web app, the database layer and PDFium (tests/integration/test_cli_operator.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from flipshelf.cli_check import register as register_check
from flipshelf.cli_jobs import register as register_jobs
from flipshelf.cli_webhooks import register as register_webhooks
from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.links import DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS, MIN_LINK_SECONDS
from flipshelf.domain.signin import (
    MAX_LOGIN_LINK_SECONDS,
    MIN_LOGIN_LINK_SECONDS,
    parse_login_link_seconds,
)

if TYPE_CHECKING:
    from flipshelf.app import Runtime
    from flipshelf.domain.accounts import Account
    from flipshelf.services.signin import LoginLink
    from flipshelf.settings import Settings

cli = typer.Typer(help="flipshelf: a self-hosted flipbook server.", no_args_is_help=True)
accounts_cli = typer.Typer(help="Manage accounts and their API key pairs.", no_args_is_help=True)
cli.add_typer(accounts_cli, name="accounts")
collections_cli = typer.Typer(help="Work with collections.", no_args_is_help=True)
cli.add_typer(collections_cli, name="collections")
out = Console()
err = Console(stderr=True, soft_wrap=True)  # one problem, one line, whatever the terminal

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"flipshelf {version('flipshelf')}")
        raise typer.Exit()


@cli.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """flipshelf: a self-hosted flipbook server."""


def _settings() -> Settings:
    """The settings `serve` reads too (environment, ./.env, <data dir>/.env); invalid ones end
    the command with one line each, naming the variable (exit 2)."""
    from flipshelf.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as invalid:
        for line in str(invalid).splitlines():
            err.print(f"[red]error:[/red] {line}", highlight=False)
        raise typer.Exit(code=2) from None


def _runtime(settings: Settings | None = None, *, create: bool = False) -> Runtime:
    """The installation a command acts on, its database migrated."""
    from flipshelf.app import build_runtime

    return build_runtime(_prepared(settings or _settings(), create=create))


def _prepared(settings: Settings, *, create: bool) -> Settings:
    """Logging set up, the data directory checked and the database migrated. Only `serve`,
    `worker` and `migrate` may start a new installation: any other command pointed at a missing
    data directory would quietly make a second one (with its own server key) beside the
    running one, and the keys it printed would answer 41 there."""
    from flipshelf.db.migrate import upgrade
    from flipshelf.logging import configure

    configure(settings.log_format, settings.log_level)
    if not settings.data_dir.is_dir():
        if not create and _uses_data_dir(settings):
            raise _fail(
                f"FLIPSHELF_DATA_DIR: {settings.data_dir.resolve()} does not exist. Point "
                "FLIPSHELF_DATA_DIR at the data directory `flipshelf serve` uses (or put it in "
                "a .env file), or start `flipshelf serve` there first."
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    return settings


def _uses_data_dir(settings: Settings) -> bool:
    """Whether the data directory holds anything of the installation (database, files, key)."""
    return not (settings.database_url and settings.storage_url and settings.server_key)


def _port_problem(host: str, port: int) -> str:
    """Binds the address once before anything is printed: a port in use is one clear line,
    not "listening on" followed by uvicorn's Errno 98. SO_REUSEADDR as uvicorn sets it."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        return (
            f"FLIPSHELF_PORT: cannot listen on {host}:{port} ({error.strerror or error}); "
            "another program uses it: choose another port (FLIPSHELF_PORT or --port) or "
            "address (FLIPSHELF_HOST)"
        )
    return ""


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _prepared(_settings(), create=True)
    out.print(f"database ready: {settings.resolved_database_url()}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (FLIPSHELF_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FLIPSHELF_PORT).")] = None,
) -> None:
    """Migrate, make a first account if there is none, and serve the API."""
    import uvicorn

    from flipshelf.cli_check import server_key_problem
    from flipshelf.db.workers import SqlWorkers
    from flipshelf.jobs.supervisor import Supervisor

    if host:
        os.environ["FLIPSHELF_HOST"] = host
    if port:
        os.environ["FLIPSHELF_PORT"] = str(port)
    settings = _settings()
    busy = _port_problem(settings.host, settings.port)
    if busy:
        raise _fail(busy)
    runtime = _runtime(settings, create=True)
    wrong_key = server_key_problem(runtime)
    if wrong_key:
        raise _fail(
            f"{wrong_key}: every API call would fail. Start with the server key this "
            "installation was made with (FLIPSHELF_SERVER_KEY or server.key in FLIPSHELF_DATA_DIR)."
        )
    _first_account(runtime)
    # uvicorn restores this handler after its graceful shutdown and re-raises SIGTERM: exiting
    # through SystemExit lets `finally` stop the workers (the default handler would kill us first).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    workers = SqlWorkers(runtime.db)
    supervisor = Supervisor(
        settings.workers, lambda owner: workers.expire_leases(owner, runtime.ports.clock.now())
    )
    supervisor.start()
    out.print(f"flipshelf listening on http://{settings.host}:{settings.port}/v1/")
    out.print(f"  {settings.workers} worker process(es) converting documents")
    try:
        uvicorn.run(
            "flipshelf.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            log_config=None,  # its lines go through flipshelf/logging.py (JSON when chosen)
        )
    finally:
        supervisor.stop()
        runtime.db.dispose()


@cli.command()
def worker(
    threads: Annotated[int, typer.Option(help="Documents converted at once by this process.")] = 1,
) -> None:
    """Run background jobs (conversions). Start any number, on any machine sharing the
    database, the file store and the job queue."""
    from flipshelf.jobs.supervisor import EXIT_WITH_PARENT
    from flipshelf.workers import exit_with_parent, run_worker

    if os.environ.get(EXIT_WITH_PARENT) == "1":
        exit_with_parent()
    run_worker(_prepared(_settings(), create=True), threads)


StrictFlag = Annotated[
    bool,
    typer.Option(
        "--strict", help="Require HMAC-SHA256 signatures with timestamp and nonce (docs/api.md)."
    ),
]


@accounts_cli.command("create")
def accounts_create(name: str, as_json: JsonFlag = False, strict: StrictFlag = False) -> None:
    """Create an account and print its apiKey and secret (the secret is shown only now)."""
    from flipshelf.services import accounts

    runtime = _runtime()
    try:
        _, pair = accounts.create(runtime.ports, runtime.box, name, hmac_only=strict)
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps({"apiKey": pair.api_key, "secret": pair.secret}))
    else:
        out.print(f"apiKey: {pair.api_key}\nsecret: {pair.secret}")


@accounts_cli.command("list")
def accounts_list(as_json: JsonFlag = False) -> None:
    """List accounts (never their secrets)."""
    from rich.table import Table

    rows = _runtime().ports.accounts.all()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": a.name,
                        "apiKey": a.api_key,
                        "createdAt": a.created_at.isoformat(),
                        "revoked": not a.is_active,
                        "strict": a.strict,
                        "hmacOnly": a.hmac_only,
                    }
                    for a in rows
                ]
            )
        )
        return
    table = Table("name", "apiKey", "created", "state", "signing")
    for a in rows:
        signing = "HMAC-SHA256" if a.hmac_only else ("MD5, strict" if a.strict else "MD5 or HMAC")
        state = "active" if a.is_active else "revoked"
        table.add_row(a.name, a.api_key, f"{a.created_at:%Y-%m-%d}", state, signing)
    out.print(table)


@accounts_cli.command("revoke")
def accounts_revoke(api_key: str) -> None:
    """Revoke an apiKey: its calls answer 41 from now on."""
    from flipshelf.services import accounts

    runtime = _runtime()
    try:
        accounts.revoke(runtime.ports, api_key)
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    out.print(f"revoked {api_key}")


@accounts_cli.command("rotate-secret")
def accounts_rotate(api_key: str, as_json: JsonFlag = False) -> None:
    """Give an apiKey a new secret; the old one stops working at once."""
    from flipshelf.services import accounts

    runtime = _runtime()
    try:
        pair = accounts.rotate_secret(runtime.ports, runtime.box, api_key)
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps({"apiKey": pair.api_key, "secret": pair.secret}))
    else:
        out.print(f"apiKey: {pair.api_key}\nsecret: {pair.secret}")


@accounts_cli.command("strict")
def accounts_strict(
    api_key: str,
    off: Annotated[bool, typer.Option("--off", help="Leave strict mode (and HMAC-only).")] = False,
    hmac_only: Annotated[
        bool, typer.Option("--hmac", help="Require HMAC-SHA256 signatures (MD5 answers 44).")
    ] = False,
) -> None:
    """Require signed `timestamp` and `nonce` from this key (replays answer 44); with --hmac,
    require HMAC-SHA256 signatures too."""
    from flipshelf.services import accounts

    try:
        accounts.set_strict(_runtime().ports, api_key, not off, hmac_only)
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    mode = "off" if off else ("on, HMAC-SHA256 only" if hmac_only else "on")
    out.print(f"strict mode {mode} for {api_key}")


@accounts_cli.command("password")
def accounts_password(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    from_stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Read the password from the first line of standard input."),
    ] = False,
) -> None:
    """Set the password the account signs in to the dashboard with (stored as an argon2id
    hash). Signs the account's browsers out."""
    from flipshelf.app import sign_in_ports
    from flipshelf.services import signin

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = _runtime()
    try:
        account = signin.set_password(runtime.ports, sign_in_ports(runtime), name, password)
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    out.print(f"password set for {account.name} ({account.api_key})")


@accounts_cli.command("login-link")
def accounts_login_link(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    expires: Annotated[
        int | None,
        typer.Option(
            "--expires",
            help=f"Seconds the link works ({MIN_LOGIN_LINK_SECONDS} to "
            f"{MAX_LOGIN_LINK_SECONDS}; default FLIPSHELF_LOGIN_LINK_SECONDS).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a one-time, expiring link that signs the account in to the dashboard."""
    runtime = _runtime()
    try:
        link = _login_link(runtime, name, None if expires is None else str(expires))
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps({"url": link.url, "expiresAt": link.expires_at.isoformat()}))
    else:
        out.print(link.url, soft_wrap=True)
        out.print(f"signs in once, until {link.expires_at:%Y-%m-%d %H:%M:%S} UTC")


def _login_link(runtime: Runtime, name: str, expires: str | None) -> LoginLink:
    from flipshelf.app import sign_in_ports
    from flipshelf.services import signin

    settings = runtime.settings
    seconds = parse_login_link_seconds(expires, settings.login_link_seconds)
    return signin.login_link(
        runtime.ports, sign_in_ports(runtime), name, seconds, settings.resolved_public_url()
    )


def _first_account(runtime: Runtime) -> None:
    """An empty database gets a first account, printed once. A database whose every key was
    revoked gets none: a fresh live key pair printed at every restart would undo the revocation."""
    from flipshelf.services import accounts

    known = runtime.ports.accounts.all()
    if not known:
        account, pair = accounts.create(runtime.ports, runtime.box, "default")
        out.print("[bold]First account created. Keep these; the secret is not shown again:[/bold]")
        out.print(f"  apiKey: {pair.api_key}\n  secret: {pair.secret}")
        print_first_sign_in(runtime, account)
    elif not any(account.is_active for account in known):
        out.print(
            "[yellow]No active API key: every key is revoked. "
            "`flipshelf accounts create NAME` makes a new account.[/yellow]"
        )


def print_first_sign_in(runtime: Runtime, account: Account) -> None:
    """`serve` prints a sign-in link for the first account beside its key pair."""
    from flipshelf.app import sign_in_ports
    from flipshelf.services import signin

    settings = runtime.settings
    link = signin.link_for(
        runtime.ports,
        sign_in_ports(runtime),
        account,
        settings.login_link_seconds,
        settings.resolved_public_url(),
    )
    out.print("  dashboard sign-in link (works once; `flipshelf accounts login-link NAME`):")
    out.print(f"  signin: {link.url}", soft_wrap=True)


@collections_cli.command("link")
def collections_link(
    collection_hash: Annotated[str, typer.Argument(metavar="HASH", help="The collection's hash.")],
    expires: Annotated[
        int | None,
        typer.Option(
            "--expires",
            help=f"Seconds the link stays valid ({MIN_LINK_SECONDS} to {MAX_LINK_SECONDS}; "
            f"default {DEFAULT_LINK_SECONDS}, a week).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Print a signed, expiring player link: the way to share a private collection."""
    from flipshelf.services import links
    from flipshelf.web.urls import PublicUrls

    runtime = _runtime()
    widget_base = PublicUrls(runtime.settings.resolved_public_url()).widget_base
    try:
        link = links.operator_link(
            runtime.ports, collection_hash, None if expires is None else str(expires), widget_base
        )
    except FlipshelfError as error:
        raise _fail(error.detail) from None
    if as_json:
        typer.echo(json.dumps({"url": link.url, "expiresAt": link.expires_at.isoformat()}))
    else:
        out.print(link.url, soft_wrap=True)
        out.print(f"valid until {link.expires_at:%Y-%m-%d %H:%M:%S} UTC")


def _client_command(name: str, summary: str) -> None:
    """A command of flipshelf-client (clients/python), handed its arguments (--help included)
    and imported only when it runs, so `flipshelf --help` does not load the client."""

    @cli.command(name, help=summary, context_settings=PASS_THROUGH, add_help_option=False)
    def run(ctx: typer.Context) -> None:
        from flipshelf_client.cli import main as client_main

        client_main([name, *ctx.args], prog_name="flipshelf")


PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}
register_webhooks(cli, _runtime)
register_check(cli)
register_jobs(cli, _runtime)
_client_command("publish", "Upload documents to a server; print the link or embed code.")
_client_command("download-html", "Download a collection's offline HTML package.")


def main() -> None:
    cli()
