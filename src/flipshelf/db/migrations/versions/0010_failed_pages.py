"""flipbooks.failed_pages: the pages of a converted book that could not be drawn

Revision ID: 0010_failed_pages
Revises: 0009_signing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_failed_pages"
down_revision = "0009_signing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flipbooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_pages", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flipbooks", schema=None) as batch_op:
        batch_op.drop_column("failed_pages")
