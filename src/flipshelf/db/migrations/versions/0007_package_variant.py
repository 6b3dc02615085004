"""packages.variant: a package per collection version and variant (full, or without zoom images)

Revision ID: 0007_player
Revises: 0006_dashboard
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_player"
down_revision = "0006_dashboard"
branch_labels = None
depends_on = None

# The unique constraint keeps its name (the naming convention names it after its first column).
UNIQUE = "uq_packages_collection_id"


def upgrade() -> None:
    # recreate + sqlite_autoincrement: SQLite rebuilds the table and must keep AUTOINCREMENT, or
    # package ids (which signed download links name) could be reused.
    with op.batch_alter_table(
        "packages", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("variant", sa.String(length=16), nullable=False, server_default="full")
        )
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["collection_id", "version", "variant"])


def downgrade() -> None:
    op.execute("DELETE FROM packages WHERE variant <> 'full'")
    with op.batch_alter_table(
        "packages", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.create_unique_constraint(UNIQUE, ["collection_id", "version"])
        batch_op.drop_column("variant")
