"""Applying migrations from code (serve, tests, CLI), without an alembic.ini on disk.

Alembic is imported by the functions that use it, not by this module: `serve` migrates in a
child process (`upgrade_apart`) and never loads it (6-10 MB a server would keep for nothing).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# How much of a failed migration's error the child passes back.
MAX_ERROR_BYTES = 4000


class MigrationFailed(RuntimeError):
    """The database could not be brought to the current schema (`upgrade_apart`)."""


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would eat a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upgrade_apart(url: str) -> None:
    """`upgrade(url)` in a forked child process, so this one never loads alembic and the
    migration scripts. Only for a process running one thread (a fork copies no other): `serve`
    before it forks its zygote. Raises MigrationFailed with the child's error."""
    sys.stdout.flush()  # else whatever is buffered would be written by the child too
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its outcome is what the parent reads
        os.close(read)
        code = 0
        try:
            upgrade(url)
        except BaseException as error:
            os.write(write, _described(error).encode("utf-8", "replace")[:MAX_ERROR_BYTES])
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise MigrationFailed(message or f"the migrating process ended with {code}")


def _described(error: BaseException) -> str:
    """The error's first line as Python prints it ("...OperationalError: ... unable to open
    database file"; SQLAlchemy adds a line pointing to its docs)."""
    printed = "".join(traceback.format_exception_only(error)).strip()
    return printed.splitlines()[0] if printed else type(error).__name__


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def pending(url: str) -> list[str]:
    """The migrations not yet applied to the database at `url` (empty: it is current). Only
    reads: `flipshelf check` must not change what it checks."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(url))
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            applied = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    if applied == set(scripts.get_heads()):
        return []
    # One applied head (alembic's normal state) or none: everything above it is pending.
    lower = next(iter(applied)) if len(applied) == 1 else "base"
    return [script.revision for script in scripts.iterate_revisions("heads", lower)]
