"""INSERT ... ON CONFLICT, which SQLite and PostgreSQL both speak, each with its own dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def conflict_insert(conn: Connection, table: Table) -> Any:
    """An INSERT on `table` that can say ON CONFLICT DO NOTHING / DO UPDATE."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
