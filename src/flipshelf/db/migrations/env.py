"""Alembic environment: runs migrations on the URL given by flipshelf.db.migrate."""

from __future__ import annotations

from typing import Any

from alembic import context

from flipshelf.db.database import make_engine_for_fork
from flipshelf.db.schema import metadata

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
engine = make_engine_for_fork(url)
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver: Any = connection.connection.driver_connection
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename); with foreign keys enforced,
        # dropping a table other rows point at fails. SQLite's documented procedure: enforcement
        # off for the rebuild (outside any transaction), then check every key before going on.
        # Straight to the driver: through SQLAlchemy it would run inside a transaction it opens
        # first, where SQLite ignores this pragma.
        driver.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=sqlite)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    if sqlite:
        driver.execute("PRAGMA foreign_keys=ON")
engine.dispose()
