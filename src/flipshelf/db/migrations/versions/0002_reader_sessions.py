"""reader sessions: what each reading session has counted already

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reader_sessions",
        sa.Column("session", sa.String(length=64), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("flipbook", sa.String(length=32), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_reader_sessions_collection_id_collections"),
        ),
        sa.PrimaryKeyConstraint(
            "session", "collection_id", "kind", "flipbook", "page", name=op.f("pk_reader_sessions")
        ),
    )
    with op.batch_alter_table("reader_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_reader_sessions_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reader_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_reader_sessions_day")
    op.drop_table("reader_sessions")
