"""Alembic environment: runs migrations on the URL given by flipshelf.db.migrate."""

from __future__ import annotations

from alembic import context

from flipshelf.db.database import make_engine_for_fork
from flipshelf.db.schema import metadata

url = context.config.get_main_option("sqlalchemy.url")
assert url is not None
engine = make_engine_for_fork(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
