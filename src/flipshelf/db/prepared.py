"""Prepared reads: Core SELECTs compiled once per dialect, run on a DBAPI cursor.

A hot read (a key's credentials, a collection by hash) skips SQLAlchemy's per-execute work
(coercion, cache key, result wrapping): its statement is compiled once per dialect (`Query`) and
run inside a `Snapshot`, one read transaction on a DBAPI connection that `Database.snapshot()`
hands out. Core stays the one source of the SQL, so the same reads run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect


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
