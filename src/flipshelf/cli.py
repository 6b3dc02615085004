"""The command line: serve, migrate, accounts and collections. Every command is scriptable
(`--json`).

Only typer, rich and the pure domain constants load at import: each command imports what it
uses when it runs, so `flipshelf --help` (and a mistyped command) answers at once instead of
loading the web app, the database layer and PDFium (tests/integration/test_cli_operator.py)."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Annotated

import typer

from flipshelf.cli_accounts import accounts_cli, first_account
from flipshelf.cli_backup import register as register_backup
from flipshelf.cli_check import register as register_check
from flipshelf.cli_common import (
    JsonFlag,
    fail,
    out,
    port_problem,
    prepared,
    runtime,
    settings_or_exit,
)
from flipshelf.cli_jobs import register as register_jobs
from flipshelf.cli_webhooks import register as register_webhooks
from flipshelf.domain.errors import FlipshelfError
from flipshelf.domain.links import DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS, MIN_LINK_SECONDS

cli = typer.Typer(help="flipshelf: a self-hosted flipbook server.", no_args_is_help=True)
cli.add_typer(accounts_cli, name="accounts")
collections_cli = typer.Typer(help="Work with collections.", no_args_is_help=True)
cli.add_typer(collections_cli, name="collections")


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


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = prepared(settings_or_exit(), create=True)
    out.print(f"database ready: {settings.resolved_database_url()}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (FLIPSHELF_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (FLIPSHELF_PORT).")] = None,
) -> None:
    """Migrate, make a first account if there is none, and serve the API."""
    import uvicorn

    from flipshelf.cli_check import server_key_problem
    from flipshelf.conversion.checker import start_checkers_with
    from flipshelf.db.workers import SqlWorkers
    from flipshelf.jobs.supervisor import Supervisor
    from flipshelf.jobs.zygote import forked_or_exec
    from flipshelf.runtime import build_runtime
    from flipshelf.workers import worker_zygote, zygote_checkers

    if host:
        os.environ["FLIPSHELF_HOST"] = host
    if port:
        os.environ["FLIPSHELF_PORT"] = str(port)
    settings = settings_or_exit()
    busy = port_problem(settings.host, settings.port)
    if busy:
        raise fail(busy)
    # Migrated by a child process while this one runs one thread: the server never loads alembic.
    settings = prepared(settings, create=True, apart=True)
    # Forked now, while this process runs one thread and holds no connection: the workers it
    # forks share the code imported so far with this process (jobs/zygote.py). None for an
    # API-only process (FLIPSHELF_WORKERS=0, scaled out): it would be 35 MB doing nothing.
    zygote = worker_zygote(settings) if settings.workers else None
    if zygote:
        start_checkers_with(zygote_checkers(zygote), warm_up=False)  # the API's, made here
    current = build_runtime(settings)
    wrong_key = server_key_problem(current)
    if wrong_key:
        raise fail(
            f"{wrong_key}: every API call would fail. Start with the server key this "
            "installation was made with (FLIPSHELF_SERVER_KEY or server.key in FLIPSHELF_DATA_DIR)."
        )
    first_account(current)
    # uvicorn restores this handler after its graceful shutdown and re-raises SIGTERM: exiting
    # through SystemExit lets `finally` stop the workers (the default handler would kill us first).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    workers = SqlWorkers(current.db)
    supervisor = Supervisor(
        settings.workers,
        lambda owner: workers.expire_leases(owner, current.ports.clock.now()),
        start=forked_or_exec(zygote) if zygote else None,
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
        if zygote:
            zygote.close()
        current.db.dispose()


@cli.command()
def worker(
    threads: Annotated[int, typer.Option(help="Documents converted at once by this process.")] = 1,
) -> None:
    """Run background jobs (conversions). Start any number, on any machine sharing the
    database, the file store and the job queue."""
    from flipshelf.jobs.supervisor import EXIT_WITH_PARENT
    from flipshelf.workers import exit_with_parent, run_worker

    if os.environ.get(EXIT_WITH_PARENT) == "1":
        # Started by `serve`, which has just migrated the database: importing Alembic again
        # would cost this process about 10 MB for nothing (docs/self-hosting.md, memory).
        from flipshelf.logging import configure

        exit_with_parent()
        settings = settings_or_exit()
        configure(settings.log_format, settings.log_level)
        run_worker(settings, threads)
        return
    run_worker(prepared(settings_or_exit(), create=True), threads)


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

    current = runtime()
    widget_base = PublicUrls(current.settings.resolved_public_url()).widget_base
    try:
        link = links.operator_link(
            current.ports, collection_hash, None if expires is None else str(expires), widget_base
        )
    except FlipshelfError as error:
        raise fail(error.detail) from None
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
register_webhooks(cli, runtime)
register_check(cli)
register_jobs(cli, runtime)
register_backup(cli)
_client_command("publish", "Upload documents to a server; print the link or embed code.")
_client_command("download-html", "Download a collection's offline HTML package.")


def main() -> None:
    cli()
