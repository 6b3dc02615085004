"""Consistent copies of the embedded SQLite database, for `flipshelf backup` and `restore`.

SQLite's online backup copies the database page by page under its own locks, so the copy is
one transaction-consistent state even while the server writes (WAL included); copying the file
alone could miss what is still in `flipshelf.db-wal` or catch a half-written page."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database `source` at `target` (a new file), synced to
    disk, whose integrity check passed; ValueError when it did not."""
    reading = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writing = sqlite3.connect(target)
    try:
        reading.backup(writing)
        found = writing.execute("PRAGMA integrity_check").fetchone()
        if found is None or found[0] != "ok":
            raise ValueError(f"the copy of {source.name} fails SQLite's integrity check")
    finally:
        writing.close()
        reading.close()
    with target.open("rb") as copied:
        os.fsync(copied.fileno())


def revision(database: Path) -> str | None:
    """The Alembic revision a copied database is at (None: not a flipshelf database)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()
    return None if row is None else str(row[0])
