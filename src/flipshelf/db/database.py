"""The engine and its transactions, tuned per backend.

SQLite: WAL (readers never wait for the writer), `synchronous=FULL` (a committed row survives a
power cut), foreign keys on, and a busy timeout. Write transactions start with `BEGIN IMMEDIATE` so
two writers queue on the lock instead of failing when a read lock would have to be upgraded.

Hot reads run as prepared `Query`s in a `Database.snapshot()` (db/prepared.py); on SQLite,
`Database.memo` answers them again while nothing was committed (db/readers.py).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import NullPool

from flipshelf.db.prepared import Snapshot
from flipshelf.db.readers import Reader, Readers

_WRITE = "flipshelf_write"
BUSY_TIMEOUT_MS = 10_000
# One pooled connection per thread of anyio's default thread limiter (40), which runs every
# blocking call of the API. A smaller pool let overflow connections close on return and open
# again (connect + four PRAGMAs) under load; the overflow is for other threads (tests, CLI).
SQLITE_POOL_SIZE = 40
SQLITE_POOL_OVERFLOW = 10

T = TypeVar("T")


def _driver_outages() -> tuple[type[BaseException], ...]:
    """psycopg's connection errors, when the PostgreSQL extra is installed."""
    try:
        import psycopg
    except ImportError:
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


# What a database that cannot be reached raises (stopped, restarting, network gone): an outage,
# not a bug (flipshelf/health.py). SQLite's "database is locked" past the busy timeout is one too.
UNREACHABLE: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,
    # Prepared reads run on the driver's own connection (`snapshot`): its errors come unwrapped.
    sqlite3.OperationalError,
    *_driver_outages(),
)


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
    # Straight to the driver: `exec_driver_sql` costs a full SQLAlchemy execution per BEGIN.
    connection.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]


def _sqlite_engine(url: str | URL, **pool: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **pool)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_OVERFLOW)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_engine_for_fork(url: str) -> Engine:
    """An engine for short-lived processes (CLI, workers): no pooled connections to inherit."""
    if url.startswith("sqlite"):
        return make_engine(url)
    return create_engine(url, poolclass=NullPool)


def _readers(engine: Engine) -> Readers:
    return Readers(_sqlite_engine(engine.url, poolclass=NullPool))


class Database:
    """Hands out read and write transactions; every query module takes a Connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._readers = _readers(engine) if self.dialect == "sqlite" else None
        self._writes = 0  # commits through this Database: remembered reads are checked after one
        self._reuse_seconds = 0.0
        self._timer: Callable[[], float] = time.monotonic

    def reuse_reads(self, seconds: float, timer: Callable[[], float] = time.monotonic) -> None:
        """Lets `memo` skip asking SQLite whether anything changed for `seconds` after it last
        asked, unless a write went through this Database since. Commits of other processes then
        show within `seconds`, this process's own at once. For the API process only: workers and
        the CLI act on what they read, so they keep the default 0 (ask on every read)."""
        self._reuse_seconds, self._timer = seconds, timer

    def ping(self) -> None:
        """One round trip; raises one of UNREACHABLE when the database cannot answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
        finally:
            self._writes += 1  # after the commit: a read that sees it must check SQLite again

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A read transaction for prepared `Query`s. On SQLite it never waits for a writer
        (WAL), which is what lets the API run it on the event loop."""
        if self._readers is None:
            yield from _pooled_snapshot(self.engine)
            return
        reader = self._readers.take()
        try:
            yield _begin(reader, self.engine.dialect)
            reader.connection.execute("COMMIT")
        except BaseException:
            self._readers.give_back_after_error(reader)
            raise
        self._readers.give_back(reader)

    def memo(self, key: Hashable, load: Callable[[Snapshot], T]) -> T:
        """`load(snapshot)`, answered again without reading while nothing was committed to the
        database since (SQLite: `PRAGMA data_version`, whoever wrote; see `reuse_reads`).
        PostgreSQL: always reads. The value is shared between callers: it must be immutable."""
        if self._readers is None:
            with self.snapshot() as snapshot:
                return load(snapshot)
        reader = self._readers.take()
        try:
            self._check(reader)
            value = _remembered_or_loaded(reader, key, load, self.engine.dialect)
        except BaseException:
            self._readers.give_back_after_error(reader)
            raise
        self._readers.give_back(reader)
        return value

    def _check(self, reader: Reader) -> None:
        writes, now = self._writes, self._timer()
        if reader.writes_seen == writes and now - reader.checked_at < self._reuse_seconds:
            return
        # Noted before asking: a write committed meanwhile is caught now or at the next check.
        reader.writes_seen, reader.checked_at = writes, now
        reader.forget_if_changed()

    def dispose(self) -> None:
        if self._readers is not None:
            self._readers.close_all()
        self.engine.dispose()


def _begin(reader: Reader, dialect: Dialect) -> Snapshot:
    reader.connection.execute("BEGIN DEFERRED")
    return Snapshot(reader.connection, dialect)


_MISSING = object()


def _remembered_or_loaded(
    reader: Reader, key: Hashable, load: Callable[[Snapshot], T], dialect: Dialect
) -> T:
    # data_version was read before the snapshot starts, so a value is never filed under a
    # version older than what it saw: a commit in between only costs a needless reload.
    found = reader.remembered.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    value = load(_begin(reader, dialect))
    reader.connection.execute("COMMIT")
    reader.remember(key, value)
    return value


def _pooled_snapshot(engine: Engine) -> Iterator[Snapshot]:
    # PostgreSQL: a pooled connection; the driver opens the transaction at the first query.
    pooled = engine.raw_connection()
    try:
        yield Snapshot(pooled.driver_connection, engine.dialect)
        pooled.commit()
    finally:
        pooled.close()  # back to the pool, which rolls back anything left open
