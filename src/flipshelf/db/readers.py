"""SQLite connections kept for snapshots, and what `Database.memo` read through each.

Outside the engine's pool: taking one is a list pop (atomic under the GIL), cheap enough for a
read run on the event loop. Each remembers the values read through it while SQLite's
`PRAGMA data_version` shows no commit by anyone since.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Engine

# Idle DBAPI connections kept for snapshots: as many as can read at once in practice.
SNAPSHOT_IDLE_MAX = 8
# Values `Database.memo` keeps per snapshot connection (the hot collections of this process).
MEMO_MAX = 256


class Reader:
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


class Readers:
    """SQLite connections for snapshots, outside the engine's pool: taking one is a list pop
    (atomic under the GIL), cheap enough for a read run on the event loop."""

    def __init__(self, engine: Engine) -> None:
        # An unpooled engine, so opening one never waits for a pooled connection (on the event
        # loop); its connect event sets the PRAGMAs.
        self._engine = engine
        self._idle: list[Reader] = []

    def take(self) -> Reader:
        try:
            return self._idle.pop()
        except IndexError:
            return Reader(self._open())

    def give_back(self, reader: Reader) -> None:
        if len(self._idle) < SNAPSHOT_IDLE_MAX:
            self._idle.append(reader)
        else:
            reader.connection.close()

    def give_back_after_error(self, reader: Reader) -> None:
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
