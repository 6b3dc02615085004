"""`flipshelf backup DEST` and `flipshelf restore SRC` for the embedded default: a consistent
snapshot of the SQLite database, then a copy of the file store, then (if asked) the server key,
described by `backup.json`. On PostgreSQL or S3 the operator uses those systems' own tools
(docs/self-hosting.md, "Backups"). Registered on the main command by `register`."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flipshelf.cli_common import JsonFlag, fail, out, prepared, settings_or_exit

if TYPE_CHECKING:
    from flipshelf.settings import Settings

DESCRIPTION = "backup.json"
DATABASE = "flipshelf.db"
FILES = "files"
POSTGRES_WAY = (
    "the database is not the embedded SQLite one: back it up with `pg_dump --format=custom` "
    "and restore it with `pg_restore` (docs/self-hosting.md, Backups)"
)


def register(cli: typer.Typer) -> None:
    cli.command("backup")(backup)
    cli.command("restore")(restore)


def backup(
    destination: Annotated[Path, typer.Argument(help="A new (or empty) directory.")],
    with_server_key: Annotated[
        bool,
        typer.Option("--with-server-key", help="Copy the server key too (keep it apart!)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Back up the embedded installation while it runs: the SQLite database (a consistent
    snapshot), then the file store; the server key only with --with-server-key."""
    from flipshelf.db.backup import copy_database, revision, sqlite_file

    settings = prepared(settings_or_exit(), create=False)
    database = sqlite_file(settings.resolved_database_url())
    if database is None:
        raise fail(POSTGRES_WAY)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise fail(f"{destination} exists and is not empty: back up into a new directory")
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The database first: a file the copy does not name yet is harmless, a row whose file was
    # not copied is not.
    copy_database(database, destination / DATABASE)
    files_root = _local_files(settings)
    copied = _copy_tree(files_root, destination / FILES) if files_root else None
    if with_server_key:
        _write_key(destination / "server.key", _server_key_text(settings))
    description = {
        "flipshelf": _version(),
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": revision(destination / DATABASE),
        "database": DATABASE,
        "files": None if copied is None else {"count": copied[0], "bytes": copied[1]},
        "serverKey": with_server_key,
    }
    (destination / DESCRIPTION).write_text(json.dumps(description, indent=2) + "\n")
    if as_json:
        typer.echo(json.dumps(description))
        return
    out.print(f"backed up the database to {destination / DATABASE}")
    if copied is None:
        out.print("files are in object storage: back up the bucket with its own tools")
    else:
        out.print(f"copied {copied[0]} files ({copied[1] / 1e6:.1f} MB) to {destination / FILES}")
    if not with_server_key:
        out.print("the server key is not in the backup: keep it safe elsewhere")


def restore(
    source: Annotated[Path, typer.Argument(help="A directory `flipshelf backup` made.")],
) -> None:
    """Restore a backup into FLIPSHELF_DATA_DIR, which must hold no database and no files yet
    (stop the server first). Migrates it if the backup is older than this version."""
    from flipshelf.cli_check import server_key_problem
    from flipshelf.cli_common import runtime
    from flipshelf.db.backup import copy_database, sqlite_file

    settings = settings_or_exit()
    if not (source / DESCRIPTION).is_file() or not (source / DATABASE).is_file():
        raise fail(f"{source} is not a flipshelf backup (no {DESCRIPTION} and {DATABASE})")
    database = sqlite_file(settings.resolved_database_url())
    if database is None:
        raise fail(POSTGRES_WAY)
    files_root = _local_files(settings)
    if database.exists() or (files_root is not None and _holds_files(files_root)):
        raise fail(
            f"{settings.data_dir} already holds an installation: restore into a new "
            "FLIPSHELF_DATA_DIR, or move this one aside (with the server stopped)"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    copy_database(source / DATABASE, database)
    if files_root is not None and (source / FILES).is_dir():
        _copy_tree(source / FILES, files_root)
    key_file = settings.data_dir / "server.key"
    if (source / "server.key").is_file() and not settings.server_key and not key_file.exists():
        _write_key(key_file, (source / "server.key").read_text())
    current = runtime(settings, create=True)  # migrated to this version
    wrong_key = server_key_problem(current)
    accounts = len(current.ports.accounts.all())
    current.db.dispose()
    out.print(f"restored {source} into {settings.data_dir} ({accounts} accounts)")
    if wrong_key:
        raise fail(
            f"{wrong_key}: start with the server key the backup was made with "
            "(FLIPSHELF_SERVER_KEY, or server.key in the data directory)"
        )


def _local_files(settings: Settings) -> Path | None:
    """The file store's directory; None when files live in object storage."""
    from flipshelf.storage import LocalFileStore, make_store

    store = make_store(settings.resolved_storage_url())
    return store.root if isinstance(store, LocalFileStore) else None


def _holds_files(root: Path) -> bool:
    return root.is_dir() and any(path.is_file() for path in root.rglob("*"))


def _copy_tree(source: Path, target: Path) -> tuple[int, int]:
    """Copies every stored file (never the store's temporary dot-files); answers how many
    and their bytes."""
    count = size = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        copy = target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        count, size = count + 1, size + path.stat().st_size
    return count, size


def _server_key_text(settings: Settings) -> str:
    return settings.server_key or (settings.data_dir / "server.key").read_text()


def _write_key(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as key:
        key.write(text.strip() + "\n")


def _version() -> str:
    from importlib.metadata import version

    return version("flipshelf")
