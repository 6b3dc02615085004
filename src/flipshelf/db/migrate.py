"""Applying migrations from code (serve, tests, CLI), without an alembic.ini on disk."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would eat a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def pending(url: str) -> list[str]:
    """The migrations not yet applied to the database at `url` (empty: it is current). Only
    reads: `flipshelf check` must not change what it checks."""
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
