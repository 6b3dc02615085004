"""The engine and its transactions, tuned per backend.

SQLite: WAL (readers never wait for the writer), `synchronous=FULL` (a committed row survives a
power cut), foreign keys on, and a busy timeout. Write transactions start with `BEGIN IMMEDIATE` so
two writers queue on the lock instead of failing when a read lock would have to be upgraded.

Hot reads (a key's credentials, a collection by hash) skip SQLAlchemy's per-execute work: their
Core statements are compiled once per dialect (`Query`) and run on the DBAPI cursor inside a
`Database.snapshot()`. Core stays the one source of their SQL, so they run on both backends.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections import namedtuple
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import URL, Connection, Engine, Select, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import NullPool

_WRITE = "flipshelf_write"
BUSY_TIMEOUT_MS = 10_000
# One pooled connection per thread of anyio's default thread limiter (40), which runs every
# blocking call of the API. A smaller pool let overflow connections close on return and open
# again (connect + four PRAGMAs) under load; the overflow is for other threads (tests, CLI).
SQLITE_POOL_SIZE = 40
SQLITE_POOL_OVERFLOW = 10
# Idle DBAPI connections kept for snapshots: as many as can read at once in practice.
SNAPSHOT_IDLE_MAX = 8
# Values `Database.memo` keeps per snapshot connection (the hot collections of this process).
MEMO_MAX = 256

T = TypeVar("T")


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


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for qmark/format styles
    binders: tuple[tuple[str, Callable[[Any], Any]], ...]
    loaders: tuple[tuple[int, Callable[[Any], Any]], ...]
    row: Any  # a namedtuple class: rows read like SQLAlchemy's (`row.id`)


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params or any(not bind.required for bind in compiled.binds.values()):
        # Literal values and expanding IN are rendered per execution: no fixed SQL to keep.
        raise ValueError("a Query takes only named bindparam()s without values")
    binders = []
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binders.append((name, process))
    loaders = []
    for index, column in enumerate(statement.selected_columns):
        load = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if load is not None:
            loaders.append((index, load))
    positional = compiled.positiontup
    return _Compiled(
        sql=compiled.string,
        positional=tuple(positional) if positional is not None else None,
        binders=tuple(binders),
        loaders=tuple(loaders),
        row=namedtuple("Row", [column.name for column in statement.selected_columns]),
    )


class Query:
    """A Core SELECT with named `bindparam`s, compiled once per dialect: what a hot read runs
    through `Snapshot.all` without SQLAlchemy's per-execute coercion, caching and wrapping.
    Values come at execution, by name, and go through the columns' type processing both ways."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        return found


class Snapshot:
    """One read transaction on a DBAPI connection: its queries see one committed state."""

    def __init__(self, dbapi_connection: Any, dialect: Dialect) -> None:
        self._connection, self._dialect = dbapi_connection, dialect

    def all(self, query: Query, **values: Any) -> list[Any]:
        compiled = query.compiled(self._dialect)
        for name, process in compiled.binders:
            values[name] = process(values[name])
        params: Any = values
        if compiled.positional is not None:
            params = tuple([values[name] for name in compiled.positional])
        cursor = self._connection.cursor()
        try:
            cursor.execute(compiled.sql, params)
            return [_loaded(compiled, raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def first(self, query: Query, **values: Any) -> Any | None:
        """For lookups by a unique key: at most one row comes back anyway."""
        rows = self.all(query, **values)
        return rows[0] if rows else None


def _loaded(compiled: _Compiled, raw: tuple[Any, ...]) -> Any:
    if not compiled.loaders:
        return compiled.row._make(raw)
    values = list(raw)
    for index, load in compiled.loaders:
        values[index] = load(values[index])
    return compiled.row._make(values)


class _Reader:
    """A DBAPI connection kept for snapshots, with what `Database.memo` read through it while
    the database did not change. It never writes, so `PRAGMA data_version` moves exactly when
    another connection (of this process or any other) committed."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.data_version: object = None
        self.remembered: dict[Hashable, Any] = {}
        # When data_version was last asked, and how many local writes there had been then.
        self.checked_at = -math.inf
        self.writes_seen = -1

    def forget_if_changed(self) -> None:
        (version,) = self.connection.execute("PRAGMA data_version").fetchone()
        if version != self.data_version:
            self.remembered.clear()
            self.data_version = version

    def remember(self, key: Hashable, value: Any) -> None:
        if len(self.remembered) >= MEMO_MAX:
            del self.remembered[next(iter(self.remembered))]  # the oldest
        self.remembered[key] = value


class _Readers:
    """SQLite connections for snapshots, outside the engine's pool: taking one is a list pop
    (atomic under the GIL), cheap enough for a read run on the event loop."""

    def __init__(self, url: URL) -> None:
        # Unpooled, so opening one never waits for a pooled connection (on the event loop).
        self._engine = _sqlite_engine(url, poolclass=NullPool)
        self._idle: list[_Reader] = []

    def take(self) -> _Reader:
        try:
            return self._idle.pop()
        except IndexError:
            return _Reader(self._open())

    def give_back(self, reader: _Reader) -> None:
        if len(self._idle) < SNAPSHOT_IDLE_MAX:
            self._idle.append(reader)
        else:
            reader.connection.close()

    def give_back_after_error(self, reader: _Reader) -> None:
        try:
            if reader.connection.in_transaction:
                reader.connection.execute("ROLLBACK")
        except sqlite3.Error:
            reader.connection.close()  # in an unknown state: never reuse it
            return
        self.give_back(reader)

    def close_all(self) -> None:
        while self._idle:
            self._idle.pop().connection.close()
        self._engine.dispose()

    def _open(self) -> sqlite3.Connection:
        # Opened by an engine, so its connect event (PRAGMAs, lower()) runs, then let go of.
        pooled = self._engine.raw_connection()
        connection = pooled.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        pooled.detach()
        return connection


class Database:
    """Hands out read and write transactions; every query module takes a Connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._readers = _Readers(engine.url) if self.dialect == "sqlite" else None
        self._writes = 0  # commits through this Database: remembered reads are checked after one
        self._reuse_seconds = 0.0
        self._timer: Callable[[], float] = time.monotonic

    def reuse_reads(self, seconds: float, timer: Callable[[], float] = time.monotonic) -> None:
        """Lets `memo` skip asking SQLite whether anything changed for `seconds` after it last
        asked, unless a write went through this Database since. Commits of other processes then
        show within `seconds`, this process's own at once. For the API process only: workers and
        the CLI act on what they read, so they keep the default 0 (ask on every read)."""
        self._reuse_seconds, self._timer = seconds, timer

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

    def _check(self, reader: _Reader) -> None:
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


def _begin(reader: _Reader, dialect: Dialect) -> Snapshot:
    reader.connection.execute("BEGIN DEFERRED")
    return Snapshot(reader.connection, dialect)


_MISSING = object()


def _remembered_or_loaded(
    reader: _Reader, key: Hashable, load: Callable[[Snapshot], T], dialect: Dialect
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
