"""The engine and its transactions, tuned per backend.

SQLite: WAL (readers never wait for the writer), `synchronous=FULL` (a committed row survives a
power cut), foreign keys on, and a busy timeout. Write transactions start with `BEGIN IMMEDIATE` so
two writers queue on the lock instead of failing when a read lock would have to be upgraded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

_WRITE = "flipshelf_write"
BUSY_TIMEOUT_MS = 10_000


def _casefold(value: str | None) -> str | None:
    # SQLite's lower() folds ASCII only; queries must fold "Ä" like PostgreSQL does.
    return value.lower() if value is not None else None


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take over transaction control from the driver so BEGIN is ours (see `_on_begin`).
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function("lower", 1, _casefold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_engine_for_fork(url: str) -> Engine:
    """An engine for short-lived processes (CLI, workers): no pooled connections to inherit."""
    if url.startswith("sqlite"):
        return make_engine(url)
    return create_engine(url, poolclass=NullPool)


class Database:
    """Hands out read and write transactions; every query module takes a Connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
