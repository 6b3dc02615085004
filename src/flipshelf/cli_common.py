"""What every command of the command line shares: the settings `serve` reads, the installation
a command acts on, and how a refusal is printed (one line, exit 1 or 2)."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # loaded when a command runs: `flipshelf --help` stays quick
    from flipshelf.runtime import Runtime
    from flipshelf.settings import Settings

out = Console()
err = Console(stderr=True, soft_wrap=True)  # one problem, one line, whatever the terminal

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def settings_or_exit() -> Settings:
    """The settings `serve` reads too (environment, ./.env, <data dir>/.env); invalid ones end
    the command with one line each, naming the variable (exit 2)."""
    from flipshelf.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as invalid:
        for line in str(invalid).splitlines():
            err.print(f"[red]error:[/red] {line}", highlight=False)
        raise typer.Exit(code=2) from None


def runtime(settings: Settings | None = None, *, create: bool = False) -> Runtime:
    """The installation a command acts on, its database migrated."""
    from flipshelf.runtime import build_runtime

    return build_runtime(prepared(settings or settings_or_exit(), create=create))


def prepared(settings: Settings, *, create: bool, apart: bool = False) -> Settings:
    """Logging set up, the data directory checked and the database migrated. Only `serve`,
    `worker` and `migrate` may start a new installation: any other command pointed at a missing
    data directory would quietly make a second one (with its own server key) beside the
    running one, and the keys it printed would answer 41 there.

    `apart`: migrate in a child process, so this one never loads alembic (`serve`, while it
    runs one thread: db/migrate.py `upgrade_apart`); a migration that fails is one line, exit 1.
    """
    from flipshelf.db.migrate import MigrationFailed, upgrade, upgrade_apart
    from flipshelf.logging import configure

    configure(settings.log_format, settings.log_level)
    if not settings.data_dir.is_dir():
        if not create and uses_data_dir(settings):
            raise fail(
                f"FLIPSHELF_DATA_DIR: {settings.data_dir.resolve()} does not exist. Point "
                "FLIPSHELF_DATA_DIR at the data directory `flipshelf serve` uses (or put it in "
                "a .env file), or start `flipshelf serve` there first."
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    if not apart:
        upgrade(url)
        return settings
    try:
        upgrade_apart(url)
    except MigrationFailed as failed:
        raise fail(f"the database could not be migrated: {failed}") from None
    return settings


def uses_data_dir(settings: Settings) -> bool:
    """Whether the data directory holds anything of the installation (database, files, key)."""
    return not (settings.database_url and settings.storage_url and settings.server_key)


def port_problem(host: str, port: int) -> str:
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


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)
